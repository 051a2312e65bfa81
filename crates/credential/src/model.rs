//! The credential model: the members a verifier reads from a W3C verifiable credential (VCDM 1.1 or 2.0), taken
//! from its JSON without JSON-LD processing. The data-model version comes from the first `@context`; both versions'
//! date members map onto one validity window. It reads, it does not verify: proofs are checked in
//! [`crate::data_integrity`], the window in [`crate::validity`]. No I/O here.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use time::PrimitiveDateTime;

use crate::error::CredentialError;

/// The VCDM 2.0 base context.
const CONTEXT_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// The VCDM 1.1 base context.
const CONTEXT_V1_1: &str = "https://www.w3.org/2018/credentials/v1";

/// The W3C data-model version a credential follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataModel {
    /// VCDM 1.1: `issuanceDate` (required) and `expirationDate`.
    V1_1,
    /// VCDM 2.0: `validFrom` and `validUntil`, both optional.
    V2_0,
}

/// The most specific learning-and-employment-record type of a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LerType {
    /// A CLR 2.0 `ClrCredential`, which bundles achievement credentials.
    Clr,
    /// An Open Badges 3.0 `OpenBadgeCredential` (or its alias `AchievementCredential`).
    OpenBadge,
}

/// A credential as read from its JSON: the members a verifier needs, and the document its proofs sign.
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    document: Map<String, Value>,
    data_model: DataModel,
    types: Vec<String>,
    issuer: String,
    valid_from: Option<OffsetDateTime>,
    valid_until: Option<OffsetDateTime>,
}

impl Credential {
    /// Reads a credential. Refuses what is not a credential of a known version; extra members are kept for the
    /// proofs and otherwise ignored.
    pub fn parse(value: Value) -> Result<Credential, CredentialError> {
        let Value::Object(document) = value else { return Err(CredentialError::NotAnObject) };
        let data_model = data_model(&document)?;
        let types = types(&document)?;
        let issuer = issuer(&document)?;
        let (from_member, until_member) = match data_model {
            DataModel::V2_0 => ("validFrom", "validUntil"),
            DataModel::V1_1 => ("issuanceDate", "expirationDate"),
        };
        let valid_from = date(&document, from_member)?;
        if data_model == DataModel::V1_1 && valid_from.is_none() {
            return Err(CredentialError::MissingMember("issuanceDate"));
        }
        let valid_until = date(&document, until_member)?;
        proofs(&document)?;
        Ok(Credential { document, data_model, types, issuer, valid_from, valid_until })
    }

    /// The data-model version, from the first `@context`.
    pub fn data_model(&self) -> DataModel {
        self.data_model
    }

    /// The `type` values, in document order.
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// The most specific learning-and-employment-record type, if the credential has one.
    pub fn ler_type(&self) -> Option<LerType> {
        let has = |name: &str| self.types.iter().any(|t| t == name);
        if has("ClrCredential") {
            Some(LerType::Clr)
        } else if has("OpenBadgeCredential") || has("AchievementCredential") {
            Some(LerType::OpenBadge)
        } else {
            None
        }
    }

    /// The issuer's identifier: `issuer` itself, or the `id` of an issuer `Profile` object.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The start of the validity window: `validFrom` (2.0) or `issuanceDate` (1.1).
    pub fn valid_from(&self) -> Option<OffsetDateTime> {
        self.valid_from
    }

    /// The end of the validity window: `validUntil` (2.0) or `expirationDate` (1.1).
    pub fn valid_until(&self) -> Option<OffsetDateTime> {
        self.valid_until
    }

    /// The embedded proofs: none, the one `proof` object, or each object of a `proof` array.
    pub fn proofs(&self) -> Vec<&Map<String, Value>> {
        // Checked when parsing, so an error cannot happen here.
        proofs(&self.document).unwrap_or_default()
    }

    /// The credential's `id`, when it has one.
    pub fn id(&self) -> Option<&str> {
        self.document.get("id").and_then(Value::as_str)
    }

    /// The credentials a CLR nests in its subject (`credentialSubject.verifiableCredential`, one or many, in
    /// order), each to be verified on its own; `None` when the subject nests none.
    pub fn nested_credentials(&self) -> Option<Vec<Value>> {
        let subjects = one_or_many(self.document.get("credentialSubject")?);
        let nested: Vec<Value> = subjects
            .iter()
            .filter_map(|subject| subject.get("verifiableCredential"))
            .flat_map(|nested| one_or_many(nested).iter().cloned())
            .collect();
        (!nested.is_empty()).then_some(nested)
    }

    /// The whole credential, proofs included: the secured document its proofs are verified over.
    pub fn document(&self) -> &Map<String, Value> {
        &self.document
    }
}

/// A JSON-LD member that is one value or an array of values, as a slice.
pub(crate) fn one_or_many(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) => items,
        single => std::slice::from_ref(single),
    }
}

