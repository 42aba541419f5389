// ESLint: typescript-eslint's recommended type-checked rules over src/, test/ and bench/.
// Formatting is Prettier's job (npm run lint runs both); the import rules are dependency-cruiser's.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-*/**', 'node_modules/**', 'bench/tmp/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // An unhandled promise is how a disk error became a controller crash: both are errors everywhere.
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test(), describe() and it() return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // Index reads are marked `!` on purpose (the code reads as if noUncheckedIndexedAccess were on).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // `async` on a method that implements a Promise-returning interface keeps its throws as rejections.
      '@typescript-eslint/require-await': 'off',
      // A `let` read by a closure before its one assignment (the closure runs later) cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `_`-prefixed names are deliberately unused (callback positions, destructuring to drop a field).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // The profile's field tree is heterogeneous by design (`Leaf<any>`, `List<any>`): walking it reads `any`.
    files: ['src/profile/fields/field-table.ts', 'src/profile/json-schema.ts', 'src/profile/walk.ts', 'src/cli/docs/profile-reference.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests and benchmarks read JSON answers of real servers as `any` and assert on their fields;
      // typing every answer would add noise, and a wrong field fails the assertion anyway.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Captured output is appended as `out += chunk` (a Buffer read as UTF-8) and shown in messages.
      '@typescript-eslint/restrict-plus-operands': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
