import { Command } from 'commander';
import { addConnectionFlags, type ConnectionFlags } from './connection.js';
import { restartWithBatchNodeFlags } from './heap-growth.js';
import { durationMs, integerAtLeast, numberAtLeast, oneOf } from './parse.js';
import { usageLine } from './usage.js';
import type { StopSignals } from './stop-signals.js';
import type { BatchFlags } from './batch.js';
import type { CancelFlags } from './cancel.js';
import type { ListFlags } from './list.js';
import type { WaitFlags } from './wait.js';
import { VERSION } from '../version.js';

/** Runs a command's action, sets the exit code, and reports what it threw in the CLI's one style (main.ts). */
export type Runner = (action: (signals: StopSignals) => Promise<number>, drainTimeoutMs?: number) => Promise<void>;

const NAME_ARGUMENT = 'projects/{project}/locations/{location}/operations/{operation}, or an operation id with --project and --location';
const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000;

/** Commander's own usage errors in the CLI's style, naming the command whose --help explains it. */
function styled(command: Command): Command {
  return command.configureOutput({ outputError: (message, write) => write(usageLine(message, command.name())) });
}

function verifyFlags(command: Command, what: string): Command {
  return command
    .option('--verify', `read each back with GetOperation to prove the outcome (${what})`)
    .option('--verify-timeout-ms <n>', 'how long to read back with --verify (default 30000)', integerAtLeast('--verify-timeout-ms', 1));
}

