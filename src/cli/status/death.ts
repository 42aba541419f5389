// What `serve status` says when the cluster's controller died without stopping, and the lines
// `serve status` / `serve up` add about such a previous controller (cli, pure).
import { childLine, deathLine, interruptedRolloutLine, type ControllerDeath } from '../../common/controller-death.js';
import { SD_FILE_NAME } from '../../common/monitoring.js';
import type { DataPlaneReport, OrphanAnswer } from '../../client/orphans.js';

/**
 * The report of a dead controller, for people: what happened, whether the data plane it left still
 * serves (its processes asked directly), its rollout, what was removed, what next.
 */
export function renderDeath(d: ControllerDeath, stateDir: string, plane?: DataPlaneReport): string {
  const lines = plane?.serving
    ? [
        `The controller of ${stateDir} is down since ${clock(d.lastAliveAt)} UTC: ${deathLine(d)}.`,
        'The data plane is serving without it (no health checks, restarts, autoscaling or schedules meanwhile):',
      ]
    : [`No cluster is running in ${stateDir}: ${deathLine(d)}.`];
  const answers = new Map((plane?.children ?? []).map((a) => [`${a.id}/${a.pid}`, a]));
  lines.push(
    ...(d.children.length === 0
      ? ['  it had no child processes']
      : d.children.map((c) => {
          const a = answers.get(`${c.id}/${c.pid}`);
          return `  ${a && c.state === 'running' && a.answer !== 'not-asked' ? answerLine(a, c.host) : childLine(c)}`;
        })),
  );
  if (d.rollout) lines.push(`  it was ${interruptedRolloutLine(d.rollout)}`);
  if (d.removed.length > 0)
    lines.push(
      `  removed what it left: ${d.removed.join(', ')}` +
        `${d.removed.includes(SD_FILE_NAME) ? ' (Prometheus stops scraping its targets)' : ''}`,
    );
  const running = d.children.some((c) => c.state === 'running');
  lines.push(
    running
      ? `Re-adopt it with \`serve up --profile ${d.profile} --state-dir ${stateDir}\` (the processes that ` +
          `still run are kept, not restarted${d.rollout ? '; the rollout is rolled back' : ''}), or stop them with ` +
          `\`serve down --state-dir ${stateDir}\`.`
      : `Start it again with \`serve up --profile ${d.profile} --state-dir ${stateDir}\`` +
          `${d.rollout ? ', then roll out again' : ''}.`,
  );
  return lines.join('\n') + '\n';
}

/** "gateway pid 10 at http://127.0.0.1:8080: serving (ready)", "replica-2 pid 40 on h1 at ...: ..." */
function answerLine(a: OrphanAnswer, host: string | undefined): string {
  const what =
    a.answer === 'ready'
      ? 'serving (ready)'
      : a.answer === 'not-ready'
        ? `running, not ready (HTTP ${a.status})`
        : a.answer === 'no-answer'
          ? 'running, does not answer'
          : 'exited';
  return `${a.id} pid ${a.pid}${host ? ` on ${host}` : ''}${a.url ? ` at ${a.url}` : ''}: ${what}`;
}

function clock(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** The lines `serve status` (and `serve up`) show about a previous controller that died. */
export function renderPrevious(d: ControllerDeath | undefined): string[] {
  if (!d) return [];
  const lines = [`  warning: before this cluster, ${deathLine(d)}`];
  if (d.rollout)
    lines.push(
      `  warning: it was ${interruptedRolloutLine(d.rollout)}; the rollout did not go ` +
        `on: \`serve rollout ${d.rollout.model}@${d.rollout.toVersion}\` starts it again`,
    );
  return lines;
}
