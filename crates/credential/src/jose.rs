//! JOSE-secured credentials: a compact JWS whose payload is the credential (VC-JOSE-COSE, `typ: vc+jwt`) or holds
//! it in its `vc` claim (the VC 1.1 JWT encoding, `typ: JWT` or none; the Open Badges 3.0 JWT is this form), bare
//! or inside an `EnvelopedVerifiableCredential` (`id`: `data:application/vc+jwt,<jws>`).
//!
//! [`Jws::parse`] reads the token: `alg` EdDSA (Ed25519), ES256 or ES384 (`none` and every other alg refused),
//! no `crit` (no extension is understood), a `kid` that is a DID URL (a `#fragment` is taken relative to the
//! issuer). It returns the credential, with the VC 1.1 claims `iss`, `jti`, `sub`, `nbf`, `exp` mapped onto the
//! members they stand for when it lacks them (VCDM 1.1 §6.3.1; only the dates in the `vc+jwt` form, whose payload
//! is the credential); a claim that disagrees with its member is an error, in both forms.
//! [`Jws::verify`] checks the signature (raw `r‖s` for ECDSA) with the key the caller found under the issuer's
//! `assertionMethod` ([`crate::verification_method::authorized_method`]).
//!
//! Pure: no DID resolution, no clock (the credential's validity window is checked like any credential's, by
//! [`crate::validity`]), no I/O. JWS JSON serializations, unencoded payloads (`b64: false`), embedded `jwk`
//! headers, JWE and SD-JWT are not read here.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustnode_did::public_key::{KeyType, PublicKey};

use crate::data_integrity::signature_holds;
use crate::error::CredentialError;
use crate::model::{data_model, issuer, one_or_many, type_names, Credential, DataModel};

/// The `type` of a credential carried as a data URL.
const ENVELOPED_TYPE: &str = "EnvelopedVerifiableCredential";
/// The data URL prefix of an enveloped VC-JOSE credential.
const VC_JWT_DATA_URL: &str = "data:application/vc+jwt,";

/// A JWS signature algorithm this crate verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `EdDSA` with an Ed25519 key: a 64-byte signature.
    EdDsa,
    /// `ES256`: ECDSA over P-256 with SHA-256, `r‖s` in 64 bytes.
    Es256,
    /// `ES384`: ECDSA over P-384 with SHA-384, `r‖s` in 96 bytes.
    Es384,
}

impl Algorithm {
    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
        }
    }

    fn key_type(self) -> KeyType {
        match self {
            Algorithm::EdDsa => KeyType::Ed25519,
            Algorithm::Es256 => KeyType::P256,
            Algorithm::Es384 => KeyType::P384,
        }
    }

    fn signature_length(self) -> usize {
        match self {
            Algorithm::EdDsa | Algorithm::Es256 => 64,
            Algorithm::Es384 => 96,
        }
    }
}

/// Where a JWS keeps its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtForm {
    /// VC-JOSE-COSE (`typ: vc+jwt`): the payload is the credential.
    VcJose,
    /// The VC 1.1 JWT encoding (`typ: JWT` or none): the credential is the `vc` claim.
    VcJwt,
}

/// A compact JWS credential, read but not yet verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Jws {
    algorithm: Algorithm,
    form: JwtForm,
    typ: Option<String>,
    kid: String,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
    credential: Value,
}

/// The compact JWS a credential value is secured by, if it is a JOSE form: a JSON string (the JWS itself) or an
/// `EnvelopedVerifiableCredential` (its `data:application/vc+jwt,` URL). `None` for any other value, which is read
/// as a credential with embedded proofs.
pub fn compact_jws(value: &Value) -> Option<Result<&str, CredentialError>> {
    match value {
        Value::String(jws) => Some(Ok(jws)),
        Value::Object(object) => {
            let enveloped = type_names(object).is_ok_and(|types| types.iter().any(|t| t == ENVELOPED_TYPE));
            enveloped.then(|| {
                let id = object.get("id").and_then(Value::as_str).unwrap_or_default();
                id.strip_prefix(VC_JWT_DATA_URL).ok_or_else(|| {
                    let shown: String = id.chars().take(40).collect();
                    CredentialError::InvalidEnvelope(format!("found {shown:?}"))
                })
            })
        }
        _ => None,
    }
}

