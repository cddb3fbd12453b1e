// The test identity provider: one process serving every profile over https (plus plain http,
// a wrong-name certificate and an untrusted CA), a Logto Management API and a loopback
// test-control API. Usage: node server.js --dir DIR [--max-lifetime SECONDS]
// Writes DIR/env (see CONTRACT.md) once every listener accepts connections.
import http from 'node:http';
import https from 'node:https';
import { writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { adminHandler } from './lib/admin.js';
import { Store } from './lib/adapter.js';
import { makeTlsMaterial } from './lib/certs.js';
import { Faults, Stats, applyFault } from './lib/faults.js';
import { KeyRing, randomSecret } from './lib/keys.js';
import { LogtoManagementApi } from './lib/logto_api.js';
import { kProfiles, endpointKind, kLogtoManagementResource } from './lib/profiles.js';
import { buildProvider } from './lib/provider.js';
import { Directory } from './lib/users.js';

const here = dirname(fileURLToPath(import.meta.url));
const kClientId = 'linux-hosts';
const kPublicClientId = 'linux-public';
const kM2mClientId = 'm2m-oidc-sysauth';
const kDeviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';
// Which listeners serve which profile (the default profile is reachable everywhere).
const kListenersOf = {
  default: ['main', 'http', 'badname', 'untrusted'],
  keycloak: ['main'],
  logto: ['main'],
};

function log(msg) {
  process.stderr.write(`${new Date().toISOString()} idp: ${msg}\n`);
}

function clientsFor(def, secrets) {
  const grants = [...(def.passwordGrant ? ['password'] : []), 'refresh_token', kDeviceGrant];
  const clients = [
    {
      client_id: kClientId,
      client_secret: secrets.client,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: grants,
    },
    { client_id: kPublicClientId, token_endpoint_auth_method: 'none', grant_types: grants },
  ];
  if (def.name === 'logto') {
    clients.push({
      client_id: kM2mClientId,
      client_secret: secrets.m2m,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
    });
  }
  return clients;
}

function makeState(dir) {
  const state = {
    dir,
    directory: new Directory(join(here, 'users.json')),
    faults: new Faults(),
    stats: new Stats(),
    secrets: { client: randomSecret(), m2m: randomSecret() },
    profiles: {},
    listeners: {},
    lastDevice: undefined,
    deviceProfileByCode: new Map(),
    deviceInterval: 1,
    extraHeaders: [], // [{ path, profile, headers }] added to responses (e.g. Cache-Control on jwks)
  };
  state.rebuild = (p) => {
    for (const listener of kListenersOf[p.def.name]) {
      const base = state.listeners[listener].origin;
      const issuer = `${base}${p.def.mount}`;
      const provider = buildProvider({
        profile: p.def,
        issuer,
        keys: p.keys,
        store: p.store,
        directory: state.directory,
        clients: clientsFor(p.def, state.secrets),
        deviceInterval: () => state.deviceInterval,
      });
      provider.on('device_authorization.success', (ctx, body) => {
        state.lastDevice = { profile: p.def.name, user_code: body.user_code };
        state.deviceProfileByCode.set(body.user_code, p.def.name);
      });
      provider.on('server_error', (ctx, err) => log(`${p.def.name}: server_error ${err.stack}`));
      p.instances[listener] = { issuer, provider, callback: provider.callback() };
    }
  };
  return state;
}

// Routes one request of a public listener to a profile's provider or the Logto API.
async function route(state, listener, req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const path = url.pathname;
  let target;
  let subPath;
  if (listener === 'main' && path.startsWith('/logto/api/')) {
    target = 'logto-api';
    subPath = path.slice('/logto'.length);
  } else {
    for (const p of Object.values(state.profiles)) {
      if (p.instances[listener] && (path === p.def.mount || path.startsWith(`${p.def.mount}/`))) {
        target = p;
        subPath = path.slice(p.def.mount.length) || '/';
        break;
      }
    }
  }
  if (!target) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not_found"}');
    return;
  }
  const profileName = target === 'logto-api' ? 'logto' : target.def.name;
  const kind = target === 'logto-api' ? 'management' : endpointKind(target.def, subPath);
  state.stats.hit(`${profileName} ${kind}`);
  for (const rule of state.extraHeaders) {
    if ((rule.path === '*' || rule.path === kind) && (!rule.profile || rule.profile === profileName)) {
      for (const [k, v] of Object.entries(rule.headers)) res.setHeader(k, v);
    }
  }
  const fault = state.faults.take(profileName, kind);
  if (fault && await applyFault(fault, req, res, state.listeners.http.origin)) return;
  if (target === 'logto-api') {
    await state.logto.handle(req, res, subPath, url.searchParams);
    return;
  }
  req.originalUrl = req.url;
  req.url = `${subPath}${url.search}`;
  target.instances[listener].callback(req, res);
}

function listen(server) {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen(server.address().port));
  });
}

