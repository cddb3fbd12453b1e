// The slice of Logto's Management API that a password check needs, following Logto's public
// API documentation: user search (GET /api/users with search/mode/joint/isCaseSensitive),
// GET /api/users/{userId}, POST /api/users/{userId}/password/verify (204 / 422) and
// GET /api/users/{userId}/roles. Every call needs a machine-to-machine access token for the
// management API resource with scope `all`.
import { createLocalJWKSet, jwtVerify } from 'jose';

import { kLogtoManagementResource } from './profiles.js';
import { secretEquals } from './users.js';

const kSearchFields = ['id', 'primaryEmail', 'primaryPhone', 'username', 'name'];
const kModes = new Set(['exact', 'like', 'similar_to', 'posix']);
const kMaxBody = 64 * 1024;

function send(res, status, body, headers = {}) {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function logtoError(res, status, code, message) {
  send(res, status, { message, code });
}

export function readBody(req, limit = kMaxBody) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function userEntity(user) {
  return {
    id: user.logto_id,
    username: user.username,
    primaryEmail: user.email ?? null,
    primaryPhone: null,
    name: user.name ?? null,
    avatar: null,
    customData: user.uid !== undefined ? { uid: user.uid } : {},
    identities: {},
    lastSignInAt: null,
    createdAt: 1700000000000,
    updatedAt: 1700000000000,
    profile: {},
    applicationId: null,
    isSuspended: user.disabled === true,
    hasPassword: true,
    ssoIdentities: [],
  };
}

function roleEntity(name) {
  return {
    tenantId: 'default',
    id: `role-${name}`,
    name,
    description: `${name} role`,
    type: 'User',
    isDefault: false,
  };
}

// SQL LIKE (% and _, backslash escapes) and SIMILAR TO as anchored regular expressions.
function sqlPatternToRegex(pattern, similar) {
  let out = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      i += 1;
      out += pattern[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (c === '%') {
      out += '.*';
    } else if (c === '_') {
      out += '.';
    } else if (similar && '|*+?(){}[]'.includes(c)) {
      out += c;
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return `^${out}$`;
}

function matcher(mode, values, caseSensitive) {
  if (mode === 'exact') return (v) => v !== null && values.includes(v);
  const flags = caseSensitive ? 'su' : 'isu';
  const source = mode === 'posix' ? values[0] : sqlPatternToRegex(values[0], mode === 'similar_to');
  const re = new RegExp(source, flags);
  return (v) => v !== null && re.test(v);
}

// Returns { users } or { error } for a GET /api/users query string.
export function searchUsers(all, query) {
  const caseSensitive = query.get('isCaseSensitive') === 'true';
  const joint = query.get('joint') || query.get('jointMode') || 'or';
  if (!['or', 'and'].includes(joint)) return { error: 'invalid joint mode' };
  const defaultMode = query.get('mode') || 'like';
  const conditions = [];
  for (const key of new Set(query.keys())) {
    if (key !== 'search' && !key.startsWith('search.')) continue;
    const field = key === 'search' ? undefined : key.slice('search.'.length);
    if (field !== undefined && !kSearchFields.includes(field)) return { error: `unsupported field ${field}` };
    const mode = (field && query.get(`mode.${field}`)) || defaultMode;
    if (!kModes.has(mode)) return { error: `invalid mode ${mode}` };
    const values = query.getAll(key);
    if (mode !== 'exact' && values.length > 1) return { error: 'only exact mode accepts several values' };
    let match;
    try {
      match = matcher(mode, values, caseSensitive);
    } catch (e) {
      return { error: 'invalid pattern' };
    }
    const fields = field ? [field] : kSearchFields;
    conditions.push((u) => fields.some((f) => match(u[f])));
  }
  const entities = all.map(userEntity);
  const users = conditions.length === 0 ? entities : entities.filter((u) => (joint === 'and'
    ? conditions.every((c) => c(u)) : conditions.some((c) => c(u))));
  return { users };
}

export class LogtoManagementApi {
  // keyRing/issuer: the Logto profile's signing keys and issuer (tokens are checked like Logto does).
  constructor({ directory, keyRing, issuer }) {
    this.directory_ = directory;
    this.keyRing_ = keyRing;
    this.issuer_ = issuer;
  }

  async authorized(req, res) {
    const header = req.headers.authorization || '';
    const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
    if (!m) {
      logtoError(res, 401, 'auth.authorization_header_missing', 'Authorization header is missing.');
      return false;
    }
    let payload;
    try {
      const jwks = createLocalJWKSet({ keys: this.keyRing_.publicJwks() });
      ({ payload } = await jwtVerify(m[1], jwks, {
        issuer: this.issuer_,
        audience: kLogtoManagementResource,
        algorithms: ['ES384', 'RS256', 'ES256', 'EdDSA'],
      }));
    } catch (e) {
      logtoError(res, 401, 'auth.unauthorized', 'Unauthorized. Please check credentials and its scope.');
      return false;
    }
    if (!String(payload.scope || '').split(' ').includes('all')) {
      logtoError(res, 403, 'auth.forbidden', 'Forbidden. Please check your user roles and permissions.');
      return false;
    }
    return true;
  }

  // `subPath` is the path below /logto (it starts with /api/).
  async handle(req, res, subPath, query) {
    if (!(await this.authorized(req, res))) return;
    const parts = subPath.split('/').filter(Boolean).map(decodeURIComponent); // api, users, ...
    if (parts[0] !== 'api' || parts[1] !== 'users') {
      logtoError(res, 404, 'guard.invalid_input', 'Not found.');
      return;
    }
    if (parts.length === 2 && req.method === 'GET') {
      this.list(res, query);
      return;
    }
    const user = this.directory_.bySubject('logto_id', parts[2]);
    if (!user) {
      logtoError(res, 404, 'entity.not_exists_with_id', `The user with ID \`${parts[2]}\` does not exist.`);
      return;
    }
    const rest = parts.slice(3).join('/');
    if (rest === '' && req.method === 'GET') {
      send(res, 200, userEntity(user));
    } else if (rest === 'roles' && req.method === 'GET') {
      send(res, 200, user.groups.map(roleEntity), { 'total-number': String(user.groups.length) });
    } else if (rest === 'password/verify' && req.method === 'POST') {
      await this.verify(req, res, user);
    } else {
      logtoError(res, 404, 'guard.invalid_input', 'Not found.');
    }
  }

  list(res, query) {
    const { users, error } = searchUsers(this.directory_.all(), query);
    if (error) {
      logtoError(res, 400, 'guard.invalid_input', `The request input is invalid. ${error}`);
      return;
    }
    const page = Math.max(1, Number.parseInt(query.get('page') || '1', 10) || 1);
    const size = Math.min(100, Math.max(1, Number.parseInt(query.get('page_size') || '20', 10) || 20));
    send(res, 200, users.slice((page - 1) * size, page * size), { 'total-number': String(users.length) });
  }

  async verify(req, res, user) {
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch (e) {
      logtoError(res, 400, 'guard.invalid_input', 'The request input is invalid.');
      return;
    }
    if (!body || typeof body.password !== 'string' || body.password.length < 1) {
      logtoError(res, 400, 'guard.invalid_input', 'The request input is invalid.');
      return;
    }
    if (!secretEquals(body.password, user.password)) {
      logtoError(res, 422, 'session.invalid_credentials', 'Wrong account or password.');
      return;
    }
    send(res, 204);
  }
}
