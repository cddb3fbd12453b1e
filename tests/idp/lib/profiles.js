// The IdP profiles served by one process. Each reproduces the observable shape of a real server:
// paths, signing algorithms, claim layout, supported grants.

const kOidcRoutes = {
  authorization: '/auth',
  code_verification: '/device',
  device_authorization: '/device/auth',
  end_session: '/session/end',
  introspection: '/token/introspection',
  jwks: '/jwks',
  revocation: '/token/revocation',
  token: '/token',
  userinfo: '/me',
};

const kKeycloakRoutes = {
  authorization: '/protocol/openid-connect/auth',
  code_verification: '/device',
  device_authorization: '/protocol/openid-connect/auth/device',
  end_session: '/protocol/openid-connect/logout',
  introspection: '/protocol/openid-connect/token/introspect',
  jwks: '/protocol/openid-connect/certs',
  revocation: '/protocol/openid-connect/revoke',
  token: '/protocol/openid-connect/token',
  userinfo: '/protocol/openid-connect/userinfo',
};

// Resource indicators that turn the access token into a JWT signed with a given algorithm.
const kUserScopes = 'openid profile email offline_access roles';
export const kTestResources = {
  'urn:oidc-sysauth:rs256': { alg: 'RS256', scope: kUserScopes },
  'urn:oidc-sysauth:es256': { alg: 'ES256', scope: kUserScopes },
  'urn:oidc-sysauth:es384': { alg: 'ES384', scope: kUserScopes },
  'urn:oidc-sysauth:eddsa': { alg: 'EdDSA', scope: kUserScopes },
};

export const kLogtoManagementResource = 'https://default.logto.app/api';

export const kProfiles = {
  default: {
    name: 'default',
    mount: '/default',
    shape: 'default',
    subjectKey: 'sub',
    idTokenAlg: 'RS256',
    passwordGrant: true,
    routes: kOidcRoutes,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: {
      openid: ['sub', 'groups', 'uid'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    resources: kTestResources,
    userClaimsInAccessToken: true,
  },
  keycloak: {
    name: 'keycloak',
    mount: '/keycloak/realms/corp',
    shape: 'keycloak',
    subjectKey: 'sub',
    idTokenAlg: 'RS256',
    passwordGrant: true,
    routes: kKeycloakRoutes,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: {
      openid: ['sub', 'realm_access', 'uid'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    resources: kTestResources,
    userClaimsInAccessToken: true,
  },
  logto: {
    name: 'logto',
    mount: '/logto/oidc',
    shape: 'logto',
    subjectKey: 'logto_id',
    idTokenAlg: 'ES384',
    passwordGrant: false,
    routes: kOidcRoutes,
    scopes: ['openid', 'profile', 'email', 'offline_access', 'roles'],
    claims: {
      openid: ['sub', 'uid'],
      profile: ['name', 'username'],
      email: ['email', 'email_verified'],
      roles: ['roles'],
    },
    resources: {
      ...kTestResources,
      [kLogtoManagementResource]: { alg: 'ES384', scope: 'all' },
    },
    // Logto's access tokens carry scope, client_id and aud only.
    userClaimsInAccessToken: false,
  },
};

// Which endpoint a path under a profile's mount point is (fault injection and stats names).
export function endpointKind(profile, subPath) {
  if (subPath === '/.well-known/openid-configuration') return 'discovery';
  const r = profile.routes;
  switch (subPath) {
    case r.jwks: return 'jwks';
    case r.token: return 'token';
    case r.introspection: return 'introspection';
    case r.userinfo: return 'userinfo';
    case r.device_authorization: return 'device';
    case r.revocation: return 'revocation';
    default: return 'other';
  }
}
