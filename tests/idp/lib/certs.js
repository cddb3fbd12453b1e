// TLS material for the test IdP, made fresh at every start with the openssl CLI (node's crypto
// cannot issue X.509 certificates). Two CAs: the trusted one tests get as IDP_CA, and a second
// "untrusted" one whose certificate nobody is given. EC P-256 keeps generation to a few ms.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const run = promisify(execFile);

async function openssl(args) {
  await run('openssl', args);
}

async function makeCa(dir, name, subject) {
  const key = join(dir, `${name}.key`);
  const pem = join(dir, `${name}.pem`);
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', pem, '-days', '7', '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { key, pem };
}

async function makeLeaf(dir, name, ca, subjectAltName) {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const pem = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${subjectAltName}`,
    '',
  ].join('\n'));
  await openssl([
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', csr, '-subj', `/CN=${name}`,
  ]);
  await openssl([
    'x509', '-req', '-in', csr, '-CA', ca.pem, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-days', '7', '-out', pem, '-extfile', ext,
  ]);
  return { key: readFileSync(key), cert: readFileSync(pem) };
}

// Returns { caPem, caFile, main, badName, untrusted } where each server entry is { key, cert }.
// The openssl runs are independent per chain, so they overlap with each other (and with the
// signing-key generation the caller starts in parallel).
export async function makeTlsMaterial(dir) {
  const [ca, rogue] = await Promise.all([
    makeCa(dir, 'ca', '/CN=oidc-sysauth test CA'),
    makeCa(dir, 'untrusted-ca', '/CN=oidc-sysauth untrusted CA'),
  ]);
  const [main, badName, untrusted] = await Promise.all([
    makeLeaf(dir, 'server', ca, 'IP:127.0.0.1,IP:::1,DNS:localhost'),
    makeLeaf(dir, 'badname', ca, 'DNS:wrong.example'),
    makeLeaf(dir, 'untrusted', rogue, 'IP:127.0.0.1,IP:::1,DNS:localhost'),
  ]);
  return { caFile: ca.pem, caPem: readFileSync(ca.pem, 'utf8'), main, badName, untrusted };
}
