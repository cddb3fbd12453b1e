// Signing keys of one profile. The newest key of an algorithm is listed first, because
// oidc-provider signs with the first key that matches an algorithm; older keys stay published
// (for verification of tokens issued before a rotation) until drop-old-keys.
import { generateKeyPair, randomBytes, createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPair);
const kCacheMaxAgeMs = 24 * 3600 * 1000;

export const kAlgorithms = ['RS256', 'ES256', 'ES384', 'EdDSA'];

const kKeySpecs = {
  RS256: ['rsa', { modulusLength: 2048 }],
  ES256: ['ec', { namedCurve: 'P-256' }],
  ES384: ['ec', { namedCurve: 'P-384' }],
  EdDSA: ['ed25519', {}],
};

async function newKey(alg, profileName) {
  const spec = kKeySpecs[alg];
  if (!spec) throw new Error(`unsupported algorithm ${alg}`);
  const { privateKey } = await generate(spec[0], spec[1]);
  const jwk = privateKey.export({ format: 'jwk' });
  const kid = `${profileName}-${alg.toLowerCase()}-${randomBytes(6).toString('hex')}`;
  return { ...jwk, kid, alg, use: 'sig' };
}

export class KeyRing {
  constructor(profileName, keys) {
    this.profileName_ = profileName;
    this.keys_ = keys; // private JWKs, newest first within an algorithm
  }

  static async create(profileName) {
    const keys = await Promise.all(kAlgorithms.map((alg) => newKey(alg, profileName)));
    return new KeyRing(profileName, keys);
  }

  // Key rings for `names`, reused from `cacheFile` when it holds a complete set younger than a
  // day: RSA generation dominates start-up time on a loaded machine. Rotations are not cached.
  // The cache is shared by every IdP started from this checkout (they are test keys only).
  static async loadOrCreate(names, cacheFile) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, 'utf8'));
      const fresh = Date.now() - cached.created < kCacheMaxAgeMs;
      const complete = names.every((n) => kAlgorithms.every(
        (alg) => (cached.profiles[n] || []).some((k) => k.alg === alg),
      ));
      if (fresh && complete) return names.map((n) => new KeyRing(n, cached.profiles[n]));
    } catch (e) {
      // no usable cache: generate
    }
    const rings = await Promise.all(names.map((n) => KeyRing.create(n)));
    const profiles = Object.fromEntries(rings.map((r, i) => [names[i], r.privateJwks()]));
    // Atomic replace: several IdPs may start at once.
    mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ created: Date.now(), profiles }), { mode: 0o600 });
    renameSync(tmp, cacheFile);
    return rings;
  }

  // Private JWKs in oidc-provider's preferred order (the `jwks.keys` configuration).
  privateJwks() {
    return this.keys_.map((k) => ({ ...k }));
  }

  publicJwks() {
    return this.keys_.map((k) => {
      const { d, p, q, dp, dq, qi, ...pub } = k; // eslint-disable-line no-unused-vars
      return pub;
    });
  }

  current(alg) {
    return this.keys_.find((k) => k.alg === alg);
  }

  currentKeyObject(alg) {
    const jwk = this.current(alg);
    if (!jwk) return undefined;
    return { kid: jwk.kid, key: createPrivateKey({ key: jwk, format: 'jwk' }) };
  }

  async rotate(alg) {
    const key = await newKey(alg, this.profileName_);
    this.keys_.unshift(key);
    return key.kid;
  }

  // Keeps only the newest key of each algorithm; returns the kids removed.
  dropOld() {
    const seen = new Set();
    const kept = [];
    const dropped = [];
    for (const k of this.keys_) {
      if (seen.has(k.alg)) {
        dropped.push(k.kid);
      } else {
        seen.add(k.alg);
        kept.push(k);
      }
    }
    this.keys_ = kept;
    return dropped;
  }

  kids() {
    return this.keys_.map((k) => k.kid);
  }
}

export function randomSecret(bytes = 24) {
  return randomBytes(bytes).toString('base64url');
}
