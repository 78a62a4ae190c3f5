import { Metadata, status as GrpcStatus, type Client, type StatusObject } from '@grpc/grpc-js';

/** A client's channel (grpc-js exports the class under the interface's name, so the type is taken from the client). */
export type Channel = ReturnType<Client['getChannel']>;

/** A unary method as the loaded service client defines it (`OperationsClient.service.CancelOperation`). */
export interface UnaryMethodDefinition {
  readonly path: string;
  requestSerialize(value: object): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

/** Turns a final non-OK status into what the call's promise rejects with. */
export type StatusToError = (status: StatusObject) => unknown;

const NO_RESPONSE: unique symbol = Symbol('no response');

/**
 * One unary call made on the channel itself, below grpc-js's service stub. `Client.makeUnaryRequest` captures a
 * stack trace on every call (`new Error()`, kept for an error that usually never comes), builds an EventEmitter for a
 * stream that a unary call never exposes, and wraps the call in three intercepting layers for interceptors this
 * library does not use; a profile of `npm run bench` put a tenth of a cancel's client CPU there. Everything that
 * matters stays grpc-js's: the channel (with its TLS and call credentials), the deadline, the grpc-timeout header,
 * name resolution, keep-alive and status handling. This object is its own listener, so a call allocates no closures.
 *
 * It keeps what the stub guarantees: a response that fails to decode ends the call INTERNAL, a second response ends it
 * UNIMPLEMENTED, OK without a response is UNIMPLEMENTED, and the caller is settled exactly once.
 */
export class UnaryCall {
  #call: ReturnType<Channel['createCall']> | undefined;
  readonly #method: UnaryMethodDefinition;
  readonly #resolve: (response: unknown) => void;
  readonly #reject: (error: unknown) => void;
  readonly #toError: StatusToError;
  #response: unknown = NO_RESPONSE;
  #readError: StatusObject | undefined;
  #finished = false;
  #active: Set<UnaryCall> | undefined;

  /**
   * Starts the call at once; `deadline` is absolute epoch ms. `resolve` and `reject` are a promise's (the caller makes
   * it), and exactly one of them is called: with the response, or with `toError` of the final status. While it runs
   * the call is in `active`, so a transport that closes can cancel what is in flight.
   */
  constructor(
    channel: Channel,
    method: UnaryMethodDefinition,
    request: object,
    metadata: Metadata,
    deadline: number,
    resolve: (response: unknown) => void,
    reject: (error: unknown) => void,
    toError: StatusToError,
    active?: Set<UnaryCall>,
  ) {
    this.#method = method;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#toError = toError;
    let call: ReturnType<Channel['createCall']>;
    let message: Buffer;
    try {
      // createCall throws only for a channel already shut down: the call never left, so it is UNAVAILABLE.
      call = channel.createCall(method.path, deadline, undefined, null, undefined);
    } catch (error) {
      this.#finished = true;
      reject(toError({ code: GrpcStatus.UNAVAILABLE, details: messageOf(error), metadata: new Metadata() }));
      return;
    }
    this.#call = call;
    try {
      message = method.requestSerialize(request);
    } catch (error) {
      this.#finished = true;
      call.cancelWithStatus(GrpcStatus.INTERNAL, 'Request message serialization failure');
      reject(toError({ code: GrpcStatus.INTERNAL, details: `Request message serialization failure: ${messageOf(error)}`, metadata: new Metadata() }));
      return;
    }
    if (active !== undefined) {
      this.#active = active;
      active.add(this);
    }
    call.start(metadata, this);
    call.sendMessageWithContext({}, message);
    call.halfClose();
    call.startRead();
  }

  /** Ends the call on the client side; its status (CANCELLED) still arrives through onReceiveStatus. */
  cancel(details: string): void {
    this.#call?.cancelWithStatus(GrpcStatus.CANCELLED, details);
  }

  /** Listener method, called by grpc-js. Unary responses carry nothing this library reads in initial metadata. */
  onReceiveMetadata(): void {}

  /** Listener method, called by grpc-js with the response's bytes. */
  onReceiveMessage(bytes: Buffer): void {
    if (this.#response !== NO_RESPONSE) {
      this.#call?.cancelWithStatus(GrpcStatus.UNIMPLEMENTED, 'Too many responses received');
      return;
    }
    try {
      this.#response = this.#method.responseDeserialize(bytes);
    } catch (error) {
      this.#readError = { code: GrpcStatus.INTERNAL, details: `Response message parsing error: ${messageOf(error)}`, metadata: new Metadata() };
      this.#call?.cancelWithStatus(GrpcStatus.INTERNAL, this.#readError.details);
    }
  }

  /** Listener method, called by grpc-js once with the final status. */
  onReceiveStatus(status: StatusObject): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#active?.delete(this);
    if (this.#readError !== undefined) this.#reject(this.#toError(this.#readError));
    else if (status.code !== GrpcStatus.OK) this.#reject(this.#toError(status));
    else if (this.#response === NO_RESPONSE) this.#reject(this.#toError({ code: GrpcStatus.UNIMPLEMENTED, details: 'No message received', metadata: status.metadata }));
    else this.#resolve(this.#response);
  }
}

/** An error's message as grpc-js words its own (`...: no bytes`, not `...: Error: no bytes`). */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
