// A signal a shell raises at every change of its state (common): waiters resolve at the next change,
// or once a condition holds, so nothing polls.

export class ChangeSignal {
  private waiters: Array<() => void> = [];

  /** Resolves at the next change. */
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once `holds()` is true (checked now and at every change). */
  async until(holds: () => boolean): Promise<void> {
    while (!holds()) await this.next();
  }

  /** Something changed: wakes every waiter. */
  raise(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
