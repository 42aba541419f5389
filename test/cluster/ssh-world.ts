// A temporary world with the demo model and an SSH lab of real sshd hosts (test helper): what every
// SSH system test starts from, and its cleanup in the one safe order.
import { startSshLab, type SshLab } from '../helpers/ssh-lab.js';
import { addDemoModel, tempWorld } from './helpers.js';

export type World = ReturnType<typeof tempWorld>;

/**
 * A world with the demo model in its registry and `hosts` sshd hosts. At the test's end `stop` runs
 * first (whatever the test started on them), then the lab and the world are removed. A lab that
 * cannot start removes the world before the error propagates.
 */
export async function sshWorld(
  t: { after(fn: () => unknown): void },
  hosts: number,
  stop: (w: World) => Promise<unknown> | void,
): Promise<{ w: World; lab: SshLab }> {
  const w = tempWorld();
  addDemoModel(w.registry);
  const lab = await startSshLab(hosts).catch((err: unknown) => {
    w.cleanup();
    throw err;
  });
  t.after(async () => {
    await stop(w);
    lab.cleanup();
    w.cleanup();
  });
  return { w, lab };
}
