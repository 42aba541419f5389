// Whether a new controller may adopt a child of the dead one (control plane, pure core): the child's
// journal record against what was found just now (/proc, its hello over its control socket) and what
// is in force. Every check must pass; a child that fails one is not trusted. It is killed when it is
// certainly ours (same pid and start time), and left alone when its pid now belongs to someone else.
import type { JournalChild } from '../../common/controller-journal.js';

/** What a child said over its control socket (the launchers' Hello, as far as the checks need it). */
export interface HelloFacts {
  role: 'replica' | 'gateway';
  pid: number;
  listening: { port: number; url: string } | null;
  ready: { modelDigest?: string } | null;
  draining: boolean;
}

/** What was found of the child's pid just now. */
export interface ChildFacts {
  alive: boolean;
  startTicks: number | undefined;
  cmdline: readonly string[] | undefined;
  /** Its hello within the time allowed, or why none came. */
  hello: HelloFacts | { error: string };
  /** Found on its SSH host (its /proc there, its socket through a forward): only then is a remote child judged. */
  overSsh?: boolean;
}

/** What is in force for the new controller. */
export interface AdoptExpect {
  /** The gateway's port in the profile; 0: any (the one it had is kept). */
  gatewayPort: number;
  /** The model version in force (an interrupted rollout's other version is not adopted). */
  modelVersion: number;
  /** The digest of that version's model.onnx in the registry. */
  modelDigest: string;
}

export type Verdict = { adopt: true } | { adopt: false; why: string; kill: boolean };

const reject = (why: string, kill: boolean): Verdict => ({ adopt: false, why, kill });

/** True if `argv` is `serve replica` or `serve gateway` (the CLI entry, then the command). */
export function looksLikeChild(argv: readonly string[], role: 'replica' | 'gateway'): boolean {
  const entry = argv.findIndex((a) => /(^|\/)(main\.js|serve\.js|serve)$/.test(a));
  return entry >= 0 && argv[entry + 1] === role;
}

/** The role of a journal child: "gateway" is the gateway, every other id a replica. */
export function roleOf(c: JournalChild): 'replica' | 'gateway' {
  return c.id === 'gateway' ? 'gateway' : 'replica';
}

/** The verdict on adopting `c`. Pure. */
export function verifyChild(c: JournalChild, f: ChildFacts, x: AdoptExpect): Verdict {
  const role = roleOf(c);
  if (c.host !== undefined && !f.overSsh)
    return reject(`it runs on SSH host ${c.host}, which was not asked (only local children are adopted)`, false);
  if (!f.alive) return reject('it has exited', false);
  // Its pid now names another process: not ours to kill, nor to trust.
  if (c.startTicks === undefined || f.startTicks !== c.startTicks)
    return reject(`pid ${c.pid} is now another process (its start time differs)`, false);
  if (f.cmdline !== undefined && !looksLikeChild(f.cmdline, role))
    return reject(`pid ${c.pid} is not \`serve ${role}\``, false);
  if (c.controlSocket === undefined)
    return reject('no control socket recorded (started without one, or not ready when its controller died)', true);
  if ('error' in f.hello) return reject(`no hello over its control socket: ${f.hello.error}`, true);
  const h = f.hello;
  if (h.pid !== c.pid) return reject(`its socket answers for pid ${h.pid}, not ${c.pid}`, true);
  if (h.role !== role) return reject(`its socket answers as a ${h.role}, not a ${role}`, true);
  if (h.draining) return reject('it is draining', true);
  if (!h.listening) return reject('it does not listen', true);
  if (role === 'gateway')
    return x.gatewayPort !== 0 && h.listening.port !== x.gatewayPort
      ? reject(`it listens on port ${h.listening.port}, the profile says ${x.gatewayPort}`, true)
      : { adopt: true };
  if (c.modelVersion !== x.modelVersion)
    return reject(`it runs model version ${c.modelVersion ?? '?'}, version ${x.modelVersion} is in force`, true);
  if (!h.ready) return reject('it is not ready', true);
  if (h.ready.modelDigest !== x.modelDigest)
    return reject(
      `its model bytes (${h.ready.modelDigest ?? 'no digest'}) are not the registry's for version ` +
        `${x.modelVersion} (${x.modelDigest})`,
      true,
    );
  return { adopt: true };
}
