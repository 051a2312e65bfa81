// The HTTP and process scaffolding the JavaScript peers share: a `node:cluster` primary forks WORKERS workers
// (default: one per CPU), each serving on 127.0.0.1:PORT. `serveCluster` takes any request handler (the
// verifier-core peer uses it); `servePeer` is the resolver peers' handler: GET /healthz and
// GET /1.0/identifiers/{did}, where a peer supplies only `resolveDid(did)`, returning a DID resolution result
// `{didDocument, didResolutionMetadata, didDocumentMetadata}`.
// Nothing here resolves DIDs, verifies credentials, caches results, or logs per request.

import cluster from 'node:cluster';
import dns from 'node:dns';
import http from 'node:http';
import os from 'node:os';

// Node 20 returns addresses in resolver order, often ::1 before 127.0.0.1 for localhost, while the benchmark's
// did:web origin listens on 127.0.0.1 only.
dns.setDefaultResultOrder('ipv4first');

const RESOLUTION_TYPE = 'application/did-resolution';
const IDENTIFIERS_PREFIX = '/1.0/identifiers/';

// Error codes a client caused by the DID it sent; everything else not listed as "not found" is the peer's fault.
const CLIENT_ERRORS = new Set([
  'invalidDid',
  'invalidDidUrl',
  'invalidPublicKey',
  'invalidPublicKeyLength',
  'invalidPublicKeyType',
  'unsupportedPublicKeyType',
  'methodNotSupported',
  'unsupportedDidMethod',
  'representationNotSupported',
]);
const NOT_FOUND_ERRORS = new Set(['notFound']);

/**
 * Starts a resolver peer: GET /healthz and GET /1.0/identifiers/{did} answered with `resolveDid`.
 *
 * @param {object} peer
 * @param {string} peer.name - Shown in the start-up line.
 * @param {(did: string) => Promise<object>} peer.resolveDid - Resolves one DID to a resolution result.
 */
export function servePeer({name, resolveDid}) {
  serveCluster({
    name,
    handle: (request) =>
      answer(request, resolveDid).catch((error) => ({
        status: 500,
        type: RESOLUTION_TYPE,
        body: JSON.stringify(errorResult('internalError', messageOf(error))),
      })),
  });
}

/**
 * Starts a peer: in the primary, parses `PORT` from argv and forks the workers; in a worker, serves HTTP with
 * `handle`.
 *
 * @param {object} peer
 * @param {string} peer.name - Shown in the start-up line and the usage message.
 * @param {(request: import('node:http').IncomingMessage) => Promise<{status: number, type: string, body: string}>}
 *   peer.handle - Answers one request; it must not reject.
 */
export function serveCluster({name, handle}) {
  const port = Number.parseInt(process.argv[2] ?? '', 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`usage: [WORKERS=n] node ${name}.mjs PORT`);
    process.exit(2);
  }
  if (cluster.isPrimary) {
    startPrimary(name, port);
  } else {
    startWorker(port, handle);
  }
}

function workerCount() {
  const requested = Number.parseInt(process.env.WORKERS ?? '', 10);
  return Number.isInteger(requested) && requested > 0 ? requested : os.availableParallelism();
}

function startPrimary(name, port) {
  const workers = workerCount();
  let listening = 0;
  let stopping = false;
  cluster.on('listening', () => {
    listening += 1;
    if (listening === workers) {
      console.error(`${name} peer: ${workers} workers on http://127.0.0.1:${port}`);
    }
  });
  // A crashed worker is replaced, as a process manager would; a stopping primary lets them go.
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      console.error(`${name} peer: worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
      cluster.fork();
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) {
        worker?.kill();
      }
      process.exit(0);
    });
  }
  for (let i = 0; i < workers; i += 1) {
    cluster.fork();
  }
}

function startWorker(port, handle) {
  const server = http.createServer((request, response) => {
    handle(request).then(({status, type, body}) => send(response, status, type, body));
  });
  server.listen(port, '127.0.0.1');
}

function send(response, status, type, body) {
  response.writeHead(status, {'content-type': type, 'content-length': Buffer.byteLength(body)});
  response.end(body);
}

async function answer(request, resolveDid) {
  const url = request.url ?? '/';
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  if (request.method !== 'GET') {
    return {status: 405, type: 'application/json', body: JSON.stringify({error: 'method not allowed'})};
  }
  if (path === '/healthz') {
    return {status: 200, type: 'text/plain', body: 'ok'};
  }
  if (!path.startsWith(IDENTIFIERS_PREFIX)) {
    return {status: 404, type: 'application/json', body: JSON.stringify({error: 'no such route'})};
  }
  const did = identifierFromPath(path.slice(IDENTIFIERS_PREFIX.length));
  if (did === null) {
    const result = errorResult('invalidDid', 'identifier is empty or badly encoded');
    return {status: 400, type: RESOLUTION_TYPE, body: JSON.stringify(result)};
  }
  const result = await resolveDid(did);
  const error = result?.didResolutionMetadata?.error;
  return {status: statusFor(error), type: RESOLUTION_TYPE, body: JSON.stringify(result)};
}

/**
 * The DID in a path segment. As in trustnode and the Universal Resolver, a segment starting `did%3A` is the whole
 * DID percent-encoded and is decoded once; a raw segment (`did:web:host%3A8443:u:1`) is taken as it is, since
 * decoding it would turn did:web's own `%3A` into a colon.
 *
 * @param {string} segment
 * @returns {string | null} null when empty or not valid percent-encoding.
 */
export function identifierFromPath(segment) {
  if (segment === '') {
    return null;
  }
  if (!segment.slice(0, 6).toLowerCase().startsWith('did%3a')) {
    return segment;
  }
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function statusFor(error) {
  if (error === undefined) {
    return 200;
  }
  if (NOT_FOUND_ERRORS.has(error)) {
    return 404;
  }
  return CLIENT_ERRORS.has(error) ? 400 : 500;
}

/**
 * A resolution result carrying an error and no document.
 *
 * @param {string} error - A DID resolution error code (legacy camelCase spelling, as both stacks use).
 * @param {string} message - A short human-readable reason.
 */
export function errorResult(error, message) {
  return {didDocument: null, didResolutionMetadata: {error, message}, didDocumentMetadata: {}};
}

/**
 * The message of a thrown value, which need not be an Error.
 *
 * @param {unknown} thrown
 */
export function messageOf(thrown) {
  return thrown instanceof Error ? thrown.message : String(thrown);
}
