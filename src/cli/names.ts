import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { parseParentName } from '../names.js';

/** `--project`, `--location` and the variable gcloud reads the project from, as commander hands them over. */
export interface ScopeFlags {
  readonly project?: string;
  readonly location?: string;
}

function usage(message: string): OperationsError {
  return new OperationsError(Code.INVALID_ARGUMENT, message);
}

/**
 * The parent `projects/P/locations/L` that `--project` (else `$CLOUDSDK_CORE_PROJECT`, as gcloud reads it) and
 * `--location` name; undefined when neither is given. One without the other is bad usage once a name needs both.
 */
export function scopeParent(flags: ScopeFlags, env: Readonly<Record<string, string | undefined>>, needed: string): string | undefined {
  const project = flags.project ?? (env['CLOUDSDK_CORE_PROJECT'] || undefined);
  const location = flags.location;
  if (project === undefined && location === undefined) return undefined;
  if (project === undefined || location === undefined) {
    throw usage(`${needed} needs both --project (or CLOUDSDK_CORE_PROJECT) and --location; ${project === undefined ? '--project' : '--location'} is missing`);
  }
  try {
    return parseParentName(`projects/${project}/locations/${location}`).name;
  } catch (error) {
    const problem = error instanceof OperationsError ? error.rawMessage.replace(/^invalid parent name "[^"]*": /, '').replace(/; expected .*$/, '') : String(error);
    throw usage(`--project ${JSON.stringify(project.slice(0, 100))} and --location ${JSON.stringify(location.slice(0, 100))} do not make a parent name: ${problem}`);
  }
}

/**
 * A command's NAME argument: a full name as given, or a bare operation id (no `/`) under the parent of
 * `--project`/`--location`, as gcloud takes `op-123`. A bare id without them is bad usage naming both flags.
 */
export function expandOperationNames(args: readonly string[], flags: ScopeFlags, env: Readonly<Record<string, string | undefined>>): string[] {
  const bare = args.find(arg => !arg.includes('/'));
  if (bare === undefined) return [...args];
  const parent = scopeParent(flags, env, `the operation id ${JSON.stringify(bare.slice(0, 100))}`);
  if (parent === undefined) {
    throw usage(`${JSON.stringify(bare.slice(0, 100))} is an operation id, not a full name: pass --project (or set CLOUDSDK_CORE_PROJECT) and --location, or give projects/PROJECT/locations/LOCATION/operations/${bare.slice(0, 100)}`);
  }
  return args.map(arg => arg.includes('/') ? arg : `${parent}/operations/${arg}`);
}

/** `list [PARENT]` and `--from-list [PARENT]`: the argument, else the parent of `--project`/`--location`. */
export function parentFrom(arg: string | undefined, flags: ScopeFlags, env: Readonly<Record<string, string | undefined>>, what: string): string {
  if (arg !== undefined) return arg;
  const parent = scopeParent(flags, env, what);
  if (parent === undefined) throw usage(`${what} needs a parent: projects/PROJECT/locations/LOCATION, or --project (or CLOUDSDK_CORE_PROJECT) and --location`);
  return parent;
}
