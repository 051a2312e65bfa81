// The DIF peer: `did-resolver` with `key-did-resolver` (did:key), `web-did-resolver` (did:web) and Sphereon's
// `@sphereon/ssi-sdk-ext.did-resolver-jwk` (did:jwk, the maintained did-resolver plugin for it).
// The resolver's result cache stays off (its default; spelled out so nobody flips it by accident): every request
// decodes the key or fetches the did:web document again.
// Run: [WORKERS=n] NODE_EXTRA_CA_CERTS=ca.pem node dif.mjs PORT

import {Resolver} from 'did-resolver';
import {getResolver as didKeyResolver} from 'key-did-resolver';
import {getResolver as didWebResolver} from 'web-did-resolver';
import {getDidJwkResolver} from '@sphereon/ssi-sdk-ext.did-resolver-jwk';
import {servePeer} from './server.mjs';

const resolver = new Resolver({...didKeyResolver(), ...didWebResolver(), ...getDidJwkResolver()}, {cache: false});

servePeer({name: 'dif', resolveDid: (did) => resolver.resolve(did)});
