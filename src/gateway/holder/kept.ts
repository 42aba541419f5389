// The holder's copies of its serving processes' connections (gateway, data plane): see lend.ts for
// the serving side. The holder never reads from a copy; it closes one when its process says the
// connection closed, gives them all to the next serving process when theirs was killed, and closes
// those of a process that handed over (it answered and closed them itself) or of a stopping gateway.

/** IPC messages about kept connections, between the holder and a serving process. */
export const KeepIpc = {
  /** Serving process -> holder, with a copy of a connection it accepted. */
  lend: 'conn',
  /** Serving process -> holder: that connection closed. */
  closed: 'conn-closed',
  /** Holder -> serving process, with a connection of a killed process to serve. */
  adopt: 'conn-adopt',
} as const;

export interface KeepMessage {
  type: (typeof KeepIpc)[keyof typeof KeepIpc];
  id: string;
}

/** A message of ours, or undefined. */
export function keepMessage(m: unknown): KeepMessage | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const { type, id } = m as { type?: unknown; id?: unknown };
  if (typeof id !== 'string') return undefined;
  return type === KeepIpc.lend || type === KeepIpc.closed || type === KeepIpc.adopt ? { type, id } : undefined;
}

interface Handle {
  close(): void;
}

export class KeptConnections<Owner> {
  private readonly byId = new Map<string, { owner: Owner; handle: Handle }>();

  get size(): number {
    return this.byId.size;
  }

  /** A copy lent by `owner` (a handle that is not a connection's is ignored). */
  lent(owner: Owner, id: string, handle: unknown): void {
    if (typeof handle !== 'object' || handle === null || typeof (handle as Handle).close !== 'function') return;
    this.byId.get(id)?.handle.close();
    this.byId.set(id, { owner, handle: handle as Handle });
  }

  /** `owner` closed the connection: so does our copy (only the owner's word counts). */
  closed(owner: Owner, id: string): void {
    const k = this.byId.get(id);
    if (!k || k.owner !== owner) return;
    this.byId.delete(id);
    k.handle.close();
  }

  /** Gives every connection of `from` to `to` (send returns false where it could not): the number given. */
  pass(from: Owner, to: Owner, send: (id: string, handle: object) => boolean): number {
    let given = 0;
    for (const [id, k] of this.byId) {
      if (k.owner !== from) continue;
      if (send(id, k.handle)) {
        k.owner = to;
        given++;
      } else {
        this.byId.delete(id);
        k.handle.close();
      }
    }
    return given;
  }

  /** Closes the copies of `owner`'s connections (all when undefined). */
  drop(owner?: Owner): void {
    for (const [id, k] of this.byId) {
      if (owner !== undefined && k.owner !== owner) continue;
      this.byId.delete(id);
      k.handle.close();
    }
  }
}
