// Compiles protos/ to one JSON bundle (protos/compiled.json) so that start-up never parses .proto text.
// The bundle holds the protobufjs root (google.longrunning, google.rpc, google.api, google.protobuf) and the
// service profiles (google.api.http rules per API version) read from protos/profiles/*.yaml.
import { readFileSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { load as loadYaml } from 'js-yaml';

const protosDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'protos');
const entryFiles = ['google/longrunning/operations.proto', 'google/rpc/error_details.proto', 'google/rpc/code.proto'];

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(protosDir, target);
root.loadSync(entryFiles, { keepCase: false });
root.resolveAll();

const verbs = ['get', 'put', 'post', 'delete', 'patch'];
const profiles = {};
for (const file of readdirSync(join(protosDir, 'profiles')).filter(f => f.endsWith('.yaml')).sort()) {
  const where = `protos/profiles/${file}`;
  const doc = loadYaml(readFileSync(join(protosDir, 'profiles', file), 'utf8'));
  if (!doc || typeof doc.name !== 'string' || typeof doc.version !== 'string') {
    throw new Error(`${where}: expected top-level "name" (host) and "version"`);
  }
  const rules = [];
  for (const [i, rule] of (doc.http?.rules ?? []).entries()) {
    const method = root.lookup(rule.selector);
    if (!(method instanceof protobuf.Method)) {
      throw new Error(`${where}: http.rules[${i}].selector "${rule.selector}" is not an RPC method in the loaded protos`);
    }
    const present = verbs.filter(v => typeof rule[v] === 'string');
    if (present.length !== 1) {
      throw new Error(`${where}: http.rules[${i}] must have exactly one of ${verbs.join('|')}, got ${present.length}`);
    }
    const verb = present[0];
    rules.push({ selector: rule.selector, method: verb.toUpperCase(), path: rule[verb], ...(rule.body !== undefined ? { body: rule.body } : {}) });
  }
  const key = `${doc.name}/${doc.version}`;
  profiles[key] = { host: doc.name, version: doc.version, rules };
}

const out = join(protosDir, 'compiled.json');
writeFileSync(`${out}.tmp`, JSON.stringify({ root: root.toJSON(), profiles }));
renameSync(`${out}.tmp`, out);
console.log(`compiled ${entryFiles.length} proto entry files and ${Object.keys(profiles).length} profile(s) to protos/compiled.json`);
