// Debian's chromium driven through playwright-core (test helper): nothing downloads a browser; the
// test points playwright at /usr/bin/chromium (SERVE_CHROMIUM overrides), with a fresh profile
// folder removed on close. Missing chromium: skip with a message, or fail under CI=true.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { needTool } from './tools.js';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Starts headless chromium for `t`, or returns null when the test was skipped (chromium missing). */
export async function launchChromium(t: { skip(message?: string): void }): Promise<Browser | null> {
  const executablePath = process.env.SERVE_CHROMIUM ?? '/usr/bin/chromium';
  if (!needTool(t, executablePath, 'chromium')) return null;
  const profile = await mkdtemp(path.join(tmpdir(), 'chromium-pw-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: ARGS,
      viewport: { width: 1000, height: 900 },
      javaScriptEnabled: true,
      timeout: 30_000,
    });
    return {
      context,
      async close() {
        await context.close().catch(() => undefined);
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
}
