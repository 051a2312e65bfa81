// Keeps an interop program on this machine: any global `fetch` to a host other than 127.0.0.1, ::1 or localhost fails at
// once, so a library that reaches for the internet (a JSON schema, a remote context) shows up as an error in the
// results instead of making traffic. Import it before anything else.
//
// A test's own HTTPS origin (a status list server with a test CA, trusted through NODE_EXTRA_CA_CERTS) has a name:
// TRUSTNODE_INTEROP_HOSTS="status.issuer.test,…" lets `fetch` reach those names and makes every name lookup of
// them answer 127.0.0.1, so TLS still checks the certificate for the name while the traffic stays on loopback. Any
// other name still gets no answer: a lookup of it fails, so even a library that bypasses `fetch` cannot leave.
import dns from 'node:dns'

const loopback = new Set(['127.0.0.1', '[::1]', 'localhost'])
const pinned = new Set(
  (process.env.TRUSTNODE_INTEROP_HOSTS ?? '').split(',').map(host => host.trim().toLowerCase()).filter(Boolean)
)
const realFetch = globalThis.fetch
globalThis.fetch = (resource, options) => {
  const url = new URL(resource instanceof Request ? resource.url : String(resource))
  if (!loopback.has(url.hostname) && !pinned.has(url.hostname.toLowerCase())) {
    return Promise.reject(new TypeError(`offline interop test: refusing to fetch ${url.href}`))
  }
  return realFetch(resource, options)
}

if (pinned.size > 0) {
  // net and tls call `dns.lookup` through this module object at connect time, so replacing it here covers
  // undici's fetch and node's http(s) clients alike.
  const realLookup = dns.lookup
  dns.lookup = (hostname, options, callback) => {
    if (typeof options === 'function') [callback, options] = [options, {}]
    const name = String(hostname).toLowerCase()
    if (name === 'localhost' || loopback.has(name) || name === '::1') {
      return realLookup(hostname, options, callback)
    }
    if (!pinned.has(name)) {
      const refused = Object.assign(new Error(`offline interop test: no lookup of ${hostname}`), { code: 'ENOTFOUND' })
      return process.nextTick(callback, refused)
    }
    const all = typeof options === 'object' && options?.all
    return all
      ? process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }])
      : process.nextTick(callback, null, '127.0.0.1', 4)
  }
}
