//! The one error type of credential reading and proof verification, one variant per reason, so a caller (and
//! later the HTTP layer) can tell a malformed credential from a proof that does not hold. No I/O here.

use trustnode_jcs::JcsError;

/// Why a credential could not be read or one of its proofs does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// The credential is not a JSON object.
    #[error("a credential must be a JSON object")]
    NotAnObject,
    /// A required member is absent.
    #[error("the credential has no `{0}` member")]
    MissingMember(&'static str),
    /// A member has the wrong JSON shape.
    #[error("`{member}` must be {expected}")]
    InvalidMember {
        /// The member's name.
        member: &'static str,
        /// The shape it must have.
        expected: &'static str,
    },
    /// The first `@context` is neither the VCDM 2.0 nor the VCDM 1.1 base context.
    #[error("the first @context {0:?} is neither the VCDM 2.0 nor the VCDM 1.1 base context")]
    UnknownBaseContext(String),
    /// `type` does not include `VerifiableCredential`.
    #[error("`type` does not include VerifiableCredential")]
    NotAVerifiableCredential,
    /// `type` does not include `VerifiablePresentation`.
    #[error("`type` does not include VerifiablePresentation")]
    NotAVerifiablePresentation,
    /// A date member is not an RFC 3339 date-time with a time zone.
    #[error("`{member}` is not a date-time with a time zone: {value:?}")]
    InvalidDateTime {
        /// The member's name.
        member: &'static str,
        /// The text found.
        value: String,
    },
    /// The credential carries no proof to verify.
    #[error("the credential has no proof")]
    NoProof,
    /// A proof lacks a required member.
    #[error("the proof has no `{0}` member")]
    MissingProofMember(&'static str),
    /// A proof member that must be a string is not one.
    #[error("proof member `{0}` must be a string")]
    ProofMemberNotString(&'static str),
    /// The proof is neither a `DataIntegrityProof` nor an `Ed25519Signature2020`.
    #[error("proof type {0:?} is not supported; DataIntegrityProof and Ed25519Signature2020 are")]
    UnsupportedProofType(String),
    /// The proof's cryptosuite is not one this crate verifies.
    #[error(
        "cryptosuite {0:?} is not supported; eddsa-rdfc-2022, eddsa-jcs-2022, ecdsa-rdfc-2019 and ecdsa-jcs-2019 are"
    )]
    UnsupportedCryptosuite(String),
    /// The proof was made for another purpose than the one the verifier expects.
    #[error("proof purpose is {found:?}, expected {expected:?}")]
    WrongProofPurpose {
        /// The purpose the verifier asked for.
        expected: String,
        /// The purpose the proof states.
        found: String,
    },
    /// `proofValue` is not multibase base58btc.
    #[error("proofValue is not multibase base58btc (`z…`): {0}")]
    InvalidProofValue(String),
    /// The decoded signature has the wrong length for the cryptosuite and key.
    #[error("the signature is {found} bytes; this cryptosuite and key take {expected}")]
    SignatureLength {
        /// The length the cryptosuite and key require.
        expected: usize,
        /// The decoded length.
        found: usize,
    },
    /// The proof's `@context` is not the start of the credential's `@context`, in order.
    #[error("the credential's @context does not start with the proof's @context")]
    ContextMismatch,
    /// The key is of a type the cryptosuite does not use.
    #[error("a {key_type} key cannot verify a {cryptosuite} proof")]
    KeyNotForCryptosuite {
        /// The proof's cryptosuite.
        cryptosuite: &'static str,
        /// The key's multicodec name.
        key_type: &'static str,
    },
    /// A `publicKeyMultibase` value does not decode to a public key.
    #[error("invalid Multikey: {0}")]
    InvalidMultikey(String),
    /// A Multikey of a type no supported cryptosuite uses.
    #[error("a {0} Multikey is not used by any supported cryptosuite (Ed25519, P-256 and P-384 are)")]
    UnsupportedKeyType(&'static str),
    /// The credential or proof has no RFC 8785 canonical form.
    #[error("cannot canonicalize: {0}")]
    Canonicalization(#[from] JcsError),
    /// The document names a JSON-LD context outside the bundled and operator-added set; it is never fetched.
    #[error("the JSON-LD context {0:?} is not in the bundled or operator-added set; contexts are never fetched")]
    UnknownContext(String),
    /// An operator-supplied context was refused.
    #[error("the operator context for {url:?} is refused: {reason}")]
    InvalidOperatorContext {
        /// The URL it was to answer for.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// JSON-LD expansion or the conversion to RDF failed; the reason is the JSON-LD processor's.
    #[error("JSON-LD to RDF failed: {0}")]
    JsonLdExpansion(String),
    /// The document is too large or too costly to turn into canonical RDF within the bounds.
    #[error("RDF canonicalization refused: {0}")]
    CanonicalizationLimit(String),
    /// The signature does not verify: the credential, the proof options or the key differ from what was signed.
    #[error("the signature does not verify over the credential and proof options with this key")]
    SignatureMismatch,
    /// The verification method is not in its DID's resolved document.
    #[error("verification method {0} is not in its DID document")]
    MethodNotInDocument(String),
    /// The verification method is in the document but not listed under the relationship the proof needs.
    #[error("verification method {method} is not listed under {relationship} in its DID document")]
    MethodNotForPurpose {
        /// The method's id.
        method: String,
        /// The relationship it must be listed under.
        relationship: String,
    },
    /// The verification method holds no key this crate can use.
    #[error("verification method {method} is unusable: {why}")]
    UnusableMethod {
        /// The method's id.
        method: String,
        /// What is wrong with it.
        why: String,
    },
    /// The text is not a compact JWS (three base64url parts, a JSON object header and payload).
    #[error("not a compact JWS: {0}")]
    InvalidJws(String),
    /// The JWS is unsecured (`alg: none`); it is ignored, as VC-JOSE-COSE asks.
    #[error("the JWS is unsecured (alg \"none\"); an unsecured credential is never accepted")]
    UnsecuredJws,
    /// The JWS `alg` is not one this crate verifies.
    #[error("JWS alg {0:?} is not supported; EdDSA (Ed25519), ES256 and ES384 are")]
    UnsupportedAlgorithm(String),
    /// The JWS header names `crit` extensions; none is understood, so the JWS must be refused (RFC 7515 §4.1.11).
    #[error("the JWS header marks {0} as critical; no JWS extension is understood here")]
    UnsupportedCritical(String),
    /// The JWS `typ` is neither `vc+jwt` (VC-JOSE-COSE) nor `JWT` (the VC 1.1 JWT encoding).
    #[error("JWS typ {0:?} is not a credential's; vc+jwt (VC-JOSE-COSE) and JWT (VC 1.1 JWT, Open Badges 3.0) are")]
    UnsupportedJwsType(String),
    /// The JWS `kid` is missing or is not a DID URL of a verification method.
    #[error("the JWS kid {0}; it must be a DID URL with a fragment, or a `#fragment` of the issuer's DID")]
    InvalidKid(String),
    /// A JWT claim that must not appear in this form does.
    #[error("a vc+jwt payload is the credential itself, so the `{0}` claim must not appear")]
    ForbiddenClaim(&'static str),
    /// A JWT claim disagrees with the credential member it stands for.
    #[error("the JWT claim `{claim}` disagrees with the credential's `{member}`")]
    ClaimMismatch {
        /// The JWT claim.
        claim: &'static str,
        /// The credential member it mirrors.
        member: &'static str,
    },
    /// The key is of a type the JWS `alg` does not use.
    #[error("a {key_type} key cannot verify a JWS with alg {alg}")]
    KeyNotForAlgorithm {
        /// The JWS `alg`.
        alg: &'static str,
        /// The key's multicodec name.
        key_type: &'static str,
    },
    /// An `EnvelopedVerifiableCredential` whose `id` is not a `data:application/vc+jwt,` URL.
    #[error("an EnvelopedVerifiableCredential's id must be a data:application/vc+jwt,<compact JWS> URL: {0}")]
    InvalidEnvelope(String),
}

impl CredentialError {
    /// A short, stable snake_case name of the reason, for verdicts that machines read.
    pub fn code(&self) -> &'static str {
        match self {
            CredentialError::NotAnObject => "not_an_object",
            CredentialError::MissingMember(_) => "missing_member",
            CredentialError::InvalidMember { .. } => "invalid_member",
            CredentialError::UnknownBaseContext(_) => "unknown_base_context",
            CredentialError::NotAVerifiableCredential => "not_a_verifiable_credential",
            CredentialError::NotAVerifiablePresentation => "not_a_verifiable_presentation",
            CredentialError::InvalidDateTime { .. } => "invalid_date_time",
            CredentialError::NoProof => "no_proof",
            CredentialError::MissingProofMember(_) => "missing_proof_member",
            CredentialError::ProofMemberNotString(_) => "invalid_proof_member",
            CredentialError::UnsupportedProofType(_) => "unsupported_proof_type",
            CredentialError::UnsupportedCryptosuite(_) => "unsupported_cryptosuite",
            CredentialError::WrongProofPurpose { .. } => "wrong_proof_purpose",
            CredentialError::InvalidProofValue(_) => "invalid_proof_value",
            CredentialError::SignatureLength { .. } => "signature_length",
            CredentialError::ContextMismatch => "context_mismatch",
            CredentialError::KeyNotForCryptosuite { .. } => "key_not_for_cryptosuite",
            CredentialError::InvalidMultikey(_) => "invalid_multikey",
            CredentialError::UnsupportedKeyType(_) => "unsupported_key_type",
            CredentialError::Canonicalization(_) => "canonicalization",
            CredentialError::SignatureMismatch => "signature_mismatch",
            CredentialError::MethodNotInDocument(_) => "method_not_in_document",
            CredentialError::MethodNotForPurpose { .. } => "method_not_for_purpose",
            CredentialError::UnusableMethod { .. } => "unusable_method",
            CredentialError::UnknownContext(_) => "unknown_context",
            CredentialError::InvalidOperatorContext { .. } => "invalid_operator_context",
            CredentialError::JsonLdExpansion(_) => "json_ld_expansion",
            CredentialError::CanonicalizationLimit(_) => "canonicalization_limit",
            CredentialError::InvalidJws(_) => "invalid_jws",
            CredentialError::UnsecuredJws => "unsecured_jws",
            CredentialError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            CredentialError::UnsupportedCritical(_) => "unsupported_critical",
            CredentialError::UnsupportedJwsType(_) => "unsupported_jws_type",
            CredentialError::InvalidKid(_) => "invalid_kid",
            CredentialError::ForbiddenClaim(_) => "forbidden_claim",
            CredentialError::ClaimMismatch { .. } => "claim_mismatch",
            CredentialError::KeyNotForAlgorithm { .. } => "key_not_for_algorithm",
            CredentialError::InvalidEnvelope(_) => "invalid_envelope",
        }
    }
}
