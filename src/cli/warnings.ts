/**
 * Warnings of the libraries under the CLI that say nothing an operator can act on, and come before (or instead of)
 * the CLI's own line: gcp-metadata's MetadataLookupWarning when Application Default Credentials look for a metadata
 * server that is not there (the CLI then says how to set credentials up), and Node's DEP0123 when grpc-js gives TLS
 * an IP address as the server name (the connection is made all the same). Every other warning is printed as Node
 * prints it, by Node's own listener.
 */
const HIDDEN_NAMES: ReadonlySet<string> = new Set(['MetadataLookupWarning']);
const HIDDEN_CODES: ReadonlySet<string> = new Set(['DEP0123']);

export function hideLibraryWarnings(): void {
  const nodeListeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: unknown }) => {
    if (HIDDEN_NAMES.has(warning.name) || (typeof warning.code === 'string' && HIDDEN_CODES.has(warning.code))) return;
    for (const listener of nodeListeners) listener(warning);
  });
}
