// The identity of a replica's model bytes (data plane, replica): a SHA-256 of model.onnx, computed
// once when the version is loaded. The gateway's response cache keys answers by it, so two builds
// under one name and version (staging and production, or a rebuild with --force) never share one.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** `sha256:` and the base64url SHA-256 of the file at `onnxPath`, read as a stream. */
export async function fileDigest(onnxPath: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(onnxPath)) h.update(chunk as Buffer);
  return `sha256:${h.digest('base64url')}`;
}
