/**
 * A direct entry for the emulator CLI (`node dist/src/emulator/bin.js --ops 10`), for tests and benchmarks that spawn
 * it without the main `lro-cancel` command; `lro-cancel emulator` runs the same code.
 */
import { runEmulatorCli } from './cli.js';

await runEmulatorCli(process.argv.slice(2));
