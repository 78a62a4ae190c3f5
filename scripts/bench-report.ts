/**
 * Medians, ratios, targets and the Markdown tables of `npm run bench`. Every figure is the median of its runs; a
 * ratio compares medians with the plain client of the same transport (grpc-js for gRPC, undici for REST).
 */
import type { ClientName } from './bench-clients.js';
import type { BatchRun } from './bench-batch.js';
import type { StartupCase, StartupRun } from './bench-startup.js';
import type { ThroughputRun } from './bench-throughput.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] as number : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const LABELS: Record<ClientName, string> = {
  'ours-grpc': 'lro-cancel, gRPC',
  'ours-rest': 'lro-cancel, REST',
  'ours-auto': 'lro-cancel, auto',
  'grpc-js': 'plain grpc-js stub (gRPC limit)',
  'grpc-js-same-wire': 'grpc-js stub + our headers and deadline',
  'gax-grpc': 'google-gax 6 OperationsClient, gRPC',
  'gax-rest': 'google-gax 6 OperationsClient, REST fallback',
  undici: 'plain undici, keep-alive (REST limit)',
};

/** The plain client each one is compared with; none for the plain clients themselves. */
const REFERENCE: Partial<Record<ClientName, ClientName>> = {
  'ours-grpc': 'grpc-js', 'ours-auto': 'grpc-js', 'gax-grpc': 'grpc-js', 'grpc-js-same-wire': 'grpc-js', 'ours-rest': 'undici', 'gax-rest': 'undici',
};

export interface ClientFigures {
  readonly perSecond: number;
  readonly cpuUsPerCancel: number;
  readonly emulatorCpuUsPerCancel: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly runs: number;
}

export interface Summary {
  /** client -> concurrency -> medians */
  readonly clients: Partial<Record<ClientName, Record<number, ClientFigures>>>;
  readonly batch: Record<string, { names: number; concurrency: number; verify: boolean; perSecond: number; peakRssMb: number; wallMs: number; emulatorCpuUsPerName: number; runs: number }>;
  readonly startup: Partial<Record<StartupCase, { wallMs: number; runs: number }>>;
}

/** Groups runs by `key` and takes the median of each numeric field named in `fields`. */
function medians<R, F extends keyof R>(runs: readonly R[], key: (run: R) => string, fields: readonly F[]): Map<string, { first: R; figures: Record<F, number>; runs: number }> {
  const groups = new Map<string, R[]>();
  for (const run of runs) {
    const group = groups.get(key(run));
    if (group === undefined) groups.set(key(run), [run]);
    else group.push(run);
  }
  const out = new Map<string, { first: R; figures: Record<F, number>; runs: number }>();
  for (const [k, group] of groups) {
    const figures = {} as Record<F, number>;
    for (const field of fields) figures[field] = median(group.map(run => run[field] as number));
    out.set(k, { first: group[0] as R, figures, runs: group.length });
  }
  return out;
}

export function summarize(throughput: readonly ThroughputRun[], batch: readonly BatchRun[], startup: readonly StartupRun[]): Summary {
  const clients: Summary['clients'] = {};
  const byClient = medians(throughput, r => `${r.client}@${r.concurrency}`, ['perSecond', 'cpuUsPerCancel', 'emulatorCpuUsPerCancel', 'p50Ms', 'p99Ms'] as const);
  for (const { first, figures, runs } of byClient.values()) (clients[first.client] ??= {})[first.concurrency] = { ...figures, runs };
  const batches: Summary['batch'] = {};
  for (const [label, { first, figures, runs }] of medians(batch, r => r.label, ['perSecond', 'peakRssMb', 'wallMs', 'emulatorCpuUsPerName'] as const)) {
    batches[label] = { names: first.names, concurrency: first.concurrency, verify: first.verify, ...figures, runs };
  }
  const starts: Summary['startup'] = {};
  for (const [kind, { figures, runs }] of medians(startup, r => r.case, ['wallMs'] as const)) starts[kind as StartupCase] = { ...figures, runs };
  return { clients, batch: batches, startup: starts };
}

export interface Target {
  readonly what: string;
  readonly measured: string;
  readonly holds: boolean;
}

const ratioOf = (value: number | undefined, reference: number | undefined): number => (value ?? NaN) / (reference ?? NaN);
const x = (ratio: number): string => `${ratio.toFixed(2)}x`;

