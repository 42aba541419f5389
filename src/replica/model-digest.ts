// The identity of a replica's model bytes (data plane, replica): a SHA-256 of model.onnx, computed
// once when the version is loaded. The gateway's response cache keys answers by it, so two builds
// under one name and version (staging and production, or a rebuild with --force) never share one.
// The one formula lives in model/ (a new controller checks it before adopting a replica).
export { fileDigest } from '../model/model-digest.js';
