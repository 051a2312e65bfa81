// Looks DIDs up with @digitalcredentials/issuer-registry-client (the client of verifier-core, Learner Credential
// Wallet and VerifierPlus) in one OpenID Federation registry and one DCC legacy registry, as a DCC
// known-registries list names them. Prints one line
//   RESULT {"<did>": {"oidf": <match or null>, "legacy": <match or null>, "unchecked": [names]}}
//
// usage: node registry-client.mjs <entity configuration URL> <registry.json URL> <did>...
import './offline.mjs'
import { RegistryClient } from '@digitalcredentials/issuer-registry-client'

const [trustAnchorEC, legacyUrl, ...dids] = process.argv.slice(2)
const client = new RegistryClient()
client.use({
  registries: [
    { type: 'oidf', name: 'trustnode (OpenID Federation)', trustAnchorEC },
    { type: 'dcc-legacy', name: 'trustnode (legacy)', url: legacyUrl }
  ]
})
const results = {}
for (const did of dids) {
  const { matchingIssuers, uncheckedRegistries } = await client.lookupIssuersFor(did)
  const legacy = matchingIssuers.find((match) => match.registry.type === 'dcc-legacy') ?? null
  const oidf = matchingIssuers.find((match) => match.registry.type !== 'dcc-legacy') ?? null
  results[did] = { oidf, legacy, unchecked: uncheckedRegistries.map((registry) => registry.name) }
}
// The libraries log to standard output too: the result is the one line that starts with RESULT.
console.log(`RESULT ${JSON.stringify(results)}`)
