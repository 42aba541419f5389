// The command a replica runs under on an SSH host when it is to outlive the controller (control
// plane, launchers, pure; issue 26): like remote-command.ts's wrapper, but the child is started in a
// session of its own (setsid), with a control socket and its log file in a run directory there
// (mode 0700), so the end of the SSH session (the controller died) stops nothing. The settings still
// come on stdin; the wrapper stays in the session to report how the child ended and to follow its
// log on stderr (for the controller's logs/) while it is there.
import { randomBytes } from 'node:crypto';
import { ENV_NAME } from '../../common/child-env.js';
import { shellCommand, shellQuote } from '../hosts/index.js';
import { keepAllowed, REMOTE_MARK } from './remote-command.js';

/** What a detached remote child needs beyond what every remote child needs. */
export interface DetachedRemote {
  /**
   * The run directory there: `$HOME/.serve/run/<runKey>` (made mode 0700; a link or anything but a
   * directory there is refused, exit 96). `runKey` names this cluster (its state directory here).
   */
  runKey: string;
  /** The child's id ("replica-3"): its socket and log file are named after it. */
  id: string;
}

/** The exit status the wrapper reports when the run directory cannot be made or is not safe. */
export const RUN_DIR_REFUSED = 96;

const KEY = /^[A-Za-z0-9_-]{1,64}$/;
const ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * One command line for the host's login shell: `exec /bin/sh -c '<wrapper>'`. The wrapper makes
 * the run directory, starts `command args --control-socket <socket>` under `setsid` and `env -i`
 * (the allow-list of the login environment there, then `env`) with its stdin the session's and its
 * output appended to `<id>.log` there, says `@serve-remote pid=N start=TICKS socket=PATH`, and
 * waits for it to report its exit status as the attached wrapper does.
 */
export function detachedRemoteCommand(o: {
  workdir: string;
  env?: Readonly<Record<string, string>>;
  command: string;
  args: readonly string[];
  detached: DetachedRemote;
  /** For tests: the socket's random part (8 hex). */
  random?: string;
}): string {
  const { runKey, id } = o.detached;
  if (!KEY.test(runKey)) throw new Error(`bad run key ${JSON.stringify(runKey)}`);
  if (!ID.test(id)) throw new Error(`bad child id ${JSON.stringify(id)}`);
  const env = Object.entries(o.env ?? {}).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new Error(`bad environment variable name ${JSON.stringify(k)}`);
    return `${k}=${v}`;
  });
  const rand = o.random ?? randomBytes(4).toString('hex');
  const child = shellCommand([...env, o.command, ...o.args, '--control-socket']);
  const refused = `{ echo "${REMOTE_MARK} exit=${RUN_DIR_REFUSED}" >&2; exit ${RUN_DIR_REFUSED}; }`;
  const script = [
    `trap : TERM INT`,
    `umask 077`,
    `d="$HOME/.serve/run/${runKey}"`,
    `mkdir -p "$d" && [ -d "$d" ] && [ ! -L "$d" ] && [ -O "$d" ] && chmod 700 "$d" || ${refused}`,
    `s="$d/${id}.${rand}.sock"`,
    `cd ${shellQuote(o.workdir)} || { echo "${REMOTE_MARK} exit=97" >&2; exit 97; }`,
    keepAllowed(),
    // Its log is also followed on the session's stderr while the session lasts (the controller's log).
    `: >>"$d/${id}.log"`,
    `tail -n 0 -f "$d/${id}.log" >&2 &`,
    `tp=$!`,
    // An asynchronous command's stdin is /dev/null unless given: the session's is passed on as fd 3.
    `exec 3<&0`,
    `setsid env -i "$@" ${child} "$s" <&3 3<&- >>"$d/${id}.log" 2>&1 &`,
    `pid=$!`,
    `exec 3<&-`,
    // Field 22 of /proc/PID/stat (its start time in clock ticks), counted after the ")" of its name.
    `t=$(sed 's/.*) //' /proc/$pid/stat 2>/dev/null | cut -d' ' -f20)`,
    `echo "${REMOTE_MARK} pid=$pid start=\${t:-0} socket=$s" >&2`,
    // A trapped TERM ends `wait` early: wait again while the child runs.
    `while :; do wait $pid; code=$?; kill -0 $pid 2>/dev/null || break; done`,
    `kill $tp 2>/dev/null`,
    `echo "${REMOTE_MARK} exit=$code" >&2`,
    `exit $code`,
  ].join('\n');
  return `exec /bin/sh -c ${shellQuote(script)}`;
}

/** The detached wrapper's start line: the child's pid there, its start time (ticks) and its socket. */
export interface DetachedStart {
  pid: number;
  startTicks: number | undefined;
  socket: string;
}

/** The start line of the detached wrapper, or undefined for any other line. */
export function parseDetachedStart(line: string): DetachedStart | undefined {
  if (!line.startsWith(REMOTE_MARK)) return undefined;
  const m = /^@serve-remote pid=(\d+) start=(\d+) socket=(\/\S+\.sock)$/.exec(line.trim());
  if (!m) return undefined;
  const ticks = Number(m[2]);
  return { pid: Number(m[1]), startTicks: ticks > 0 ? ticks : undefined, socket: m[3]! };
}
