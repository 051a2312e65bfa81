// A minimal Universal-Resolver-style HTTP front for Digital Bazaar's did:key driver, so the conformance kit can
// run against an independent implementation. It does only what an HTTP binding must: route, decode, negotiate the
// media type and map failures to statuses. Everything about did:key itself is the driver's behaviour, unchanged.
//
// Usage: node did-key-server.mjs PORT   (listens on 127.0.0.1 only)
import http from 'node:http';
import {driver} from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import {X25519KeyAgreementKey2020} from '@digitalbazaar/x25519-key-agreement-key-2020';

const resolver = driver();
// The key types these packages provide, registered by their multibase prefix as the driver requires.
resolver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
resolver.use({multibaseMultikeyHeader: 'z6LS', fromMultibase: X25519KeyAgreementKey2020.from});
for(const header of ['zDna', 'z82L', 'z2J9']) { // P-256, P-384, P-521
  resolver.use({multibaseMultikeyHeader: header, fromMultibase: EcdsaMultikey.from});
}

const PREFIX = '/1.0/identifiers/';
const DOCUMENT_TYPES = ['application/did', 'application/did+json', 'application/did+ld+json', 'application/json',
  'application/ld+json'];

function problem(code, detail) {
  return {type: `https://www.w3.org/ns/did#${code}`, title: code, detail};
}

function send(res, status, contentType, body) {
  res.writeHead(status, {'content-type': contentType});
  res.end(JSON.stringify(body));
}

function fail(res, status, code, detail) {
  send(res, status, 'application/did-resolution', {
    didDocument: null, didResolutionMetadata: {error: problem(code, detail)}, didDocumentMetadata: {}
  });
}

// The first media type of the Accept header that this front can produce ('full' or a document type), or null.
function negotiate(accept) {
  if(!accept) {
    return 'full';
  }
  for(const part of accept.split(',')) {
    const type = part.split(';')[0].trim().toLowerCase();
    // The CCG v0.3 result dialect (ld+json with the did-resolution profile) is not implemented by this front.
    if(part.includes('did-resolution') && type === 'application/ld+json') {
      continue;
    }
    if(type === '*/*' || type === 'application/did-resolution') {
      return 'full';
    }
    if(DOCUMENT_TYPES.includes(type)) {
      return type;
    }
  }
  return null;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if(url.pathname === '/1.0/methods') {
    return send(res, 200, 'application/json', ['key']);
  }
  if(!url.pathname.startsWith(PREFIX) && url.pathname !== PREFIX.slice(0, -1)) {
    return fail(res, 404, 'NOT_FOUND', 'no such route');
  }
  let identifier;
  try {
    identifier = decodeURIComponent(req.url.slice(PREFIX.length));
  } catch(e) {
    return fail(res, 400, 'INVALID_DID', 'identifier is not valid percent-encoding');
  }
  const representation = negotiate(req.headers.accept);
  if(!representation) {
    return fail(res, 406, 'REPRESENTATION_NOT_SUPPORTED', `cannot produce ${req.headers.accept}`);
  }
  const method = /^did:([a-z0-9]+):/.exec(identifier);
  if(!method) {
    return fail(res, 400, 'INVALID_DID', `${identifier} is not a DID`);
  }
  if(method[1] !== 'key') {
    return fail(res, 501, 'METHOD_NOT_SUPPORTED', `did:${method[1]} is not supported`);
  }
  let result;
  try {
    result = await resolver.get({url: identifier});
  } catch(e) {
    return fail(res, 400, 'INVALID_DID', String(e && e.message || e));
  }
  const contentType = representation === 'full' ? 'application/did' : representation;
  if(representation !== 'full') {
    return send(res, 200, contentType, result);
  }
  if(identifier.includes('#')) {
    return send(res, 200, 'application/did-resolution', {
      contentStream: result, dereferencingMetadata: {contentType}, contentMetadata: {}
    });
  }
  send(res, 200, 'application/did-resolution', {
    didDocument: result, didResolutionMetadata: {contentType}, didDocumentMetadata: {}
  });
}

const port = Number(process.argv[2]);
http.createServer((req, res) => {
  handle(req, res).catch(e => fail(res, 500, 'INTERNAL_ERROR', String(e)));
}).listen(port, '127.0.0.1');
