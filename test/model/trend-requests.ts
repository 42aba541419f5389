// Recorded-style requests for the demo model whose rows spread its predictions (test helper):
// uniform random rows all come out "buy", while rows with their own level and slope, like price
// series, split between hold and buy, so class agreement on them is a real test.
import { writeFile } from 'node:fs/promises';
import { seededRandom } from '../../src/common/random.js';

/** Writes `rows` OIP v2 infer bodies (JSON lines, batch 1 each) for input x [1, window, features]. */
export async function writeTrendRequests(
  file: string,
  rows: number,
  opts: { seed?: number; window?: number; features?: number } = {},
): Promise<void> {
  const { seed = 3, window = 60, features = 16 } = opts;
  const rand = seededRandom(seed);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const level = rand() * 2 - 1;
    const slope = rand() * 2 - 1;
    const data: number[] = [];
    for (let t = 0; t < window; t++) {
      for (let f = 0; f < features; f++)
        data.push(Math.round((3 * level + 3 * slope * (t / window) + 0.3 * (rand() * 2 - 1)) * 1e4) / 1e4);
    }
    lines.push(JSON.stringify({ inputs: [{ name: 'x', shape: [1, window, features], datatype: 'FP32', data }] }));
  }
  await writeFile(file, `${lines.join('\n')}\n`);
}
