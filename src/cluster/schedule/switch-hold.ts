// Schedule actions held while a rollout runs (control plane): a prewarm or a profile switch that
// falls due during a rollout would change replicas and settings under it, so it waits until the
// rollout ends (completed or rolled back) and then runs, in the order they fell due.

export class SwitchHold {
  private readonly waiting: Array<() => void> = [];

  /** `held`: whether a rollout is in progress now. */
  constructor(private readonly held: () => boolean) {}

  /** Runs `act` now, or once the rollout in progress ends; returns true when it was held. */
  run(act: () => void): boolean {
    if (!this.held() && this.waiting.length === 0) {
      act();
      return false;
    }
    this.waiting.push(act);
    return true;
  }

  /** Actions waiting for the rollout to end. */
  get pending(): number {
    return this.waiting.length;
  }

  /** The rollout ended: runs what waited, in order (unless another rollout began meanwhile). */
  release(): void {
    while (this.waiting.length > 0 && !this.held()) this.waiting.shift()!();
  }
}
