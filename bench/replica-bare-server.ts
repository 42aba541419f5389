// The baseline for the replica overhead benchmark (bench): a bare node:http server that reads an
// OIP v2 binary infer request and answers a canned binary response of the same shape as the
// replica's, without parsing or running a model. Prints the same `listening` event as a replica.
// With --json (bench/limit.ts): answers a fixed small OIP v2 JSON infer response instead. Either way
// GET /v2/models/<name> answers the demo model's metadata, so `serve bench` can drive it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const header = Buffer.from(
  JSON.stringify({
    model_name: 'cnn-lstm',
    model_version: '1',
    outputs: [{ name: 'probs', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }],
  }),
);
const response = Buffer.concat([header, Buffer.from(new Float32Array([0.2, 0.3, 0.5]).buffer)]);
const jsonResponse = Buffer.from(
  JSON.stringify({
    model_name: 'cnn-lstm',
    model_version: '1',
    outputs: [{ name: 'probs', datatype: 'FP32', shape: [1, 3], data: [0.2, 0.3, 0.5] }],
  }),
);
const metadata = Buffer.from(
  JSON.stringify({
    name: 'cnn-lstm',
    versions: ['1'],
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 60, 16] }],
    outputs: [{ name: 'probs', datatype: 'FP32', shape: [-1, 3] }],
  }),
);
const json = process.argv.includes('--json');

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET' || json) {
      const body = req.method === 'GET' ? metadata : jsonResponse;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': response.length,
      'inference-header-content-length': header.length,
    });
    res.end(response);
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(
    JSON.stringify({ event: 'listening', host: '127.0.0.1', port, url: `http://127.0.0.1:${port}` }) + '\n',
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
