// Runs the project's public DID vectors (tests/vectors/) against a running peer over HTTP and prints, per group,
// how many the peer resolved correctly, resolved wrongly, or refused. Not a benchmark and not part of the peers:
// it only reads answers. "Correct" compares key material (the raw public key or the JWK x coordinate), the
// verification method id for did:jwk, and did:jwk's relationships; other document details differ legitimately
// between stacks (verification method types, contexts).
// Run: node check-vectors.mjs PORT [VECTORS_DIR]

import fs from 'node:fs';
import path from 'node:path';

const port = process.argv[2];
const vectorsDir = process.argv[3] ?? path.join(import.meta.dirname, '../../../tests/vectors');
const read = (file) => JSON.parse(fs.readFileSync(path.join(vectorsDir, file), 'utf8'));

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const RELATIONSHIPS = ['authentication', 'assertionMethod', 'capabilityInvocation', 'capabilityDelegation',
  'keyAgreement'];

function base58Decode(text) {
  let value = 0n;
  for (const char of text) {
    const digit = BASE58.indexOf(char);
    if (digit < 0) {
      return null;
    }
    value = value * 58n + BigInt(digit);
  }
  const hex = value === 0n ? '' : value.toString(16);
  const leadingZeros = text.length - text.replace(/^1+/, '').length;
  return Buffer.from('00'.repeat(leadingZeros) + (hex.length % 2 ? '0' : '') + hex, 'hex');
}

// The x coordinate (or the raw Ed25519 key) a verification method carries, in whichever representation the peer
// chose: that is what the vectors pin down independently of the representation.
function keyBytesOf(method, headerLength) {
  if (method?.publicKeyJwk?.x !== undefined) {
    return Buffer.from(method.publicKeyJwk.x, 'base64url');
  }
  if (typeof method?.publicKeyBase58 === 'string') {
    return xOfPoint(base58Decode(method.publicKeyBase58));
  }
  if (typeof method?.publicKeyMultibase === 'string' && method.publicKeyMultibase.startsWith('z')) {
    return xOfPoint(base58Decode(method.publicKeyMultibase.slice(1))?.subarray(headerLength));
  }
  return null;
}

// SEC1 points: 0x02/0x03 then x, or 0x04 then x and y; anything else is a raw key.
function xOfPoint(bytes) {
  if (bytes === null || bytes === undefined || bytes.length % 2 === 0) {
    return bytes ?? null;
  }
  const tag = bytes[0];
  if (tag === 2 || tag === 3) {
    return bytes.subarray(1);
  }
  return tag === 4 ? bytes.subarray(1, 1 + (bytes.length - 1) / 2) : bytes;
}

async function resolve(did) {
  const response = await fetch(`http://127.0.0.1:${port}/1.0/identifiers/${encodeURIComponent(did)}`);
  const body = await response.json().catch(() => null);
  return {status: response.status, document: body?.didDocument, error: body?.didResolutionMetadata?.error};
}

function expectedKeyBytes(vector) {
  const jwk = vector.expectedPublicKeyJwk;
  return jwk?.x === undefined ? Buffer.from(vector.rawKeyHex, 'hex') : Buffer.from(jwk.x, 'base64url');
}

// 'correct', 'correct key, unpadded JWK coordinate' (RFC 7518 wants full-length coordinates) or 'WRONG key'.
function didKeyOutcome(vector, document) {
  const bytes = keyBytesOf(document?.verificationMethod?.[0], vector.varintHeaderHex.length / 2);
  const expected = expectedKeyBytes(vector);
  if (bytes === null) {
    return 'WRONG key';
  }
  if (bytes.equals(expected)) {
    return 'correct';
  }
  const withoutLeadingZeros = (b) => b.toString('hex').replace(/^(00)+/, '');
  return withoutLeadingZeros(bytes) === withoutLeadingZeros(expected)
    ? 'correct key, unpadded JWK coordinate'
    : 'WRONG key';
}

const sortedJson = (value) => JSON.stringify(value, Object.keys(value ?? {}).sort());

// 'correct', or what differs from the spec: the method id, the JWK, or the relationships (as found).
function didJwkOutcome(vector, document) {
  const method = document?.verificationMethod?.[0];
  const relationships = RELATIONSHIPS.filter((name) => (document?.[name] ?? []).length > 0).sort();
  if (method?.id !== vector.expectedVerificationMethodId) {
    return `differs: method id ${method?.id?.slice(-12)}`;
  }
  if (sortedJson(method?.publicKeyJwk) !== sortedJson(vector.jwk)) {
    return 'differs: JWK';
  }
  const expected = [...vector.expectedRelationshipsPerSpec].sort();
  return JSON.stringify(relationships) === JSON.stringify(expected)
    ? 'correct'
    : `differs: relationships [${relationships.join(',')}] for use=${vector.jwk.use ?? '-'} alg=${vector.jwk.alg ?? '-'}`;
}

const tally = new Map();
function count(group, outcome, detail) {
  const key = `${group}\t${outcome}`;
  const entry = tally.get(key) ?? {n: 0, details: []};
  entry.n += 1;
  if (detail !== undefined) {
    entry.details.push(detail);
  }
  tally.set(key, entry);
}

for (const vector of read('didkey-valid.json')) {
  const {status, document} = await resolve(vector.did);
  const outcome = status === 200 ? didKeyOutcome(vector, document) : `refused ${status}`;
  count(`did:key valid ${vector.codecName}`, outcome);
}
const jwk = read('didjwk.json');
for (const vector of jwk.positive) {
  const {status, document} = await resolve(vector.did);
  count('did:jwk valid', status === 200 ? didJwkOutcome(vector, document) : `refused ${status}`);
}
for (const [group, vectors] of [['did:key invalid', read('didkey-invalid.json')], ['did:jwk invalid', jwk.negative]]) {
  for (const vector of vectors) {
    const {status, error} = await resolve(vector.did);
    count(group, status === 200 ? 'RESOLVED' : `refused ${status}`, `${vector.why} [${error ?? 'ok'}]`);
  }
}

for (const [key, {n, details}] of tally) {
  console.log(`${key}\t${n}`);
  if (key.endsWith('RESOLVED')) {
    for (const detail of details) {
      console.log(`\t\t- ${detail}`);
    }
  }
}
