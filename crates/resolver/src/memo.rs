//! A bounded in-memory memo of computed did:key and did:jwk documents.
//!
//! These documents are pure functions of the identifier and the did:key options, so a computed document never goes
//! stale: the memo needs no TTL and does not touch the did:web cache. It only saves the point decompression and
//! key conversion (up to a few hundred microseconds for BLS keys) when verifiers resolve the same issuers again,
//! which is the common case. Errors are not memoized.

use quick_cache::sync::Cache;

use trustnode_did::document::Document;
use trustnode_did::key::KeyOptions;

/// Computed documents by identifier and options.
pub(crate) struct Memo {
    documents: Option<Cache<(String, KeyOptions), Document>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").field("entries", &self.documents.as_ref().map(Cache::len)).finish()
    }
}

impl Memo {
    /// A memo of at most `capacity` documents; 0 disables it.
    pub fn new(capacity: u64) -> Memo {
        Memo { documents: (capacity > 0).then(|| Cache::new(usize::try_from(capacity).unwrap_or(usize::MAX))) }
    }

    /// The memoized document for `did` with `options`, or the one `compute` returns (memoized on success).
    pub(crate) fn get_or_compute<E>(
        &self,
        did: &str,
        options: KeyOptions,
        compute: impl FnOnce() -> Result<serde_json::Value, E>,
    ) -> Result<Document, E> {
        let Some(documents) = &self.documents else { return compute().map(Document::new) };
        let key = (did.to_owned(), options);
        if let Some(document) = documents.get(&key) {
            return Ok(document);
        }
        let document = Document::new(compute()?);
        documents.insert(key, document.compact());
        Ok(document)
    }
}
