import type { ErrorDetail } from '../errors.js';

const ERROR_INFO = 'type.googleapis.com/google.rpc.ErrorInfo';

/** Seconds per unit, by the way Google spells them in `quota_unit` (`1/min/{project}`) and in limit names. */
const UNITS: ReadonlyArray<readonly [RegExp, number]> = [
  [/per100seconds|\/100s\b/i, 100],
  [/persecond|\/s\b|\/sec\b/i, 1],
  [/perminute|\/min\b/i, 60],
  [/perhour|\/h\b|\/hour\b/i, 3600],
  [/perday|\/d\b|\/day\b/i, 86_400],
];

/**
 * The rate a quota refusal states, in requests per second, when its ErrorInfo names the limit as Google's do
 * (`metadata.quota_limit_value` "300" with `quota_limit` "ReadsPerMinutePerUser" or `quota_unit` "1/min/{project}");
 * undefined when it does not say, or says something this does not understand. Knowing the limit, a client (or each
 * of n shards sharing it) can pace just under it instead of finding it by being refused.
 */
export function statedQuotaPerSecond(details: readonly ErrorDetail[]): number | undefined {
  for (const detail of details) {
    if (detail['@type'] !== ERROR_INFO) continue;
    const metadata = detail['metadata'];
    if (typeof metadata !== 'object' || metadata === null) continue;
    const fields = metadata as Record<string, unknown>;
    const value = Number(fields['quota_limit_value']);
    if (!(Number.isFinite(value) && value > 0)) continue;
    const unitText = `${String(fields['quota_unit'] ?? '')} ${String(fields['quota_limit'] ?? '')}`;
    const unit = UNITS.find(([pattern]) => pattern.test(unitText));
    if (unit !== undefined) return value / unit[1];
  }
  return undefined;
}
