//! (in progress) did:jwk — placeholder with the agreed API until the key work lands.
use super::error::{invalid_did, ResolutionError};

/// Resolves a did:jwk.
pub fn resolve(did: &str, _msid: &str) -> Result<serde_json::Value, ResolutionError> {
    Err(invalid_did(format!("{did}: not yet")))
}
