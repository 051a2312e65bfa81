//! JWS (RFC 7515) signing and verification for DIDs: detached JWS over a snapshot's signed header, compact JWS
//! for other typed payloads (e.g. a node's signed answers), the signing-key file, and key lookup in the signer's
//! resolved DID document.
//!
//! The detached form is `BASE64URL(header)..BASE64URL(signature)` (RFC 7515 appendix F): the payload is left out
//! because the verifier recomputes it, but it is still signed as `BASE64URL(header) '.' BASE64URL(payload)`. The
//! header is the canonical JSON of `alg` (`EdDSA` with Ed25519 or `ES256` with P-256), `kid` (a DID URL of the
//! signer) and `typ` (for snapshots [`SNAPSHOT_JWS_TYPE`]); a header with `crit` is refused because no extension
//! is understood. Every verification names the `typ` it expects, so no signature passes for another purpose.
//!
//! A verifier trusts a key only if the authority's DID document lists it under `assertionMethod` (by absolute or
//! `#fragment` reference into `verificationMethod`, or embedded), as `publicKeyMultibase` (Ed25519 or P-256
//! multikey) or `publicKeyJwk` (OKP Ed25519 or EC P-256). Resolving the document is the caller's job: nothing here
//! performs I/O; key generation takes the caller's random generator.
//!
//! Key encodings (multikey, JWK, did:key) are not repeated here: keys convert to and from
//! [`trustnode_did::public_key::PublicKey`], which owns them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::Verifier as _;
use rand_core::CryptoRngCore;
use serde_json::{json, Map, Value};

use trustnode_did::public_key;
use trustnode_did::syntax::DidUrl;

/// The `typ` of a snapshot signature, whose payload is the canonical JSON of the snapshot's signed header:
/// explicit typing keeps a snapshot signature from being replayed as something else, and anything else from being
/// accepted as a snapshot signature.
pub const SNAPSHOT_JWS_TYPE: &str = "trust-registry-header+jws";

/// Why signing, verifying or reading a key failed; one variant per reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// Not a compact JWS of the expected form, or its header is not a base64url JSON object.
    #[error("malformed JWS: {0}")]
    Malformed(String),
    /// The `typ` header is missing or not the one expected.
    #[error("wrong JWS type: `typ` is {}, expected `{expected}`", shown(.found.as_deref()))]
    WrongType {
        /// The `typ` found, as JSON, if any.
        found: Option<String>,
        /// The `typ` the verifier expected.
        expected: &'static str,
    },
    /// The `alg` header is missing or not `EdDSA` / `ES256`.
    #[error("unsupported JWS algorithm: `alg` is {}", shown(.0.as_deref()))]
    UnsupportedAlgorithm(Option<String>),
    /// The header has a `crit` member; no extension is understood.
    #[error("the JWS header lists critical extensions {0}, none of which are supported")]
    UnsupportedCritical(String),
    /// The `kid` header is missing.
    #[error("the JWS header has no `kid`")]
    MissingKid,
    /// The `kid` is not a DID URL.
    #[error("kid `{0}` is not a DID URL")]
    KidNotDidUrl(String),
    /// The `kid` is not a DID URL with a fragment under the signer's (e.g. the authority's) DID.
    #[error("kid `{kid}` is not a key of `{authority_id}`")]
    KidNotOfAuthority {
        /// The `kid`.
        kid: String,
        /// The registry's authority.
        authority_id: String,
    },
    /// The DID document given for the signer has another `id`.
    #[error("the DID document's `id` is {}, not `{authority_id}`", shown(.found.as_deref()))]
    DocumentNotOfAuthority {
        /// The document's `id` as JSON, if any.
        found: Option<String>,
        /// The registry's authority.
        authority_id: String,
    },
    /// The key is not referenced from the document's `assertionMethod`.
    #[error("`{0}` is not in the signer's assertionMethod")]
    KeyNotInAssertionMethod(String),
    /// `assertionMethod` references a verification method the document does not define.
    #[error("`{0}` is referenced from assertionMethod but not defined in verificationMethod")]
    UnknownVerificationMethod(String),
    /// The verification method has no usable Ed25519 or P-256 key.
    #[error("verification method `{kid}` has no supported key: {why}")]
    UnsupportedKey {
        /// The verification method.
        kid: String,
        /// What was found instead.
        why: String,
    },
    /// The key type does not match `alg` (e.g. ES256 with an Ed25519 key).
    #[error("algorithm {algorithm} does not fit the {key_type} key `{kid}`")]
    AlgorithmKeyMismatch {
        /// The header's `alg`.
        algorithm: &'static str,
        /// The key's type.
        key_type: &'static str,
        /// The verification method.
        kid: String,
    },
    /// The signature does not verify over the payload with the key.
    #[error("the signature does not verify")]
    BadSignature,
    /// A signing-key file is unreadable or inconsistent.
    #[error("invalid signing key file: {0}")]
    InvalidKeyFile(String),
}

