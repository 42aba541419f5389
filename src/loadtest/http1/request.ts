// The bytes of one infer request for the load client (loadtest): built once, written as they are
// on every request.

/** Builds the bytes of a POST: request line, Host, Content-Length, `headers`, then the body. */
export function buildRequest(host: string, path: string, headers: Record<string, string>, body: Buffer): Buffer {
  let head = `POST ${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: ${body.length}\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new Error(`header ${JSON.stringify(k)} holds a line break`);
    head += `${k}: ${v}\r\n`;
  }
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), body]);
}
