//! Proofs this node has already verified. A signature over the same secured document, for the same purpose, with
//! the same key verifies the same way every time, so the verifier remembers each success (a SHA-256 of those three)
//! and skips canonicalization and signature arithmetic when the same credential comes again: wallets and verifier
//! apps re-verify a credential each time it is shown. The key is the one resolved for this verification, so a
//! rotated or removed key is never served from here; failures are not remembered.

use quick_cache::sync::Cache;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use trustnode_did::public_key::PublicKey;

/// The remembered successes, bounded; empty and unused when configured with no entries.
#[derive(Debug)]
pub struct ProofMemo(Option<Cache<[u8; 32], ()>>);

impl ProofMemo {
    /// A memo of at most `entries` proofs (0: none is remembered).
    pub fn new(entries: usize) -> ProofMemo {
        ProofMemo((entries > 0).then(|| Cache::new(entries)))
    }

    /// The memo's key for `proof` (one of the proofs of `document`) made for `purpose` with `key`; `None` when the
    /// memo is off.
    pub(super) fn key(
        &self,
        document: &Map<String, Value>,
        proof: &Map<String, Value>,
        purpose: &str,
        key: &PublicKey,
    ) -> Option<[u8; 32]> {
        self.0.as_ref()?;
        let mut hash = Sha256::new();
        // Serializing a map of JSON values cannot fail. The proof is hashed on its own too: a document's proofs may
        // share a key, and each must verify.
        hash.update(serde_json::to_vec(document).unwrap_or_default());
        hash.update([0]);
        hash.update(serde_json::to_vec(proof).unwrap_or_default());
        hash.update([0]);
        hash.update(purpose.as_bytes());
        hash.update([0]);
        hash.update(key.to_multicodec());
        Some(hash.finalize().into())
    }

    /// Whether the proof of `key` was verified before.
    pub(super) fn verified(&self, key: Option<[u8; 32]>) -> bool {
        matches!((&self.0, key), (Some(cache), Some(key)) if cache.get(&key).is_some())
    }

    /// Remembers that the proof of `key` verified.
    pub(super) fn remember(&self, key: Option<[u8; 32]>) {
        if let (Some(cache), Some(key)) = (&self.0, key) {
            cache.insert(key, ());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_success_is_remembered_only_for_the_same_document_proof_purpose_and_key() {
        let memo = ProofMemo::new(16);
        let key = trustnode_did::key::decode("z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").unwrap();
        let other_key = trustnode_did::key::decode("z6MktL4GvywLaWjiwEWC83pnWqmNfj9AyxGwmHy9Zw1rGYwd").unwrap();
        let (document, proof) = (object(json!({"name": "a", "proof": {"p": 1}})), object(json!({"p": 1})));
        let remembered = memo.key(&document, &proof, "assertionMethod", &key);
        assert!(!memo.verified(remembered));
        memo.remember(remembered);
        assert!(memo.verified(memo.key(&document, &proof, "assertionMethod", &key)));
        let others = [
            memo.key(&object(json!({"name": "b", "proof": {"p": 1}})), &proof, "assertionMethod", &key),
            memo.key(&document, &object(json!({"p": 2})), "assertionMethod", &key),
            memo.key(&document, &proof, "authentication", &key),
            memo.key(&document, &proof, "assertionMethod", &other_key),
        ];
        assert!(others.into_iter().all(|other| !memo.verified(other)));

        let off = ProofMemo::new(0);
        let nothing = off.key(&document, &proof, "assertionMethod", &key);
        off.remember(nothing);
        assert!(!off.verified(nothing));
    }
}