/// The signature algorithms supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// EdDSA with Ed25519 (RFC 8037).
    EdDsa,
    /// ECDSA with P-256 and SHA-256, signature as `r ‖ s`.
    Es256,
}

impl Algorithm {
    /// The JOSE `alg` name.
    pub fn jose_name(self) -> &'static str {
        match self {
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Es256 => "ES256",
        }
    }

    fn from_jose_name(name: &str) -> Option<Algorithm> {
        [Algorithm::EdDsa, Algorithm::Es256].into_iter().find(|alg| alg.jose_name() == name)
    }
}

/// The key types a registry can be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningKeyType {
    /// Ed25519, signs with EdDSA.
    Ed25519,
    /// NIST P-256, signs with ES256.
    P256,
}

/// A private signing key. Its `Debug` output shows only the public did:key, never the secret.
#[derive(Clone)]
pub enum SigningKey {
    /// An Ed25519 key.
    Ed25519(ed25519_dalek::SigningKey),
    /// A P-256 key.
    P256(p256::ecdsa::SigningKey),
}

/// A public verification key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    /// An Ed25519 key.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// A P-256 key.
    P256(p256::ecdsa::VerifyingKey),
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The algorithm used.
    pub algorithm: Algorithm,
    /// The authority's verification method that signed.
    pub kid: String,
}

/// A JSON member's value, as JSON text, for an error message; `missing` when absent.
fn shown(value: Option<&str>) -> &str {
    value.unwrap_or("missing")
}

fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn from_base64url(text: &str, what: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD.decode(text).map_err(|e| format!("{what} is not unpadded base64url: {e}"))
}

fn jwk_member(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let text = jwk.get(name).and_then(Value::as_str).ok_or_else(|| format!("JWK has no string `{name}`"))?;
    from_base64url(text, name)
}

fn fixed<const N: usize>(bytes: Vec<u8>, what: &str) -> Result<[u8; N], String> {
    let length = bytes.len();
    bytes.try_into().map_err(|_| format!("{what} must be {N} bytes, got {length}"))
}

impl SigningKey {
    /// A fresh key of `key_type` from the caller's cryptographic random generator.
    pub fn generate(key_type: SigningKeyType, rng: &mut impl CryptoRngCore) -> SigningKey {
        match key_type {
            SigningKeyType::Ed25519 => SigningKey::Ed25519(ed25519_dalek::SigningKey::generate(rng)),
            SigningKeyType::P256 => SigningKey::P256(p256::ecdsa::SigningKey::random(rng)),
        }
    }

