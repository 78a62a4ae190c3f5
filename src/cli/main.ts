#!/usr/bin/env node
/**
 * The `lro-cancel` command. Only commander is loaded up front; each command imports its own module when it runs, so
 * `lro-cancel --help` stays fast and `lro-cancel emulator` never loads the client.
 */
import { Command, CommanderError } from 'commander';
import { addConnectionFlags, type ConnectionFlags } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { durationMs, integerAtLeast, numberAtLeast, oneOf } from './parse.js';
import { stoppedExitCode, stopSignals, type StopSignals } from './stop-signals.js';
import type { BatchFlags } from './batch.js';
import { VERSION } from '../version.js';

/** How long the calls in flight get to finish after SIGINT or SIGTERM, unless `--drain-timeout` says otherwise. */
const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;

async function run(action: (signals: StopSignals) => Promise<number>, drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS): Promise<void> {
  const signals = stopSignals(drainTimeoutMs);
  try {
    process.exitCode = await action(signals);
  } catch (caught) {
    const { OperationsError } = await import('../errors.js');
    const { Code } = await import('../code.js');
    const error = OperationsError.from(caught);
    process.stderr.write(`lro-cancel: ${error.message}\n`);
    process.exitCode = signals.stop.aborted ? stoppedExitCode(signals.cause())
      : error.code === Code.INVALID_ARGUMENT ? ExitCode.USAGE : ExitCode.FAILURES;
  }
}

function buildProgram(): Command {
  const program = new Command('lro-cancel')
    .description('Cancel Google long-running operations (google.longrunning.Operations) over gRPC or REST;\n'
      + 'first target: cloudaicompanion.googleapis.com v1. Credentials: Application Default Credentials.')
    .addHelpText('after', [
      '',
      'Environment:',
      '  LRO_CANCEL_EMULATOR_HOST=127.0.0.1:PORT     point every command at an emulator (plaintext, no credentials)',
      '  LRO_CANCEL_EMULATOR_REST=http://127.0.0.1:PORT  its REST URL, for --transport rest and the auto fallback',
      '',
      'Exit codes: 0 every name is final (cancelled, completed, failed, not_found, requested without --verify);',
      '            1 some name is not (error, denied, unimplemented, running, unverified), or a call failed;',
      '            2 bad usage; 3 stopped early: every call failed the same way (credentials, permission, endpoint);',
      '            75 the --journal is in use by another run; 130 SIGINT; 143 SIGTERM (both drain first).',
      '',
      'Try it: lro-cancel emulator --ops 10   (prints its ports), then the variables above and',
      '        lro-cancel cancel --verify projects/demo/locations/global/operations/op-000001',
    ].join('\n'))
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  addConnectionFlags(program.command('cancel')
    .description('cancel operations; with --verify, read each back to prove the outcome')
    .argument('<name...>', 'projects/{project}/locations/{location}/operations/{operation}')
    .option('--verify', 'poll GetOperation until done to prove cancelled / completed')
    .option('--verify-timeout-ms <n>', 'how long to poll with --verify (default 30000)', integerAtLeast('--verify-timeout-ms', 1)))
    .action(async (names: string[], flags: ConnectionFlags) => {
      await run(async signals => (await import('./cancel.js')).runCancel(names, flags, signals));
    });

  addConnectionFlags(program.command('get')
    .description('read one operation')
    .argument('<name>', 'projects/{project}/locations/{location}/operations/{operation}'))
    .action(async (name: string, flags: ConnectionFlags) => {
      await run(async signals => (await import('./get.js')).runGet(name, flags, signals));
    });

  addConnectionFlags(program.command('list')
    .description('list the operations under a parent, page by page')
    .argument('<parent>', 'projects/{project}/locations/{location}')
    .option('--filter <filter>', 'ListOperations filter, e.g. done=false')
    .option('--page-size <n>', 'page size asked of the server', integerAtLeast('--page-size', 1))
    .option('--limit <n>', 'stop after n operations', integerAtLeast('--limit', 1)))
    .action(async (parent: string, flags: ConnectionFlags) => {
      await run(async signals => (await import('./list.js')).runList(parent, flags, signals));
    });

  addConnectionFlags(program.command('batch')
    .description('cancel many operations: streamed input, bounded concurrency, adaptive rate, journal, resume')
    .option('--input <file|->', 'names, one per line or JSON lines with a "name" field; - for stdin')
    .option('--from-list <parent>', 'cancel what ListOperations returns under projects/{p}/locations/{l}')
    .option('--filter <filter>', 'ListOperations filter for --from-list, e.g. done=false')
    .option('--concurrency <n>', 'calls in flight at once', integerAtLeast('--concurrency', 1), 64)
    .option('--rps <n>', 'ceiling of the adaptive rate, requests per second (default unlimited)', numberAtLeast('--rps', 0.1))
    .option('--verify', 'read every name back until done to prove each outcome')
    .option('--verify-by <list|get>', 'list: outcomes from ListOperations pages of each parent, GetOperation for the rest; get: GetOperation for every name (default list)', oneOf('--verify-by', ['list', 'get'] as const))
    .option('--verify-timeout-ms <n>', 'how long to poll each name read one by one with --verify (default 30000)', integerAtLeast('--verify-timeout-ms', 1))
    .option('--give-up-after <duration>', 'how long names that meet a degraded service are tried again before they end error (default 30m)', durationMs('--give-up-after', 0))
    .option('--pass-delay-ms <n>', 'wait before the second pass, x2 before each later one (default 1000)', integerAtLeast('--pass-delay-ms', 0))
    .option('--max-pass-delay-ms <n>', 'longest wait between passes (default 30000)', integerAtLeast('--max-pass-delay-ms', 0))
    .option('--journal <file>', 'append-only record of every name\'s result; rerun with it to resume: final names are not sent again, the rest are retried')
    .option('--output <file>', 'JSON lines, one result per input name (with --journal, written from it when the run ends)')
    .option('--summary-json <file>', 'the run\'s summary as one JSON object (counts by outcome and code, attempts, retries, pauses, wall time, names/s, journal), written when the run ends, after SIGINT/SIGTERM too')
    .option('--drain-timeout <duration>', 'after SIGINT or SIGTERM, how long calls in flight get to finish (default 20s)', durationMs('--drain-timeout', 0))
    .option('--shard <i/n>', 'only the names whose stable hash falls in shard i of n')
    .option('--shard-count <n>', 'shard count when the index comes from $JOB_COMPLETION_INDEX or $CLOUD_RUN_TASK_INDEX', integerAtLeast('--shard-count', 1))
    .option('--progress <mode>', 'auto|tty|log|none (auto: a bar on a terminal, log lines otherwise)', oneOf('--progress', ['auto', 'tty', 'log', 'none'] as const), 'auto'))
    .action(async (flags: BatchFlags & { drainTimeout?: number }) => {
      await run(async signals => (await import('./batch.js')).runBatchCommand(flags, signals), flags.drainTimeout);
    });

  program.command('emulator')
    .description('run the local Operations emulator (gRPC + REST on 127.0.0.1); --help lists its flags')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[flags...]')
    .action(async () => {
      // The emulator parses its own flags (and its own --help); hand it everything after the command word.
      const { runEmulatorCli } = await import('../emulator/cli.js');
      await runEmulatorCli(process.argv.slice(process.argv.indexOf('emulator') + 1));
    });

  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; every parse error is bad usage.
    process.exitCode = error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  } else {
    throw error;
  }
}
