// Process facts shared by planes that may not import each other (common): liveness by pid.

/** True if a process with this pid exists (signal 0 probe; EPERM means it exists but is not ours). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