    /// The signature algorithm this key uses.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            SigningKey::Ed25519(_) => Algorithm::EdDsa,
            SigningKey::P256(_) => Algorithm::Es256,
        }
    }

    /// The public half.
    pub fn public_key(&self) -> VerifyingKey {
        match self {
            SigningKey::Ed25519(key) => VerifyingKey::Ed25519(key.verifying_key()),
            SigningKey::P256(key) => VerifyingKey::P256(*key.verifying_key()),
        }
    }

    /// The key file's bytes: a private JWK (with `d`) as canonical JSON. The caller writes it with mode 0600.
    pub fn to_file_bytes(&self) -> Result<Vec<u8>, JwsError> {
        let mut jwk = self.public_key().to_jwk()?;
        let private = match self {
            SigningKey::Ed25519(key) => base64url(key.as_bytes()),
            SigningKey::P256(key) => base64url(&key.to_bytes()),
        };
        jwk.insert("d".to_owned(), Value::String(private));
        trustnode_jcs::canonicalize(&Value::Object(jwk)).map_err(|e| JwsError::InvalidKeyFile(e.to_string()))
    }

    /// Reads a key file written by [`SigningKey::to_file_bytes`]; a public part that disagrees with `d` is refused.
    pub fn from_file_bytes(bytes: &[u8]) -> Result<SigningKey, JwsError> {
        let invalid = JwsError::InvalidKeyFile;
        let jwk: Value = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        let members = jwk.as_object().ok_or_else(|| invalid("not a JSON object".to_owned()))?;
        let private = jwk_member(members, "d").map_err(invalid)?;
        let key = match (members.get("kty").and_then(Value::as_str), members.get("crv").and_then(Value::as_str)) {
            (Some("OKP"), Some("Ed25519")) => {
                SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&fixed(private, "d").map_err(invalid)?))
            }
            (Some("EC"), Some("P-256")) => {
                // JWK requires the full 32-byte scalar; `from_slice` would quietly left-pad a shorter one.
                let scalar: [u8; 32] = fixed(private, "d").map_err(invalid)?;
                let key =
                    p256::ecdsa::SigningKey::from_bytes(&scalar.into()).map_err(|e| invalid(format!("d: {e}")))?;
                SigningKey::P256(key)
            }
            _ => {
                let [kty, crv] = ["kty", "crv"].map(|name| members.get(name).map(Value::to_string));
                let (kty, crv) = (shown(kty.as_deref()), shown(crv.as_deref()));
                return Err(invalid(format!("unsupported key: `kty` is {kty}, `crv` is {crv}")));
            }
        };
        let public: Map<String, Value> =
            members.iter().filter(|(name, _)| *name != "d").map(|(n, v)| (n.clone(), v.clone())).collect();
        let declared = VerifyingKey::from_jwk(&public).map_err(invalid)?;
        if declared != key.public_key() {
            return Err(invalid("the public part does not belong to the private key `d`".to_owned()));
        }
        Ok(key)
    }

    /// The did:key DID of the public key.
    pub fn did_key(&self) -> Result<String, JwsError> {
        Ok(trustnode_did::key::did_for(&self.public_key().to_did_key()?))
    }

    /// The did:key verification method id, the `kid` for a did:key authority.
    pub fn did_key_url(&self) -> Result<String, JwsError> {
        let multibase = self.public_key().to_did_key()?.to_multibase();
        Ok(format!("did:key:{multibase}#{multibase}"))
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            SigningKey::Ed25519(key) => key.sign(message).to_bytes().to_vec(),
            SigningKey::P256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(message);
                signature.to_bytes().to_vec()
            }
        }
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let did = self.did_key().unwrap_or_else(|error| error.to_string());
        f.debug_tuple("SigningKey").field(&did).finish()
    }
}

