// Client of the admin API (control plane), used by `serve status`, `scale`, `down` and tune:
// HTTP over the state directory's unix socket. "Nothing running" is an UnreachableError (exit 3).
import http from 'node:http';
import { UserError } from '../common/errors.js';
import { notRunning, statePaths, type StatePaths } from './state-dir.js';
import type { ClusterStatus } from './status.js';

/** Talks to the controller that owns `stateDir`. */
export class AdminClient {
  readonly paths: StatePaths;

  constructor(stateDir: string, private readonly timeoutMs = 10_000) {
    this.paths = statePaths(stateDir);
  }

  status(): Promise<ClusterStatus> {
    return this.request('GET', '/status') as Promise<ClusterStatus>;
  }

  async scale(replicas: number, force = false): Promise<void> {
    await this.request('POST', '/scale', { replicas, force });
  }

  async down(): Promise<void> {
    await this.request('POST', '/down');
  }

  /** One request; 4xx answers become UserError with the controller's message. */
  request(method: string, path: string, body?: unknown): Promise<unknown> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.paths.adminSocket,
          agent: false,
          method,
          path,
          headers: text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              return reject(new Error(`admin API answered ${res.statusCode} with a body that is not JSON`));
            }
            const status = res.statusCode ?? 0;
            if (status >= 400) {
              const msg = (parsed as { error?: string }).error ?? `admin API answered ${status}`;
              return reject(status < 500 ? new UserError(msg) : new Error(msg));
            }
            resolve(parsed);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`the controller did not answer within ${this.timeoutMs}ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(notRunning(this.paths));
        else reject(err);
      });
      req.end(text);
    });
  }
}
