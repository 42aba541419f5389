// Starting a replica slot's process (control plane): runs the launch command, turns its stdout
// events and its exit into what the supervisor dispatches, and ignores news from a process the slot
// no longer runs (a restart replaced it).
import type { Logger } from '../../common/log.js';
import type { ProcessEvent } from '../../common/wire.js';
import type { ChildLaunch } from '../launchers/index.js';
import type { LaunchedProcess, Launcher } from '../launchers/index.js';
import type { ReplicaSlot } from './slot.js';
import type { ChildEvent } from './child-state.js';
import { exitWording } from './child-wording.js';

export interface SlotProcessHost {
  launcher: Launcher;
  /** How to start the replica with this id where placement put it. */
  replicaLaunch(id: string, placed: { host?: string; gpus?: number[] }, modelVersion: number): ChildLaunch;
  onOutput(id: string, line: string): void;
  log: Logger;
  /** An event for the slot's state machine. */
  dispatch(slot: ReplicaSlot, event: ChildEvent): void;
  /** The slot listens at a new URL: the gateway's set changed. */
  listening(slot: ReplicaSlot): void;
  /** The slot's host went away with its process (before dispatching host-lost). */
  lost(slot: ReplicaSlot): void;
  /**
   * Why an end of a replica on `host` is the host's doing (down, or not prepared again since it came
   * back), or undefined: such an end is a lost replica, not a crash of its own.
   */
  hostFault?(host: string | undefined): string | undefined;
  /** The replica answered a live batching change (see live-reconfigure.ts). */
  reconfigured?(slot: ReplicaSlot, event: Extract<ProcessEvent, { event: 'reconfigured' }>): void;
}

/** Starts `slot`'s process (launched with settings generation `generation`). */
export function launchSlot(host: SlotProcessHost, slot: ReplicaSlot, generation: number): void {
  const {
    command,
    args,
    stdinLines,
    env,
    profileEnv,
    host: where,
    frameSocket,
  } = host.replicaLaunch(slot.id, { host: slot.host, ...(slot.gpus ? { gpus: slot.gpus } : {}) }, slot.modelVersion);
  slot.generation = generation;
  slot.url = undefined;
  slot.inFlight = undefined;
  slot.modelDigest = undefined;
  slot.frameSocket = undefined;
  slot.frameAddress = undefined;
  slot.adopted = false;
  const proc: LaunchedProcess = host.launcher.start({
    id: slot.id,
    command,
    args,
    stdinLines,
    ...(env ? { env } : {}),
    ...(profileEnv ? { profileEnv } : {}),
    ...(where === undefined ? {} : { host: where }),
    ...(frameSocket ? { frameSocket } : {}),
    onEvent: (e) => onSlotEvent(host, slot, proc, e),
    onLine: (line) => host.onOutput(slot.id, line),
  });
  slot.proc = proc;
  host.log.info('replica started', { replica: slot.id, pid: proc.pid, restarts: slot.child.restarts });
  watchExit(host, slot, proc);
}

/** What a slot adopts: the running process of a dead controller, as its journal and hello describe it. */
export interface AdoptedReplica {
  /** The N of replica-N. */
  index: number;
  modelVersion: number;
  /** Where placement had put it (this machine's host name) and its GPUs. */
  host?: string;
  gpus?: number[];
  url: string;
  port: number;
  device?: string;
  modelDigest?: string;
  /** Its frame socket (its hello's ready), which the gateway sends infer requests to. */
  frameSocket?: string;
  /** Its TCP frame address (a replica on an SSH host: its hello's ready). */
  frameAddress?: string;
  /** Takes the process over (launchers/: its control socket), sending its events to `onEvent`. */
  open(onEvent: (e: ProcessEvent) => void): LaunchedProcess;
}

/** Gives `slot` the adopted process `a` (the slot then gets the `adopted` event from the supervisor). */
export function adoptSlot(host: SlotProcessHost, slot: ReplicaSlot, a: AdoptedReplica, generation: number): void {
  slot.generation = generation;
  slot.host = a.host;
  slot.gpus = a.gpus;
  slot.url = a.url;
  slot.port = a.port;
  slot.device = a.device;
  slot.modelDigest = a.modelDigest;
  slot.frameSocket = a.frameSocket;
  slot.frameAddress = a.frameAddress;
  slot.adopted = true;
  const proc: LaunchedProcess = a.open((e) => onSlotEvent(host, slot, proc, e));
  slot.proc = proc;
  host.log.info('replica adopted', { replica: slot.id, pid: proc.pid });
  watchExit(host, slot, proc);
}

function onSlotEvent(host: SlotProcessHost, slot: ReplicaSlot, proc: LaunchedProcess, e: ProcessEvent): void {
  if (slot.proc !== proc) return;
  if (e.event === 'listening') {
    slot.url = e.url;
    slot.port = e.port;
    host.listening(slot);
  } else if (e.event === 'ready') {
    slot.device = e.device ?? slot.device;
    slot.deviceFallback = e.fallbackReason;
    slot.modelDigest = e.modelDigest;
    slot.frameSocket = e.frameSocket;
    slot.frameAddress = e.frameAddress;
    host.dispatch(slot, { type: 'ready' });
  } else if (e.event === 'fatal') {
    host.dispatch(slot, { type: 'fatal', error: e.error });
  } else if (e.event === 'reconfigured') {
    host.reconfigured?.(slot, e);
  }
}

function watchExit(host: SlotProcessHost, slot: ReplicaSlot, proc: LaunchedProcess): void {
  void proc.exited.then((info) => {
    if (slot.proc !== proc) return;
    slot.proc = undefined;
    slot.url = undefined;
    const how = exitWording(info);
    if (slot.child.stopping) host.log.info('replica stopped', { replica: slot.id, how });
    // Its host is gone (or came back unprepared): replaced elsewhere, and not counted as a crash of
    // the replica's own (a replica being retired just ends).
    const lost = info.lost ?? (slot.host === undefined ? undefined : host.hostFault?.(slot.host));
    if (lost !== undefined && !slot.child.stopping) {
      host.lost(slot);
      return host.dispatch(slot, { type: 'host-lost', why: lost });
    }
    host.dispatch(slot, { type: 'exited', how });
  });
}