async function startListeners(state, tls) {
  const handler = (name) => (req, res) => {
    route(state, name, req, res).catch((e) => {
      log(`${name}: ${e.stack}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"server_error"}');
    });
  };
  const servers = {
    main: https.createServer({ key: tls.main.key, cert: tls.main.cert }, handler('main')),
    http: http.createServer(handler('http')),
    badname: https.createServer({ key: tls.badName.key, cert: tls.badName.cert }, handler('badname')),
    untrusted: https.createServer({ key: tls.untrusted.key, cert: tls.untrusted.cert }, handler('untrusted')),
  };
  for (const [name, server] of Object.entries(servers)) {
    const port = await listen(server);
    const scheme = name === 'http' ? 'http' : 'https';
    state.listeners[name] = { server, port, origin: `${scheme}://127.0.0.1:${port}` };
  }
  // Mutating calls to the admin API are a test's business only: loopback, never https-exposed.
  const admin = http.createServer(adminHandler(state));
  const port = await listen(admin);
  state.listeners.admin = { server: admin, port, origin: `http://127.0.0.1:${port}` };
}

function writeEnv(state, tls) {
  const d = state.dir;
  const secretFile = join(d, 'client-secret');
  const m2mFile = join(d, 'logto-m2m-secret');
  writeFileSync(secretFile, state.secrets.client, { mode: 0o600 });
  writeFileSync(m2mFile, state.secrets.m2m, { mode: 0o600 });
  const issuer = (profile, listener = 'main') => state.profiles[profile].instances[listener].issuer;
  const env = {
    IDP_DIR: d,
    IDP_ISSUER: issuer('default'),
    IDP_KEYCLOAK_ISSUER: issuer('keycloak'),
    IDP_LOGTO_ISSUER: issuer('logto'),
    IDP_LOGTO_ENDPOINT: `${state.listeners.main.origin}/logto`,
    IDP_LOGTO_M2M_RESOURCE: kLogtoManagementResource,
    IDP_HTTP_ISSUER: issuer('default', 'http'),
    IDP_CA: tls.caFile,
    IDP_BADNAME_ISSUER: issuer('default', 'badname'),
    IDP_UNTRUSTED_ISSUER: issuer('default', 'untrusted'),
    IDP_ADMIN: state.listeners.admin.origin,
    IDP_CLIENT_ID: kClientId,
    IDP_CLIENT_SECRET: state.secrets.client,
    IDP_CLIENT_SECRET_FILE: secretFile,
    IDP_PUBLIC_CLIENT_ID: kPublicClientId,
    IDP_LOGTO_M2M_CLIENT_ID: kM2mClientId,
    IDP_LOGTO_M2M_SECRET_FILE: m2mFile,
    IDP_LOG: join(d, 'idp.log'),
    IDP_PID: String(process.pid),
  };
  const lines = Object.entries(env).map(([k, v]) => {
    // Values are written unquoted, so both `source` and the C++ reader take them verbatim.
    if (!/^[A-Za-z0-9_./:@+=-]*$/.test(v)) throw new Error(`env value of ${k} needs quoting: ${v}`);
    return `${k}=${v}`;
  });
  const tmp = join(d, 'env.tmp');
  writeFileSync(tmp, `${lines.join('\n')}\n`, { mode: 0o600 });
  renameSync(tmp, join(d, 'env'));
}

async function main() {
  const { values } = parseArgs({
    options: { dir: { type: 'string' }, 'max-lifetime': { type: 'string', default: '7200' } },
  });
  if (!values.dir) throw new Error('--dir is required');
  const dir = resolve(values.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const started = Date.now();

  const state = makeState(dir);
  const names = Object.keys(kProfiles);
  const [keyRings, tls] = await Promise.all([
    KeyRing.loadOrCreate(names, join(here, 'node_modules', '.cache', 'oidc-sysauth-idp', 'signing-keys.json')),
    makeTlsMaterial(dir),
  ]);
  names.forEach((name, i) => {
    state.profiles[name] = { def: kProfiles[name], keys: keyRings[i], store: new Store(), instances: {} };
  });
  await startListeners(state, tls);
  for (const p of Object.values(state.profiles)) state.rebuild(p);
  state.logto = new LogtoManagementApi({
    directory: state.directory,
    keyRing: state.profiles.logto.keys,
    issuer: state.profiles.logto.instances.main.issuer,
  });
  writeEnv(state, tls);
  log(`ready in ${Date.now() - started} ms: ${state.listeners.main.origin} (pid ${process.pid})`);

  // A leaked server (a test harness killed before its cleanup) must not live forever.
  setTimeout(() => {
    log('max lifetime reached, exiting');
    process.exit(0);
  }, Number(values['max-lifetime']) * 1000).unref();
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: exiting`);
    process.exit(0);
  });
}

// A test server that dies mid-run turns one bug into dozens of confusing failures elsewhere:
// log loudly (the self-test and idp.log show it) and keep serving.
process.on('unhandledRejection', (e) => log(`unhandled rejection: ${e?.stack ?? e}`));
process.on('uncaughtException', (e) => log(`uncaught exception: ${e?.stack ?? e}`));

main().catch((e) => {
  log(`startup failed: ${e.stack}`);
  process.exit(1);
});
