import type { ErrorDetail } from '../errors.js';
import { decodeAny } from '../status/details.js';
import type { Operation, OperationStatus } from './transport.js';

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

function anyToDetail(any: GrpcAny | null | undefined): ErrorDetail | undefined {
  if (any === null || any === undefined) return undefined;
  return decodeAny(any);
}

/** The one Operation shape from a gRPC response; fields proto-loader filled with defaults stay absent. */
export function operationFromGrpc(op: GrpcOperation): Operation {
  const metadata = anyToDetail(op.metadata);
  const response = anyToDetail(op.response);
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
