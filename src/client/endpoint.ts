import { Code } from '../code.js';
import { OperationsError } from '../errors.js';

/** Splits `host:port` (IPv6 in brackets); the port is required so a typo never silently picks another one. */
export function parseGrpcEndpoint(endpoint: string, optionName: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+):(\d{1,5})$/.exec(endpoint);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || !(port > 0 && port < 65536)) {
    throw new OperationsError(Code.INVALID_ARGUMENT, `${optionName} must be host:port (e.g. 127.0.0.1:7001), got ${JSON.stringify(endpoint)}`);
  }
  return { host: match[1] ?? '', port };
}

/** Validates a REST base URL (http or https, no path beyond `/`, no credentials in it). */
export function parseRestEndpoint(endpoint: string, optionName: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new OperationsError(Code.INVALID_ARGUMENT, `${optionName} must be a URL such as https://cloudaicompanion.googleapis.com, got ${JSON.stringify(endpoint)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OperationsError(Code.INVALID_ARGUMENT, `${optionName} must use http: or https:, got ${JSON.stringify(url.protocol)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new OperationsError(Code.INVALID_ARGUMENT, `${optionName} must not carry credentials in the URL`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new OperationsError(Code.INVALID_ARGUMENT, `${optionName} must be scheme://host[:port] only, got ${JSON.stringify(endpoint)}`);
  }
  return url;
}