export function targets(summary: Summary): Target[] {
  const c = (client: ClientName, concurrency: number): ClientFigures | undefined => summary.clients[client]?.[concurrency];
  const list: Target[] = [];
  const atLeast = (what: string, ratio: number, bound: number): void => { list.push({ what, measured: x(ratio), holds: ratio >= bound }); };
  const atMost = (what: string, ratio: number, bound: number): void => { list.push({ what, measured: x(ratio), holds: ratio <= bound }); };
  for (const concurrency of [64, 256]) {
    atLeast(`gRPC cancels/s at ${concurrency} >= 0.9x plain grpc-js`, ratioOf(c('ours-grpc', concurrency)?.perSecond, c('grpc-js', concurrency)?.perSecond), 0.9);
    atMost(`gRPC client CPU per cancel at ${concurrency} <= 1.15x plain grpc-js`, ratioOf(c('ours-grpc', concurrency)?.cpuUsPerCancel, c('grpc-js', concurrency)?.cpuUsPerCancel), 1.15);
  }
  atLeast('REST cancels/s at 64 >= 0.85x plain undici', ratioOf(c('ours-rest', 64)?.perSecond, c('undici', 64)?.perSecond), 0.85);
  for (const [ours, plain] of [['ours-grpc', 'grpc-js'], ['ours-rest', 'undici'], ['ours-auto', 'grpc-js']] as const) {
    atMost(`p50 latency at 1, ${LABELS[ours]} <= 1.1x ${plain}`, ratioOf(c(ours, 1)?.p50Ms, c(plain, 1)?.p50Ms), 1.1);
  }
  const small = summary.batch['10k'];
  const large = summary.batch['1M'];
  atMost('batch of 1M: peak RSS <= 1.3x the 10k run', ratioOf(large?.peakRssMb, small?.peakRssMb), 1.3);
  if (large !== undefined) {
    atLeast(`batch of 1M: names/s >= 0.8x the library over REST at ${large.concurrency}`, ratioOf(large.perSecond, c('ours-rest', large.concurrency)?.perSecond), 0.8);
  }
  const help = summary.startup.help?.wallMs ?? NaN;
  list.push({ what: '`lro-cancel --help` < 300 ms', measured: `${help.toFixed(0)} ms`, holds: help < 300 });
  atMost('`lro-cancel cancel NAME` <= 1.5x a plain grpc-js one-call script', ratioOf(summary.startup.cancel?.wallMs, summary.startup['one-call']?.wallMs), 1.5);
  return list;
}

const n = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? '-' : Math.round(value).toLocaleString('en-US'));
const ms = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(0));

/** The Markdown the README shows: clients, batch, start-up, targets. */
export function markdown(summary: Summary, list: readonly Target[]): string {
  const lines = [
    '| client | cancels/s c=1 | c=64 | c=256 | client CPU µs/cancel c=64 | c=256 | p50 / p99 ms c=1 | emulator CPU µs/cancel c=64 |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [client, byConcurrency] of Object.entries(summary.clients) as Array<[ClientName, Record<number, ClientFigures>]>) {
    const reference = REFERENCE[client];
    const ref = reference === undefined ? undefined : summary.clients[reference];
    const withRatio = (value: number | undefined, base: number | undefined, format: (v: number | undefined) => string): string =>
      (ref === undefined || base === undefined || value === undefined ? format(value) : `${format(value)} (${x(value / base)})`);
    const at = (concurrency: number): ClientFigures | undefined => byConcurrency[concurrency];
    lines.push(`| ${LABELS[client]} | ${withRatio(at(1)?.perSecond, ref?.[1]?.perSecond, n)} | ${withRatio(at(64)?.perSecond, ref?.[64]?.perSecond, n)} | `
      + `${withRatio(at(256)?.perSecond, ref?.[256]?.perSecond, n)} | ${withRatio(at(64)?.cpuUsPerCancel, ref?.[64]?.cpuUsPerCancel, n)} | `
      + `${withRatio(at(256)?.cpuUsPerCancel, ref?.[256]?.cpuUsPerCancel, n)} | ${withRatio(at(1)?.p50Ms, ref?.[1]?.p50Ms, ms)} / ${ms(at(1)?.p99Ms)} | `
      + `${n(at(64)?.emulatorCpuUsPerCancel)} |`);
  }
  lines.push('', '| `lro-cancel batch --transport rest` | names/s | peak RSS MB | wall s | emulator CPU µs/name |', '|---|---|---|---|---|');
  for (const [label, run] of Object.entries(summary.batch)) {
    lines.push(`| ${run.names.toLocaleString('en-US')} names, --concurrency ${run.concurrency}${run.verify ? ', --verify' : ''} | ${n(run.perSecond)} | ${run.peakRssMb.toFixed(0)} | ${(run.wallMs / 1000).toFixed(1)} | ${n(run.emulatorCpuUsPerName)} |`);
    void label;
  }
  const s = summary.startup;
  lines.push('', '| start-up (spawn to exit) | ms |', '|---|---|',
    `| \`lro-cancel --help\` | ${ms(s.help?.wallMs)} |`,
    `| \`lro-cancel cancel NAME\` (emulator up, transport auto) | ${ms(s.cancel?.wallMs)} (${x(ratioOf(s.cancel?.wallMs, s['one-call']?.wallMs))}) |`,
    `| plain grpc-js script, one CancelOperation | ${ms(s['one-call']?.wallMs)} |`);
  lines.push('', '| target | measured | holds |', '|---|---|---|', ...list.map(t => `| ${t.what} | ${t.measured} | ${t.holds ? 'yes' : '**no**'} |`));
  return lines.join('\n');
}
