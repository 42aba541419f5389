// The baseline for the replica overhead benchmark (bench): a bare node:http server that reads an
// OIP v2 binary infer request and answers a canned binary response of the same shape as the
// replica's, without parsing or running a model. Prints the same `listening` event as a replica.
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

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
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
