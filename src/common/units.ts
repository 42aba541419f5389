// Parsing of human units ("10ms", "15s", "2GiB", "1%") into plain numbers whose names carry the
// unit (common, every plane). Each parser returns a number or throws a RangeError whose message
// says what is expected, so callers can prefix it with the file, line or flag.

const durationUnitsMs: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

/** "10ms", "1.5s", "2m", "250us" → milliseconds. A bare number is rejected unless `bareUnit` is given. */
export function parseDurationMs(text: string | number, bareUnit?: 'ms' | 's'): number {
  if (typeof text === 'number') {
    if (bareUnit === undefined)
      throw new RangeError(`expected a duration with a unit such as "10ms" or "15s", got ${text}`);
    return checkFinite(text * durationUnitsMs[bareUnit]!, String(text));
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zµ]*)\s*$/i.exec(text);
  if (!m) throw new RangeError(`expected a duration such as "10ms", "15s" or "2m", got "${text}"`);
  const unit = (m[2] ?? '').toLowerCase();
  if (unit === '') {
    if (bareUnit === undefined)
      throw new RangeError(`"${text}" has no unit: write for example "${text}ms" or "${text}s"`);
    return Number(m[1]) * durationUnitsMs[bareUnit]!;
  }
  const factor = durationUnitsMs[unit];
  if (factor === undefined) throw new RangeError(`unknown duration unit "${m[2]}" in "${text}": use us, ms, s, m or h`);
  return Number(m[1]) * factor;
}

const byteUnits: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

/** "2GB", "512MiB", "2G" (binary), or a bare number of bytes → bytes (rounded down to an integer). */
export function parseBytes(text: string | number): number {
  if (typeof text === 'number') return Math.floor(checkFinite(text, String(text)));
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) throw new RangeError(`expected a size such as "2GiB", "512MB" or "2048", got "${text}"`);
  const unit = (m[2] ?? '').toLowerCase() || 'b';
  const factor = byteUnits[unit];
  if (factor === undefined)
    throw new RangeError(`unknown size unit "${m[2]}" in "${text}": use B, KB, MB, GB, KiB, MiB or GiB`);
  return Math.floor(Number(m[1]) * factor);
}

/** "1%" → 0.01; "0.01" or 0.01 → 0.01. Must land in [0, 1]. */
export function parseFraction(text: string | number): number {
  let value: number;
  if (typeof text === 'number') value = text;
  else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
    if (!m) throw new RangeError(`expected a percentage such as "1%" or a fraction such as 0.01, got "${text}"`);
    value = m[2] === '%' ? Number(m[1]) / 100 : Number(m[1]);
  }
  if (!(value >= 0 && value <= 1)) throw new RangeError(`expected a value between 0% and 100%, got "${text}"`);
  return value;
}

/** Formats milliseconds for people: "850us", "12.3ms", "1.50s", "2m05s". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1) return `${Math.round(ms * 1000)}us`;
  if (ms < 100) return `${ms.toFixed(ms < 10 ? 2 : 1)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Formats bytes for people in binary units: "512.0MiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toFixed(1)}${units[i]}`;
}

function checkFinite(n: number, text: string): number {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`expected a non-negative number, got "${text}"`);
  return n;
}
