// Resolves DIDs through a Universal Resolver endpoint with did-resolver and Veramo's Universal Resolver driver
// (@veramo/did-resolver getUniversalResolverFor). Prints one line RESULT {"<did>": <did-resolver result>}.
//
// usage: node universal-resolver.mjs <base URL of /1.0/identifiers/> <did>...
import './offline.mjs'
import { Resolver } from 'did-resolver'
import { getUniversalResolverFor } from '@veramo/did-resolver'

const [endpoint, ...dids] = process.argv.slice(2)
const resolver = new Resolver(getUniversalResolverFor(['key', 'jwk', 'web'], endpoint))
const results = {}
for (const did of dids) {
  results[did] = await resolver.resolve(did)
}
// The libraries log to standard output too: the result is the one line that starts with RESULT.
console.log(`RESULT ${JSON.stringify(results)}`)
