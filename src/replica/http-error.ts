// The error a replica answers with (data plane, replica): an HTTP status plus a one-line message
// that names what was wrong. Never carries a stack or an internal path to the client.

/** A request the replica refuses; `message` is sent as `{"error": message}`. */
export class HttpError extends Error {
  readonly status: number;
  /** Seconds for the Retry-After header (503 only). */
  readonly retryAfterS: number | undefined;
  constructor(status: number, message: string, retryAfterS?: number) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.retryAfterS = retryAfterS;
  }
}

/** 400 Bad Request with `message`. */
export const badRequest = (message: string): HttpError => new HttpError(400, message);
