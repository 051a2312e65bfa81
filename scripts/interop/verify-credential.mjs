// Issues an Open Badges 3.0 credential (VC 2.0, eddsa-rdfc-2022 Data Integrity proof) from the did:key of an
// Ed25519 seed, then verifies it with @digitalcredentials/verifier-core against one OpenID Federation registry.
// Prints one line RESULT {"issuer": <did>, "errors": <fatal errors or null>, "log": <verification steps>}.
//
// usage: node verify-credential.mjs <entity configuration URL> <hex Ed25519 seed>
import './offline.mjs'
import * as Ed25519Multikey from '@digitalcredentials/ed25519-multikey'
import { DataIntegrityProof } from '@digitalcredentials/data-integrity'
import { cryptosuite } from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite'
import * as vc from '@digitalcredentials/vc'
import { securityLoader } from '@digitalcredentials/security-document-loader'
import { verifyCredential } from '@digitalcredentials/verifier-core'

const [trustAnchorEC, seedHex] = process.argv.slice(2)
const key = await Ed25519Multikey.generate({ seed: Uint8Array.from(Buffer.from(seedHex, 'hex')) })
const did = `did:key:${key.publicKeyMultibase}`
key.controller = did
key.id = `${did}#${key.publicKeyMultibase}`

const unsigned = {
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
  id: 'urn:uuid:6f2f1c1e-4d1a-4a8e-9f3e-2b7c5d9a0e11',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  name: 'Interop badge',
  issuer: { id: did, type: ['Profile'], name: 'Interop issuer' },
  validFrom: '2025-01-01T00:00:00Z',
  credentialSubject: {
    type: ['AchievementSubject'],
    achievement: {
      id: 'urn:uuid:0d9a3f44-8c1b-4e63-b7a2-5f1e2d3c4b5a',
      type: ['Achievement'],
      name: 'Registry interop',
      criteria: { narrative: 'Verified against a trustnode registry.' },
      description: 'Issued by the trustnode LER interop test.'
    }
  }
}
const documentLoader = securityLoader().build()
const suite = new DataIntegrityProof({ signer: key.signer(), cryptosuite })
const credential = await vc.issue({ credential: unsigned, suite, documentLoader })
const knownDIDRegistries = [{ type: 'oidf', name: 'trustnode (OpenID Federation)', trustAnchorEC }]
const result = await verifyCredential({ credential, knownDIDRegistries })
// The libraries log to standard output too: the result is the one line that starts with RESULT.
console.log(`RESULT ${JSON.stringify({ issuer: did, errors: result.errors ?? null, log: result.log ?? null })}`)
