import cliProgress from 'cli-progress';
import type { FlowState } from './flow-control.js';
import type { BatchStats } from './stats.js';

export interface Progress {
  update(stats: BatchStats): void;
  pass(pass: number, names: number): void;
  /** The batch paused for the service, or resumed; `openNames` are read and not yet recorded. */
  flow(state: FlowState, openNames: number): void;
  /** Says the run is stopping (SIGINT): in-flight calls are finishing, which can take up to a call's deadline. */
  stopping(): void;
  /** Ends it with a last line from `stats`; without them (the run failed) it only ends, restoring the terminal. */
  stop(stats?: BatchStats): void;
}

export interface ProgressOptions {
  /** `tty`: a live bar; `log`: a line every `logIntervalMs`; `none`: silent. */
  readonly mode: 'tty' | 'log' | 'none';
  /** Names expected, when known (a file was pre-counted); the bar shows an ETA only then. */
  readonly total?: number | undefined;
  readonly stream: NodeJS.WriteStream;
  /** @default 5000 */
  readonly logIntervalMs?: number;
}

const STOPPING = 'stopping: draining calls in flight';

/** Input names dealt with: final this run, or skipped as duplicates or as already final in the journal. */
function handled(stats: BatchStats): number {
  return stats.finished + stats.duplicates + stats.skippedFromJournal;
}

/** `service unavailable since 12:03:11: paused, next probe in 8 s, 12,345 names waiting`; empty when running. */
export function flowText(state: FlowState, openNames: number): string {
  if (state.kind === 'running') return '';
  const why = state.reason === 'unavailable' ? 'service unavailable' : 'quota reached (no RetryInfo)';
  const since = new Date(state.sinceMs).toISOString().slice(11, 19);
  const probeS = Math.max(0, Math.round((state.nextProbeAtMs - Date.now()) / 1000));
  return `${why} since ${since} UTC: paused, next probe in ${probeS} s, ${openNames.toLocaleString('en-US')} names waiting`;
}

function countsText(stats: BatchStats): string {
  const parts = [...stats.byOutcome.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
  return parts.length === 0 ? 'starting' : parts.join(', ');
}

/**
 * Progress for people at a terminal (cli-progress: bar, rate, ETA, counts by outcome) and periodic log lines for
 * everything else (CI, Kubernetes logs), where a redrawn bar would be noise. Both read the same running stats.
 */
export function createProgress(options: ProgressOptions): Progress {
  if (options.mode === 'none') return { update() {}, pass() {}, flow() {}, stopping() {}, stop() {} };
  if (options.mode === 'log') {
    let last: BatchStats | undefined;
    let wasPaused = false;
    const line = (stats: BatchStats): void => {
      options.stream.write(`[batch] ${stats.finished}${options.total === undefined ? '' : `/${options.total}`} done, ${stats.ratePerSecond().toFixed(0)}/s, ${countsText(stats)}\n`);
    };
    const timer = setInterval(() => { if (last !== undefined) line(last); }, options.logIntervalMs ?? 5000);
    timer.unref();
    return {
      update(stats) { last = stats; },
      pass(pass, names) { if (pass > 1) options.stream.write(`[batch] pass ${pass}: ${names} names again (they met a degraded service, or their verification did not finish)\n`); },
      flow(state, openNames) {
        // Each probe reschedules the pause; one line when it begins and one when it ends is enough for a log. A quota
        // pause that waits for the next one-second window is routine: said once it has lasted a second.
        const paused = state.kind === 'paused' && (state.reason === 'unavailable' || state.nextProbeAtMs - state.sinceMs >= 1000);
        if (paused === wasPaused) return;
        wasPaused = paused;
        options.stream.write(`[batch] ${paused ? flowText(state, openNames) : 'service answering again: resumed'}\n`);
      },
      stopping() { options.stream.write(`[batch] ${STOPPING}; a second signal exits at once\n`); },
      stop(stats) {
        clearInterval(timer);
        if (stats !== undefined) line(stats);
      },
    };
  }
  const bar = new cliProgress.SingleBar({
    stream: options.stream,
    format: options.total === undefined
      ? ' {value} done | {rate}/s | {elapsed}s | {counts}'
      : ' {bar} {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} | {counts}',
    hideCursor: true,
    fps: 8,
    etaBuffer: 200,
    barsize: 24,
  }, cliProgress.Presets.shades_classic);
  bar.start(options.total ?? 0, 0, { rate: '0', counts: 'starting', elapsed: '0' });
  // The bar hides the cursor; a process that exits without stop() (a second SIGINT) must not leave it hidden.
  const showCursor = (): void => { options.stream.write('\n\x1b[?25h'); };
  process.once('exit', showCursor);
  // Shown until the end once a later pass starts; an update must not wipe it.
  let passText = '';
  return {
    update(stats) {
      bar.update(handled(stats), {
        rate: stats.ratePerSecond().toFixed(0),
        counts: `${passText}${countsText(stats)}`,
        elapsed: ((Date.now() - stats.startedAt) / 1000).toFixed(0),
      });
    },
    pass(pass, names) {
      if (pass <= 1) return;
      passText = `pass ${pass}: ${names} again | `;
      bar.update({ counts: `${passText}waiting` });
    },
    flow(state, openNames) {
      const text = flowText(state, openNames);
      bar.update({ counts: text === '' ? `${passText}resumed` : `${text} | ` });
    },
    stopping() {
      passText = `${STOPPING}, Ctrl-C again quits | `;
      bar.update({ counts: passText });
    },
    stop(stats) {
      process.off('exit', showCursor);
      if (stats !== undefined) this.update(stats);
      bar.stop();
    },
  };
}
