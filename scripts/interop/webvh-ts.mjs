// did:webvh logs made by didwebvh-ts, then resolved by didwebvh-ts itself, for trustnode's interop test.
//
//   node webvh-ts.mjs OUT_DIR DOMAIN      (run through scripts/webvh-interop ts, which installs the package)
//
// DOMAIN is what follows the SCID in the DID: `issuer.test%3A8443`, or with a path, `issuer.test%3A8443:dids:a`.
// Each scenario's DID ends with one more path segment, the scenario's name (`…:dids:a:update`), so that one origin
// can serve every scenario's log at its own URL. For each scenario it writes OUT_DIR/<scenario>/did.jsonl (and
// did-witness.json when the log has witnesses), then resolves every version from those files with the library's
// own resolver (resolveDIDFromLog, fed the log and the witness proofs: it never fetches) into
// OUT_DIR/<scenario>/resolution.<versionNumber>.json, and lists it all in OUT_DIR/manifest.json. Prints one
// `RESULT {json}` line per scenario.
//
// Keys come from fixed seeds and every entry the library lets us date gets a fixed time, so two runs make the same
// logs; deactivateDID takes no time and stamps the real clock. The library ships no Ed25519 code of its own: the
// signer and verifier handed to it use node:crypto.
import './offline.mjs'

import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {
  AbstractCrypto,
  createDID,
  deactivateDID,
  deriveNextKeyHash,
  multibaseEncode,
  MultibaseEncoding,
  prepareDataForSigning,
  resolveDIDFromLog,
  updateDID,
} from 'didwebvh-ts'

const [outDir, domain] = process.argv.slice(2)
if (!outDir || !domain) {
  console.error('usage: webvh-ts.mjs OUT_DIR DOMAIN')
  process.exit(2)
}
// The package exports no `./package.json`: read the installed one next to this program.
const installed = new URL('node_modules/didwebvh-ts/package.json', import.meta.url)
const library = { name: 'didwebvh-ts', version: JSON.parse(fs.readFileSync(installed, 'utf8')).version }
// The library takes the host (with its `%3A` port) and the path segments apart.
const [host, ...paths] = domain.split(':')

// DER wrappings (RFC 8410) of a raw 32-byte Ed25519 seed and public key, so node:crypto takes the raw bytes.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** An Ed25519 key from a fixed name: its node:crypto private key and its Multikey (z6Mk…) public key. */
function keyFromName(name) {
  const seed = crypto.createHash('sha256').update(`trustnode webvh interop ${name}`).digest()
  const privateKey = crypto.createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  })
  const raw = Buffer.from(crypto.createPublicKey(privateKey).export({ format: 'jwk' }).x, 'base64url')
  const multikey = multibaseEncode(new Uint8Array([0xed, 0x01, ...raw]), MultibaseEncoding.BASE58_BTC)
  return { privateKey, multikey }
}

/** The signer (and verifier) the library asks for; its proofs name `did:key:<multikey>#<multikey>`. */
class NodeEd25519 extends AbstractCrypto {
  constructor(key) {
    super({ verificationMethod: { type: 'Multikey', publicKeyMultibase: key.multikey } })
    this.privateKey = key.privateKey
  }

  async sign({ document, proof }) {
    const data = await prepareDataForSigning(document, proof)
    const signature = crypto.sign(null, data, this.privateKey)
    return { proofValue: multibaseEncode(signature, MultibaseEncoding.BASE58_BTC) }
  }

  async verify(signature, message, publicKey) {
    const spki = Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(publicKey)])
    const key = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' })
    return crypto.verify(null, message, key, signature)
  }
}

const verifier = new NodeEd25519(keyFromName('verifier'))

/** Version n of a scenario is dated n minutes after this instant (versionTime must increase). */
function at(n) {
  return new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString().replace('.000Z', 'Z')
}

/** The document's verification method for `key`, as the library wants it passed in. */
function method(key, purpose = 'assertionMethod') {
  return { type: 'Multikey', publicKeyMultibase: key.multikey, purpose }
}

/** Both witnesses sign `versionId`: a did-witness.json entry. */
async function witnessed(versionId, witnesses, created) {
  const proof = []
  for (const witness of witnesses) {
    const template = {
      type: 'DataIntegrityProof',
      cryptosuite: 'eddsa-jcs-2022',
      verificationMethod: `did:key:${witness.multikey}#${witness.multikey}`,
      created,
      proofPurpose: 'assertionMethod',
    }
    const { proofValue } = await new NodeEd25519(witness).sign({ document: { versionId }, proof: template })
    proof.push({ ...template, proofValue })
  }
  return { versionId, proof }
}

const a = keyFromName('update key a')
const b = keyFromName('update key b')
const c = keyFromName('update key c')
const witnessKeys = [keyFromName('witness 1'), keyFromName('witness 2')]

