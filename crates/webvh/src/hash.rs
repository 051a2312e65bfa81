//! The hashes of did:webvh v1.0 (and v0.5): base58btc of a SHA-256 multihash (code 0x12, 32 bytes) over RFC 8785
//! canonical JSON (the SCID and the entry hash) or over a Multikey string's UTF-8 bytes (pre-rotation
//! commitments). Pure functions of values.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The placeholder that stands for the SCID while it is computed.
pub(crate) const SCID_PLACEHOLDER: &str = "{SCID}";

/// The multihash header of a SHA-256 digest: code 0x12, length 32.
const SHA256_MULTIHASH: [u8; 2] = [0x12, 0x20];

/// base58btc(multihash(SHA-256(bytes))), without a multibase prefix: 46 characters starting `Qm`.
pub(crate) fn multihash(bytes: &[u8]) -> String {
    let mut encoded = SHA256_MULTIHASH.to_vec();
    encoded.extend_from_slice(&Sha256::digest(bytes));
    multibase::Base::Base58Btc.encode(encoded)
}

/// Whether `text` is the base58btc form of a SHA-256 multihash (the form of SCIDs, entry hashes and key hashes).
pub(crate) fn is_multihash(text: &str) -> bool {
    text.len() == 46
        && text.starts_with("Qm")
        && multibase::Base::Base58Btc
            .decode(text)
            .is_ok_and(|bytes| bytes.len() == 34 && bytes.starts_with(&SHA256_MULTIHASH))
}

/// The pre-rotation commitment to a Multikey: the hash of the key's string, not of the decoded key.
pub fn key_hash(multikey: &str) -> String {
    multihash(multikey.as_bytes())
}

/// The canonical hash of a JSON value.
fn json_hash(value: &Value) -> Result<String, String> {
    trustnode_jcs::canonicalize(value).map(|bytes| multihash(&bytes)).map_err(|error| error.to_string())
}

/// The entry hash: the entry without `proof`, its `versionId` replaced by the previous entry's (the SCID for the
/// first entry), canonicalized and hashed.
pub(crate) fn entry_hash(entry: &Map<String, Value>, previous_version_id: &str) -> Result<String, String> {
    let mut input = entry.clone();
    input.remove("proof");
    input.insert("versionId".to_owned(), Value::String(previous_version_id.to_owned()));
    json_hash(&Value::Object(input))
}

/// The SCID a first entry certifies: the entry without `proof`, `versionId` set to `{SCID}` and every occurrence
/// of `scid` in its text replaced by `{SCID}`, canonicalized and hashed.
pub(crate) fn scid_of(entry: &Map<String, Value>, scid: &str) -> Result<String, String> {
    let mut template = entry.clone();
    template.remove("proof");
    template.insert("versionId".to_owned(), Value::String(SCID_PLACEHOLDER.to_owned()));
    let text = serde_json::to_string(&template).map_err(|error| error.to_string())?;
    template_hash(&text.replace(scid, SCID_PLACEHOLDER))
}

/// The hash of a first-entry template (JSON text with `{SCID}` placeholders): what the SCID is.
pub(crate) fn template_hash(template: &str) -> Result<String, String> {
    let value: Value = serde_json::from_str(template).map_err(|error| error.to_string())?;
    json_hash(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multihashes_have_the_scid_form() {
        let hash = multihash(b"");
        assert!(is_multihash(&hash), "{hash}");
        // SHA-256 of nothing, as a base58btc multihash.
        assert_eq!(hash, "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n");
        assert!(!is_multihash("Qm0000000000000000000000000000000000000000000000"));
        assert!(!is_multihash(&hash[1..]));
    }

    #[test]
    fn key_hashes_hash_the_multikey_text() {
        let key = "z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG";
        assert_eq!(key_hash(key), multihash(key.as_bytes()));
    }
}
