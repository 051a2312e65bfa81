//! The node's own identity: a signing key and the DID that names it, used to sign answers (and, later, other
//! statements the node makes, such as OpenID Federation entity statements).
//!
//! By default the key is an Ed25519 key generated on first start into `data_dir/node-key.jwk` (the `trustnode key
//! generate` file format, written atomically with mode 0600) and reused afterwards; the DID is its did:key. An
//! operator may configure a key file and a did:web instead (`[node]`); the verification method is then
//! `<did>#<multibase of the key>`, and the node checks at start that the published did:web document lists it under
//! `assertionMethod`. This module reads and writes the key file and resolves the did:web; the signing API itself
//! ([`NodeIdentity::sign_compact`]) does no I/O.

use std::path::{Path, PathBuf};

use rand_core::OsRng;
use serde_json::{json, Value};

use crate::config::NodeConfig;
use trustnode_did::key::{self as did_key, KeyOptions};
use trustnode_registry::jws::{self, JwsError, SigningKey, SigningKeyType};
use trustnode_resolver::{Content, ResolutionOptions, Resolver};

/// The generated key's file name inside the data directory.
pub(crate) const NODE_KEY_FILE: &str = "node-key.jwk";

/// Why the node's identity could not be set up; each stops the node with a clear message.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The key file cannot be read or written.
    #[error("node key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file holds no usable key.
    #[error("node key file {path}: {error}")]
    InvalidKey {
        /// The file.
        path: PathBuf,
        /// Why the key is unusable.
        error: JwsError,
    },
    /// A configured did:key names another key than the node's.
    #[error("node.did {did} is not the did:key of the node's key ({key_did})")]
    DidKeyMismatch {
        /// The configured DID.
        did: String,
        /// The key's did:key.
        key_did: String,
    },
    /// The configured did:web document does not authorize the node's key for assertions.
    #[error("the did:web document of {did} does not list the node's key {kid} as an assertion method: {why}")]
    KeyNotPublished {
        /// The configured DID.
        did: String,
        /// The node's verification method.
        kid: String,
        /// What the document lacks.
        why: String,
    },
    /// The DID document could not be built.
    #[error("cannot build the node's DID document: {0}")]
    Document(String),
}

/// The node's DID, key and DID document.
#[derive(Debug)]
pub struct NodeIdentity {
    did: String,
    kid: String,
    key: SigningKey,
    document: Value,
}

impl NodeIdentity {
    /// Loads the configured key, or the data directory's key (generated on first start), and names it with the
    /// configured DID or its did:key. Does not contact a did:web host: see [`NodeIdentity::check_published`].
    pub fn load(config: &NodeConfig, data_dir: &Path) -> Result<NodeIdentity, IdentityError> {
        let key = if config.key_file.is_empty() {
            load_or_generate(&data_dir.join(NODE_KEY_FILE), data_dir)?
        } else {
            read_key(Path::new(&config.key_file))?
        };
        NodeIdentity::new(key, Some(config.did.as_str()).filter(|did| !did.is_empty()))
    }

    /// Names `key` with `did` (a did:web, or the key's own did:key), or with its did:key when `did` is `None`.
    pub fn new(key: SigningKey, did: Option<&str>) -> Result<NodeIdentity, IdentityError> {
        let document_error = |error: JwsError| IdentityError::Document(error.to_string());
        let public = key.public_key().to_did_key().map_err(document_error)?;
        let key_did = did_key::did_for(&public);
        let multibase = public.to_multibase();
        match did {
            Some(did) if did.starts_with("did:web:") => {
                let kid = format!("{did}#{multibase}");
                let method = json!({"id": kid, "type": "Multikey", "controller": did, "publicKeyMultibase": multibase});
                let document = json!({
                    "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
                    "id": did,
                    "verificationMethod": [method],
                    "assertionMethod": [kid],
                    "authentication": [kid],
                });
                Ok(NodeIdentity { did: did.to_owned(), kid, key, document })
            }
            Some(did) if did != key_did => {
                Err(IdentityError::DidKeyMismatch { did: did.to_owned(), key_did: key_did.clone() })
            }
            _ => {
                let method_specific_id = key_did.strip_prefix("did:key:").unwrap_or_default();
                let document = did_key::resolve(&key_did, method_specific_id, &KeyOptions::default())
                    .map_err(|error| IdentityError::Document(error.to_string()))?;
                let kid = key.did_key_url().map_err(document_error)?;
                Ok(NodeIdentity { did: key_did, kid, key, document })
            }
        }
    }

    /// The node's DID.
    pub fn did(&self) -> &str {
        &self.did
    }

    /// The verification method that signs: the `kid` of every JWS the node makes.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The node's DID document (for a did:key, the resolved document; for a did:web, the document the node
    /// expects to be published).
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The node's public key as a JWK named by [`NodeIdentity::kid`], with its `alg` and `use` = `sig`, for JWK
    /// sets such as an OpenID Federation entity configuration's `jwks`.
    pub(crate) fn public_jwk(&self) -> Result<serde_json::Map<String, Value>, JwsError> {
        let mut jwk = self.key.public_key().to_jwk()?;
        jwk.insert("kid".into(), json!(self.kid));
        jwk.insert("alg".into(), json!(self.key.algorithm().jose_name()));
        jwk.insert("use".into(), json!("sig"));
        Ok(jwk)
    }

