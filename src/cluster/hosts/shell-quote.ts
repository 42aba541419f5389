// POSIX shell quoting for commands run on SSH hosts (control plane, pure): ssh joins its remote
// arguments with spaces and the host's shell parses them again, so every argument is quoted here.

/** `arg` as one single-quoted shell word: `it's` -> `'it'\''s'`; plain words stay as they are. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Every argument quoted and joined by spaces: one shell command line. */
export function shellCommand(args: readonly string[]): string {
  return args.map(shellQuote).join(' ');
}
