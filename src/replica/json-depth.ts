// A pre-parse guard for JSON bodies (data plane, replica): measures nesting depth with a byte scan
// so a hostile `[[[[...` is refused with 400 before JSON.parse can overflow the stack.

/**
 * Returns the maximum nesting depth of arrays/objects in `bytes[start, end)`, or stops and returns
 * `limit + 1` as soon as the depth exceeds `limit`. Brackets inside strings are ignored.
 */
export function jsonDepth(bytes: Uint8Array, start: number, end: number, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return max;
}

/**
 * A cheap pre-check for jsonDepth: false when `bytes[start, end)` holds at most `limit` opening
 * brackets in all (so it cannot nest deeper than `limit`). Counting with Buffer#indexOf runs in
 * native code, where the exact byte loop above costs ~1 ns a byte (10 us for one JSON row).
 */
export function mayNestDeeperThan(bytes: Buffer, start: number, end: number, limit: number): boolean {
  let openings = 0;
  for (const bracket of [0x5b /* [ */, 0x7b /* { */]) {
    for (let i = bytes.indexOf(bracket, start); i !== -1 && i < end; i = bytes.indexOf(bracket, i + 1)) {
      if (++openings > limit) return true;
    }
  }
  return false;
}