async function create(scenario, key, extra = {}) {
  const signer = new NodeEd25519(key)
  const { log } = await createDID({
    domain: host,
    paths: [...paths, scenario],
    signer,
    verifier,
    updateKeys: [key.multikey],
    verificationMethods: [method(key)],
    created: at(1),
    ...extra,
  })
  return log
}

async function update(log, key, n, extra) {
  const result = await updateDID({ log, signer: new NodeEd25519(key), verifier, updated: at(n), ...extra })
  return result.log
}

const service = {
  id: '#linked-domain',
  type: 'LinkedDomains',
  serviceEndpoint: 'https://issuer.test/',
}

/** Each scenario, given its name, returns its log and its witness proofs (empty without witnesses). */
const scenarios = {
  create: async name => ({ log: await create(name, a), witnessProofs: [] }),

  update: async name => {
    const log = await create(name, a)
    const updated = await update(log, a, 2, {
      updateKeys: [a.multikey],
      verificationMethods: [method(a), method(b, 'authentication')],
      services: [service],
    })
    return { log: updated, witnessProofs: [] }
  },

  'rotate-keys': async name => {
    let log = await create(name, a)
    // A signs the entry that hands the update keys to B; B signs the next one.
    log = await update(log, a, 2, { updateKeys: [b.multikey], verificationMethods: [method(b)] })
    log = await update(log, b, 3, { updateKeys: [b.multikey], verificationMethods: [method(b)], services: [service] })
    return { log, witnessProofs: [] }
  },

  'pre-rotation': async name => {
    let log = await create(name, a, { nextKeyHashes: [await deriveNextKeyHash(b.multikey)] })
    // With pre-rotation the entry is signed by the key it reveals, which must hash into the previous commitment.
    log = await update(log, b, 2, {
      updateKeys: [b.multikey],
      nextKeyHashes: [await deriveNextKeyHash(c.multikey)],
      verificationMethods: [method(b)],
    })
    return { log, witnessProofs: [] }
  },

  witnesses: async name => {
    const witness = { threshold: 2, witnesses: witnessKeys.map(key => ({ id: `did:key:${key.multikey}` })) }
    let log = await create(name, a, { witness })
    const witnessProofs = [await witnessed(log[0].versionId, witnessKeys, at(1))]
    log = await update(log, a, 2, {
      updateKeys: [a.multikey],
      verificationMethods: [method(a)],
      services: [service],
      witness,
      witnessProofs,
    })
    witnessProofs.push(await witnessed(log[1].versionId, witnessKeys, at(2)))
    return { log, witnessProofs }
  },

  deactivate: async name => {
    let log = await create(name, a)
    log = await update(log, a, 2, { updateKeys: [a.multikey], verificationMethods: [method(a)], services: [service] })
    const result = await deactivateDID({ log, signer: new NodeEd25519(a), verifier })
    return { log: result.log, witnessProofs: [] }
  },
}

const manifest = { library, domain, scenarios: [] }
for (const [name, make] of Object.entries(scenarios)) {
  const dir = path.join(outDir, name)
  fs.mkdirSync(dir, { recursive: true })
  const { log, witnessProofs } = await make(name)
  fs.writeFileSync(path.join(dir, 'did.jsonl'), log.map(entry => JSON.stringify(entry) + '\n').join(''))
  if (witnessProofs.length > 0) {
    fs.writeFileSync(path.join(dir, 'did-witness.json'), JSON.stringify(witnessProofs, null, 2) + '\n')
  }

  // Resolve from what was written, not from the objects in memory: the files are what trustnode will be served.
  const written = fs.readFileSync(path.join(dir, 'did.jsonl'), 'utf8').trim().split('\n').map(line => JSON.parse(line))
  const witnessFile = path.join(dir, 'did-witness.json')
  const proofs = fs.existsSync(witnessFile) ? JSON.parse(fs.readFileSync(witnessFile, 'utf8')) : undefined
  for (let versionNumber = 1; versionNumber <= written.length; versionNumber++) {
    const { doc, meta } = await resolveDIDFromLog(written, { verifier, witnessProofs: proofs, versionNumber })
    const resolution = {
      didDocument: doc,
      didDocumentMetadata: meta,
      didResolutionMetadata: { contentType: 'application/did+ld+json' },
    }
    fs.writeFileSync(path.join(dir, `resolution.${versionNumber}.json`), JSON.stringify(resolution, null, 2) + '\n')
  }
  const latest = await resolveDIDFromLog(written, { verifier, witnessProofs: proofs })
  const entry = {
    name,
    did: latest.did,
    witnesses: witnessProofs.length > 0,
    versions: written.map(({ versionId, versionTime }) => ({ versionId, versionTime })),
  }
  manifest.scenarios.push(entry)
  console.log(`RESULT ${JSON.stringify(entry)}`)
}
fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
