// Compiles protos/ to one JSON bundle (protos/compiled.json) so that start-up never parses .proto text.
// The bundle holds the protobufjs root (google.longrunning, google.rpc, google.api, google.protobuf), the
// google.longrunning.Operations service with only the messages its methods reach (what the gRPC client and the
// emulator's server are loaded from, through google-gax), and the service profiles (google.api.http rules per API
// version) read from protos/profiles/*.yaml.
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

/**
 * The Operations service and the messages its requests and responses reach, options left out. google-gax loads the
 * service through proto-loader, which builds descriptors for every type it is given: the whole root (descriptor.proto,
 * the google.api annotations) took about 34 ms of every CLI start, this part about 3 ms. The wire is the same; the
 * http rules the options held come from the profiles below.
 */
function serviceBundle(serviceName) {
  const service = root.lookupService(serviceName);
  const reached = new Set();
  const visit = type => {
    if (!(type instanceof protobuf.Type) || reached.has(type)) return;
    reached.add(type);
    for (const field of type.fieldsArray) visit(field.resolvedType);
  };
  for (const method of service.methodsArray) {
    visit(method.resolvedRequestType);
    visit(method.resolvedResponseType);
  }
  const bundle = {};
  const put = (fullName, json) => {
    const path = fullName.replace(/^\./, '').split('.');
    let namespace = bundle;
    for (const part of path.slice(0, -1)) {
      namespace.nested ??= {};
      namespace.nested[part] ??= {};
      namespace = namespace.nested[part];
    }
    namespace.nested ??= {};
    namespace.nested[path.at(-1)] = json;
  };
  for (const type of reached) {
    const json = type.toJSON();
    delete json.options;
    for (const field of Object.values(json.fields ?? {})) delete field.options;
    put(type.fullName, json);
  }
  const json = service.toJSON();
  delete json.options;
  for (const method of Object.values(json.methods)) {
    delete method.options;
    delete method.parsedOptions;
  }
  put(service.fullName, json);
  return bundle;
}

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
writeFileSync(`${out}.tmp`, JSON.stringify({ root: root.toJSON(), operationsService: serviceBundle('google.longrunning.Operations'), profiles }));
renameSync(`${out}.tmp`, out);
console.log(`compiled ${entryFiles.length} proto entry files and ${Object.keys(profiles).length} profile(s) to protos/compiled.json`);
