// The test-control API (loopback http only). See CONTRACT.md for the endpoints.
import { sign } from 'node:crypto';

import { kAlgorithms } from './keys.js';
import { decideDeviceCode, expireDeviceCode } from './provider.js';
import { readBody } from './logto_api.js';
import { userClaims } from './users.js';

// Compact JWS by hand rather than through jose: tests need headers jose refuses to produce
// (unknown `crit`, odd `typ`), which is the point of minting them.
const kHashOf = { RS256: 'sha256', ES256: 'sha256', ES384: 'sha384', EdDSA: null };

function b64url(obj) {
  return Buffer.from(JSON.stringify(obj), 'utf8').toString('base64url');
}

function signCompact(header, payload, alg, key) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const options = alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key;
  const signature = sign(kHashOf[alg], Buffer.from(input, 'ascii'), options);
  return `${input}.${signature.toString('base64url')}`;
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

class BadRequest extends Error {}

function need(body, key, type = 'string') {
  if (typeof body[key] !== type) throw new BadRequest(`"${key}" (${type}) is required`);
  return body[key];
}

function profileOf(state, body) {
  const name = body.profile ?? 'default';
  const p = state.profiles[name];
  if (!p) throw new BadRequest(`unknown profile ${name}`);
  return p;
}

// POST /admin/token: a JWT signed by the profile's current key for `alg`; any claim can be
// overridden through `claims` (null removes it) and any header field through `header`.
async function mintToken(state, body) {
  const p = profileOf(state, body);
  const alg = body.alg ?? p.def.idTokenAlg;
  if (!kAlgorithms.includes(alg)) throw new BadRequest(`unsupported alg ${alg}`);
  const key = p.keys.currentKeyObject(alg);
  let base = {};
  if (body.user !== undefined) {
    const user = state.directory.byName(body.user);
    if (!user) throw new BadRequest(`unknown user ${body.user}`);
    base = userClaims(p.def.shape, user);
  }
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: p.instances.main.issuer,
    ...base,
    aud: body.aud ?? 'linux-hosts',
    iat: now,
    exp: now + (body.ttl ?? 300),
  };
  for (const [k, v] of Object.entries(body.claims ?? {})) {
    if (v === null) delete payload[k]; else payload[k] = v;
  }
  const header = { alg, kid: key.kid, typ: 'JWT' };
  for (const [k, v] of Object.entries(body.header ?? {})) {
    if (v === null) delete header[k]; else header[k] = v;
  }
  const token = signCompact(header, payload, alg, key.key);
  return { token, kid: key.kid };
}

async function deviceDecision(state, body, approve) {
  const userCode = need(body, 'user_code');
  const profileName = body.profile ?? state.deviceProfileByCode.get(userCode) ?? 'default';
  const p = profileOf(state, { profile: profileName });
  let user;
  if (approve) {
    user = state.directory.byName(need(body, 'user'));
    if (!user) throw new BadRequest(`unknown user ${body.user}`);
  }
  const out = await decideDeviceCode(p.instances.main.provider, p.def, userCode, user, approve);
  return [out.status, out.status === 200 ? { ok: true } : { error: out.error }];
}

async function dispatch(state, method, path, body) {
  const key = `${method} ${path}`;
  switch (key) {
    case 'GET /admin/health':
      return [200, { ok: true, pid: process.pid }];
    case 'POST /admin/token':
      return [200, await mintToken(state, body)];
    case 'POST /admin/rotate': {
      const p = profileOf(state, body);
      const alg = body.alg ?? p.def.idTokenAlg;
      if (!kAlgorithms.includes(alg)) throw new BadRequest(`unsupported alg ${alg}`);
      const kid = await p.keys.rotate(alg);
      state.rebuild(p);
      return [200, { kid, kids: p.keys.kids() }];
    }
    case 'POST /admin/drop-old-keys': {
      const p = profileOf(state, body);
      const dropped = p.keys.dropOld();
      state.rebuild(p);
      return [200, { dropped, kids: p.keys.kids() }];
    }
    case 'GET /admin/keys': {
      const p = profileOf(state, { profile: body.profile });
      return [200, { kids: p.keys.kids() }];
    }
    case 'POST /admin/fault':
      try {
        return [200, state.faults.add(body)];
      } catch (e) {
        throw new BadRequest(e.message);
      }
    case 'DELETE /admin/fault':
      state.faults.clear();
      return [200, { ok: true }];
    case 'GET /admin/fault':
      return [200, state.faults.list()];
    case 'POST /admin/headers': {
      const headers = need(body, 'headers', 'object');
      if (headers === null || !Object.values(headers).every((v) => typeof v === 'string')) {
        throw new BadRequest('"headers" must map names to strings');
      }
      state.extraHeaders.push({ path: body.path ?? '*', profile: body.profile, headers });
      return [200, { ok: true }];
    }
    case 'DELETE /admin/headers':
      state.extraHeaders = [];
      return [200, { ok: true }];
    case 'POST /admin/device/approve':
      return deviceDecision(state, body, true);
    case 'POST /admin/device/deny':
      return deviceDecision(state, body, false);
    case 'POST /admin/device/expire': {
      const userCode = need(body, 'user_code');
      const p = profileOf(state, { profile: body.profile ?? state.deviceProfileByCode.get(userCode) });
      const out = await expireDeviceCode(p.instances.main.provider, userCode);
      return [out.status, out.status === 200 ? { ok: true } : { error: out.error }];
    }
    case 'POST /admin/device/interval':
      state.deviceInterval = Number(need(body, 'interval', 'number'));
      return [200, { ok: true }];
    case 'GET /admin/device/last':
      if (!state.lastDevice) return [404, { error: 'no device authorization yet' }];
      return [200, state.lastDevice];
    case 'POST /admin/users/rename':
      if (!state.directory.rename(need(body, 'user'), need(body, 'new_name'))) {
        return [404, { error: 'unknown user' }];
      }
      return [200, { ok: true }];
    case 'POST /admin/users/groups':
      if (!Array.isArray(body.groups) || !body.groups.every((g) => typeof g === 'string')) {
        throw new BadRequest('"groups" must be an array of strings');
      }
      if (!state.directory.setGroups(need(body, 'user'), body.groups)) {
        return [404, { error: 'unknown user' }];
      }
      return [200, { ok: true }];
    case 'POST /admin/users/disable':
      if (!state.directory.setDisabled(need(body, 'user'), body.disabled !== false)) {
        return [404, { error: 'unknown user' }];
      }
      return [200, { ok: true }];
    case 'GET /admin/stats':
      return [200, state.stats.snapshot()];
    case 'POST /admin/stats/reset':
      state.stats.reset();
      return [200, { ok: true }];
    default:
      return [404, { error: `no such admin endpoint: ${key}` }];
  }
}

export function adminHandler(state) {
  return async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      const text = await readBody(req);
      let body = {};
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch (e) {
          throw new BadRequest('body is not JSON');
        }
        if (body === null || typeof body !== 'object') throw new BadRequest('body must be an object');
      }
      if (req.method === 'GET') {
        for (const [k, v] of url.searchParams) body[k] = v;
      }
      const [status, out] = await dispatch(state, req.method, url.pathname, body);
      send(res, status, out);
    } catch (e) {
      if (e instanceof BadRequest) {
        send(res, 400, { error: e.message });
      } else {
        process.stderr.write(`admin: ${e.stack}\n`);
        send(res, 500, { error: e.message });
      }
    }
  };
}
