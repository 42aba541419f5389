// dependency-cruiser: the folder rules of docs/architecture.md (which src/ folders may import which,
// and which folder each heavy library lives behind), and no import cycles, type-only imports included.
// Change this file and docs/architecture.md together.

/** Which src/ folders each folder may import (besides itself). */
const allowedFolders = {
  common: [],
  profile: ['common'],
  // The replica reads the registry layout (model/registry, model/spec) and nothing else of the control plane.
  model: ['common'],
  replica: ['common', 'model'],
  gateway: ['common'],
  loadtest: ['common', 'stats'],
  // The statistics core: pure maths on plain numbers, used by loadtest, cli and tune.
  stats: ['common'],
  cluster: ['profile', 'model', 'common'],
  // The state directory's layout and the admin API are wire conventions in common/.
  client: ['common'],
  tune: ['client', 'loadtest', 'report', 'profile', 'stats', 'common'],
  report: ['common'],
  simulate: ['cluster', 'profile', 'common'],
  export: ['profile', 'model', 'common'],
  ops: ['profile', 'common'],
  cli: ['common', 'profile', 'model', 'replica', 'gateway', 'cluster', 'client', 'loadtest', 'tune', 'report', 'simulate', 'export', 'ops', 'stats'],
};

/** Heavy libraries and the only folders that may import them. */
const libraryHomes = {
  'onnxruntime-node': ['replica', 'model'],
  'onnx-proto': ['model/optimize'],
  protobufjs: ['model/optimize'],
  'hdr-histogram-js': ['loadtest'],
  execa: ['cluster'],
  commander: ['cli'],
  ora: ['cli'],
  'cli-table3': ['cli'],
  zod: ['profile'],
  yaml: ['profile', 'model'],
  // The controller serves its own /metrics.
  'prom-client': ['replica', 'gateway', 'cluster'],
  'd3-scale': ['report'],
  'd3-shape': ['report'],
  ioredis: ['gateway/cache'],
};

const folders = Object.keys(allowedFolders);
const folderRules = folders.map((folder) => {
  const others = folders.filter((f) => f !== folder && !allowedFolders[folder].includes(f));
  return {
    name: `${folder}-imports-only-${allowedFolders[folder].join('-') || 'itself'}`,
    severity: 'error',
    comment: `src/${folder}/ may import only ${allowedFolders[folder].join(', ') || 'itself'} (docs/architecture.md)`,
    from: { path: `^src/${folder}/` },
    to: { path: `^src/(${others.join('|')})/` },
  };
});
const libraryRules = Object.entries(libraryHomes).map(([pkg, homes]) => ({
  name: `${pkg}-lives-behind-${homes.join('-').replace(/\//g, '_')}`,
  severity: 'error',
  comment: `${pkg} is imported only under ${homes.map((h) => `src/${h}/`).join(', ')}`,
  from: { path: '^src/', pathNot: `^src/(${homes.join('|')})/` },
  to: { path: `node_modules/${pkg}/` },
}));

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'no import cycle, type-only imports included', from: {}, to: { circular: true } },
    { name: 'nothing-imports-test-or-bench', severity: 'error', from: { path: '^src/' }, to: { path: '^(test|bench)/' } },
    ...folderRules,
    ...libraryRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    moduleSystems: ['es6', 'cjs'],
  },
};
