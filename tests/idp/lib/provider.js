// Builds one oidc-provider instance for a profile and an issuer URL. Several instances of one
// profile (one per listener, rebuilt on key rotation) share the profile's Store and KeyRing.
import { randomBytes } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

import { userClaims } from './users.js';

const kTtl = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  ClientCredentials: 3600,
  DeviceCode: 600,
  Grant: 86400,
  IdToken: 3600,
  Interaction: 600,
  RefreshToken: 86400,
  Session: 86400,
};

const kSigningAlgs = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const kCookieKeys = [randomBytes(32).toString('base64url')];

function resourceServerInfo(profile, resource) {
  const r = profile.resources[resource];
  if (!r) throw new errors.InvalidTarget('unknown resource indicator');
  return {
    scope: r.scope,
    audience: resource,
    accessTokenFormat: 'jwt',
    accessTokenTTL: kTtl.AccessToken,
    jwt: { sign: { alg: r.alg } },
  };
}

// RFC 6749 section 4.3. oidc-provider does not ship it; Keycloak-style `totp` carries the OTP.
function passwordGrantHandler(profile, directory) {
  return async function passwordGrant(ctx, next) {
    const { params, client, provider } = ctx.oidc;
    if (!params.username || !params.password) {
      throw new errors.InvalidRequest('username and password are required');
    }
    const result = directory.authenticate(params.username, params.password, params.totp);
    if (result.error === 'interaction_required') {
      throw new errors.CustomOIDCProviderError('interaction_required', result.description);
    }
    if (result.error) throw new errors.InvalidGrant(result.description);

    const accountId = result.user[profile.subjectKey];
    const requested = (params.scope || 'openid').split(' ').filter(Boolean);
    const oidcScope = requested.filter((s) => profile.scopes.includes(s));
    let resourceServer;
    if (params.resource !== undefined) {
      if (Array.isArray(params.resource)) {
        throw new errors.InvalidTarget('only one resource indicator is supported');
      }
      resourceServer = new provider.ResourceServer(
        params.resource,
        resourceServerInfo(profile, params.resource),
      );
    }

    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope(oidcScope.join(' '));
    if (resourceServer) {
      grant.addResourceScope(params.resource, requested.filter((s) => resourceServer.scopes.has(s)));
    }
    const grantId = await grant.save();
    ctx.oidc.entity('Grant', grant);
    const account = await provider.Account.findAccount(ctx, accountId);
    ctx.oidc.entity('Account', account);
    const authTime = Math.floor(Date.now() / 1000);

    const at = new provider.AccessToken({ accountId, client, grantId, gty: 'password' });
    if (resourceServer) {
      at.resourceServer = resourceServer;
      at.scope = grant.getResourceScopeFiltered(params.resource, requested);
    } else {
      at.scope = grant.getOIDCScopeFiltered(oidcScope);
    }
    ctx.oidc.entity('AccessToken', at);
    const accessToken = await at.save();

    let refreshToken;
    if (client.grantTypeAllowed('refresh_token')) {
      const rt = new provider.RefreshToken({
        accountId,
        authTime,
        client,
        grantId,
        gty: 'password',
        resource: params.resource,
        rotations: 0,
        scope: requested.join(' '),
      });
      ctx.oidc.entity('RefreshToken', rt);
      refreshToken = await rt.save();
    }

    let idToken;
    if (oidcScope.includes('openid')) {
      const claims = await account.claims('id_token', oidcScope.join(' '), {}, []);
      const token = new provider.IdToken({ ...claims, auth_time: authTime }, { ctx });
      token.scope = oidcScope.join(' ');
      token.set('at_hash', accessToken);
      idToken = await token.issue({ use: 'idtoken' });
    }

    ctx.body = {
      access_token: accessToken,
      expires_in: at.expiration,
      id_token: idToken,
      refresh_token: refreshToken,
      scope: at.scope || undefined,
      token_type: at.tokenType,
    };
    await next();
  };
}

// The browser pages of the device flow are not used (tests approve through the admin API),
// but they must not print oidc-provider's "change me" warnings either.
async function plainPage(ctx) {
  ctx.type = 'text/plain';
  ctx.body = 'Approve this code through the test IdP admin API.\n';
}

