//! A resolved DID document together with its JSON text, serialized once and shared cheaply, so that answers can
//! embed the text without serializing the document again for every request. Pure: no I/O.

use std::sync::{Arc, OnceLock};

use serde_json::Value;

/// A DID document and its compact JSON serialization. Cloning shares both.
#[derive(Debug, Clone)]
pub struct Document(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    json: Vec<u8>,
    /// The document as a value: kept from [`Document::new`], or parsed from `json` on first use.
    value: OnceLock<Value>,
}

impl Document {
    /// Wraps `value`, serializing it once.
    pub fn new(value: Value) -> Document {
        // Serializing a `Value` cannot fail: its map keys are strings and it holds no non-finite numbers.
        let json = serde_json::to_vec(&value).unwrap_or_default();
        Document(Arc::new(Inner { json, value: OnceLock::from(value) }))
    }

    /// The same document holding only its JSON text until its value is asked for, for keeping many documents in
    /// memory: a value tree takes several times the memory of its text and dozens of allocations to drop, while
    /// most answers only need the text.
    pub fn compact(&self) -> Document {
        Document(Arc::new(Inner { json: self.0.json.clone(), value: OnceLock::new() }))
    }

    /// The document as a JSON value (for dereferencing).
    pub fn value(&self) -> &Value {
        // The text was serialized from a value, so it parses; `Null` is only a fallback that cannot be reached.
        self.0.value.get_or_init(|| serde_json::from_slice(&self.0.json).unwrap_or(Value::Null))
    }

    /// The document's compact JSON text.
    pub fn json(&self) -> &[u8] {
        &self.0.json
    }
}

/// Two documents are equal when their texts are: both forms of a document compare equal.
impl PartialEq for Document {
    fn eq(&self, other: &Document) -> bool {
        self.json() == other.json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compact_document_has_the_same_text_and_value() {
        let value = serde_json::json!({"id": "did:key:z6Mk", "n": [1, 2.5, -3e300], "s": "é\"\n"});
        let full = Document::new(value.clone());
        let compact = full.compact();
        assert_eq!(compact.json(), full.json());
        assert_eq!(compact.value(), &value);
        assert_eq!(compact, full);
        assert_ne!(Document::new(serde_json::json!({"id": "other"})), full);
    }
}
