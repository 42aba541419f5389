// Events the controller reports while it runs (control plane): the CLI prints them, logs keep them.

/** Something worth telling the person running `serve up`. */
export interface ClusterEvent {
  level: 'info' | 'warn' | 'error';
  /** A stable short tag: ready, restarting, unhealthy, failed, pending, oversubscribed, scaled, gateway. */
  kind: string;
  /** The replica concerned, if any. */
  id?: string;
  message: string;
}