impl Jws {
    /// Reads a compact JWS credential: its header, its credential (claims mapped and checked against it), its
    /// `kid` made absolute, and what the signature covers.
    pub fn parse(compact: &str) -> Result<Jws, CredentialError> {
        let mut parts = compact.trim().split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CredentialError::InvalidJws("a compact JWS has three `.`-separated parts".to_owned()));
        };
        let header = json_object(header_b64, "header")?;
        let algorithm = match header.get("alg").and_then(Value::as_str) {
            Some("EdDSA") => Algorithm::EdDsa,
            Some("ES256") => Algorithm::Es256,
            Some("ES384") => Algorithm::Es384,
            Some(none) if none.eq_ignore_ascii_case("none") => return Err(CredentialError::UnsecuredJws),
            Some(other) => return Err(CredentialError::UnsupportedAlgorithm(other.to_owned())),
            None => return Err(CredentialError::InvalidJws("the header has no string `alg`".to_owned())),
        };
        if let Some(critical) = header.get("crit") {
            return Err(CredentialError::UnsupportedCritical(critical.to_string()));
        }
        let typ = match header.get("typ") {
            None => None,
            Some(Value::String(typ)) => Some(typ.clone()),
            Some(other) => return Err(CredentialError::UnsupportedJwsType(other.to_string())),
        };
        // A media type's `application/` may be left out of `typ`, and media types compare without case (RFC 7515).
        let short = typ.as_deref().map(|t| t.to_ascii_lowercase()).map(|t| match t.strip_prefix("application/") {
            Some(rest) => rest.to_owned(),
            None => t,
        });
        let form = match short.as_deref() {
            Some("vc+jwt") => JwtForm::VcJose,
            None | Some("jwt") => JwtForm::VcJwt,
            Some(_) => return Err(CredentialError::UnsupportedJwsType(typ.unwrap_or_default())),
        };
        let claims = json_object(payload_b64, "payload")?;
        let credential = match form {
            JwtForm::VcJose => {
                if let Some(claim) = ["vc", "vp"].into_iter().find(|claim| claims.contains_key(*claim)) {
                    return Err(CredentialError::ForbiddenClaim(claim));
                }
                let mut credential = claims.clone();
                fill_dates(&mut credential, &claims);
                credential
            }
            JwtForm::VcJwt => match claims.get("vc") {
                Some(Value::Object(vc)) => {
                    let mut vc = vc.clone();
                    fill_identifiers(&mut vc, &claims);
                    fill_dates(&mut vc, &claims);
                    vc
                }
                _ => {
                    let message = "a JWT credential (typ JWT or none) carries the credential as the object `vc`";
                    return Err(CredentialError::InvalidJws(message.to_owned()));
                }
            },
        };
        check_claims(&credential, &claims)?;
        let kid = absolute_kid(header.get("kid"), &credential)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|error| CredentialError::InvalidJws(format!("the signature is not base64url: {error}")))?;
        Ok(Jws {
            algorithm,
            form,
            typ,
            kid,
            signing_input: format!("{header_b64}.{payload_b64}").into_bytes(),
            signature,
            credential: Value::Object(credential),
        })
    }

    /// The signature algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Where the credential was found.
    pub fn form(&self) -> JwtForm {
        self.form
    }

    /// The `typ` header, as written.
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// The verification method that signed it: the `kid`, absolute.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The credential it carries, to be read with [`Credential::parse`] and checked like any other.
    pub fn credential(&self) -> &Value {
        &self.credential
    }

    /// Verifies the signature over the JWS signing input with `key`, the verification method [`Jws::kid`] names.
    pub fn verify(&self, key: &PublicKey) -> Result<(), CredentialError> {
        let key_type = key.key_type();
        if key_type != self.algorithm.key_type() {
            return Err(CredentialError::KeyNotForAlgorithm { alg: self.algorithm.name(), key_type: key_type.name() });
        }
        let expected = self.algorithm.signature_length();
        if self.signature.len() != expected {
            return Err(CredentialError::SignatureLength { expected, found: self.signature.len() });
        }
        signature_holds(key, &self.signing_input, &self.signature)
            .then_some(())
            .ok_or(CredentialError::SignatureMismatch)
    }
}

/// A base64url JSON object part of the JWS; member names may not repeat.
fn json_object(part: &str, name: &str) -> Result<Map<String, Value>, CredentialError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|error| CredentialError::InvalidJws(format!("the {name} is not base64url: {error}")))?;
    match trustnode_did::strict_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(CredentialError::InvalidJws(format!("the {name} is not a JSON object"))),
        Err(error) => Err(CredentialError::InvalidJws(format!("the {name} is not JSON: {error}"))),
    }
}

/// The credential members the VC 1.1 JWT claims stand for; the dates by the credential's data model.
fn date_members(credential: &Map<String, Value>) -> Option<(&'static str, &'static str)> {
    match data_model(credential).ok()? {
        DataModel::V1_1 => Some(("issuanceDate", "expirationDate")),
        DataModel::V2_0 => Some(("validFrom", "validUntil")),
    }
}

