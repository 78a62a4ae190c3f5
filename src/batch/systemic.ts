import { errorOf, type CancelResult } from '../client/outcome.js';
import { Code } from '../code.js';
import type { OperationsError } from '../errors.js';
import { permissionHint } from '../status/hints.js';

/** A failure that is the run's, not a name's: every call would meet it, so the batch stops instead of trying each. */
export interface SystemicFailure {
  readonly code: Code;
  readonly codeName: string;
  /** What happened and how to fix it, in one line (with the server's words, when a server spoke). */
  readonly message: string;
  /** How to fix it, alone: for a command that already showed what happened (cancel's and delete's result lines). */
  readonly hint: string;
}

const SAYS_NOTHING: ReadonlySet<Code> = new Set([Code.UNAVAILABLE, Code.RESOURCE_EXHAUSTED, Code.DEADLINE_EXCEEDED, Code.ABORTED, Code.CANCELLED]);

/** How many calls, all failing the same systemic way before any succeeds, stop a batch. */
export const SYSTEMIC_THRESHOLD = 20;

/**
 * The failure a result shows that no name of the batch would escape: credentials refused, a permission missing, a
 * server that does not implement the method, a 404 that did not come from the Operations API (a non-Google body
 * over REST, an HTTP status without grpc-status over gRPC), or a server that never spoke the protocol and whose error
 * says the fix (TLS to a plaintext port). Undefined for anything else. The message names the fix: the error's own
 * hint when the server said why (its ErrorInfo reason, status/hints.ts), else the usual one for the code.
 */
export function systemicFailureOf(result: CancelResult, verify: boolean): SystemicFailure | undefined {
  const error = errorOf(result);
  if (error === undefined) return undefined;
  const failure = (what: string, hint: string, joint = ': '): SystemicFailure => ({
    code: error.code, codeName: error.codeName, message: `${what}${joint}${hint} (server said: ${error.rawMessage})`, hint,
  });
  switch (error.code) {
    case Code.UNAUTHENTICATED:
      return failure('the credentials were refused (UNAUTHENTICATED)', error.hint ?? 'run "gcloud auth application-default login", set GOOGLE_APPLICATION_CREDENTIALS to a key file, or check the token');
    case Code.PERMISSION_DENIED:
      return failure('permission denied', error.hint ?? `${permissionHint(`cloudaicompanion.operations.cancel${verify ? ' and cloudaicompanion.operations.get' : ''}`, undefined)}, and a token with the https://www.googleapis.com/auth/cloud-platform scope`);
    case Code.UNIMPLEMENTED:
      return notTheApi(error) ? failure(wrongHost(error), WRONG_HOST_HINT, '. ')
        : failure('the server does not implement CancelOperation for these operations (UNIMPLEMENTED)', 'cancellation is not supported here, or this is not the right API host');
    case Code.NOT_FOUND:
      return notTheApi(error) ? failure(wrongHost(error), WRONG_HOST_HINT, '. ') : undefined;
    default:
      // Nothing that speaks the API answered, so there is no server's word to quote: the hint is the whole story.
      return notTheApi(error) && error.hint !== undefined && !SAYS_NOTHING.has(error.code)
        ? { code: error.code, codeName: error.codeName, message: error.hint, hint: error.hint } : undefined;
  }
}

function notTheApi(error: OperationsError): boolean {
  return error.reachedServer === false;
}

/** What a host that is not the Operations API did, with the HTTP status it answered. */
function wrongHost(error: OperationsError): string {
  // Over gRPC the code stands for the HTTP status grpc-js saw (404 becomes UNIMPLEMENTED), which only its text keeps.
  const seen = error.transport === 'grpc' ? /Received HTTP status code (\d+)/.exec(error.rawMessage)?.[1] : error.httpStatus;
  const status = seen === undefined ? '' : ` ${seen}`;
  return `the endpoint answered${status} without a Google API error: it does not serve google.longrunning.Operations`;
}

const WRONG_HOST_HINT = 'Is this the right API host? Check --endpoint and --rest-endpoint';

/**
 * Watches a batch's first results: when the first SYSTEMIC_THRESHOLD of them all fail the same systemic way (and
 * none succeeded before), the run is stopped with that failure. Once one call gets a real answer, per-name failures
 * are the names' own (a project the caller may not touch among others it may), and nothing here stops the run.
 */
export class SystemicDetector {
  readonly #verify: boolean;
  #streak = 0;
  #observed = 0;
  #first: SystemicFailure | undefined;
  #settled = false;

  constructor(verify: boolean) {
    this.#verify = verify;
  }

  /** The failure that stops the run, the first time the threshold is reached; undefined otherwise. */
  observe(result: CancelResult): SystemicFailure | undefined {
    if (this.#settled) return undefined;
    this.#observed += 1;
    const failure = systemicFailureOf(result, this.#verify);
    if (failure === undefined) {
      // A degraded service says nothing either way; any other answer is the service's own, for this name.
      const error = errorOf(result);
      if (error === undefined || !SAYS_NOTHING.has(error.code)) this.#settled = true;
      return undefined;
    }
    if (this.#first !== undefined && failure.code !== this.#first.code) {
      this.#first = failure;
      this.#streak = 1;
      return undefined;
    }
    this.#first ??= failure;
    this.#streak += 1;
    if (this.#streak < SYSTEMIC_THRESHOLD) return undefined;
    this.#settled = true;
    return this.#first;
  }

  /**
   * At the end of a batch too small to reach the threshold: the failure every one of its calls met, the same
   * systemic way (three names against a disabled API, or TLS to a plaintext port), so that the run says the fix and
   * exits as a systemic stop rather than as names that failed each on its own. Undefined when any call got another
   * answer, or met a degraded service.
   */
  unanimous(): SystemicFailure | undefined {
    return !this.#settled && this.#observed > 0 && this.#streak === this.#observed ? this.#first : undefined;
  }
}
