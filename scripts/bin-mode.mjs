// Makes the package's commands executable after a build. tsc writes a new file 0644; `npx lro-cancel` in a clone runs
// dist/src/cli/main.js through its shebang, which needs the x bit ("Permission denied" once a clean build had made
// it anew). An installed package gets it from npm; a clone only from here.
import { chmodSync, readFileSync } from 'node:fs';

const { bin } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
for (const path of Object.values(bin)) chmodSync(new URL(`../${path}`, import.meta.url), 0o755);
