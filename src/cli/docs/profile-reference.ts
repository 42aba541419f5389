// docs/reference/profile.md (cli docs): every field of a profile and of a schedule profile with its
// type, default, allowed values and meaning, the rules between fields, and the data-plane settings
// table those fields come from. Rendered from the profile trees (whose leaves the settings table
// derives) and the rule table, the same sources as profiles/profile.schema.json.
import { flagOf, type SettingSpec, type SettingsTable } from '../../common/settings/settings.js';
import { replicaSettingsTable } from '../../common/settings/table.js';
import { gatewaySettingsTable } from '../../common/settings/table-gateway.js';
import type { Node, Section } from '../../profile/fields/fields.js';
import { formatDuration } from '../../profile/fields/fields.js';
import { profileRuleTexts } from '../../profile/rules.js';
import { scheduleTree } from '../../profile/schedule/tree.js';
import { profileTree } from '../../profile/schema.js';
import { code, pageHead, table } from './markdown.js';

export function renderProfileReference(): string {
  return [
    pageHead(
      'Profile reference',
      'the profile trees (src/profile/schema.ts, schedule-tree.ts), the rules ' +
        '(src/profile/rules.ts) and the settings table (src/common/settings/table*.ts)',
    ),
    'A profile is a YAML file; `serve validate FILE` checks one and `serve validate ' +
      '--schema` prints the JSON Schema editors use (profiles/profile.schema.json, ' +
      'from the same tree). ' +
      'Durations are written like `10ms`, `15s`, `2m`; sizes like `512MiB`, `2GB`; ' +
      'percentages like `1%`. Any value may be a `${VAR}` or `${VAR:-default}` ' +
      'reference, expanded when the profile loads.\n',
    '## Profile fields\n',
    fieldTable(profileTree),
    '## Rules between fields\n',
    "Besides each field's own range, a profile must satisfy these (the problem is " +
      'reported on the field you wrote; a default involved is named as such):\n',
    profileRuleTexts()
      .map((r) => `- ${r}`)
      .join('\n') + '\n',
    '## Schedule profile fields\n',
    'A schedule profile names which profile is active when; `serve up`, `serve ' +
      'validate` and `serve schedule show` take one where they take a profile.\n',
    fieldTable(scheduleTree),
    '## Data-plane settings\n',
    'The settings of a replica and of the gateway, from which the profile fields ' +
      'above and the flags of `serve replica` and `serve gateway` are derived. ' +
      'A setting without a profile field is set by `serve up` from other fields, or ' +
      'only by its flag. Secrets have no flag: they arrive on stdin.\n',
    '### Replica\n',
    settingsTable(replicaSettingsTable),
    '### Gateway\n',
    settingsTable(gatewaySettingsTable),
  ].join('\n');
}

/** One row per field of `tree`: path, type, default, allowed values, meaning. */
function fieldTable(tree: Section): string {
  const rows: string[][] = [];
  const walk = (node: Node, path: string[]) => {
    const name = code(path.join('.'));
    if (node.kind === 'leaf') {
      const dflt = node.required
        ? '**required**'
        : node.default !== undefined
          ? code(String(node.default))
          : (node.defaultText ?? '');
      rows.push([name, node.unit.replace(/ \| /g, ' or '), dflt, node.expected, node.doc]);
    } else if (node.kind === 'list') {
      const item = node.item;
      rows.push([
        name,
        item.kind === 'leaf' ? `list of ${item.unit.replace(/ \| /g, ' or ')}` : 'list',
        node.defaultText ?? '',
        [
          item.kind === 'leaf' ? `each ${item.expected}` : '',
          node.maxItems !== undefined ? `at most ${node.maxItems} items` : '',
        ]
          .filter(Boolean)
          .join('; '),
        node.doc,
      ]);
      if (item.kind === 'section')
        for (const [key, child] of Object.entries(item.fields as Record<string, Node>))
          walk(child, [...path.slice(0, -1), `${path.at(-1)}[]`, key]);
    } else if (node.kind === 'map') {
      rows.push([
        name,
        `map: ${node.key.unit} → ${node.value.unit}`,
        '',
        `keys: ${node.key.expected}; values: ${node.value.expected}`,
        node.doc,
      ]);
    } else {
      if (path.length > 0) rows.push([name, 'section', '', '', node.doc]);
      for (const [key, child] of Object.entries(node.fields)) walk(child, [...path, key]);
    }
  };
  walk(tree, []);
  return table(['Field', 'Type', 'Default', 'Allowed', 'Meaning'], rows);
}

function settingsTable(settings: SettingsTable): string {
  const rows = Object.entries(settings).map(([name, spec]) => [
    code(name),
    spec.stdinOnly ? 'stdin only' : code(flagOf(name)),
    spec.profilePath ? code(spec.profilePath) : '',
    spec.kind,
    defaultText(spec),
    spec.help + (spec.live ? ' Changes on a running replica without a restart.' : ''),
  ]);
  return table(['Setting', 'Flag', 'Profile field', 'Kind', 'Default', 'Meaning'], rows);
}

function defaultText(spec: SettingSpec): string {
  if (spec.required) return '**required**';
  if (spec.default === undefined) return '';
  if (spec.kind === 'durationMs' && typeof spec.default === 'number')
    return `${code(String(spec.default))} (${formatDuration(spec.default)})`;
  return code(String(spec.default));
}
