/** Sent in x-goog-api-client so server-side logs can tell this client apart. Kept in step with package.json by a test. */
export const VERSION = '0.1.0';
