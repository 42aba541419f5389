// Other OIP v2 servers beside the replicas (common, every plane): the `externalServers` setting's
// text form, written by the controller from the profile and parsed by the gateway.

/**
 * One external server and its share of infer requests' first tries, in percent (0 to 100; at 0 it
 * answers only when no replica can).
 */
export interface ExternalServer {
  url: string;
  weightPercent: number;
}

/** True for an http:// or https:// base URL (no path beyond "/", no query). */
export function isBaseUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (
      (u.protocol === 'http:' || u.protocol === 'https:') &&
      (u.pathname === '/' || u.pathname === '') &&
      u.search === '' &&
      u.hash === ''
    );
  } catch {
    return false;
  }
}

/**
 * Parses "URL=PERCENT,URL=PERCENT" (the `externalServers` setting). Each weight is a percent of
 * infer requests from 0 to 100; the sum is at most 100 and the replicas take the rest. Throws a
 * RangeError naming the item and what is expected.
 */
export function parseExternalServers(text: string): ExternalServer[] {
  const out: ExternalServer[] = [];
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  items.forEach((item, i) => {
    const eq = item.lastIndexOf('=');
    const url = eq < 0 ? item : item.slice(0, eq);
    const weight = eq < 0 ? NaN : Number(item.slice(eq + 1).replace(/%$/, ''));
    if (!isBaseUrl(url))
      throw new RangeError(
        `external server ${i + 1} ("${url.slice(0, 80)}"): expected an http:// or ` +
          `https:// base URL such as http://old:8080`,
      );
    if (!(weight >= 0 && weight <= 100))
      throw new RangeError(
        `external server ${i + 1} (${url}): expected URL=PERCENT with a weight from 0 ` + `to 100, such as ${url}=20`,
      );
    out.push({ url, weightPercent: weight });
  });
  const sum = out.reduce((s, e) => s + e.weightPercent, 0);
  if (sum > 100 + 1e-9)
    throw new RangeError(
      `the external servers' weights add up to ${+sum.toFixed(4)}%, expected at most ` +
        `100% (the replicas take 100% minus the sum)`,
    );
  return out;
}

/** Writes servers back as the `externalServers` setting ("URL=PERCENT,..."). */
export function formatExternalServers(servers: readonly ExternalServer[]): string {
  return servers.map((e) => `${e.url}=${+e.weightPercent.toFixed(6)}`).join(',');
}
