import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../src/emulator/index.js';
import { Code } from '../src/index.js';
import { startTestEmulator } from './helpers/emulator.js';
import { clientFor, WIRES, withClient } from './helpers/client.js';

const GOOD = 'ya29.good-token-0123456789';
const WEAK = 'ya29.weak-token-9876543210';

/** Every way a result could be shown to a person or written to a file. */
function everyRendering(value: unknown): string {
  return [JSON.stringify(value), inspect(value, { depth: 8 }), String((value as { error?: Error }).error?.stack ?? '')].join('\n');
}

for (const wire of WIRES) {
  describe(`credentials over ${wire}`, () => {
    let emulator: Emulator;
    before(async () => {
      emulator = await startTestEmulator({
        requireAuth: true,
        tokens: {
          [GOOD]: ['cloudaicompanion.operations.cancel', 'cloudaicompanion.operations.get'],
          [WEAK]: ['cloudaicompanion.operations.get'],
        },
      });
    });
    after(async () => { await emulator.close(); });

    const withToken = (token: string | undefined) => clientFor(emulator, wire, token === undefined ? {} : {
      credentials: { getRequestHeaders: async () => ({ authorization: `Bearer ${token}` }) },
    });

    test('no token is denied with UNAUTHENTICATED (401)', async () => {
      const [name] = emulator.createOperations({ count: 1 });
      await withClient(withToken(undefined), async client => {
        const result = await client.cancel(name as string);
        assert.equal(result.outcome, 'denied');
        assert.equal(result.code, Code.UNAUTHENTICATED);
        assert.equal(result.httpStatus, 401);
      });
    });

    test('a token without cloudaicompanion.operations.cancel is denied with PERMISSION_DENIED (403)', async () => {
      const [name] = emulator.createOperations({ count: 1 });
      await withClient(withToken(WEAK), async client => {
        const result = await client.cancel(name as string);
        assert.equal(result.outcome, 'denied');
        assert.equal(result.code, Code.PERMISSION_DENIED);
        assert.equal(result.httpStatus, 403);
        assert.doesNotMatch(everyRendering(result), /weak-token/);
      });
    });

    test('a token with the permission cancels, and the token appears in no result or error', async () => {
      const [name] = emulator.createOperations({ count: 1 });
      await withClient(withToken(GOOD), async client => {
        const result = await client.cancel(name as string, { verify: true });
        assert.equal(result.outcome, 'cancelled');
        assert.doesNotMatch(everyRendering(result), /good-token/);
      });
    });

    test('a google-auth-library 11 client, whose getRequestHeaders returns fetch Headers, authenticates the cancel', async () => {
      // grpc-js's own createFromGoogleCredential reads these Headers with Object.keys, finds nothing and sends the call
      // without a token; this test is what fails if the gRPC wire ever goes back to it.
      const { OAuth2Client } = await import('google-auth-library');
      const oauth = new OAuth2Client();
      oauth.setCredentials({ access_token: GOOD, expiry_date: Date.now() + 3_600_000 });
      assert.ok(await oauth.getRequestHeaders() instanceof Headers);
      const [name] = emulator.createOperations({ count: 1 });
      await withClient(clientFor(emulator, wire, { credentials: oauth }), async client => {
        const result = await client.cancel(name as string, { verify: true });
        assert.equal(result.outcome, 'cancelled');
        assert.doesNotMatch(everyRendering(result), /good-token/);
      });
    });

    test('a credential source that times out (ETIMEDOUT from the metadata server) is UNAVAILABLE and retried; the call goes through', async () => {
      const [name] = emulator.createOperations({ count: 1 });
      let asked = 0;
      const client = clientFor(emulator, wire, {
        credentials: {
          getRequestHeaders: async () => {
            asked += 1;
            if (asked === 1) throw Object.assign(new Error('request to http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token failed, reason: connect ETIMEDOUT 169.254.169.254:80'), { code: 'ETIMEDOUT' });
            return { authorization: `Bearer ${GOOD}` };
          },
        },
      });
      await withClient(client, async c => {
        const result = await c.cancel(name as string);
        assert.equal(result.outcome, 'requested', result.accepted ? '' : result.error.message);
        assert.deepEqual(result.attempts.map(a => a.codeName), ['UNAVAILABLE', 'OK']);
        assert.equal(emulator.getOperation(name as string)?.state, 'cancelled');
      });
    });

    test('a token endpoint that answers 503 is UNAVAILABLE; one that answers 400 invalid_grant is a refusal, UNAUTHENTICATED after one attempt', async () => {
      const [name] = emulator.createOperations({ count: 1 });
      const failing = (status: number, error: string) => clientFor(emulator, wire, {
        retry: { maxAttempts: 3 },
        credentials: { getRequestHeaders: async () => { throw Object.assign(new Error(error), { status, response: { status } }); } },
      });
      await withClient(failing(503, 'Service Unavailable'), async c => {
        const result = await c.cancel(name as string);
        assert.deepEqual([result.outcome, result.codeName, result.attempts.length], ['error', 'UNAVAILABLE', 3]);
      });
      await withClient(failing(400, 'invalid_grant: Bad Request'), async c => {
        const result = await c.cancel(name as string);
        assert.deepEqual([result.outcome, result.codeName, result.attempts.length], ['denied', 'UNAUTHENTICATED', 1]);
      });
    });

    test('a credentials failure is UNAUTHENTICATED, sends nothing, and never shows the secret', async () => {
      const [name] = emulator.createOperations({ count: 1 });
      const before = emulator.stats().total;
      const client = clientFor(emulator, wire, {
        credentials: { getRequestHeaders: async () => { throw new Error(`refresh failed for Bearer ${GOOD} with refresh_token=1//secret-refresh`); } },
      });
      try {
        const result = await client.cancel(name as string);
        assert.equal(result.code, Code.UNAUTHENTICATED);
        assert.equal(result.outcome, 'denied');
        const shown = everyRendering(result);
        assert.doesNotMatch(shown, /good-token|secret-refresh/);
        assert.equal(emulator.stats().total, before);
      } finally {
        await client.close();
      }
    });
  });
}
