// The head of an HTTP/1.1 response for the load client (loadtest): the status line and the few
// headers the body parser needs (and the model version a gateway names), read into one record that
// each parser reuses for every response.
import { MODEL_VERSION_HEADER } from '../../common/wire.js';

/** What a response head says. One per parser, filled in again for each response: no allocation. */
export class ResponseHead {
  status = 0;
  /** An HTTP/1.0 answer: the connection stays open only when it asks for keep-alive. */
  http10 = false;
  /** Content-Length, -1 when absent. */
  contentLength = -1;
  chunked = false;
  /** The Connection header, lowercased; '' when absent. */
  connection = '';
  keepAliveTimeoutMs: number | undefined = undefined;
  binaryHeaderLength: number | undefined = undefined;
  /** X-Model-Version (a serve gateway names the version that answered); '' when absent. */
  modelVersion = '';
}

/**
 * Reads `text` (the head up to, not including, its blank line) into `head`; returns an error
 * message, or undefined when the head is good. On an error `head` is left half filled.
 */
export function readResponseHead(text: string, head: ResponseHead): string | undefined {
  const eol = text.indexOf('\r\n');
  const err = readStatusLine(eol < 0 ? text : text.slice(0, eol), head);
  if (err !== undefined) return err;
  head.contentLength = -1;
  head.chunked = false;
  head.connection = '';
  head.keepAliveTimeoutMs = undefined;
  head.binaryHeaderLength = undefined;
  head.modelVersion = '';
  let pos = eol < 0 ? text.length : eol + 2;
  while (pos < text.length) {
    let lineEnd = text.indexOf('\r\n', pos);
    if (lineEnd < 0) lineEnd = text.length;
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon > lineEnd) return 'bad header line';
    // Only a few names matter: compare lengths first so most lines cost no lowercasing.
    const nameLength = colon - pos;
    if (nameLength === 14 || nameLength === 17 || nameLength === 10 || nameLength === 31 || nameLength === 15) {
      const headerErr = readHeader(text.slice(pos, colon).toLowerCase(), text.slice(colon + 1, lineEnd).trim(), head);
      if (headerErr !== undefined) return headerErr;
    }
    pos = lineEnd + 2;
  }
  return undefined;
}

function readStatusLine(line: string, head: ResponseHead): string | undefined {
  if (!line.startsWith('HTTP/1.') || line.charCodeAt(8) !== 0x20) return 'bad status line';
  const status = Number(line.slice(9, 12));
  if (!Number.isInteger(status) || status < 100 || status > 999) return 'bad status line';
  head.status = status;
  head.http10 = line.charCodeAt(7) === 0x30;
  return undefined;
}

/** One header the parser cares about (`name` lowercased, `value` trimmed); others are ignored. */
function readHeader(name: string, value: string, head: ResponseHead): string | undefined {
  if (name === 'content-length') {
    if (!/^\d+$/.test(value) || (head.contentLength >= 0 && Number(value) !== head.contentLength))
      return 'bad content-length';
    head.contentLength = Number(value);
  } else if (name === 'transfer-encoding') {
    head.chunked = value.toLowerCase().endsWith('chunked');
  } else if (name === 'connection') {
    head.connection = value.toLowerCase();
  } else if (name === 'keep-alive') {
    const m = /timeout=(\d+)/i.exec(value);
    if (m) head.keepAliveTimeoutMs = Number(m[1]) * 1000;
  } else if (name === 'inference-header-content-length') {
    head.binaryHeaderLength = Number(value);
  } else if (name === MODEL_VERSION_HEADER) {
    // Kept short and printable: it becomes a key of the result and a line of the report.
    head.modelVersion = value.slice(0, 64).replace(/[^\x21-\x7e]/g, '?');
  }
  return undefined;
}
