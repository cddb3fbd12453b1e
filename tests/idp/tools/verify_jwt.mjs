// Verifies a compact JWS against a JWKS document (file), for the IdP self-test.
// Usage: node verify_jwt.mjs JWKS_FILE TOKEN  → prints "ok <alg> <kid>" or "fail <reason>", exit 0/1.
import { readFileSync } from 'node:fs';
import { compactVerify, createLocalJWKSet } from 'jose';

const [jwksFile, token] = process.argv.slice(2);
try {
  const jwks = createLocalJWKSet(JSON.parse(readFileSync(jwksFile, 'utf8')));
  const { protectedHeader } = await compactVerify(token, jwks, { crit: { x: false } });
  console.log(`ok ${protectedHeader.alg} ${protectedHeader.kid}`);
} catch (e) {
  console.log(`fail ${e.code || e.message} ${e.message}`);
  process.exit(1);
}
