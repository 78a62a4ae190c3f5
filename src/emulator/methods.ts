/** The five RPCs of google.longrunning.Operations, by their proto names, as stats and permissions key them. */
export const METHODS = ['CancelOperation', 'GetOperation', 'ListOperations', 'DeleteOperation', 'WaitOperation'] as const;

export type Method = (typeof METHODS)[number];

/** Where a request came in. */
export type Transport = 'grpc' | 'rest';