/// VC 1.1 JWT decoding: `iss`, `jti` and `sub` set the issuer, the id and the subject's id when the credential
/// lacks them (the dates: [`fill_dates`]).
fn fill_identifiers(credential: &mut Map<String, Value>, claims: &Map<String, Value>) {
    for (member, claim) in [("issuer", "iss"), ("id", "jti")] {
        if let Some(value) = claims.get(claim) {
            credential.entry(member).or_insert_with(|| value.clone());
        }
    }
    if let (Some(sub), Some(Value::Object(subject))) = (claims.get("sub"), credential.get_mut("credentialSubject")) {
        subject.entry("id").or_insert_with(|| sub.clone());
    }
}

/// `nbf` and `exp` set the validity window's ends when the credential lacks them, in both forms: a token that
/// says it expires must not verify past its `exp` because the credential left `validUntil` out.
fn fill_dates(credential: &mut Map<String, Value>, claims: &Map<String, Value>) {
    let Some((from, until)) = date_members(credential) else { return };
    for (member, claim) in [(from, "nbf"), (until, "exp")] {
        let date = claims.get(claim).and_then(numeric_date).and_then(|date| date.format(&Rfc3339).ok());
        if let Some(date) = date {
            credential.entry(member).or_insert(Value::String(date));
        }
    }
}

/// Each claim present must say what the credential says: `iss` the issuer, `jti` the id, `sub` a subject's id,
/// `nbf` and `exp` the validity window's ends (to the second). A credential the model cannot read is left to the
/// model to refuse.
fn check_claims(credential: &Map<String, Value>, claims: &Map<String, Value>) -> Result<(), CredentialError> {
    let mismatch = |claim, member| Err(CredentialError::ClaimMismatch { claim, member });
    if let Some(iss) = claims.get("iss") {
        if issuer(credential).ok().as_deref() != iss.as_str() {
            return mismatch("iss", "issuer");
        }
    }
    if let Some(jti) = claims.get("jti") {
        if credential.get("id") != Some(jti) {
            return mismatch("jti", "id");
        }
    }
    if let Some(sub) = claims.get("sub") {
        let subjects = credential.get("credentialSubject").map(one_or_many).unwrap_or_default();
        if !subjects.iter().any(|subject| subject.get("id") == Some(sub)) {
            return mismatch("sub", "credentialSubject.id");
        }
    }
    let (Some((from, until)), Ok(model)) =
        (date_members(credential), Credential::parse(Value::Object(credential.clone())))
    else {
        return Ok(());
    };
    for (claim, member, date) in [("nbf", from, model.valid_from()), ("exp", until, model.valid_until())] {
        let Some(value) = claims.get(claim) else { continue };
        let claimed = numeric_date(value).ok_or(CredentialError::InvalidMember {
            member: claim,
            expected: "a NumericDate (seconds since 1970-01-01T00:00:00Z)",
        })?;
        if date.map(OffsetDateTime::unix_timestamp) != Some(claimed.unix_timestamp()) {
            return mismatch(claim, member);
        }
    }
    Ok(())
}

/// A JWT NumericDate: seconds since the epoch, possibly fractional (kept to the second).
fn numeric_date(value: &Value) -> Option<OffsetDateTime> {
    let seconds = match value.as_i64() {
        Some(seconds) => seconds,
        // Far past any representable date the cast saturates, and the range check below refuses it.
        None => value.as_f64().filter(|seconds| seconds.is_finite())?.floor() as i64,
    };
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}

/// The `kid` as an absolute DID URL: `did:…#fragment` as written, or `#fragment` after the issuer's DID.
fn absolute_kid(kid: Option<&Value>, credential: &Map<String, Value>) -> Result<String, CredentialError> {
    let kid = match kid {
        None => return Err(CredentialError::InvalidKid("is missing".to_owned())),
        Some(Value::String(kid)) => kid,
        Some(other) => return Err(CredentialError::InvalidKid(format!("{other} is not a string"))),
    };
    let absolute = match kid.strip_prefix('#') {
        Some(_) => match issuer(credential) {
            Ok(issuer) if issuer.starts_with("did:") && !issuer.contains('#') => format!("{issuer}{kid}"),
            _ => return Err(CredentialError::InvalidKid(format!("{kid:?} is relative, and the issuer is no DID"))),
        },
        None => kid.clone(),
    };
    let is_did_url = absolute
        .strip_prefix("did:")
        .and_then(|rest| rest.split_once('#'))
        .is_some_and(|(did, fragment)| did.contains(':') && !fragment.is_empty() && !did.contains(char::is_whitespace));
    if !is_did_url {
        return Err(CredentialError::InvalidKid(format!("{kid:?} is not a DID URL with a fragment")));
    }
    Ok(absolute)
}

#[cfg(test)]
mod tests;
