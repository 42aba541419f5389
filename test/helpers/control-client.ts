// A controller's end of a data-plane process's control socket, for system tests: connects (waiting
// for the socket to appear), collects the JSON lines it gets, and writes control lines.
import type { TestContext } from 'node:test';
import net from 'node:net';

export interface ControlClient {
  sock: net.Socket;
  /** Every line received, parsed, the hello first. */
  lines: Array<Record<string, any>>;
  /** Resolves once it is closed by the other end (or destroyed). */
  closed: Promise<void>;
  /** The first line matching `match`, waiting up to `timeoutMs`. */
  line(match: (l: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  send(msg: unknown): void;
}

/** Connects to the control socket at `file`, retrying until it listens (up to `timeoutMs`). */
export async function connectControl(t: TestContext, file: string, timeoutMs = 15_000): Promise<ControlClient> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const sock = await new Promise<net.Socket | undefined>((resolve) => {
      const s = net.connect(file);
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (sock) return wrap(t, sock);
    if (Date.now() > end) throw new Error(`no control socket at ${file} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function wrap(t: TestContext, sock: net.Socket): ControlClient {
  const lines: ControlClient['lines'] = [];
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (c: string) => {
    buf += c;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const p of parts) lines.push(JSON.parse(p) as Record<string, any>);
  });
  sock.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  t.after(() => sock.destroy());
  return {
    sock,
    lines,
    closed,
    async line(match, waitMs = 15_000) {
      const until = Date.now() + waitMs;
      for (;;) {
        const found = lines.find(match);
        if (found) return found;
        if (Date.now() > until) throw new Error(`no matching line on the control socket: ${JSON.stringify(lines)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    send: (msg) => void sock.write(JSON.stringify(msg) + '\n'),
  };
}