impl VerifyingKey {
    /// The key type's name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            VerifyingKey::Ed25519(_) => "Ed25519",
            VerifyingKey::P256(_) => "P-256",
        }
    }

    fn algorithm(&self) -> Algorithm {
        match self {
            VerifyingKey::Ed25519(_) => Algorithm::EdDsa,
            VerifyingKey::P256(_) => Algorithm::Es256,
        }
    }

    /// The same key in the resolver's key model, which owns the multikey, JWK and did:key encodings.
    pub fn to_did_key(&self) -> Result<public_key::PublicKey, JwsError> {
        match self {
            VerifyingKey::Ed25519(key) => public_key::PublicKey::from_raw(public_key::KeyType::Ed25519, key.as_bytes())
                .map_err(|e| JwsError::InvalidKeyFile(e.detail)),
            VerifyingKey::P256(key) => Ok(public_key::PublicKey::P256(p256::PublicKey::from(key))),
        }
    }

    /// The signing-capable key of a validated resolver key; other key types cannot sign snapshots.
    pub(crate) fn from_did_key(key: &public_key::PublicKey) -> Result<VerifyingKey, String> {
        match key {
            public_key::PublicKey::Ed25519(_) => ed25519_from_bytes(key.raw_bytes()),
            public_key::PublicKey::P256(point) => Ok(VerifyingKey::P256(p256::ecdsa::VerifyingKey::from(point))),
            other => Err(format!("{} keys cannot sign registry snapshots", other.key_type().name())),
        }
    }

    /// Reads a multikey `publicKeyMultibase` value (`z` + base58btc multicodec key).
    pub(crate) fn from_multibase(text: &str) -> Result<VerifyingKey, String> {
        if !text.starts_with('z') || text.contains(':') {
            return Err("publicKeyMultibase must be base58btc (`z…`)".to_owned());
        }
        let key = trustnode_did::key::decode(text).map_err(|e| format!("publicKeyMultibase: {}", e.detail))?;
        VerifyingKey::from_did_key(&key)
    }

    /// Reads a public JWK.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<VerifyingKey, String> {
        VerifyingKey::from_did_key(&public_key::PublicKey::from_jwk(jwk).map_err(|e| e.detail)?)
    }

    /// The public JWK.
    pub fn to_jwk(&self) -> Result<Map<String, Value>, JwsError> {
        self.to_did_key()?.to_jwk().ok_or_else(|| JwsError::InvalidKeyFile("the key has no single JWK".to_owned()))
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), JwsError> {
        let verified = match self {
            VerifyingKey::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify_strict(message, &signature).is_ok()),
            VerifyingKey::P256(key) => p256::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
        };
        verified.then_some(()).ok_or(JwsError::BadSignature)
    }
}

fn ed25519_from_bytes(bytes: Vec<u8>) -> Result<VerifyingKey, String> {
    let bytes: [u8; 32] = fixed(bytes, "Ed25519 key")?;
    ed25519_dalek::VerifyingKey::from_bytes(&bytes).map(VerifyingKey::Ed25519).map_err(|e| format!("Ed25519 key: {e}"))
}

/// Checks that `kid` is a DID URL with a fragment under `authority_id`.
fn check_kid(kid: &str, authority_id: &str) -> Result<(), JwsError> {
    match DidUrl::parse(kid) {
        Ok(url)
            if url.did == authority_id
                && url.path.is_empty()
                && url.query.is_none()
                && url.fragment.is_some_and(|f| !f.is_empty()) =>
        {
            Ok(())
        }
        _ => Err(JwsError::KidNotOfAuthority { kid: kid.to_owned(), authority_id: authority_id.to_owned() }),
    }
}

/// Signs `payload` for `authority_id` with `key`, named by `kid`; returns the detached compact JWS typed
/// [`SNAPSHOT_JWS_TYPE`].
pub(crate) fn sign_detached(
    payload: &[u8],
    key: &SigningKey,
    authority_id: &str,
    kid: &str,
) -> Result<String, JwsError> {
    let (header, _, signature) = signed_parts(payload, key, authority_id, kid, SNAPSHOT_JWS_TYPE)?;
    Ok(format!("{header}..{signature}"))
}

/// Signs `payload` for `signer_id` with `key`, named by `kid`, typed `typ`; returns the compact JWS with the payload
/// attached (`header.payload.signature`).
pub fn sign_compact(
    payload: &[u8],
    key: &SigningKey,
    signer_id: &str,
    kid: &str,
    typ: &str,
) -> Result<String, JwsError> {
    let (header, payload, signature) = signed_parts(payload, key, signer_id, kid, typ)?;
    Ok(format!("{header}.{payload}.{signature}"))
}

