// Renders alert rules as a Prometheus rule file (ops, pure). PromQL is written single-quoted (its
// own double quotes stay as they are), other text as JSON strings (valid YAML double-quoted scalars).
import type { AlertRuleSet } from './alert-rules.js';

const yamlWords = /^(true|false|yes|no|on|off|null|y|n)$/i;

/** A YAML scalar for `s`: plain when that cannot be misread, else single- or double-quoted. */
export function yamlScalar(s: string): string {
  if (/^[A-Za-z][A-Za-z0-9_.-]*$/.test(s) && !yamlWords.test(s)) return s;
  if (!s.includes("'") && /^[\x20-\x7e]*$/.test(s)) return `'${s}'`;
  return JSON.stringify(s);
}

const q = yamlScalar;

/** The rule file's text: a header comment (with the rules left out), then `groups:`. */
export function renderRuleFile(set: AlertRuleSet, generator: string): string {
  const out: string[] = [
    `# Prometheus alerting rules for profile "${set.profile}", written by ` + `${generator}.`,
    '# They select the labels of the service discovery file `serve up` writes ' + '(profile, component,',
    '# replica); check with `promtool check rules FILE`.',
    ...set.skipped.map((s) => `# ${s}`),
    'groups:',
  ];
  for (const g of set.groups) {
    out.push(`  - name: ${q(g.name)}`, '    rules:');
    if (g.rules.length === 0) out[out.length - 1] = '    rules: []';
    for (const r of g.rules) {
      out.push(
        `      - alert: ${r.alert}`,
        `        expr: ${q(r.expr)}`,
        `        for: ${r.for}`,
        '        labels:',
        ...Object.entries(r.labels).map(([k, v]) => `          ${k}: ${q(v)}`),
        '        annotations:',
        ...Object.entries(r.annotations).map(([k, v]) => `          ${k}: ${q(v)}`),
      );
    }
  }
  return out.join('\n') + '\n';
}
