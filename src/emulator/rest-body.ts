import type { IncomingMessage } from 'node:http';

/** Request bodies larger than this are refused with 413 (the Google front end limit for these methods is far above). */
export const MAX_BODY_BYTES = 1024 * 1024;

export type BodyResult = { readonly text: string } | { readonly tooLarge: true } | { readonly aborted: true };

/** True when the request announces a body: a non-zero Content-Length or any Transfer-Encoding. */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** True when Content-Length alone shows the body is over the limit, so not one byte of it needs reading. */
export function announcedTooLarge(req: IncomingMessage, limitBytes = MAX_BODY_BYTES): boolean {
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) > limitBytes;
}

/**
 * Reads a request body as UTF-8, never more than `limitBytes`: past it, reading stops (`tooLarge`) and the caller
 * answers 413 and closes the connection instead of buffering whatever a client sends.
 */
export function readBody(req: IncomingMessage, limitBytes = MAX_BODY_BYTES): Promise<BodyResult> {
  return new Promise(resolve => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyResult): void => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      req.removeListener('aborted', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        req.pause();
        finish({ tooLarge: true });
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => finish({ text: chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8') });
    const onError = (): void => finish({ aborted: true });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}
