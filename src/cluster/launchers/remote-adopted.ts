// A detached child on an SSH host that a new controller adopted (control plane, launchers; issue
// 26): events and control lines over its control socket, forwarded here over the host's master
// (remote-bridge.ts); the heartbeat goes the same way; signals are `kill` to its process group
// there. It has exited once its socket closed and its pid is gone there; a connection that went
// down with it makes it lost (it may still run there, cut off), as for a child this controller started.
import type { Clock, TimerHandle } from '../../common/clock.js';
import { HEARTBEAT_LINE } from '../../common/wire.js';
import type { RemoteConnection } from '../hosts/index.js';
import type { ExitInfo, LaunchedProcess } from './launcher.js';
import type { Bridge } from './remote-bridge.js';
import type { AdoptSpec } from './socket-launch.js';

/** How often a child whose socket closed is looked for there. */
const GONE_POLL_MS = 200;
/** How long the end of its socket waits for the connection to say it is down. */
const VERDICT_MS = 1500;

/** Adopts `a` on the host of `r`: its socket at `controlSocket` there, reached through `bridge`. */
export function adoptedRemoteProcess(
  a: AdoptSpec & { bridge: Bridge; controlSocket: string; startTicks?: number },
  r: RemoteConnection,
  clock: Clock,
): LaunchedProcess {
  const { pid, channel } = a;
  const conn = r.connection;
  let done = false;
  let sent: NodeJS.Signals | undefined;
  let heartbeat: TimerHandle | undefined;
  const beat = () => {
    channel.send(HEARTBEAT_LINE);
    heartbeat = clock.setTimer(beat, r.heartbeatMs, { unref: true });
  };
  heartbeat = clock.setTimer(beat, r.heartbeatMs, { unref: true });
  const lost = (): ExitInfo => ({
    code: null,
    signal: sent ?? null,
    lost: conn.reason ?? `the SSH connection to ${conn.o.hostName} is down`,
  });
  const gone = async (): Promise<ExitInfo> => {
    for (;;) {
      if (conn.state !== 'up') return lost();
      const res = await conn.exec(`kill -0 ${pid}`, { timeoutMs: 5000 });
      if (res.code === 1) return { code: null, signal: sent ?? null };
      // ssh itself failed (255): the connection may be going down with it.
      if (res.code !== 0 && (await conn.downWithin(VERDICT_MS))) return lost();
      await new Promise((resolve) => clock.setTimer(() => resolve(undefined), GONE_POLL_MS));
    }
  };
  const exited = channel.closed.then(gone).then((info) => {
    done = true;
    clock.clearTimer(heartbeat);
    void a.bridge.close();
    return info;
  });
  channel.listen((e) => a.onEvent(e));
  const signal = (sig: NodeJS.Signals) => {
    if (done) return;
    if (sent !== 'SIGKILL') sent = sig;
    if (conn.state === 'up') void conn.exec(`kill -${sig.replace(/^SIG/, '')} -- -${pid}`, { timeoutMs: 5000 });
  };
  return {
    pid,
    remote: true,
    controlSocket: a.controlSocket,
    ...(a.startTicks === undefined ? {} : { startTicks: a.startTicks }),
    exited,
    send: (line) => channel.send(line),
    signal,
    async stop(graceMs) {
      signal('SIGTERM');
      const kill = clock.setTimer(() => signal('SIGKILL'), graceMs);
      const info = await exited;
      clock.clearTimer(kill);
      return info;
    },
  };
}
