// Keeps an interop program on this machine: any global `fetch` to a host other than 127.0.0.1, ::1 or localhost fails at
// once, so a library that reaches for the internet (a JSON schema, a remote context) shows up as an error in the
// results instead of making traffic. Import it before anything else.
const loopback = new Set(['127.0.0.1', '[::1]', 'localhost'])
const realFetch = globalThis.fetch
globalThis.fetch = (resource, options) => {
  const url = new URL(resource instanceof Request ? resource.url : String(resource))
  if (!loopback.has(url.hostname)) {
    return Promise.reject(new TypeError(`offline interop test: refusing to fetch ${url.href}`))
  }
  return realFetch(resource, options)
}
