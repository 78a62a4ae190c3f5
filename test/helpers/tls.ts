import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canRun } from './process.js';

/** Whether openssl can be run here (TLS tests make a fresh self-signed certificate with it and skip without it). */
export function hasOpenssl(): boolean {
  return canRun('openssl', ['version']);
}

/**
 * A fresh self-signed certificate for localhost and 127.0.0.1 (no key is kept in the repository), written to
 * `dir/cert.pem` and `dir/key.pem`.
 */
export function selfSignedCertificate(dir: string): { key: Buffer; cert: Buffer; certPath: string } {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), certPath: join(dir, 'cert.pem') };
}
