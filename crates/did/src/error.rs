//! The resolution error vocabulary shared by every DID method.
//!
//! One [`ErrorCode`] per condition the DID Resolution specification (and the did:key method) names. The HTTP layer
//! maps a code to a status and to the wire spelling of the dialect a client asked for; nothing here knows about
//! HTTP or performs I/O.

use std::fmt;

/// Every error a resolution or dereferencing can end in.
///
/// The did:key-specific codes (`InvalidPublicKey…`, `UnsupportedPublicKeyType`) keep their own identity so that the
/// legacy dialect can report them by name; the current dialect folds them into [`ErrorCode::InvalidDid`] or
/// [`ErrorCode::InvalidOptions`] and names the specific code in the problem `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The identifier is not a syntactically valid DID for its method.
    InvalidDid,
    /// The DID URL (path, query, fragment or parameters) is malformed.
    InvalidDidUrl,
    /// A resolution option has an invalid value or is unknown.
    InvalidOptions,
    /// The DID (or the dereferenced resource) does not exist.
    NotFound,
    /// The requested representation (media type) cannot be produced.
    RepresentationNotSupported,
    /// The DID method is not supported by this resolver.
    MethodNotSupported,
    /// A requested feature (e.g. `versionTime`) is not supported for this method, or a key belongs to a family this
    /// build of trustnode-did leaves out (its `bls`, `rsa` or `secp256k1` feature is off).
    FeatureNotSupported,
    /// The method produced or fetched a document that is not a valid DID document.
    InvalidDidDocument,
    /// Anything else: an internal failure of the resolver.
    InternalError,
    /// did:key: the key has the wrong length for its multicodec type.
    InvalidPublicKeyLength,
    /// did:key: the key bytes are not a valid key of their type (off-curve, wrong tag, outside the subgroup).
    InvalidPublicKey,
    /// did:key: the requested `publicKeyFormat` is unknown.
    UnsupportedPublicKeyType,
    /// did:key: the key type or format is not allowed (unknown multicodec, or an experimental format while
    /// `enableExperimentalPublicKeyTypes` is false).
    InvalidPublicKeyType,
}

impl ErrorCode {
    /// Every code, for lookups by name.
    pub const ALL: [ErrorCode; 13] = [
        ErrorCode::InvalidDid,
        ErrorCode::InvalidDidUrl,
        ErrorCode::InvalidOptions,
        ErrorCode::NotFound,
        ErrorCode::RepresentationNotSupported,
        ErrorCode::MethodNotSupported,
        ErrorCode::FeatureNotSupported,
        ErrorCode::InvalidDidDocument,
        ErrorCode::InternalError,
        ErrorCode::InvalidPublicKeyLength,
        ErrorCode::InvalidPublicKey,
        ErrorCode::UnsupportedPublicKeyType,
        ErrorCode::InvalidPublicKeyType,
    ];

    /// The code whose legacy (camelCase) name is `name`.
    pub fn from_legacy(name: &str) -> Option<ErrorCode> {
        Self::ALL.into_iter().find(|code| code.legacy() == name)
    }

    /// The code in the current W3C dialect (`INVALID_DID`, …). Method-specific did:key codes fold into the
    /// generic code their condition belongs to.
    pub fn current(self) -> &'static str {
        match self {
            ErrorCode::InvalidDid
            | ErrorCode::InvalidPublicKeyLength
            | ErrorCode::InvalidPublicKey
            | ErrorCode::InvalidPublicKeyType => "INVALID_DID",
            ErrorCode::InvalidDidUrl => "INVALID_DID_URL",
            ErrorCode::InvalidOptions | ErrorCode::UnsupportedPublicKeyType => "INVALID_OPTIONS",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::RepresentationNotSupported => "REPRESENTATION_NOT_SUPPORTED",
            ErrorCode::MethodNotSupported => "METHOD_NOT_SUPPORTED",
            ErrorCode::FeatureNotSupported => "FEATURE_NOT_SUPPORTED",
            ErrorCode::InvalidDidDocument => "INVALID_DID_DOCUMENT",
            ErrorCode::InternalError => "INTERNAL_ERROR",
        }
    }

    /// The camelCase code of the CCG v0.3 ("legacy") dialect, including did:key's own codes.
    pub fn legacy(self) -> &'static str {
        match self {
            ErrorCode::InvalidDid => "invalidDid",
            ErrorCode::InvalidDidUrl => "invalidDidUrl",
            ErrorCode::InvalidOptions => "invalidOptions",
            ErrorCode::NotFound => "notFound",
            ErrorCode::RepresentationNotSupported => "representationNotSupported",
            ErrorCode::MethodNotSupported => "methodNotSupported",
            ErrorCode::FeatureNotSupported => "featureNotSupported",
            ErrorCode::InvalidDidDocument => "invalidDidDocument",
            ErrorCode::InternalError => "internalError",
            ErrorCode::InvalidPublicKeyLength => "invalidPublicKeyLength",
            ErrorCode::InvalidPublicKey => "invalidPublicKey",
            ErrorCode::UnsupportedPublicKeyType => "unsupportedPublicKeyType",
            ErrorCode::InvalidPublicKeyType => "invalidPublicKeyType",
        }
    }

    /// True for the did:key codes that the current dialect reports only in `detail`.
    pub fn is_method_specific(self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidPublicKeyLength
                | ErrorCode::InvalidPublicKey
                | ErrorCode::UnsupportedPublicKeyType
                | ErrorCode::InvalidPublicKeyType
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.legacy())
    }
}

/// A failed resolution: the code plus a human-readable explanation of what exactly was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolutionError {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// What exactly was wrong, for people: "ed25519-pub key must be 32 bytes, got 33".
    pub detail: String,
}

impl ResolutionError {
    /// An error with the given code and explanation.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        ResolutionError { code, detail: detail.into() }
    }
}

impl fmt::Display for ResolutionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::error::Error for ResolutionError {}

/// Shorthand constructors, one per code, so call sites read `invalid_did("…")`.
macro_rules! constructors {
    ($($name:ident => $code:ident),* $(,)?) => {
        $(
            #[doc = concat!("A [`ResolutionError`] with code [`ErrorCode::", stringify!($code), "`].")]
            pub fn $name(detail: impl Into<String>) -> ResolutionError {
                ResolutionError::new(ErrorCode::$code, detail)
            }
        )*
    };
}

constructors! {
    invalid_did => InvalidDid,
    invalid_did_url => InvalidDidUrl,
    invalid_options => InvalidOptions,
    not_found => NotFound,
    method_not_supported => MethodNotSupported,
    feature_not_supported => FeatureNotSupported,
    invalid_did_document => InvalidDidDocument,
    internal_error => InternalError,
    invalid_public_key_length => InvalidPublicKeyLength,
    invalid_public_key => InvalidPublicKey,
    unsupported_public_key_type => UnsupportedPublicKeyType,
    invalid_public_key_type => InvalidPublicKeyType,
}
