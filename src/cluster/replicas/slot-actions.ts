// Carrying out a replica slot's supervised-child actions (control plane shell): its launch, a kill,
// its one timer, its removal and its reports. Routing, placing and draining stay with the supervisor.
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { ChildAction, ChildEvent } from './child-state.js';
import type { ClusterEvent } from '../events.js';
import type { ReplicaSlot } from './slot.js';

/** What carrying out a slot's actions needs of the supervisor. */
export interface SlotActionHost {
  clock: Clock;
  log: Logger;
  onEvent(event: ClusterEvent): void;
  /** Starts the slot's process with the supervisor's current settings generation. */
  launch(slot: ReplicaSlot): void;
  /** An event for the slot's state machine (a timer fired). */
  dispatch(slot: ReplicaSlot, event: ChildEvent): void;
  /** Forgets the slot: it is stopped for good. */
  remove(slot: ReplicaSlot): void;
}

/** Carries out `a` for `slot` (`routing`, `place` and `drain` are the supervisor's own). */
export function performSlotAction(host: SlotActionHost, slot: ReplicaSlot, a: ChildAction): void {
  const { clock } = host;
  switch (a.type) {
    case 'launch':
      return host.launch(slot);
    case 'kill':
      return slot.proc?.signal('SIGKILL');
    case 'arm':
    case 'disarm':
      clock.clearTimer(slot.timer);
      slot.timer =
        a.type === 'arm'
          ? clock.setTimer(() => host.dispatch(slot, { type: 'timer', atMs: a.atMs }), a.atMs - clock.nowMs())
          : undefined;
      return;
    case 'remove':
      return host.remove(slot);
    case 'report':
      return report(host, slot, a);
  }
}

function report(host: SlotActionHost, slot: ReplicaSlot, a: Extract<ChildAction, { type: 'report' }>): void {
  const message = a.kind === 'ready' ? `${slot.id} ready on ${slot.url ?? '?'}` : `${slot.id} ${a.message}`;
  // A failed probe below the threshold is worth a log line, not a line on the operator's terminal.
  if (a.kind === 'probe') host.log.warn(message, { replica: slot.id });
  else host.onEvent({ level: a.level, kind: a.kind, id: slot.id, message });
}
