// The controller's way to a detached child's control socket on an SSH host (control plane,
// launchers; issue 26): a socket in this machine's run directory forwarded over the host's master
// (hosts/ssh-forward.ts) to the child's socket there; events are then read from it as from a local
// child's (socket-launch.ts followEvents, openControl).
import type { Clock } from '../../common/clock.js';
import type { ProcessEvent } from '../../common/wire.js';
import { cancelForward, forwardSocket } from '../hosts/index.js';
import { controlSocketPath, openControl, type ControlChannel } from './control-socket.js';
import { followEvents } from './socket-launch.js';

/** A forwarded socket: the path here, and how to undo it. */
export interface Bridge {
  local: string;
  close(): Promise<void>;
}

/** Forwards a socket in `runDir` here to `remoteSocket` over the master `sessionArgs` use; rejects with why not. */
export async function openBridge(
  sessionArgs: readonly string[],
  runDir: string,
  id: string,
  remoteSocket: string,
): Promise<Bridge> {
  const local = controlSocketPath(runDir, `${id}-ssh`);
  const failed = await forwardSocket(sessionArgs, local, remoteSocket);
  if (failed !== undefined) throw new Error(`its control socket could not be forwarded over SSH: ${failed}`);
  let closed: Promise<void> | undefined;
  return { local, close: () => (closed ??= cancelForward(sessionArgs, local, remoteSocket)) };
}

/**
 * Follows the events of a detached child just started: forwards its socket, then reads events from
 * it until `exited` settles, and undoes the forward then. A forward that fails is said through `onLine`.
 */
export function followRemoteEvents(
  o: { sessionArgs: readonly string[]; runDir: string; id: string; remoteSocket: string; clock: Clock },
  exited: Promise<unknown>,
  onEvent: (e: ProcessEvent) => void,
  onLine: (line: string) => void,
): void {
  void openBridge(o.sessionArgs, o.runDir, o.id, o.remoteSocket).then(
    (bridge) => {
      followEvents(bridge.local, exited, onEvent, o.clock);
      void exited.then(() => bridge.close());
    },
    (err: Error) => onLine(JSON.stringify({ level: 'warn', component: 'serve', msg: `${o.id}: ${err.message}` })),
  );
}

/** Connects to a detached child's socket over a new forward (a controller that adopts): its channel and bridge. */
export async function openRemoteControl(
  sessionArgs: readonly string[],
  runDir: string,
  id: string,
  remoteSocket: string,
  helloTimeoutMs: number,
  clock: Clock,
): Promise<{ channel: ControlChannel; bridge: Bridge }> {
  const bridge = await openBridge(sessionArgs, runDir, id, remoteSocket);
  try {
    return { channel: await openControl(bridge.local, helloTimeoutMs, clock), bridge };
  } catch (err) {
    await bridge.close();
    throw err;
  }
}