pub(crate) fn data_model(document: &Map<String, Value>) -> Result<DataModel, CredentialError> {
    let context = document.get("@context").ok_or(CredentialError::MissingMember("@context"))?;
    let first = one_or_many(context).first().and_then(Value::as_str).ok_or(CredentialError::InvalidMember {
        member: "@context",
        expected: "a URL string or an array starting with the base context URL",
    })?;
    match first {
        CONTEXT_V2 => Ok(DataModel::V2_0),
        CONTEXT_V1_1 => Ok(DataModel::V1_1),
        other => Err(CredentialError::UnknownBaseContext(other.to_owned())),
    }
}

fn types(document: &Map<String, Value>) -> Result<Vec<String>, CredentialError> {
    let types = type_names(document)?;
    if !types.iter().any(|t| t == "VerifiableCredential") {
        return Err(CredentialError::NotAVerifiableCredential);
    }
    Ok(types)
}

/// `type`: a string or an array of strings.
pub(crate) fn type_names(document: &Map<String, Value>) -> Result<Vec<String>, CredentialError> {
    let value = document.get("type").ok_or(CredentialError::MissingMember("type"))?;
    one_or_many(value)
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect::<Option<Vec<String>>>()
        .ok_or(CredentialError::InvalidMember { member: "type", expected: "a string or an array of strings" })
}

pub(crate) fn issuer(document: &Map<String, Value>) -> Result<String, CredentialError> {
    let issuer = document.get("issuer").ok_or(CredentialError::MissingMember("issuer"))?;
    let id = match issuer {
        Value::String(id) => Some(id.as_str()),
        Value::Object(profile) => profile.get("id").and_then(Value::as_str),
        _ => None,
    };
    id.filter(|id| !id.is_empty()).map(str::to_owned).ok_or(CredentialError::InvalidMember {
        member: "issuer",
        expected: "a non-empty URL string or a Profile object with a non-empty string `id`",
    })
}

fn date(document: &Map<String, Value>, member: &'static str) -> Result<Option<OffsetDateTime>, CredentialError> {
    document.get(member).map(|value| parse_date(value, member)).transpose()
}

/// A date-time member: RFC 3339 with a time zone, as VCDM 2.0's `dateTimeStamp` requires; VCDM 1.1's
/// [`ZONE_OPTIONAL`] members may also leave the zone out.
pub(crate) fn parse_date(value: &Value, member: &'static str) -> Result<OffsetDateTime, CredentialError> {
    let text = value.as_str().ok_or(CredentialError::InvalidMember { member, expected: "a date-time string" })?;
    OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|error| match ZONE_OPTIONAL.contains(&member) {
            true => PrimitiveDateTime::parse(text, ZONELESS).map(PrimitiveDateTime::assume_utc).map_err(|_| error),
            false => Err(error),
        })
        .map_err(|_| CredentialError::InvalidDateTime { member, value: text.to_owned() })
}

/// VCDM 1.1's `issuanceDate` and `expirationDate` are `xsd:dateTime`, whose time zone is optional. One without a
/// zone is read as UTC: the issuer's zone is unknown, and UTC is what the node's clock and answers use (JavaScript
/// verifiers such as verifier-core read it in their server's zone, so they may disagree by the zone's offset).
const ZONE_OPTIONAL: [&str; 2] = ["issuanceDate", "expirationDate"];

/// `xsd:dateTime` without a zone: seconds required, any fraction.
const ZONELESS: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]");

