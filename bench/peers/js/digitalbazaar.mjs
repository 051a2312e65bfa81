// The Digital Bazaar peer: `@digitalbazaar/did-io`'s resolver with the did:key driver (Ed25519 through
// `ed25519-multikey`; P-256, P-384 and P-521 through `ecdsa-multikey`), the did:web driver and the did:jwk driver.
// did-io memoizes results in an LRU cache by default; it is given a pass-through cache so that every request
// resolves anew, like the other peers.
// The drivers throw plain Errors rather than resolution results; `resultOf` turns them into error codes.
// Run: [WORKERS=n] NODE_EXTRA_CA_CERTS=ca.pem node digitalbazaar.mjs PORT

import {CachedResolver} from '@digitalbazaar/did-io';
import * as didJwk from '@digitalbazaar/did-method-jwk';
import * as didKey from '@digitalbazaar/did-method-key';
import * as didWeb from '@digitalbazaar/did-method-web';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {errorResult, messageOf, servePeer} from './server.mjs';

// Multibase-multikey headers (base58btc of the multicodec varint) and the key classes that read them.
const MULTIKEY_READERS = [
  {multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from},
  {multibaseMultikeyHeader: 'zDna', fromMultibase: EcdsaMultikey.from},
  {multibaseMultikeyHeader: 'z82L', fromMultibase: EcdsaMultikey.from},
  {multibaseMultikeyHeader: 'z2J9', fromMultibase: EcdsaMultikey.from},
];

const passThrough = {memoize: ({fn}) => fn()};
const resolver = new CachedResolver({cache: passThrough});
const keyDriver = didKey.driver();
for (const reader of MULTIKEY_READERS) {
  keyDriver.use(reader);
}
resolver.use(keyDriver);
resolver.use(didWeb.driver());
resolver.use(didJwk.driver());

const DID_METHOD = /^did:([a-z0-9]+):/;

async function resultOf(did) {
  const method = DID_METHOD.exec(did)?.[1];
  if (method === undefined) {
    return errorResult('invalidDid', 'not a DID');
  }
  if (!['key', 'web', 'jwk'].includes(method)) {
    return errorResult('methodNotSupported', `did:${method} is not supported`);
  }
  try {
    const didDocument = await resolver.get({did});
    return {didDocument, didResolutionMetadata: {contentType: 'application/did+ld+json'}, didDocumentMetadata: {}};
  } catch (error) {
    return errorResult(errorCodeOf(method, error), messageOf(error));
  }
}

// did:key and did:jwk fail only on the DID itself. did:web fails on the DID (the driver's assertions, some of which
// carry a code), on the origin answering 404/410 or serving a document for another DID (not found), or on the
// way there (fetch errors carry a cause or an HTTP status: internal).
function errorCodeOf(method, error) {
  if (method !== 'web') {
    return 'invalidDid';
  }
  const status = error?.status ?? error?.response?.status;
  if (status === 404 || status === 410 || /not found/i.test(messageOf(error))) {
    return 'notFound';
  }
  if (status !== undefined || error?.cause !== undefined) {
    return 'internalError';
  }
  return typeof error?.code === 'string' && /^[a-z][A-Za-z]+$/.test(error.code) ? error.code : 'invalidDid';
}

servePeer({name: 'digitalbazaar', resolveDid: resultOf});