    /// A compact JWS of `payload`, typed `typ` (e.g. `trqp-answer+jws`), signed with the node's key.
    pub fn sign_compact(&self, typ: &str, payload: &[u8]) -> Result<String, JwsError> {
        jws::sign_compact(payload, &self.key, &self.did, &self.kid, typ)
    }

    /// The same signature as [`NodeIdentity::sign_compact`] with the payload left out (`header..signature`, RFC 7515
    /// appendix F), for a payload the receiver already holds: it puts the payload's base64url back in to verify.
    pub fn sign_detached(&self, typ: &str, payload: &[u8]) -> Result<String, JwsError> {
        let compact = self.sign_compact(typ, payload)?;
        let (header, rest) = compact.split_once('.').unwrap_or_default();
        let (_, signature) = rest.split_once('.').unwrap_or_default();
        Ok(format!("{header}..{signature}"))
    }

    /// For a did:web identity, checks that the published document lists the node's key under `assertionMethod`.
    /// An unreachable document is only logged: the node may be the host that serves it.
    pub async fn check_published(&self, resolver: &Resolver) -> Result<(), IdentityError> {
        if !self.did.starts_with("did:web:") {
            return Ok(());
        }
        let document = match resolver.resolve(&self.did, &ResolutionOptions::default()).await.result {
            Ok(Content::Document(document)) => document,
            Ok(_) => return Ok(()),
            Err(error) => {
                tracing::warn!(did = %self.did, %error, "cannot fetch the node's did:web document; not checked");
                return Ok(());
            }
        };
        let not_published =
            |why: String| IdentityError::KeyNotPublished { did: self.did.clone(), kid: self.kid.clone(), why };
        let listed = jws::assertion_key(document.value(), &self.did, &self.kid)
            .map_err(|error| not_published(error.to_string()))?;
        if listed != self.key.public_key() {
            return Err(not_published("it lists another key under that id".to_owned()));
        }
        Ok(())
    }
}

fn read_key(path: &Path) -> Result<SigningKey, IdentityError> {
    let bytes = std::fs::read(path).map_err(|source| IdentityError::KeyFile { path: path.to_owned(), source })?;
    SigningKey::from_file_bytes(&bytes).map_err(|error| IdentityError::InvalidKey { path: path.to_owned(), error })
}

fn load_or_generate(path: &Path, data_dir: &Path) -> Result<SigningKey, IdentityError> {
    if path.exists() {
        return read_key(path);
    }
    let key = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
    let bytes = key.to_file_bytes().map_err(|error| IdentityError::InvalidKey { path: path.to_owned(), error })?;
    crate::store::write_private_atomically(data_dir, path, &bytes)
        .map_err(|source| IdentityError::KeyFile { path: path.to_owned(), source })?;
    tracing::info!(path = %path.display(), "generated the node's signing key");
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(did: &str, key_file: &str) -> NodeConfig {
        NodeConfig { did: did.to_owned(), key_file: key_file.to_owned() }
    }

    #[test]
    fn the_generated_key_is_private_and_reused() {
        let data = tempfile::tempdir().unwrap();
        let first = NodeIdentity::load(&config("", ""), data.path()).unwrap();
        let again = NodeIdentity::load(&config("", ""), data.path()).unwrap();
        assert_eq!(first.did(), again.did());
        assert!(first.did().starts_with("did:key:z6Mk"), "{}", first.did());
        assert_eq!(first.document()["id"], first.did());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(data.path().join(NODE_KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn signatures_verify_against_the_published_document() {
        let data = tempfile::tempdir().unwrap();
        for did in ["", "did:web:node.example%3A8443"] {
            let identity = NodeIdentity::load(&config(did, ""), data.path()).unwrap();
            let jws = identity.sign_compact("test+jws", b"{\"a\":1}").unwrap();
            let (verified, payload) =
                jws::verify_compact(&jws, "test+jws", identity.did(), identity.document()).unwrap();
            assert_eq!((verified.kid.as_str(), payload.as_slice()), (identity.kid(), b"{\"a\":1}".as_slice()));
            let detached = identity.sign_detached("test+jws", b"{\"a\":1}").unwrap();
            let (header, signature) = detached.split_once("..").unwrap();
            let attached = format!("{header}.eyJhIjoxfQ.{signature}");
            assert!(jws::verify_compact(&attached, "test+jws", identity.did(), identity.document()).is_ok());
            assert_eq!(jws::compact_signer(&jws).unwrap(), identity.did());
        }
    }

    #[test]
    fn a_configured_key_and_did_must_agree() {
        let data = tempfile::tempdir().unwrap();
        let key = SigningKey::generate(SigningKeyType::P256, &mut OsRng);
        let path = data.path().join("operator.jwk");
        std::fs::write(&path, key.to_file_bytes().unwrap()).unwrap();
        let key_file = path.to_str().unwrap();
        let identity = NodeIdentity::load(&config("", key_file), data.path()).unwrap();
        assert_eq!(identity.did(), key.did_key().unwrap());
        assert!(!data.path().join(NODE_KEY_FILE).exists());
        let other = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng).did_key().unwrap();
        assert!(matches!(
            NodeIdentity::load(&config(&other, key_file), data.path()),
            Err(IdentityError::DidKeyMismatch { .. })
        ));
        std::fs::write(&path, b"{}").unwrap();
        assert!(matches!(
            NodeIdentity::load(&config("", key_file), data.path()),
            Err(IdentityError::InvalidKey { .. })
        ));
    }
}
