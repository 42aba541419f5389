// The header rule every infer request must pass (common, data plane): which Content-Type and
// Content-Encoding a replica accepts. One rule, so the gateway's response cache refuses to answer
// from memory exactly what a replica would refuse (415) on a miss.
import type { IncomingHttpHeaders } from 'node:http';
import { BINARY_HEADER_LENGTH } from './wire.js';

const ACCEPTED_TYPES = /^(application\/(json|octet-stream|[\w.+-]+\+json))?$/;

/** Why a replica refuses an infer request with these headers (always 415), or undefined when they pass. */
export function inferHeaderProblem(headers: IncomingHttpHeaders): { status: 415; message: string } | undefined {
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED_TYPES.test(type)) {
    return {
      status: 415,
      message:
        `Content-Type ${type} is not accepted: send application/json, or ` +
        `application/octet-stream with ${BINARY_HEADER_LENGTH}`,
    };
  }
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity')
    return { status: 415, message: `Content-Encoding ${encoding} is not supported: send the body uncompressed` };
  return undefined;
}
