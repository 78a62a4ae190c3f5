import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, whether tests run compiled from dist/test or from test/ under tsx. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the tests');
    dir = parent;
  }
  return dir;
}

/** The built CLI; tests that spawn it need `npm run build` first (npm test does it). */
export function cliPath(): string {
  return join(projectRoot(), 'dist', 'src', 'cli', 'main.js');
}
