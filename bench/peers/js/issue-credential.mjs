// Issues the credential `scripts/bench --suite credentials` verifies: one Open Badges 3.0 OpenBadgeCredential
// (VC 2.0, issuer a Profile, an achievement with criteria), signed by the did:key of an Ed25519 seed with the
// DCC/Digital Bazaar npm stack, once per cryptosuite:
//   eddsa-rdfc-2022  @digitalcredentials/data-integrity + eddsa-rdfc-2022-cryptosuite (verifier-core's own libraries)
//   eddsa-jcs-2022   the same proof class with @digitalbazaar/eddsa-jcs-2022-cryptosuite
// Prints {"issuer": DID, "credentials": {cryptosuite: credential}} on standard output. Contexts come from the
// bundled security-document-loader; nothing is fetched (scripts/interop/offline.mjs).
// Run: node issue-credential.mjs HEX_SEED

import '../../../scripts/interop/offline.mjs';
import {DataIntegrityProof} from '@digitalcredentials/data-integrity';
import * as Ed25519Multikey from '@digitalcredentials/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite';
import {securityLoader} from '@digitalcredentials/security-document-loader';
import * as vc from '@digitalcredentials/vc';
import {createSignCryptosuite as eddsaJcs2022} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';

const seedHex = process.argv[2] ?? '';
if (!/^[0-9a-f]{64}$/i.test(seedHex)) {
  console.error('usage: node issue-credential.mjs HEX_SEED (32 bytes)');
  process.exit(2);
}

const key = await Ed25519Multikey.generate({seed: Uint8Array.from(Buffer.from(seedHex, 'hex'))});
const did = `did:key:${key.publicKeyMultibase}`;
key.controller = did;
key.id = `${did}#${key.publicKeyMultibase}`;

const unsigned = {
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
  id: 'urn:uuid:3b6f0e52-8c2d-4f4e-a1b7-9d0c5e6f7a81',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  name: 'Benchmark badge',
  issuer: {id: did, type: ['Profile'], name: 'Benchmark issuer', url: 'https://issuer.bench.example'},
  validFrom: '2025-01-01T00:00:00Z',
  credentialSubject: {
    id: 'did:example:learner',
    type: ['AchievementSubject'],
    achievement: {
      id: 'urn:uuid:7e1c2d3b-4a5f-4e6d-8c9b-0a1b2c3d4e5f',
      type: ['Achievement'],
      name: 'Credential verification benchmark',
      description: 'Awarded to every credential verified under load.',
      criteria: {narrative: 'Be verified over HTTP, side by side with another verifier.'},
    },
  },
};

const documentLoader = securityLoader().build();
const cryptosuites = {'eddsa-rdfc-2022': eddsaRdfc2022, 'eddsa-jcs-2022': eddsaJcs2022()};
const credentials = {};
for (const [name, cryptosuite] of Object.entries(cryptosuites)) {
  const suite = new DataIntegrityProof({signer: key.signer(), cryptosuite});
  credentials[name] = await vc.issue({credential: structuredClone(unsigned), suite, documentLoader});
}
process.stdout.write(JSON.stringify({issuer: did, credentials}) + '\n');
