// The identity of a model version's bytes (model): a SHA-256 of model.onnx. The replica computes it
// when it loads a version (replica/model-load.ts), the gateway's response cache keys answers by it,
// and a new controller compares it with a running replica's before adopting that replica.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** `sha256:` and the base64url SHA-256 of the file at `onnxPath`, read as a stream. */
export async function fileDigest(onnxPath: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(onnxPath)) h.update(chunk as Buffer);
  return `sha256:${h.digest('base64url')}`;
}
