// Regenerates the credentials of this folder with the Digital Credentials Consortium's npm stack (the libraries
// Learner Credential Wallet and VerifierPlus use), so trustnode-credential is checked against other people's
// JSON-LD processing and RDFC-1.0, not only its own. Run from a folder where these packages are installed (the cache
// `scripts/ler-interop` fills): node generate.mjs OUT_DIR. Deterministic: a fixed seed, fixed dates, Ed25519.
import * as Ed25519Multikey from '@digitalcredentials/ed25519-multikey'
import { DataIntegrityProof } from '@digitalcredentials/data-integrity'
import { cryptosuite } from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite'
import { Ed25519Signature2020 } from '@digitalcredentials/ed25519-signature-2020'
import { Ed25519VerificationKey2020 } from '@digitalcredentials/ed25519-verification-key-2020'
import * as vc from '@digitalcredentials/vc'
import { securityLoader } from '@digitalcredentials/security-document-loader'
import { writeFileSync } from 'node:fs'

const out = process.argv[2]
const seed = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const date = '2026-01-02T03:04:05Z'
const documentLoader = securityLoader().build()
const write = (name, value) => writeFileSync(`${out}/${name}`, JSON.stringify(value, null, 2) + '\n')

const key = await Ed25519Multikey.generate({ seed })
const did = `did:key:${key.publicKeyMultibase}`
key.controller = did
key.id = `${did}#${key.publicKeyMultibase}`

const achievement = {
  id: 'urn:uuid:0d9a3f44-8c1b-4e63-b7a2-5f1e2d3c4b5a',
  type: ['Achievement'],
  name: 'Canonicalization badge',
  description: 'Awarded for canonicalizing RDF datasets.',
  criteria: { narrative: 'Canonicalize the W3C test suite.' }
}
const badge = {
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
  id: 'urn:uuid:6f2f1c1e-4d1a-4a8e-9f3e-2b7c5d9a0e11',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  name: 'Canonicalization badge',
  issuer: { id: did, type: ['Profile'], name: 'Example College' },
  validFrom: '2026-01-01T00:00:00Z',
  credentialSubject: { id: 'did:example:learner', type: ['AchievementSubject'], achievement }
}
const rdfcSuite = () => new DataIntegrityProof({ signer: key.signer(), cryptosuite, date })
// vc.issue adds the proof to the object it is given: each call gets a copy.
const ob3 = await vc.issue({ credential: structuredClone(badge), suite: rdfcSuite(), documentLoader })
write('ob3-eddsa-rdfc-2022.json', ob3)

// The same badge on VCDM 1.1, with the legacy Ed25519Signature2020 Learner Credential Wallet credentials carry.
const legacyKey = await Ed25519VerificationKey2020.generate({ seed })
legacyKey.controller = did
legacyKey.id = key.id
const legacyBadge = {
  ...badge,
  '@context': [
    'https://www.w3.org/2018/credentials/v1',
    'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json',
    'https://w3id.org/security/suites/ed25519-2020/v1'
  ],
  issuanceDate: '2026-01-01T00:00:00Z'
}
delete legacyBadge.validFrom
const legacySuite = new Ed25519Signature2020({ key: legacyKey, date })
write('ob3-vc1-ed25519signature2020.json', await vc.issue({ credential: legacyBadge, suite: legacySuite, documentLoader }))

// A presentation of the badge, signed by the holder (here the same key) for a challenge and a domain.
const presentation = vc.createPresentation({ verifiableCredential: [structuredClone(ob3)], holder: did })
const vp = await vc.signPresentation({
  presentation, suite: rdfcSuite(), documentLoader, challenge: 'c-1234', domain: 'verifier.example'
})
write('vp-eddsa-rdfc-2022.json', vp)
