import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../../src/protos.js';

/** What one call carried: its wire, its method (the URL path over REST), and its headers or metadata. */
export interface RecordedCall {
  readonly wire: 'grpc' | 'rest';
  readonly method: string;
  /** Header name to every value it came with (gRPC metadata keeps repeated values apart). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
}

/** A gRPC and a REST server of google.longrunning.Operations that accept every call and record what it carried. */
export interface Recorder {
  readonly grpcEndpoint: string;
  readonly restEndpoint: string;
  readonly calls: RecordedCall[];
  close(): Promise<void>;
}

/** The TLS key and certificate the servers use; without it they are plaintext. */
export interface RecorderTls {
  readonly key: Buffer;
  readonly cert: Buffer;
}

function restHeaders(headers: IncomingHttpHeaders): Record<string, string[]> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value : [String(value)]]));
}

/**
 * Starts both servers on 127.0.0.1 port 0: cancels and deletes answer `{}` / Empty, reads answer a done operation,
 * listings one page of it. A test reads `calls` to see the credentials and headers that reached a server.
 */
export async function startRecorder(tls?: RecorderTls): Promise<Recorder> {
  const calls: RecordedCall[] = [];
  const done = (name: string) => ({ name, done: true });
  const handler = (method: string) => (call: grpc.ServerUnaryCall<{ name?: string }, unknown>, callback: grpc.sendUnaryData<unknown>): void => {
    const headers: Record<string, string[]> = {};
    for (const key of Object.keys(call.metadata.getMap())) headers[key] = call.metadata.get(key).map(String);
    calls.push({ wire: 'grpc', method, headers });
    const name = call.request.name ?? '';
    callback(null, method === 'GetOperation' ? done(name) : method === 'ListOperations' ? { operations: [], nextPageToken: '' } : {});
  };
  const grpcServer = new grpc.Server();
  grpcServer.addService(loadProtos().OperationsClient.service as grpc.ServiceDefinition, {
    CancelOperation: handler('CancelOperation'), GetOperation: handler('GetOperation'),
    ListOperations: handler('ListOperations'), DeleteOperation: handler('DeleteOperation'),
  });
  const credentials = tls === undefined ? grpc.ServerCredentials.createInsecure()
    : grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }]);
  const grpcPort = await new Promise<number>((resolve, reject) => grpcServer.bindAsync('127.0.0.1:0', credentials, (error, port) => (error ? reject(error) : resolve(port))));

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    calls.push({ wire: 'rest', method: `${req.method ?? ''} ${req.url ?? ''}`, headers: restHeaders(req.headers) });
    req.resume();
    req.on('end', () => {
      const path = decodeURIComponent((req.url ?? '').replace(/^\/v1\//, '').split('?')[0] ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.method === 'GET' && !path.endsWith('/operations') ? done(path) : {}));
    });
  };
  const rest: HttpServer = tls === undefined ? createHttpServer(onRequest) : createHttpsServer({ key: tls.key, cert: tls.cert }, onRequest);
  await new Promise<void>(resolve => rest.listen(0, '127.0.0.1', resolve));
  const restPort = (rest.address() as AddressInfo).port;
  return {
    grpcEndpoint: `127.0.0.1:${grpcPort}`,
    restEndpoint: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${restPort}`,
    calls,
    async close() {
      grpcServer.forceShutdown();
      rest.closeAllConnections();
      await new Promise(resolve => rest.close(resolve));
    },
  };
}
