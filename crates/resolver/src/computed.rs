//! The computed methods: did:key and did:jwk documents are pure functions of the identifier (and, for did:key, of
//! its options), built by `trustnode_did` and kept in a shared memo. No I/O.

use std::sync::Arc;

use trustnode_did::document::Document;
use trustnode_did::key::KeyOptions;
use trustnode_did::{jwk, key};

use crate::memo::Memo;
use crate::{DidMethod, MethodCall, MethodOutcome, MethodTraits, ResolutionOptions};

/// Computed documents never change and are not readable names.
const COMPUTED_TRAITS: MethodTraits = MethodTraits {
    updatable: false,
    deactivatable: false,
    enumerable: false,
    history_available: false,
    human_readable: false,
};

/// did:key and did:jwk sharing one memo of up to `memo_entries` documents (0 disables it).
pub fn key_and_jwk(memo_entries: u64) -> Vec<Arc<dyn DidMethod>> {
    let memo = Arc::new(Memo::new(memo_entries));
    vec![Arc::new(DidKey { memo: memo.clone() }), Arc::new(DidJwk { memo })]
}

/// `did:key`, per the CCG did:key method.
#[derive(Debug)]
pub(crate) struct DidKey {
    memo: Arc<Memo>,
}

impl DidMethod for DidKey {
    fn name(&self) -> &'static str {
        "key"
    }

    fn resolve<'a>(
        &'a self,
        did: &'a str,
        method_specific_id: &'a str,
        options: &'a ResolutionOptions,
    ) -> MethodCall<'a> {
        let document: Result<Document, _> =
            self.memo.get_or_compute(did, options.key, || key::resolve(did, method_specific_id, &options.key));
        MethodCall::Ready(MethodOutcome::computed(document))
    }

    fn test_identifiers(&self) -> &'static [&'static str] {
        &[
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169",
            "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
        ]
    }

    fn traits(&self) -> MethodTraits {
        COMPUTED_TRAITS
    }
}

/// `did:jwk`, per the did:jwk method specification.
#[derive(Debug)]
pub(crate) struct DidJwk {
    memo: Arc<Memo>,
}

impl DidMethod for DidJwk {
    fn name(&self) -> &'static str {
        "jwk"
    }

    fn resolve<'a>(&'a self, did: &'a str, method_specific_id: &'a str, _: &'a ResolutionOptions) -> MethodCall<'a> {
        // did:jwk has no options: one memo entry serves every request for the DID.
        let document = self.memo.get_or_compute(did, KeyOptions::default(), || jwk::resolve(did, method_specific_id));
        MethodCall::Ready(MethodOutcome::computed(document))
    }

    fn test_identifiers(&self) -> &'static [&'static str] {
        &["did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9"]
    }

    fn traits(&self) -> MethodTraits {
        COMPUTED_TRAITS
    }
}
