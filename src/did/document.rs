//! A resolved DID document together with its JSON text, serialized once and shared cheaply, so that answers can
//! embed the text without serializing the document again for every request.

use std::sync::Arc;

use serde_json::Value;

/// A DID document and its compact JSON serialization. Cloning shares both.
#[derive(Debug, Clone, PartialEq)]
pub struct Document(Arc<Inner>);

#[derive(Debug, PartialEq)]
struct Inner {
    value: Value,
    json: Vec<u8>,
}

impl Document {
    /// Wraps `value`, serializing it once.
    pub fn new(value: Value) -> Document {
        // Serializing a `Value` cannot fail: its map keys are strings and it holds no non-finite numbers.
        let json = serde_json::to_vec(&value).unwrap_or_default();
        Document(Arc::new(Inner { value, json }))
    }

    /// The document as a JSON value (for dereferencing).
    pub fn value(&self) -> &Value {
        &self.0.value
    }

    /// The document's compact JSON text.
    pub fn json(&self) -> &[u8] {
        &self.0.json
    }
}
