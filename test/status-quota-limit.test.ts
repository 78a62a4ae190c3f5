import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statedQuotaPerSecond } from '../src/status/quota-limit.js';

const errorInfo = (metadata: Record<string, string>) => ({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED', domain: 'googleapis.com', metadata });

describe('the rate a quota refusal states', () => {
  test('reads quota_limit_value with the unit in the limit name, as Google spells them', () => {
    assert.equal(statedQuotaPerSecond([errorInfo({ quota_limit: 'ReadsPerMinutePerUser', quota_limit_value: '300' })]), 5);
    assert.equal(statedQuotaPerSecond([errorInfo({ quota_limit: 'OperationsRequestsPerSecondPerProject', quota_limit_value: '500' })]), 500);
    assert.equal(statedQuotaPerSecond([errorInfo({ quota_limit: 'DefaultRequestsPer100SecondsPerUser', quota_limit_value: '1000' })]), 10);
    assert.equal(statedQuotaPerSecond([errorInfo({ quota_limit: 'RequestsPerDayPerProject', quota_limit_value: '86400' })]), 1);
  });

  test('reads the unit from quota_unit when the name does not say', () => {
    assert.equal(statedQuotaPerSecond([errorInfo({ quota_limit: 'default', quota_unit: '1/min/{project}', quota_limit_value: '600' })]), 10);
  });

  test('says nothing for a refusal without a value, with a value that is not a positive number, or with no unit it knows', () => {
    assert.equal(statedQuotaPerSecond([]), undefined);
    assert.equal(statedQuotaPerSecond([errorInfo({ quota_limit: 'ReadsPerMinutePerUser' })]), undefined);
    assert.equal(statedQuotaPerSecond([errorInfo({ quota_limit: 'ReadsPerMinutePerUser', quota_limit_value: '-3' })]), undefined);
    assert.equal(statedQuotaPerSecond([errorInfo({ quota_limit: 'ConcurrentReads', quota_limit_value: '10' })]), undefined);
    assert.equal(statedQuotaPerSecond([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' }]), undefined);
  });
});