export function buildProvider({ profile, issuer, keys, store, directory, clients, deviceInterval }) {
  const findAccount = async (ctx, id) => {
    const user = directory.bySubject(profile.subjectKey, id);
    if (!user || user.disabled) return undefined;
    return { accountId: id, claims: async () => userClaims(profile.shape, user) };
  };

  const extraTokenClaims = async (ctx, token) => {
    if (!profile.userClaimsInAccessToken || !token.accountId) return undefined;
    const user = directory.bySubject(profile.subjectKey, token.accountId);
    if (!user) return undefined;
    const { sub, ...rest } = userClaims(profile.shape, user); // eslint-disable-line no-unused-vars
    return rest;
  };

  const provider = new Provider(issuer, {
    adapter: store.adapterClass(),
    clients,
    jwks: { keys: keys.privateJwks() },
    findAccount,
    claims: profile.claims,
    scopes: profile.scopes,
    conformIdTokenClaims: false,
    routes: profile.routes,
    cookies: { keys: kCookieKeys },
    ttl: kTtl,
    extraTokenClaims,
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    clientDefaults: {
      grant_types: [],
      response_types: [],
      id_token_signed_response_alg: profile.idTokenAlg,
    },
    enabledJWA: {
      idTokenSigningAlgValues: kSigningAlgs,
      userinfoSigningAlgValues: kSigningAlgs,
      introspectionSigningAlgValues: kSigningAlgs,
    },
    features: {
      devInteractions: { enabled: false },
      introspection: {
        enabled: true,
        // Confidential clients may introspect any token; public ones only their own.
        allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none'
          || token.clientId === client.clientId,
      },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        userCodeInputSource: plainPage,
        userCodeConfirmSource: plainPage,
        successSource: plainPage,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resource) => resourceServerInfo(profile, resource),
      },
    },
  });

  if (profile.passwordGrant) {
    provider.registerGrantType(
      'password',
      passwordGrantHandler(profile, directory),
      ['username', 'password', 'scope', 'resource', 'totp'],
      ['resource'],
    );
  }

  // RFC 8628's default poll interval is 5 s; a short explicit one keeps device tests quick.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'device_authorization' && ctx.status === 200 && ctx.body) {
      ctx.body.interval = deviceInterval();
    }
  });

  return provider;
}

function normalizeUserCode(input) {
  return String(input).toUpperCase().replace(/\W/g, '');
}

// Completes the browser step of the device flow for `user` (approve) or refuses it (deny).
export async function decideDeviceCode(provider, profile, userCode, user, approve) {
  const code = await provider.DeviceCode.findByUserCode(normalizeUserCode(userCode));
  if (!code) return { status: 404, error: 'user_code not found' };
  if (code.accountId || code.error) return { status: 409, error: 'user_code already decided' };
  if (!approve) {
    code.error = 'access_denied';
    code.errorDescription = 'End-User aborted interaction';
    await code.save();
    return { status: 200 };
  }
  const accountId = user[profile.subjectKey];
  const requested = (code.params.scope || 'openid').split(' ').filter(Boolean);
  const oidcScope = requested.filter((s) => profile.scopes.includes(s));
  const grant = new provider.Grant({ accountId, clientId: code.clientId });
  grant.addOIDCScope(oidcScope.join(' '));
  const resource = code.params.resource;
  if (typeof resource === 'string' && profile.resources[resource]) {
    const allowed = new Set(profile.resources[resource].scope.split(' '));
    grant.addResourceScope(resource, requested.filter((s) => allowed.has(s)));
    code.resource = resource;
  }
  Object.assign(code, {
    accountId,
    authTime: Math.floor(Date.now() / 1000),
    grantId: await grant.save(),
    scope: requested.join(' '),
  });
  await code.save();
  return { status: 200 };
}

// Makes a pending device code expire now (for expired_token tests).
export async function expireDeviceCode(provider, userCode) {
  const code = await provider.DeviceCode.findByUserCode(normalizeUserCode(userCode));
  if (!code) return { status: 404, error: 'user_code not found' };
  code.exp = Math.floor(Date.now() / 1000) - 1;
  await code.save();
  return { status: 200 };
}