/// The three base64url parts of a JWS over `payload`.
fn signed_parts(
    payload: &[u8],
    key: &SigningKey,
    signer_id: &str,
    kid: &str,
    typ: &str,
) -> Result<(String, String, String), JwsError> {
    check_kid(kid, signer_id)?;
    let header = json!({"alg": key.algorithm().jose_name(), "kid": kid, "typ": typ});
    let header = base64url(&trustnode_jcs::canonicalize(&header).map_err(|e| JwsError::Malformed(e.to_string()))?);
    let payload = base64url(payload);
    let signature = key.sign(signing_input(&header, &payload).as_bytes());
    Ok((header, payload, base64url(&signature)))
}

fn signing_input(encoded_header: &str, encoded_payload: &str) -> String {
    [encoded_header, ".", encoded_payload].concat()
}

/// Verifies a detached JWS over `payload` as a snapshot signature of `authority_id`, whose resolved DID document
/// is `authority_document`.
pub fn verify_detached(
    jws: &str,
    payload: &[u8],
    authority_id: &str,
    authority_document: &Value,
) -> Result<VerifiedSignature, JwsError> {
    let (encoded_header, encoded_signature) = detached_parts(jws)?;
    let header = read_header(encoded_header)?;
    let signed = SignedParts { encoded_header, encoded_payload: &base64url(payload), encoded_signature };
    verify_parts(&header, &signed, SNAPSHOT_JWS_TYPE, authority_id, authority_document)
}

/// The DID whose key signed a compact JWS, read from its `kid` without verifying anything: the caller resolves it
/// and then calls [`verify_compact`].
pub fn compact_signer(jws: &str) -> Result<String, JwsError> {
    let encoded_header = jws.trim().split('.').next().unwrap_or_default();
    let header = read_header(encoded_header)?;
    let kid = header.get("kid").and_then(Value::as_str).ok_or(JwsError::MissingKid)?;
    DidUrl::parse(kid).map(|url| url.did.to_owned()).map_err(|_| JwsError::KidNotDidUrl(kid.to_owned()))
}

/// Verifies a compact JWS with attached payload, typed `typ`, as signed by `signer_id` (whose resolved DID
/// document is `signer_document`); returns what was verified and the payload.
pub fn verify_compact(
    jws: &str,
    typ: &'static str,
    signer_id: &str,
    signer_document: &Value,
) -> Result<(VerifiedSignature, Vec<u8>), JwsError> {
    let parts: Vec<&str> = jws.trim().split('.').collect();
    let [encoded_header, encoded_payload, encoded_signature] = parts.as_slice() else {
        return Err(JwsError::Malformed("expected `header.payload.signature` (a compact JWS)".to_owned()));
    };
    if encoded_payload.is_empty() {
        return Err(JwsError::Malformed("the payload is empty (a detached JWS is not an answer)".to_owned()));
    }
    let header = read_header(encoded_header)?;
    let signed = SignedParts { encoded_header, encoded_payload, encoded_signature };
    let verified = verify_parts(&header, &signed, typ, signer_id, signer_document)?;
    let payload = from_base64url(encoded_payload, "payload").map_err(JwsError::Malformed)?;
    Ok((verified, payload))
}

/// The base64url parts of a JWS as received.
struct SignedParts<'a> {
    encoded_header: &'a str,
    encoded_payload: &'a str,
    encoded_signature: &'a str,
}

fn read_header(encoded_header: &str) -> Result<Map<String, Value>, JwsError> {
    let malformed = |why: String| JwsError::Malformed(why);
    let header: Value = serde_json::from_slice(&from_base64url(encoded_header, "header").map_err(malformed)?)
        .map_err(|e| malformed(format!("header is not JSON: {e}")))?;
    match header {
        Value::Object(header) => Ok(header),
        _ => Err(malformed("header is not a JSON object".to_owned())),
    }
}