pub(crate) fn proofs(document: &Map<String, Value>) -> Result<Vec<&Map<String, Value>>, CredentialError> {
    let Some(proof) = document.get("proof") else { return Ok(Vec::new()) };
    one_or_many(proof)
        .iter()
        .map(Value::as_object)
        .collect::<Option<Vec<_>>>()
        .ok_or(CredentialError::InvalidMember { member: "proof", expected: "an object or an array of objects" })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn credential(extra: Value) -> Value {
        let mut value = json!({
            "@context": [CONTEXT_V2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": "did:web:college.example", "type": ["Profile"], "name": "Example College"},
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:learner"},
        });
        value.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        value
    }

    #[test]
    fn open_badge_on_vcdm_2_with_a_profile_issuer() {
        let parsed = Credential::parse(credential(json!({"validUntil": "2027-01-01T00:00:00+02:00"}))).unwrap();
        assert_eq!(parsed.data_model(), DataModel::V2_0);
        assert_eq!(parsed.ler_type(), Some(LerType::OpenBadge));
        assert_eq!(parsed.issuer(), "did:web:college.example");
        assert_eq!(parsed.valid_from().unwrap().unix_timestamp(), 1_767_225_600);
        assert_eq!(parsed.valid_until().unwrap().unix_timestamp(), 1_798_761_600 - 7200);
        assert!(parsed.proofs().is_empty());
    }

    #[test]
    fn vcdm_1_1_reads_issuance_and_expiration_dates() {
        let value = json!({
            "@context": [CONTEXT_V1_1],
            "type": "VerifiableCredential",
            "issuer": "did:example:issuer",
            "issuanceDate": "2020-01-01T00:00:00Z",
            "expirationDate": "2030-01-01T00:00:00Z",
            "validFrom": "not read in 1.1",
            "proof": [{"type": "DataIntegrityProof"}, {"type": "Ed25519Signature2020"}],
        });
        let parsed = Credential::parse(value.clone()).unwrap();
        assert_eq!(parsed.data_model(), DataModel::V1_1);
        assert_eq!(parsed.ler_type(), None);
        assert_eq!(parsed.valid_from().unwrap().year(), 2020);
        assert_eq!(parsed.valid_until().unwrap().year(), 2030);
        assert_eq!(parsed.proofs().len(), 2);

        let mut undated = value;
        undated.as_object_mut().unwrap().remove("issuanceDate");
        assert_eq!(Credential::parse(undated), Err(CredentialError::MissingMember("issuanceDate")));
    }

    #[test]
    fn vcdm_1_1_dates_without_a_zone_are_utc_and_vcdm_2_dates_need_one() {
        let dated = |issued: &str, expires: &str| {
            Credential::parse(json!({
                "@context": [CONTEXT_V1_1],
                "type": "VerifiableCredential",
                "issuer": "did:example:issuer",
                "issuanceDate": issued,
                "expirationDate": expires,
            }))
        };
        let parsed = dated("2020-01-01T10:30:00", "2030-06-01T00:00:00.250").unwrap();
        assert_eq!(parsed.valid_from().unwrap().unix_timestamp(), 1_577_874_600);
        assert_eq!(parsed.valid_until().unwrap().millisecond(), 250);
        assert_eq!(
            dated("2020-01-01", "2030-01-01T00:00:00Z"),
            Err(CredentialError::InvalidDateTime { member: "issuanceDate", value: "2020-01-01".into() }),
            "a date without a time is not an xsd:dateTime"
        );
        assert!(matches!(
            dated("2020-01-01T10:30:00Z", "2030-13-01T00:00:00"),
            Err(CredentialError::InvalidDateTime { member: "expirationDate", .. })
        ));
        // VCDM 2.0's dateTimeStamp requires the zone.
        assert_eq!(
            Credential::parse(credential(json!({"validFrom": "2026-01-01T00:00:00"}))),
            Err(CredentialError::InvalidDateTime { member: "validFrom", value: "2026-01-01T00:00:00".into() })
        );
    }

    #[test]
    fn clr_is_more_specific_than_achievement() {
        let value = credential(json!({"type": ["VerifiableCredential", "AchievementCredential", "ClrCredential"]}));
        assert_eq!(Credential::parse(value).unwrap().ler_type(), Some(LerType::Clr));
        let value = credential(json!({"type": ["VerifiableCredential", "AchievementCredential"]}));
        assert_eq!(Credential::parse(value).unwrap().ler_type(), Some(LerType::OpenBadge));
    }

    #[test]
    fn the_version_comes_from_the_first_context_only() {
        let later_v2 = credential(json!({"@context": ["https://example.org/ctx", CONTEXT_V2]}));
        assert_eq!(
            Credential::parse(later_v2),
            Err(CredentialError::UnknownBaseContext("https://example.org/ctx".into()))
        );
        let single = credential(json!({"@context": CONTEXT_V2}));
        assert_eq!(Credential::parse(single).unwrap().data_model(), DataModel::V2_0);
    }

    #[test]
    fn malformed_credentials_get_precise_errors() {
        let without = |member: &str| {
            let mut value = credential(json!({}));
            value.as_object_mut().unwrap().remove(member);
            Credential::parse(value)
        };
        assert_eq!(Credential::parse(json!([1])), Err(CredentialError::NotAnObject));
        assert_eq!(without("@context"), Err(CredentialError::MissingMember("@context")));
        assert_eq!(without("type"), Err(CredentialError::MissingMember("type")));
        assert_eq!(without("issuer"), Err(CredentialError::MissingMember("issuer")));
        let cases = [
            (json!({"@context": []}), "@context"),
            (json!({"@context": [{"@vocab": "x"}]}), "@context"),
            (json!({"type": ["VerifiableCredential", 7]}), "type"),
            (json!({"issuer": {"name": "no id"}}), "issuer"),
            (json!({"issuer": ""}), "issuer"),
            (json!({"issuer": 42}), "issuer"),
            (json!({"validFrom": 20260101}), "validFrom"),
            (json!({"proof": [{"type": "DataIntegrityProof"}, "z..."]}), "proof"),
            (json!({"proof": "z..."}), "proof"),
        ];
        for (extra, member) in cases {
            let error = Credential::parse(credential(extra.clone())).unwrap_err();
            assert!(
                matches!(error, CredentialError::InvalidMember { member: m, .. } if m == member),
                "{extra}: {error}"
            );
        }
        assert_eq!(
            Credential::parse(credential(json!({"type": "OpenBadgeCredential"}))),
            Err(CredentialError::NotAVerifiableCredential)
        );
        assert_eq!(
            Credential::parse(credential(json!({"validUntil": "2027-01-01T00:00:00"}))),
            Err(CredentialError::InvalidDateTime { member: "validUntil", value: "2027-01-01T00:00:00".into() })
        );
    }
}
