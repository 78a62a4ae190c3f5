import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jsonLines, runCli } from './helpers/cli.js';

/**
 * What the CLI prints of what a server sent. A hostile server on loopback answers with terminal escape sequences
 * (clear the screen and print a fake green success line, set the window title, write the clipboard with OSC 52),
 * 8-bit C1 controls and bidi overrides in its error messages, operation names and operation errors, and with an
 * operation nested 100,000 levels deep. Human output must hold none of those characters (they are shown as \uXXXX),
 * `--json` lines must stay valid JSON without them, and a deep answer is a clear error, not a stack overflow.
 */

const CLEAR_AND_LIE = '\u001b[2J\u001b[H\u001b[32mAll 1,000,000 operations cancelled successfully\u001b[0m';
const TITLE = '\u001b]0;pwned\u0007';
const CLIPBOARD = '\u001b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u0007';
const C1 = '\u009b31m';
const BIDI = '\u202egnp.exe\u202c';
const HOSTILE = `${CLEAR_AND_LIE}${TITLE}${CLIPBOARD}${C1}${BIDI}\nforged line`;
/** What a terminal would obey: C0 (tab and newline included), DEL, C1, and bidi controls. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const NAME = 'projects/p/locations/l/operations/op-1';
const DEEP_NAME = 'projects/p/locations/l/operations/deep';

describe('nothing a server sends can drive the terminal or crash the printing', () => {
  let server: Server;
  let endpoint = '';

  before(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '';
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST') {
        res.statusCode = 403;
        res.end(JSON.stringify({ error: { code: 403, status: 'PERMISSION_DENIED', message: HOSTILE, details: [{ '@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: HOSTILE }] } }));
      } else if (url.includes('/operations/deep')) {
        const depth = 100_000;
        res.end(`{"name":"${DEEP_NAME}","done":false,"metadata":{"@type":"type.googleapis.com/x.Deep","a":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
      } else if (url.includes('/operations/')) {
        res.end(JSON.stringify({ name: `${NAME}${HOSTILE}`, done: true, error: { code: 7, message: HOSTILE } }));
      } else {
        res.end(JSON.stringify({ operations: [{ name: `${NAME}${HOSTILE}`, done: false }, { name: NAME, done: true, error: { code: 1, message: HOSTILE } }] }));
      }
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  const connection = (): string[] => ['--rest-endpoint', endpoint, '--transport', 'rest', '--insecure', '--max-attempts', '1'];

  test('cancel, get and list print escapes for every control character a server sent, in human lines and on stderr', async () => {
    for (const args of [['cancel', NAME], ['get', NAME], ['list', 'projects/p/locations/l'], ['batch', '--input', '-', '--progress', 'log']]) {
      const run = await runCli([...args, ...connection()], { stdin: `${NAME}\n` });
      const out = `${run.stdout}${run.stderr}`;
      assert.ok(!CONTROL.test(out.replace(/\n/g, '')), `${args.join(' ')} printed a control character: ${JSON.stringify(out.slice(0, 600))}`);
      if (args[0] !== 'batch') assert.match(out, /\\u001b\[2J\\u001b\[H\\u001b\[32mAll 1,000,000 operations cancelled successfully/, `${args[0]} shows the escapes spelled out`);
      assert.ok(!/^forged line/m.test(out), `${args.join(' ')}: a newline in a message forged a line`);
    }
  });

  test('--json lines stay valid JSON and hold no C1 or bidi controls either', async () => {
    for (const args of [['cancel', NAME], ['get', NAME], ['list', 'projects/p/locations/l']]) {
      const run = await runCli([...args, '--json', ...connection()]);
      assert.ok(!CONTROL.test(run.stdout.replace(/\n/g, '')), `${args[0]} --json: ${JSON.stringify(run.stdout.slice(0, 400))}`);
      assert.ok(jsonLines(run.stdout).length > 0, `${args[0]} --json printed JSON lines`);
    }
  });

  test('an operation nested 100,000 levels deep is a clear INTERNAL error for get --json, not a stack overflow', async () => {
    const run = await runCli(['get', DEEP_NAME, '--json', ...connection()]);
    const out = `${run.stdout}${run.stderr}`;
    assert.equal(run.code, 1, out);
    assert.ok(!/Maximum call stack/.test(out), out);
    assert.match(out, /INTERNAL.*nests objects or arrays deeper than 100 levels/);
  });
});
