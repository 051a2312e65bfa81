// Runs @digitalcredentials/verifier-core over every credential and presentation that sign-credentials.mjs wrote,
// checking issuers against one OpenID Federation registry (as verify-credential.mjs does), so a test can compare
// its verdicts with the node's.
//
// usage: node verify-all.mjs DIR ENTITY_CONFIG_URL
//
// Prints one line per case: RESULT {"file", "verified", "errors", "log"}. verifier-core itself gives no single
// verdict: `verified` here is true when it reports no fatal error, its log has a valid signature step and every
// step of its log (signature, expiration, status, registered issuer) passed; for a presentation, when its
// signature is valid and every credential in it is verified that way. `errors` are verifier-core's fatal errors
// as {name, message}; `log` its steps (for a presentation: {presentation, credentials: [each credential's]}).
// Status lists are fetched by verifier-core itself: run with TRUSTNODE_INTEROP_HOSTS naming the status origin
// and NODE_EXTRA_CA_CERTS its CA (see offline.mjs).
import './offline.mjs'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { verifyCredential, verifyPresentation } from '@digitalcredentials/verifier-core'

const [dir, trustAnchorEC] = process.argv.slice(2)
if (!dir || !trustAnchorEC) {
  console.error('usage: node verify-all.mjs DIR ENTITY_CONFIG_URL')
  process.exit(2)
}
const knownDIDRegistries = [{ type: 'oidf', name: 'trustnode (OpenID Federation)', trustAnchorEC }]
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))

/** verifier-core's errors without their stack traces (large, and not a verdict). */
const plainErrors = errors => (errors ?? []).map(({ name, message }) => ({ name, message: String(message) }))

/** The steps of one credential's result, and whether all of them passed. */
function judge(result) {
  const errors = plainErrors(result.errors)
  const log = (result.log ?? []).map(({ id, valid, error }) => ({
    id,
    valid,
    ...(error && { error: plainErrors([error])[0] })
  }))
  // A credential that fails vc's own checks before its proof (one not yet valid) comes back with no signature
  // step and no error at all: without a valid signature step nothing was verified.
  const signed = log.some(step => step.id === 'valid_signature' && step.valid === true)
  const verified = errors.length === 0 && signed && log.every(step => step.valid === true && !step.error)
  return { verified, errors, log }
}

for (const entry of manifest) {
  if (entry.kind !== 'credential' && entry.kind !== 'presentation') continue
  const document = JSON.parse(readFileSync(join(dir, entry.file), 'utf8'))
  let line
  if (entry.kind === 'credential') {
    line = judge(await verifyCredential({ credential: document, knownDIDRegistries }))
  } else {
    const result = await verifyPresentation({ presentation: document, challenge: entry.challenge, knownDIDRegistries })
    const credentials = (result.credentialResults ?? []).map(judge)
    const presentation = result.presentationResult ?? {}
    const errors = [...plainErrors(result.errors), ...plainErrors(presentation.errors)]
    line = {
      verified: errors.length === 0 && presentation.signature === 'valid' && credentials.every(c => c.verified),
      errors,
      log: { presentation: { signature: presentation.signature ?? null }, credentials }
    }
  }
  // The libraries log to standard output too: a result is a line that starts with RESULT.
  console.log(`RESULT ${JSON.stringify({ file: entry.file, ...line })}`)
}
