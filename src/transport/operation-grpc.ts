import { decodeAny } from '../status/details.js';
import type { AnyMessage, Operation, OperationStatus } from './transport.js';

/** google.protobuf.Any as @grpc/proto-loader hands it over with google-gax's default options. */
interface GrpcAny {
  readonly type_url?: string;
  readonly typeUrl?: string;
  readonly value?: Uint8Array;
}

/** google.longrunning.Operation as @grpc/proto-loader decodes it (camelCase, defaults on, oneofs named). */
export interface GrpcOperation {
  readonly name?: string;
  readonly metadata?: GrpcAny | null;
  readonly done?: boolean;
  readonly error?: { readonly code?: number; readonly message?: string; readonly details?: readonly GrpcAny[] } | null;
  readonly response?: GrpcAny | null;
}

/** The one AnyMessage shape: the bytes as they came, and the fields when this library knows the type. */
function anyMessage(any: GrpcAny | null | undefined): AnyMessage | undefined {
  if (any === null || any === undefined) return undefined;
  const { '@type': type, value, ...fields } = decodeAny(any);
  const bytes = any.value instanceof Uint8Array ? Buffer.from(any.value.buffer, any.value.byteOffset, any.value.byteLength).toString('base64') : undefined;
  // decodeAny keeps the bytes in `value` only when it could not decode them.
  const decoded = value === undefined || Object.keys(fields).length > 0;
  return { '@type': type, ...(decoded ? { fields } : {}), ...(bytes === undefined ? {} : { bytes }) };
}

/** The one Operation shape from a gRPC response; fields proto-loader filled with defaults stay absent. */
export function operationFromGrpc(op: GrpcOperation): Operation {
  const metadata = anyMessage(op.metadata);
  const response = anyMessage(op.response);
  let error: OperationStatus | undefined;
  if (op.error !== null && op.error !== undefined) {
    error = {
      code: op.error.code ?? 0,
      message: op.error.message ?? '',
      details: (op.error.details ?? []).map(d => decodeAny(d)),
    };
  }
  return {
    name: op.name ?? '',
    done: op.done === true,
    ...(metadata === undefined ? {} : { metadata }),
    ...(error === undefined ? {} : { error }),
    ...(response === undefined ? {} : { response }),
  };
}