/// Checks a detached snapshot JWS as far as it can be checked without the snapshot: its form, and a protected header
/// typed for snapshots, without critical extensions, whose `kid` is a key that `authority_document` lists under
/// `assertionMethod`, with that key's algorithm. Publishing screens a request with this before reading its body;
/// [`verify_detached`] repeats it and checks the signature.
pub fn check_detached_header(jws: &str, authority_id: &str, authority_document: &Value) -> Result<(), JwsError> {
    let (encoded_header, _) = detached_parts(jws)?;
    signing_key(&read_header(encoded_header)?, SNAPSHOT_JWS_TYPE, authority_id, authority_document).map(|_| ())
}

/// The header and signature of a detached compact JWS (`header..signature`).
fn detached_parts(jws: &str) -> Result<(&str, &str), JwsError> {
    let parts: Vec<&str> = jws.trim().split('.').collect();
    match parts.as_slice() {
        [encoded_header, "", encoded_signature] => Ok((encoded_header, encoded_signature)),
        _ => Err(JwsError::Malformed("expected `header..signature` (a detached compact JWS)".to_owned())),
    }
}

/// The algorithm, key id and key a protected header names, once the header is of type `expected_typ`, has no
/// critical extensions, and names a key of `signer_id`'s `assertionMethod` that fits its algorithm.
fn signing_key<'h>(
    header: &'h Map<String, Value>,
    expected_typ: &'static str,
    signer_id: &str,
    signer_document: &Value,
) -> Result<(Algorithm, &'h str, VerifyingKey), JwsError> {
    let text_member = |name: &str| header.get(name).and_then(Value::as_str);
    if text_member("typ") != Some(expected_typ) {
        return Err(JwsError::WrongType { found: header.get("typ").map(Value::to_string), expected: expected_typ });
    }
    if let Some(critical) = header.get("crit") {
        return Err(JwsError::UnsupportedCritical(critical.to_string()));
    }
    let algorithm = text_member("alg")
        .and_then(Algorithm::from_jose_name)
        .ok_or_else(|| JwsError::UnsupportedAlgorithm(header.get("alg").map(Value::to_string)))?;
    let kid = text_member("kid").ok_or(JwsError::MissingKid)?;
    check_kid(kid, signer_id)?;

    let key = assertion_key(signer_document, signer_id, kid)?;
    if key.algorithm() != algorithm {
        return Err(JwsError::AlgorithmKeyMismatch {
            algorithm: algorithm.jose_name(),
            key_type: key.type_name(),
            kid: kid.to_owned(),
        });
    }
    Ok((algorithm, kid, key))
}

fn verify_parts(
    header: &Map<String, Value>,
    signed: &SignedParts<'_>,
    expected_typ: &'static str,
    signer_id: &str,
    signer_document: &Value,
) -> Result<VerifiedSignature, JwsError> {
    let (algorithm, kid, key) = signing_key(header, expected_typ, signer_id, signer_document)?;
    let signature = from_base64url(signed.encoded_signature, "signature").map_err(JwsError::Malformed)?;
    key.verify(signing_input(signed.encoded_header, signed.encoded_payload).as_bytes(), &signature)?;
    Ok(VerifiedSignature { algorithm, kid: kid.to_owned() })
}