export function buildProgram(run: Runner): Command {
  const program = styled(new Command('lro-cancel'))
    .description('Cancel Google long-running operations (google.longrunning.Operations) over gRPC or REST;\n'
      + 'first target: cloudaicompanion.googleapis.com v1. Credentials: Application Default Credentials, or the flags below.')
    .addHelpText('after', [
      '',
      'Environment:',
      '  LRO_CANCEL_EMULATOR_HOST=127.0.0.1:PORT     point every command at an emulator\'s gRPC port (plaintext)',
      '  LRO_CANCEL_EMULATOR_REST=http://127.0.0.1:PORT  its REST URL; each works alone; --endpoint/--rest-endpoint override both',
      '  LRO_CANCEL_ACCESS_TOKEN, CLOUDSDK_AUTH_ACCESS_TOKEN_FILE, CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT, CLOUDSDK_CORE_PROJECT',
      '',
      'Exit codes: 0 every name is final (cancelled, completed, failed, not_found, deleted, requested without --verify);',
      '            1 some name is not (error, denied, unimplemented, running, unverified), or a call failed;',
      '            2 bad usage; 3 stopped early: credentials or every call failed the same way (the message says the fix);',
      '            4 wait: an operation ended with an error; 5 wait: still running at --timeout;',
      '            75 the --journal is in use by another run; 130 SIGINT; 143 SIGTERM (both drain first).',
      '',
      'Try it: npx lro-cancel emulator --ops 10   (prints its ports), then the variables above and',
      '        npx lro-cancel cancel --verify projects/demo/locations/global/operations/op-000001',
    ].join('\n'))
    .version(VERSION)
    .exitOverride();

  addConnectionFlags(verifyFlags(styled(program.command('cancel'))
    .description('cancel operations; with --verify, read each back to prove the outcome')
    .argument('<name...>', NAME_ARGUMENT), 'cancelled / completed'))
    .action(async (names: string[], flags: CancelFlags) => {
      await run(async signals => (await import('./cancel.js')).runCancel(names, flags, signals));
    });

  addConnectionFlags(verifyFlags(styled(program.command('delete'))
    .description('delete operations (DeleteOperation: the result is no longer wanted; it does not cancel them)')
    .argument('<name...>', NAME_ARGUMENT), 'deleted: it reads NOT_FOUND'))
    .action(async (names: string[], flags: CancelFlags) => {
      await run(async signals => (await import('./delete.js')).runDelete(names, flags, signals));
    });

  addConnectionFlags(styled(program.command('get'))
    .description('read one operation')
    .argument('<name>', NAME_ARGUMENT))
    .action(async (name: string, flags: ConnectionFlags) => {
      await run(async signals => (await import('./get.js')).runGet(name, flags, signals));
    });

  addConnectionFlags(styled(program.command('wait'))
    .description('read operations until each is done; exit 0 all succeeded, 4 some ended with an error, 5 some still running')
    .argument('<name...>', NAME_ARGUMENT)
    .option('--timeout <duration>', 'how long to wait for all of them: 30s, 10m, 1h (default 10m)', durationMs('--timeout', 1), DEFAULT_WAIT_TIMEOUT_MS))
    .action(async (names: string[], flags: WaitFlags) => {
      await run(async signals => (await import('./wait.js')).runWait(names, flags, signals));
    });

  addConnectionFlags(styled(program.command('list'))
    .description('list the operations under a parent, page by page')
    .argument('[parent]', 'projects/{project}/locations/{location} (default: --project and --location)')
    .option('--filter <filter>', 'ListOperations filter, e.g. done=false')
    .option('--page-size <n>', 'page size asked of the server', integerAtLeast('--page-size', 1))
    .option('--limit <n>', 'stop after n operations', integerAtLeast('--limit', 1)))
    .action(async (parent: string | undefined, flags: ListFlags) => {
      await run(async signals => (await import('./list.js')).runList(parent, flags, signals));
    });

  addConnectionFlags(styled(program.command('batch'))
    .description('cancel many operations: streamed input, bounded concurrency, adaptive rate, journal, resume')
    .option('--input <file|->', 'names, one per line or JSON lines with a "name" field; - for stdin')
    .option('--from-list [parent]', 'cancel what ListOperations returns under projects/{p}/locations/{l} (default: --project and --location); asks first on a terminal')
    .option('--filter <filter>', 'ListOperations filter for --from-list, e.g. done=false')
    .option('--dry-run', 'read the input or the listing and print what would be cancelled, and how many; send no cancel')
    .option('-q, --quiet', 'do not ask before cancelling what --from-list finds (nor does a run whose stdin is not a terminal)')
    .option('--concurrency <n>', 'calls in flight at once', integerAtLeast('--concurrency', 1), 64)
    .option('--rps <n>', 'ceiling of the adaptive rate, requests per second (default unlimited)', numberAtLeast('--rps', 0.1))
    .option('--verify', 'read every name back until done to prove each outcome')
    .option('--verify-by <list|get>', 'list: outcomes from ListOperations pages of each parent, GetOperation for the rest; get: GetOperation for every name (default list)', oneOf('--verify-by', ['list', 'get'] as const))
    .option('--verify-timeout-ms <n>', 'how long to poll each name read one by one with --verify (default 30000)', integerAtLeast('--verify-timeout-ms', 1))
    .option('--give-up-after <duration>', 'how long a name that meets a degraded service is tried again, and how long the batch waits for a service that answers nothing, before names end error (default 30m; never a healthy run\'s length)', durationMs('--give-up-after', 0))
    .option('--pass-delay-ms <n>', 'wait from the latest deferral before the second pass, x2 before each later one (default 1000)', integerAtLeast('--pass-delay-ms', 0))
    .option('--max-pass-delay-ms <n>', 'longest wait between passes (default 30000)', integerAtLeast('--max-pass-delay-ms', 0))
    .option('--journal <file>', 'append-only record of every name\'s result; rerun with it to resume: final names are not sent again, the rest are retried')
    .option('--output <file>', 'JSON lines, one result per input name (with --journal, written from it when the run ends)')
    .option('--summary-json <file>', 'the run\'s summary as one JSON object (counts by outcome and code, attempts, retries, pauses, wall time, names/s, journal), written when the run ends, after SIGINT/SIGTERM too')
    .option('--drain-timeout <duration>', 'after SIGINT or SIGTERM, how long calls in flight get to finish (default 20s)', durationMs('--drain-timeout', 0))
    .option('--shard <i/n>', 'only the names whose stable hash falls in shard i of n')
    .option('--shard-count <n>', 'shard count when the index comes from $JOB_COMPLETION_INDEX or $CLOUD_RUN_TASK_INDEX', integerAtLeast('--shard-count', 1))
    .option('--progress <mode>', 'auto|tty|log|none (auto: a bar on a terminal, log lines otherwise)', oneOf('--progress', ['auto', 'tty', 'log', 'none'] as const), 'auto'))
    .action(async (flags: BatchFlags & { drainTimeout?: number }) => {
      // The batch's node flags come by replacing this process before the client's modules load, so they load once.
      restartWithBatchNodeFlags();
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
