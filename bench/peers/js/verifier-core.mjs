// The verifier-core peer: `@digitalcredentials/verifier-core` (the verifier of VerifierPlus and Learner Credential
// Wallet) behind the shared `node:cluster` server, for `scripts/bench --suite credentials`.
//
//   GET  /healthz              → 200 ok
//   POST /credentials/verify   {"verifiableCredential": VC} → 200 {"verified": true, "log": [...]} when
//                              verifier-core reports no error and every step of its log valid, else 400 with the
//                              same shape and its `errors`; a body that is not such JSON → 400 {"error": ...}.
//
// What verifier-core is given, and why:
// - Contexts and DID documents: verifier-core builds its own loader (security-document-loader with
//   `fetchRemoteContexts: true`; the API takes no other). Its bundled set covers VC 1.1/2.0, Data Integrity and
//   OB 3.0 and it resolves did:key locally; scripts/interop/offline.mjs makes every other fetch fail at once, so
//   nothing leaves the machine.
// - No registry: `knownDIDRegistries` is empty, so its `registered_issuer` step asks nothing (no I/O) and reports
//   no match; the verdict here leaves that one step out, as trustnode's `credentials.trust = "off"` does.
// - The OB 3.0 JSON schema it fetches for an OpenBadgeCredential (from purl.imsglobal.org) is answered with an
//   accept-all schema, compiled once: that spares it the schema validation it would do online, so if anything the
//   figure flatters the peer.
// Nothing here caches verdicts or logs per request.
// Run: [WORKERS=n] node verifier-core.mjs PORT

import '../../../scripts/interop/offline.mjs';
import {verifyCredential} from '@digitalcredentials/verifier-core';
import {serveCluster} from './server.mjs';

const OB_SCHEMA_PREFIX = 'https://purl.imsglobal.org/spec/ob/v3p0/schema/';
const REGISTRY_STEP = 'registered_issuer';
const MAX_BODY = 1 << 20;
const JSON_TYPE = 'application/json';

const guardedFetch = globalThis.fetch;
globalThis.fetch = (resource, options) => {
  const url = resource instanceof Request ? resource.url : String(resource);
  if (url.startsWith(OB_SCHEMA_PREFIX)) {
    return Promise.resolve(new Response('{}', {headers: {'content-type': JSON_TYPE}}));
  }
  return guardedFetch(resource, options);
};

serveCluster({name: 'verifier-core', handle: (request) => answer(request).catch(failure)});

async function answer(request) {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'GET' && path === '/healthz') {
    return {status: 200, type: 'text/plain', body: 'ok'};
  }
  if (path !== '/credentials/verify') {
    return reply(404, {error: 'no such route'});
  }
  if (request.method !== 'POST') {
    return reply(405, {error: 'method not allowed'});
  }
  let credential;
  try {
    credential = JSON.parse(await bodyOf(request))?.verifiableCredential;
  } catch (error) {
    return reply(400, {error: `unreadable request: ${error.message}`});
  }
  if (typeof credential !== 'object' || credential === null) {
    return reply(400, {error: 'no verifiableCredential object'});
  }
  const result = await verifyCredential({credential, knownDIDRegistries: []});
  const log = (result.log ?? []).filter((step) => step.id !== REGISTRY_STEP);
  const verified = !result.errors?.length && log.length > 0 && log.every((step) => step.valid);
  return reply(verified ? 200 : 400, {verified, log, ...(result.errors && {errors: result.errors.map(nameAndMessage)})});
}

function bodyOf(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        request.destroy();
        reject(new Error('body too large'));
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

// verifier-core's errors may carry a stack trace or a whole Error: only what a client would read goes out.
function nameAndMessage({name, message}) {
  return {name, message: String(message)};
}

function reply(status, value) {
  return {status, type: JSON_TYPE, body: JSON.stringify(value)};
}

function failure(error) {
  return reply(500, {error: error instanceof Error ? error.message : String(error)});
}