/// The key `kid` if the document of `authority_id` lists it under `assertionMethod`.
pub fn assertion_key(document: &Value, authority_id: &str, kid: &str) -> Result<VerifyingKey, JwsError> {
    if document.get("id").and_then(Value::as_str) != Some(authority_id) {
        return Err(JwsError::DocumentNotOfAuthority {
            found: document.get("id").map(Value::to_string),
            authority_id: authority_id.to_owned(),
        });
    }
    let absolute = |id: &str| if id.starts_with('#') { format!("{authority_id}{id}") } else { id.to_owned() };
    let is_kid = |method: &Value| method.get("id").and_then(Value::as_str).is_some_and(|id| absolute(id) == kid);
    let listed = |relationship: &str| document.get(relationship).and_then(Value::as_array).into_iter().flatten();

    let entry = listed("assertionMethod")
        .find(|entry| match entry {
            Value::String(reference) => absolute(reference) == kid,
            embedded => is_kid(embedded),
        })
        .ok_or_else(|| JwsError::KeyNotInAssertionMethod(kid.to_owned()))?;
    let method = match entry {
        Value::String(_) => listed("verificationMethod")
            .find(|method| is_kid(method))
            .ok_or_else(|| JwsError::UnknownVerificationMethod(kid.to_owned()))?,
        embedded => embedded,
    };
    let unsupported = |why: String| JwsError::UnsupportedKey { kid: kid.to_owned(), why };
    if let Some(multibase) = method.get("publicKeyMultibase").and_then(Value::as_str) {
        VerifyingKey::from_multibase(multibase).map_err(unsupported)
    } else if let Some(jwk) = method.get("publicKeyJwk") {
        let jwk = jwk.as_object().ok_or_else(|| unsupported("publicKeyJwk is not an object".to_owned()))?;
        VerifyingKey::from_jwk(jwk).map_err(unsupported)
    } else {
        Err(unsupported("neither publicKeyMultibase nor publicKeyJwk".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    const VECTORS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/didkey-valid.json"));

    #[test]
    fn refusals_show_header_values_as_json_never_as_rust_values() {
        let wrong = JwsError::WrongType { found: Some("\"JWT\"".into()), expected: SNAPSHOT_JWS_TYPE };
        assert_eq!(wrong.to_string(), "wrong JWS type: `typ` is \"JWT\", expected `trust-registry-header+jws`");
        let untyped = JwsError::WrongType { found: None, expected: SNAPSHOT_JWS_TYPE };
        assert_eq!(untyped.to_string(), "wrong JWS type: `typ` is missing, expected `trust-registry-header+jws`");
        assert_eq!(JwsError::UnsupportedAlgorithm(None).to_string(), "unsupported JWS algorithm: `alg` is missing");
        let document = json!({"id": 7});
        let refused = assertion_key(&document, "did:example:a", "did:example:a#k").unwrap_err();
        assert_eq!(refused.to_string(), "the DID document's `id` is 7, not `did:example:a`");
        let refused = SigningKey::from_file_bytes(br#"{"kty":"RSA","d":"AA"}"#).unwrap_err();
        assert!(refused.to_string().ends_with("unsupported key: `kty` is \"RSA\", `crv` is missing"), "{refused}");
    }

    #[test]
    fn multikeys_match_the_did_key_vectors() {
        let vectors: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
        let supported = vectors
            .iter()
            .filter(|v| matches!(v["codecName"].as_str(), Some("ed25519-pub") | Some("p256-pub")))
            .collect::<Vec<_>>();
        assert_eq!(supported.len(), 28);
        for vector in supported {
            let did = vector["did"].as_str().unwrap();
            let multibase = did.strip_prefix("did:key:").unwrap();
            let key = VerifyingKey::from_multibase(multibase).unwrap_or_else(|e| panic!("{did}: {e}"));
            assert_eq!(key.to_did_key().unwrap().to_multibase(), multibase);
            let jwk = vector["expectedPublicKeyJwk"].as_object().unwrap();
            assert_eq!(VerifyingKey::from_jwk(jwk).unwrap(), key, "{did}");
            assert_eq!(&key.to_jwk().unwrap(), jwk, "{did}");
        }
    }

    #[test]
    fn key_files_round_trip_and_refuse_mismatched_halves() {
        for key_type in [SigningKeyType::Ed25519, SigningKeyType::P256] {
            let key = SigningKey::generate(key_type, &mut OsRng);
            let bytes = key.to_file_bytes().unwrap();
            let read = SigningKey::from_file_bytes(&bytes).unwrap();
            assert_eq!(read.public_key(), key.public_key());

            let other = SigningKey::generate(key_type, &mut OsRng).to_file_bytes().unwrap();
            let mut mixed: Value = serde_json::from_slice(&other).unwrap();
            let original: Value = serde_json::from_slice(&bytes).unwrap();
            mixed["d"] = original["d"].clone();
            let error = SigningKey::from_file_bytes(mixed.to_string().as_bytes()).unwrap_err();
            assert!(matches!(error, JwsError::InvalidKeyFile(_)), "{error}");
        }
        assert!(SigningKey::from_file_bytes(br#"{"kty":"RSA","d":"AA"}"#).is_err());
        let key = SigningKey::generate(SigningKeyType::P256, &mut OsRng);
        let mut short: Value = serde_json::from_slice(&key.to_file_bytes().unwrap()).unwrap();
        short["d"] = json!(base64url(&[7u8; 31]));
        let error = SigningKey::from_file_bytes(short.to_string().as_bytes()).unwrap_err();
        assert!(matches!(&error, JwsError::InvalidKeyFile(why) if why.contains("32 bytes")), "{error}");
        let debug = format!("{key:?}");
        assert!(
            debug.contains(&key.did_key().unwrap())
                && !debug.contains(&base64url(&match &key {
                    SigningKey::P256(k) => k.to_bytes().to_vec(),
                    SigningKey::Ed25519(k) => k.to_bytes().to_vec(),
                }))
        );
    }

    #[test]
    fn the_header_is_typed_and_names_the_key() {
        let key = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
        let did = key.did_key().unwrap();
        let jws = sign_detached(b"{}", &key, &did, &key.did_key_url().unwrap()).unwrap();
        let header = jws.split('.').next().unwrap();
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(header, json!({"alg": "EdDSA", "kid": key.did_key_url().unwrap(), "typ": SNAPSHOT_JWS_TYPE}));
        assert!(jws.contains(".."));
        for kid in
            [format!("did:web:other.example#{}", "k"), format!("{did}/path#k"), format!("{did}?q=1#k"), did.clone()]
        {
            assert!(matches!(sign_detached(b"{}", &key, &did, &kid), Err(JwsError::KidNotOfAuthority { .. })), "{kid}");
        }
    }

    #[test]
    fn a_publish_is_screened_by_its_protected_header_alone() {
        let key = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
        let (did, kid) = (key.did_key().unwrap(), key.did_key_url().unwrap());
        let method = json!({
            "id": kid, "type": "Multikey", "controller": did,
            "publicKeyMultibase": did.strip_prefix("did:key:").unwrap(),
        });
        let document = json!({"id": did, "verificationMethod": [method], "assertionMethod": [kid]});
        let jws = sign_detached(b"{}", &key, &did, &kid).unwrap();
        // The header names a listed key with its algorithm: screened in, whatever the body turns out to be.
        check_detached_header(&jws, &did, &document).unwrap();
        assert!(verify_detached(&jws, b"{\"other\":1}", &did, &document).is_err());

        let unlisted = json!({"id": did, "verificationMethod": [method], "assertionMethod": []});
        assert!(matches!(check_detached_header(&jws, &did, &unlisted), Err(JwsError::KeyNotInAssertionMethod(_))));
        let stranger = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng).did_key().unwrap();
        assert!(matches!(check_detached_header(&jws, &stranger, &document), Err(JwsError::KidNotOfAuthority { .. })));
        let answer = sign_compact(b"{}", &key, &did, &kid, SNAPSHOT_JWS_TYPE).unwrap();
        for malformed in ["", "abc", "a..b..c", answer.as_str()] {
            assert!(
                matches!(check_detached_header(malformed, &did, &document), Err(JwsError::Malformed(_))),
                "{malformed}"
            );
        }
        let untyped = sign_compact(b"", &key, &did, &kid, "JWT").unwrap();
        assert!(matches!(check_detached_header(&untyped, &did, &document), Err(JwsError::WrongType { .. })));
    }
}
