// What `serve status` says when the cluster's controller died without stopping, and the lines
// `serve status` / `serve up` add about such a previous controller (cli, pure).
import { childLine, deathLine, interruptedRolloutLine, type ControllerDeath } from '../../common/controller-death.js';
import { SD_FILE_NAME } from '../../common/monitoring.js';

/** The report of a dead controller, for people: what happened, its children, its rollout, what was removed, what next. */
export function renderDeath(d: ControllerDeath, stateDir: string): string {
  const lines = [`No cluster is running in ${stateDir}: ${deathLine(d)}.`];
  lines.push(
    ...(d.children.length === 0 ? ['  it had no child processes'] : d.children.map((c) => `  ${childLine(c)}`)),
  );
  if (d.rollout) lines.push(`  it was ${interruptedRolloutLine(d.rollout)}`);
  if (d.removed.length > 0)
    lines.push(
      `  removed what it left: ${d.removed.join(', ')}` +
        `${d.removed.includes(SD_FILE_NAME) ? ' (Prometheus stops scraping its targets)' : ''}`,
    );
  lines.push(
    `Start it again with \`serve up --profile ${d.profile} --state-dir ${stateDir}\`` +
      `${d.rollout ? ', then roll out again' : ''}.`,
  );
  return lines.join('\n') + '\n';
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
