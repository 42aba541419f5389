// What is said to an SSH host about the replicas a dead controller left there (control plane, hosts,
// pure; issue 26): one /bin/sh script per host, sent over one ssh connection, that looks at each
// child (alive while its pid has the start time the journal recorded, field 22 of /proc/PID/stat),
// or stops it as `serve down` stops a local one (SIGTERM to its process group, SIGKILL after the
// grace, until no process of the group is left; its control socket removed); and the parsing of its
// answer lines. Only numbers and shell-quoted paths go into the script.
import { shellQuote } from './shell-quote.js';

/** One child on the host: its pid and start time there, and its control socket (removed once it is gone). */
export interface RemoteOrphan {
  pid: number;
  startTicks: number;
  socket?: string;
}

/**
 * alive: it runs (looked at); gone: not running, or its pid is now another process's (left alone);
 * stopped: it and its group ended after SIGTERM; killed: after SIGKILL; left: still there after SIGKILL.
 */
export type OrphanFate = 'alive' | 'gone' | 'stopped' | 'killed' | 'left';

const MARK = '@serve-orphan';
const TICK_MS = 100;
/** After SIGKILL, how long the group is waited for. */
export const KILL_WAIT_MS = 2000;

/** Defines st (a pid's state and start time) and live (the groups with a process that is not a zombie). */
const HELPERS = [
  // Fields 3 and 22 of /proc/PID/stat, counted after the ")" of its name.
  `st() { sed 's/.*) //' /proc/$1/stat 2>/dev/null | cut -d' ' -f1,20; }`,
  // " 12 40 ": every process group with a live process (a zombie nobody reaps counts as gone).
  `live() { cat /proc/[0-9]*/stat 2>/dev/null | awk '{ sub(/.*\\) /, ""); if ($1 != "Z") g[$3] = 1 } ` +
    `END { for (k in g) printf " %s", k; print " " }'; }`,
  // o PID TICKS INDEX ACTION: ACTION when PID is alive with TICKS, else says it is gone.
  `o() { case "$(st $1)" in Z*|'') echo "${MARK} $3 gone";; *" $2") $4 $1 $3;; *) echo "${MARK} $3 gone";; esac; }`,
];

function checked(orphans: readonly RemoteOrphan[]): void {
  if (orphans.length === 0) throw new Error('no child to look at');
  for (const o of orphans)
    if (!Number.isSafeInteger(o.pid) || o.pid <= 1 || !Number.isSafeInteger(o.startTicks) || o.startTicks <= 0)
      throw new Error(`bad pid ${o.pid} or start time ${o.startTicks}`);
}

/** The remote command (for the login shell there) that says of each child whether it is alive. */
export function lookCommand(orphans: readonly RemoteOrphan[]): string {
  checked(orphans);
  const script = [
    ...HELPERS,
    `alive() { echo "${MARK} $2 alive"; }`,
    ...orphans.map((o, i) => `o ${o.pid} ${o.startTicks} ${i} alive`),
  ];
  return `exec /bin/sh -c ${shellQuote(script.join('\n'))}`;
}

/**
 * The remote command that stops each child that is still the one the journal recorded: SIGTERM to its
 * group, SIGKILL to what is left after `graceMs`, then up to KILL_WAIT_MS more; one line per child
 * as its group ends (stopped, killed) or at the end (left), at once for one that is gone.
 */
export function stopCommand(orphans: readonly RemoteOrphan[], graceMs: number): string {
  checked(orphans);
  const termTicks = Math.max(1, Math.ceil(graceMs / TICK_MS));
  const endTicks = termTicks + Math.ceil(KILL_WAIT_MS / TICK_MS);
  const sockets = orphans.flatMap((o, i) =>
    o.socket === undefined ? [] : [`${i}) rm -f -- ${shellQuote(o.socket)} 2>/dev/null;;`],
  );
  const script = [
    ...HELPERS,
    `rmsock() { case $1 in ${sockets.join(' ')} *) :;; esac; }`,
    // A detached child leads its own group; one that does not is signalled alone.
    `ours=''`,
    `term() { kill -TERM -$1 2>/dev/null || kill -TERM $1 2>/dev/null; ours="$ours $1:$2"; }`,
    ...orphans.map((o, i) => `o ${o.pid} ${o.startTicks} ${i} term`),
    `f=stopped`,
    `n=0`,
    `while [ -n "$ours" ]; do`,
    `  l=$(live); left=''`,
    `  for e in $ours; do case "$l" in *" \${e%%:*} "*) left="$left $e";; *) echo "${MARK} \${e#*:} $f"; rmsock \${e#*:};; esac; done`,
    `  ours=$left; [ -z "$ours" ] && break`,
    `  n=$((n+1))`,
    `  if [ $n -eq ${termTicks} ]; then f=killed; for e in $ours; do kill -KILL -\${e%%:*} 2>/dev/null || kill -KILL \${e%%:*} 2>/dev/null; done; fi`,
    `  [ $n -ge ${endTicks} ] && break`,
    `  sleep 0.1 2>/dev/null || sleep 1`,
    `done`,
    `for e in $ours; do echo "${MARK} \${e#*:} left"; done`,
  ];
  return `exec /bin/sh -c ${shellQuote(script.join('\n'))}`;
}

/** How long a whole stopCommand may take there, beyond connecting. */
export function stopScriptMs(graceMs: number): number {
  return Math.max(1, Math.ceil(graceMs / TICK_MS)) * TICK_MS + KILL_WAIT_MS;
}

/** The fate of child `i` (its index in the list sent) from the script's output; absent: no line said. Pure. */
export function parseOrphanLines(stdout: string, count: number): (OrphanFate | undefined)[] {
  const fates: (OrphanFate | undefined)[] = new Array<OrphanFate | undefined>(count).fill(undefined);
  for (const line of stdout.split('\n')) {
    const m = /^@serve-orphan (\d+) (alive|gone|stopped|killed|left)$/.exec(line.trim());
    const i = m ? Number(m[1]) : -1;
    if (m && i < count && fates[i] === undefined) fates[i] = m[2] as OrphanFate;
  }
  return fates;
}
