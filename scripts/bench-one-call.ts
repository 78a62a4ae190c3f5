/**
 * The start-up reference of `npm run bench`: what a user would write to cancel one operation with plain @grpc/grpc-js
 * (proto-loader reading operations.proto, one insecure channel, one CancelOperation, exit).
 *
 *   node dist/scripts/bench-one-call.js 127.0.0.1:PORT projects/p/locations/l/operations/o
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const protos = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../protos' : '../protos', import.meta.url));
const [address, name] = process.argv.slice(2);
const definition = protoLoader.loadSync('google/longrunning/operations.proto', { includeDirs: [protos], keepCase: false, longs: String, defaults: true, oneofs: true });
const Operations = (grpc.loadPackageDefinition(definition) as unknown as { google: { longrunning: { Operations: grpc.ServiceClientConstructor } } }).google.longrunning.Operations;
const client = new Operations(address ?? '', grpc.credentials.createInsecure());
const cancel = (client as unknown as { CancelOperation: (request: object, callback: (error: Error | null) => void) => void }).CancelOperation.bind(client);
cancel({ name }, error => {
  client.close();
  if (error !== null) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
});
