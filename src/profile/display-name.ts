// How a file's path is shown in messages (profile plane): shared by the profile readers.
import path from 'node:path';

/** The path as people should read it: relative to `cwd` when inside it, else absolute. */
export function displayName(absolute: string, cwd: string): string {
  if (absolute === '') return '';
  const rel = path.relative(cwd, absolute);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : absolute;
}
