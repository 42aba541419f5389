// The controller's end of a local child's control socket (control plane, launchers): the child
// listens on a unix socket in <stateDir>/run/ (`--control-socket`), says `hello` (its snapshot) to
// each connection, then sends every event; lines written to it are control lines, as on its stdin.
// Unlike stdin, a new controller can connect to it again after the old one died.
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { systemClock, type Clock } from '../../common/clock.js';
import { UserError } from '../../common/errors.js';
import { parseProcessEvent, type HelloEvent, type ProcessEvent } from '../../common/wire.js';

/** The first line a child writes to each connection (common/wire.ts's HelloEvent): what it is and how far it got. */
export type Hello = Omit<HelloEvent, 'event'>;

/** The hello in `line`, or undefined if it is not one. */
export function parseHello(line: string): Hello | undefined {
  try {
    const v = JSON.parse(line) as Partial<Hello> & { event?: unknown };
    if (v.event !== 'hello' || (v.role !== 'replica' && v.role !== 'gateway') || !Number.isInteger(v.pid))
      return undefined;
    return {
      role: v.role,
      pid: v.pid!,
      listening: v.listening ?? null,
      ready: v.ready ?? null,
      draining: v.draining === true,
      ...(Number.isInteger(v.servingPid) ? { servingPid: v.servingPid } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The events a hello stands for, for a controller that connected after they were sent. */
export function helloEvents(h: Hello): ProcessEvent[] {
  const out: ProcessEvent[] = [];
  if (h.servingPid !== undefined) out.push({ event: 'serving', pid: h.servingPid });
  if (h.listening) out.push({ event: 'listening', ...h.listening });
  if (h.ready) out.push({ event: 'ready', ...h.ready });
  if (h.draining) out.push({ event: 'draining' });
  return out;
}

// Linux caps sun_path at 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * `<runDir>/<id>.<random>.<suffix>`, or `<runDir>/<random>.<suffix>` where that would be too long for a
 * unix socket (`suffix`: `sock` for a control socket, `frames.sock` for a replica's frame socket).
 */
export function controlSocketPath(runDir: string, id: string, suffix = 'sock'): string {
  const rand = randomBytes(4).toString('hex');
  const named = path.join(runDir, `${id}.${rand}.${suffix}`);
  if (Buffer.byteLength(named) <= MAX_SOCKET_PATH_BYTES) return named;
  const short = path.join(runDir, `${rand}.${suffix}`);
  if (Buffer.byteLength(short) <= MAX_SOCKET_PATH_BYTES) return short;
  throw new UserError(
    `${runDir} is too long for the children's control sockets (unix sockets allow ` +
      `${MAX_SOCKET_PATH_BYTES} bytes): use a shorter --state-dir`,
  );
}

/** Creates <stateDir>/run/ (mode 0700) if needed; refuses a link or anything but a directory there. */
export function prepareRunDir(runDir: string): void {
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const st = lstatSync(runDir);
  if (!st.isDirectory())
    throw new UserError(`${runDir} is not a directory (a link?), and serve never follows links: remove it`);
  if ((st.mode & 0o777) !== 0o700) chmodSync(runDir, 0o700);
}

/** One connection to a child's control socket, after its hello. */
export interface ControlChannel {
  readonly hello: Hello;
  /** Writes one control line (ignored once closed). */
  send(line: string): void;
  /** Where later events go; those that came before are delivered first, on the next tick. */
  listen(onEvent: (e: ProcessEvent) => void): void;
  /** Settles when the connection closes (the child exited, or close()). */
  readonly closed: Promise<void>;
  close(): void;
}

/**
 * Connects to `socketPath` and resolves once the child said hello; rejects when it cannot connect,
 * closes first, or says nothing within `timeoutMs`.
 */
export function openControl(
  socketPath: string,
  timeoutMs: number,
  clock: Clock = systemClock,
): Promise<ControlChannel> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let hello: Hello | undefined;
    let handler: ((e: ProcessEvent) => void) | undefined;
    const early: ProcessEvent[] = [];
    let markClosed!: () => void;
    const closed = new Promise<void>((r) => (markClosed = r));
    const fail = (why: string) => {
      clock.clearTimer(timer);
      socket.destroy();
      reject(new Error(why));
    };
    const timer = clock.setTimer(() => fail(`no hello within ${timeoutMs}ms`), timeoutMs);
    socket.on('error', (err) => {
      if (!hello) fail(err.message);
    });
    socket.on('close', () => {
      markClosed();
      if (!hello) fail('closed before its hello');
    });
    const rl = createInterface({ input: socket, crlfDelay: Infinity });
    rl.on('error', () => {});
    rl.on('line', (line) => {
      if (!hello) {
        hello = parseHello(line);
        if (!hello) return fail(`its first line is not a hello: ${line.slice(0, 80)}`);
        clock.clearTimer(timer);
        return resolve(channel(hello));
      }
      const e = parseProcessEvent(line);
      if (!e) return;
      if (handler) handler(e);
      else early.push(e);
    });
    const channel = (h: Hello): ControlChannel => ({
      hello: h,
      closed,
      send(line) {
        if (!socket.destroyed && socket.writable) socket.write(line.endsWith('\n') ? line : line + '\n');
      },
      listen(onEvent) {
        setImmediate(() => {
          for (const e of early.splice(0)) onEvent(e);
          handler = onEvent;
        });
      },
      close() {
        socket.destroy();
      },
    });
  });
}
