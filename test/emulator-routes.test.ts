import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOUDAICOMPANION_V1, profileFor } from '../src/protos.js';
import { compileRoutes, compileTemplate, decodeSegment, matchRoute } from '../src/emulator/routes.js';

describe('REST routes compiled from the cloudaicompanion v1 http rules', () => {
  const routes = compileRoutes(profileFor(CLOUDAICOMPANION_V1));
  const op = 'projects/p/locations/l/operations/o';

  test('every rule of the profile becomes a route, none written by hand', () => {
    assert.deepEqual(routes.map(r => `${r.httpMethod} ${r.rpc}`).sort(), [
      'DELETE DeleteOperation', 'GET GetOperation', 'GET ListOperations', 'POST CancelOperation',
    ]);
  });

  test('matches each method and binds the name from the path', () => {
    const expect = (method: string, path: string, rpc: string, name: string): void => {
      const match = matchRoute(routes, method, path);
      assert.equal(match.kind, 'route', `${method} ${path}`);
      if (match.kind === 'route') {
        assert.equal(match.route.rpc, rpc);
        assert.equal(match.fields['name'], name);
      }
    };
    expect('POST', `/v1/${op}:cancel`, 'CancelOperation', op);
    expect('GET', `/v1/${op}`, 'GetOperation', op);
    expect('DELETE', `/v1/${op}`, 'DeleteOperation', op);
    expect('GET', '/v1/projects/p/locations/l/operations', 'ListOperations', 'projects/p/locations/l');
  });

  test('a known path with another method is wrong-method with the allowed ones; anything else is none', () => {
    assert.deepEqual(matchRoute(routes, 'PUT', `/v1/${op}`), { kind: 'wrong-method', allowed: ['DELETE', 'GET'] });
    assert.deepEqual(matchRoute(routes, 'GET', `/v1/${op}:cancel`), { kind: 'wrong-method', allowed: ['POST'] });
    for (const path of [`/v1/${op}:explode`, `/v2/${op}`, `/v1/${op}/extra`, '/v1/projects//locations/l/operations/o', 'v1/x', '/']) {
      assert.equal(matchRoute(routes, 'GET', path).kind, 'none', path);
    }
  });

  test('decodes percent-escapes in bound segments except %2F, and refuses malformed ones', () => {
    assert.equal(decodeSegment('a%20b'), 'a b');
    assert.equal(decodeSegment('a%2Fb%2fc'), 'a%2Fb%2Fc');
    assert.throws(() => decodeSegment('a%zz'), /percent-encoding/);
    assert.throws(() => decodeSegment('a%'), /percent-encoding/);
  });

  test('compiles templates with verbs, nested variables and a trailing **', () => {
    assert.deepEqual(compileTemplate('/v1/{name=operations/**}'), {
      segments: [{ literal: 'v1' }, { literal: 'operations' }, { wildcard: '**' }], captures: [{ field: 'name', start: 1, end: 3 }], verb: undefined,
    });
    assert.equal(compileTemplate('/v1/{name}:wait').verb, 'wait');
    assert.throws(() => compileTemplate('v1/x'), /start with/);
    assert.throws(() => compileTemplate('/v1/**/x'), /last segment/);
  });
});
