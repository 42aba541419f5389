// Headless Chromium for tests that open a page (Debian's chromium, no npm browser): started once,
// driven over the DevTools protocol, so a test reads console errors, failed loads and every request
// the page made, evaluates DOM checks and takes screenshots. Killed as a process group on close.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'undici';

/** What loading one page gave: problems the browser reported and every URL it requested. */
export interface PageVisit {
  /** Console errors, uncaught exceptions and error log entries (bad SVG attributes land here). */
  errors: string[];
  requests: string[];
  /** The value of `expression`, evaluated once the page has loaded (returnByValue). */
  value: unknown;
  /** PNG bytes of the whole page, when asked for. */
  screenshot?: Buffer;
}

export interface Chromium {
  visit(
    url: string,
    expression: string,
    opts?: { screenshot?: boolean; scriptsDisabled?: boolean },
  ): Promise<PageVisit>;
  close(): Promise<void>;
}

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
  '--window-size=1000,900',
  '--remote-debugging-port=0',
];

/** Starts chromium (within `deadlineMs`) with a new profile folder, removed on close. */
export async function startChromium(command = 'chromium', deadlineMs = 30_000): Promise<Chromium> {
  const profile = mkdtempSync(path.join(tmpdir(), 'chromium-'));
  const child = spawn(command, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const cleanup = () => {
    killGroup(child);
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    const wsUrl = await devtoolsUrl(child, deadlineMs);
    const cdp = await Cdp.connect(wsUrl, deadlineMs);
    return {
      visit: (url, expression, opts) => visit(cdp, url, expression, opts ?? {}, deadlineMs),
      async close() {
        await cdp.send('Browser.close', {}).catch(() => undefined);
        cdp.close();
        await exited(child, 5000);
        cleanup();
      },
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}

function killGroup(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function exited(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Chromium prints "DevTools listening on ws://..." on stderr once its debugging port is open. */
function devtoolsUrl(child: ChildProcess, deadlineMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`chromium did not open its DevTools port in ${deadlineMs}ms: ${stderr.slice(-2000)}`)),
      deadlineMs,
    );
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (${code}) before opening its DevTools port: ${stderr.slice(-2000)}`));
    });
  });
}

type Listener = (method: string, params: Record<string, unknown>, sessionId?: string) => void;

/** A DevTools protocol connection to the browser: commands with replies, events to listeners. */
class Cdp {
  private next = 1;
  private readonly pending = new Map<number, { resolve(v: Record<string, unknown>): void; reject(e: Error): void }>();
  readonly listeners = new Set<Listener>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: { message: string };
        method?: string;
        params?: Record<string, unknown>;
        sessionId?: string;
      };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result ?? {});
      } else if (msg.method) {
        for (const l of this.listeners) l(msg.method, msg.params ?? {}, msg.sessionId);
      }
    });
    ws.addEventListener('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('DevTools connection closed'));
      this.pending.clear();
    });
  }

  static connect(url: string, deadlineMs: number): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const timer = setTimeout(() => reject(new Error(`no DevTools connection in ${deadlineMs}ms`)), deadlineMs);
      ws.addEventListener('open', () => {
        clearTimeout(timer);
        resolve(new Cdp(ws));
      });
      ws.addEventListener('error', () => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${url}`));
      });
    });
  }

  send(method: string, params: Record<string, unknown>, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens `url` in a new tab, waits for its load event, evaluates `expression`, closes the tab. */
async function visit(
  cdp: Cdp,
  url: string,
  expression: string,
  opts: { screenshot?: boolean; scriptsDisabled?: boolean },
  deadlineMs: number,
): Promise<PageVisit> {
  const { targetId } = (await cdp.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
  const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  const errors: string[] = [];
  const requests: string[] = [];
  let loaded!: () => void;
  const load = new Promise<void>((resolve) => (loaded = resolve));
  let navigating = false;
  const listener: Listener = (method, params, from) => {
    if (from !== sessionId) return;
    if (method === 'Runtime.consoleAPICalled' && ['error', 'assert'].includes(params.type as string))
      errors.push(`console: ${JSON.stringify(params.args)}`);
    else if (method === 'Runtime.exceptionThrown') errors.push(`exception: ${JSON.stringify(params.exceptionDetails)}`);
    else if (method === 'Log.entryAdded' && (params.entry as { level: string }).level === 'error')
      errors.push(`log: ${(params.entry as { text: string }).text}`);
    else if (method === 'Network.requestWillBeSent') requests.push((params.request as { url: string }).url);
    else if (method === 'Network.loadingFailed') errors.push(`load failed: ${params.errorText as string}`);
    else if (method === 'Page.loadEventFired' && navigating) loaded();
  };
  cdp.listeners.add(listener);
  try {
    for (const domain of ['Runtime', 'Log', 'Network', 'Page']) await cdp.send(`${domain}.enable`, {}, sessionId);
    if (opts.scriptsDisabled) await cdp.send('Emulation.setScriptExecutionDisabled', { value: true }, sessionId);
    navigating = true;
    const nav = (await cdp.send('Page.navigate', { url }, sessionId)) as { errorText?: string };
    if (nav.errorText) errors.push(`navigate: ${nav.errorText}`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      load,
      new Promise(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`${url} did not load in ${deadlineMs}ms`)), deadlineMs)),
      ),
    ]).finally(() => clearTimeout(timer));
    const evaluated = (await cdp.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as {
      result: { value?: unknown };
      exceptionDetails?: unknown;
    };
    if (evaluated.exceptionDetails) throw new Error(`the check threw: ${JSON.stringify(evaluated.exceptionDetails)}`);
    const shot = opts.screenshot
      ? ((await cdp.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId)) as {
          data: string;
        })
      : undefined;
    return { errors, requests, value: evaluated.result.value, screenshot: shot && Buffer.from(shot.data, 'base64') };
  } finally {
    cdp.listeners.delete(listener);
    await cdp.send('Target.closeTarget', { targetId }).catch(() => undefined);
  }
}
