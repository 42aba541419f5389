// Re-adoption of children on SSH hosts (control plane shell; issue 26): once the hosts are connected,
// each detached child the dead controller left on one is looked at there (its /proc over the host's
// connection, its hello through a forward of its control socket) and judged by adopt-verify.ts like
// a local one; the ones not trusted are killed there when they are certainly the dead controller's.
import type { Clock } from '../../common/clock.js';
import type { JournalChild } from '../../common/controller-journal.js';
import { shellQuote, type RemoteConnection } from '../hosts/index.js';
import { openRemoteControl, type Bridge, type ControlChannel } from '../launchers/index.js';
import { verifyChild, type AdoptExpect, type ChildFacts, type Verdict } from './adopt-verify.js';

/** What one `ssh` look at a pid there may take. */
const LOOK_TIMEOUT_MS = 5000;

/** A remote child looked at: the verdict, and its open channel and bridge when it is adopted. */
export interface RemoteLook {
  rec: JournalChild;
  verdict: Verdict;
  channel?: ControlChannel;
  bridge?: Bridge;
}

/** The shell command that prints /proc/PID/stat, a marker line, then its argv one per line. */
export function procCommand(pid: number): string {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`bad pid ${pid}`);
  return `cat /proc/${pid}/stat && echo @argv && tr '\\0' '\\n' < /proc/${pid}/cmdline`;
}

/** What procCommand printed (exit status `code`): the pid's facts there, the hello not yet asked. Pure. */
export function parseRemoteProc(code: number | null, stdout: string): Omit<ChildFacts, 'hello'> {
  const at = stdout.indexOf('\n@argv\n');
  if (code !== 0 || at < 0) return { alive: false, startTicks: undefined, cmdline: undefined, overSsh: true };
  const stat = stdout.slice(0, at);
  const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const argv = stdout.slice(at + '\n@argv\n'.length).split('\n');
  if (argv.at(-1) === '') argv.pop();
  return { alive: true, startTicks: Number.isInteger(ticks) ? ticks : undefined, cmdline: argv, overSsh: true };
}

/**
 * Looks at `rec` on its host (`conn` undefined or down: not asked, left alone) and judges it; only
 * a child that is certainly the dead controller's is asked for its hello.
 */
export async function lookAtRemote(
  rec: JournalChild,
  conn: RemoteConnection | undefined,
  o: { runDir: string; expect: AdoptExpect; helloTimeoutMs: number; clock: Clock },
): Promise<RemoteLook> {
  const c = conn?.connection;
  if (!c || c.state !== 'up')
    return { rec, verdict: { adopt: false, why: `its host ${rec.host} is not connected`, kill: false } };
  const r = await c.exec(procCommand(rec.pid), { timeoutMs: LOOK_TIMEOUT_MS });
  if (r.timedOut || r.code === 255)
    return { rec, verdict: { adopt: false, why: `its host ${rec.host} did not answer`, kill: false } };
  const facts: ChildFacts = { ...parseRemoteProc(r.code, r.stdout), hello: { error: 'not asked' } };
  const pre = verifyChild(rec, facts, o.expect);
  if ((!pre.adopt && !pre.kill) || rec.controlSocket === undefined) return { rec, verdict: pre };
  try {
    const { channel, bridge } = await openRemoteControl(
      c.sessionArgs(),
      o.runDir,
      rec.id,
      rec.controlSocket,
      o.helloTimeoutMs,
      o.clock,
    );
    const verdict = verifyChild(rec, { ...facts, hello: channel.hello }, o.expect);
    if (verdict.adopt) return { rec, verdict, channel, bridge };
    channel.close();
    await bridge.close();
    return { rec, verdict };
  } catch (err) {
    return { rec, verdict: verifyChild(rec, { ...facts, hello: { error: (err as Error).message } }, o.expect) };
  }
}

/** SIGKILL to the process group `rec` leads on its host (a detached child leads its own). Never rejects. */
export async function killRemote(rec: JournalChild, conn: RemoteConnection | undefined): Promise<void> {
  const c = conn?.connection;
  if (!c || c.state !== 'up') return;
  // Killed, it cannot remove its socket itself. `kill -SIG -PGID`, not `kill -SIG -- -PGID`: dash (the
  // /bin/sh of Debian and Ubuntu) refuses the latter, and would kill the leader alone.
  const rm = rec.controlSocket ? `; rm -f ${shellQuote(rec.controlSocket)}` : '';
  await c.exec(`kill -KILL -${rec.pid} 2>/dev/null; kill -KILL ${rec.pid} 2>/dev/null${rm}; true`, {
    timeoutMs: LOOK_TIMEOUT_MS,
  });
}
