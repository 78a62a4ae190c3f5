import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { MAX_DEPTH, redact, redactStructure } from '../src/redact.js';
import { rememberSentCredentials } from '../src/sent-credentials.js';

const PEM_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7';
const PEM = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\nq1w2e3r4t5y6u7i8o9p0\n-----END PRIVATE KEY-----\n`;

/** Each case: a message holding a secret, and the secret that must not survive anywhere. */
const cases: ReadonlyArray<{ readonly what: string; readonly message: string; readonly secret: string }> = [
  { what: 'a Bearer token in an echoed header', message: 'denied: authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl was rejected', secret: 'eyJhbGciOiJSUzI1NiJ9' },
  { what: 'a lower-case bearer token', message: 'authorization=bearer abcDEF123_secret', secret: 'abcDEF123_secret' },
  { what: 'a Basic credential', message: 'Authorization: Basic dXNlcjpwYXNzd29yZA==', secret: 'dXNlcjpwYXNzd29yZA' },
  { what: 'a bare ya29. access token', message: 'token ya29.a0AfH6SMC-secret_part.more was expired', secret: 'a0AfH6SMC-secret_part' },
  { what: 'access_token in a query string', message: 'GET /v1/x?alt=json&access_token=sekrit123&key2=v failed', secret: 'sekrit123' },
  { what: 'access_token in JSON', message: '{"access_token": "json-secret-1", "expires_in": 3599}', secret: 'json-secret-1' },
  { what: 'access_token in compact JSON', message: '{"access_token":"json-secret-2","token_type":"Bearer"}', secret: 'json-secret-2' },
  { what: 'refresh_token, id_token and client_secret', message: 'refresh_token=r-secret id_token: i-secret "client_secret":"c-secret"', secret: '-secret' },
  { what: 'a PEM private key', message: `could not sign: ${PEM} (bad padding)`, secret: PEM_BODY },
  { what: 'a private key inside a service account JSON', message: `bad key file: ${JSON.stringify({ type: 'service_account', private_key: PEM, client_email: 'sa@p.iam.gserviceaccount.com' })}`, secret: PEM_BODY },
  { what: 'a truncated private key with no END line', message: `key: -----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}`, secret: PEM_BODY },
  { what: 'a Google API key', message: 'GET /v1/ops?key=AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q failed', secret: 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q' },
];

describe('redact', () => {
  for (const { what, message, secret } of cases) {
    test(`cuts ${what} from a message`, () => {
      const out = redact(message);
      assert.ok(!out.includes(secret), out);
      assert.match(out, /REDACTED/);
    });

    test(`never shows ${what} in err.message, err.rawMessage or JSON.stringify(err)`, () => {
      const error = new OperationsError(Code.UNAUTHENTICATED, message, { transport: 'rest' });
      for (const shown of [error.message, error.rawMessage, JSON.stringify(error), String(error), error.stack ?? '']) {
        assert.ok(!shown.includes(secret), shown);
      }
    });
  }

  test('keeps the rest of the message readable', () => {
    assert.equal(redact('GET ?access_token=abc&alt=json'), 'GET ?access_token=[REDACTED]&alt=json');
    assert.equal(redact('Authorization: Bearer abc.def'), 'Authorization: Bearer [REDACTED]');
    assert.equal(redact('{"private_key": "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n"}'), '{"private_key": "[REDACTED PRIVATE KEY]\\n"}');
  });

  test('leaves messages without credentials exactly as they were', () => {
    for (const text of [
      'Operation projects/p/locations/l/operations/o not found',
      'Quota exceeded for quota metric \'Requests\' of service cloudaicompanion.googleapis.com',
      'HTTP 502 Bad Gateway: Error 502 (Server Error)!!1',
      '',
    ]) assert.equal(redact(text), text);
  });

  test('is fast on a long message', () => {
    const long = `${'word '.repeat(20_000)}Bearer abc ${'-----BEGIN PRIVATE KEY----- '.repeat(200)}`;
    const startedMs = performance.now();
    const out = redact(long);
    assert.ok(performance.now() - startedMs < 1000, 'well under a second');
    assert.ok(!out.includes('Bearer abc'));
  });
});

describe('redaction by value: the credentials this process sent', () => {
  // Sent once, as a request's headers would be; every form below must then be cut wherever it appears.
  const token = 'opaque-TOKEN$with/odd+chars=9f8e7d';
  const apiKey = 'k3y-for-the-api-0123456789';
  rememberSentCredentials({ authorization: `Bearer ${token}`, 'x-goog-api-key': apiKey, 'x-goog-user-project': 'my-project' });

  const forms: ReadonlyArray<readonly [string, string]> = [
    ['as sent, with no Bearer or ya29. beside it', `the caller ${token} is not allowed`],
    ['URL-encoded in a query string', `GET /x?authorization=Bearer%20${encodeURIComponent(token)}&alt=json`],
    ['URL-encoded with lower-case hex', `echo=${encodeURIComponent(token).replace(/%[0-9A-F]{2}/g, hex => hex.toLowerCase())}`],
    ['JSON-escaped', JSON.stringify({ header: `Bearer ${token}"` })],
    ...[0, 1, 2].map(offset => [`base64-encoded at byte offset ${offset} of a larger text`,
      `value: ${Buffer.from(`${'h'.repeat(offset + 3)}authorization: Bearer ${token}; more`).toString('base64')}`] as const),
    ['base64url-encoded', Buffer.from(`{"auth":"${token}"}`).toString('base64url')],
    ['an API key sent in x-goog-api-key', `key ${apiKey} rejected`],
  ];
  for (const [what, text] of forms) {
    test(`cuts the token ${what}`, () => {
      const out = redact(text);
      for (const trace of [token, encodeURIComponent(token), apiKey, Buffer.from(token).toString('base64').slice(4, -4)]) {
        assert.ok(!out.includes(trace), `${out} still holds ${trace}`);
      }
      assert.match(out, /REDACTED/);
    });
  }

  test('leaves what is not a credential alone: other headers, and text around the token', () => {
    assert.equal(redact('project my-project, location us-central1'), 'project my-project, location us-central1');
    assert.equal(redact(`before ${token} after`), 'before [REDACTED] after');
  });

  test('cuts a token used as a key, in error details, at any depth, and cuts what is nested past the limit', () => {
    let deep: unknown = { note: 'deepest' };
    for (let level = 0; level < MAX_DEPTH + 8; level++) deep = { level, nested: deep };
    const details = [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', metadata: { [token]: 'as a key', [`Bearer ${token}`]: 'again', safe: 'kept' } },
      { '@type': 'x.Deep', deep },
      JSON.parse('{"@type": "x.Proto", "__proto__": {"polluted": true}}') as Record<string, unknown>,
    ];
    const out = redactStructure(details);
    const text = JSON.stringify(out);
    assert.ok(!text.includes(token), text);
    assert.ok(!text.includes('deepest'), 'the subtree past the limit is cut, not passed through');
    assert.match(text, /\[CUT: nested deeper than 32 levels\]/);
    assert.match(text, /"safe":"kept"/);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.deepEqual((out[2] as Record<string, unknown>)['__proto__'], { polluted: true }, 'a "__proto__" key stays a key');
  });

  test('escapes terminal and bidi controls in the strings and keys of details', () => {
    const out = redactStructure({ '\u001b]0;title\u0007': 'a\u001b[2Jb\u009b31m\u202ec' });
    assert.deepEqual(out, { '\\u001b]0;title\\u0007': 'a\\u001b[2Jb\\u009b31m\\u202ec' });
  });
});
