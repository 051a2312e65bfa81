//! (in progress) did:key — placeholder with the agreed API until the key work lands.
use super::error::{invalid_did, unsupported_public_key_type, ResolutionError};

/// Verification-method representation requested with the `publicKeyFormat` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicKeyFormat {
    /// `Multikey`.
    Multikey,
}

impl std::str::FromStr for PublicKeyFormat {
    type Err = ResolutionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "Multikey" => Ok(PublicKeyFormat::Multikey),
            other => Err(unsupported_public_key_type(format!("unknown publicKeyFormat {other:?}"))),
        }
    }
}

/// did:key resolution options.
#[derive(Debug, Clone)]
pub struct KeyOptions {
    /// `publicKeyFormat`.
    pub public_key_format: PublicKeyFormat,
    /// `enableEncryptionKeyDerivation`.
    pub enable_encryption_key_derivation: bool,
    /// `enableExperimentalPublicKeyTypes`.
    pub enable_experimental_public_key_types: bool,
}

impl Default for KeyOptions {
    fn default() -> Self {
        KeyOptions {
            public_key_format: PublicKeyFormat::Multikey,
            enable_encryption_key_derivation: true,
            enable_experimental_public_key_types: false,
        }
    }
}

/// Resolves a did:key.
pub fn resolve(did: &str, _msid: &str, _options: &KeyOptions) -> Result<serde_json::Value, ResolutionError> {
    Err(invalid_did(format!("{did}: not yet")))
}
