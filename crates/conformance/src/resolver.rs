//! The resolver checks: every public did:key, did:jwk and did:web identifier vector (embedded in the binary), the
//! Universal-Resolver HTTP contract, and freshly generated keys, each with the clause it tests and a verdict that
//! compares key material, ids and relationships rather than whole documents.
//!
//! Pure: builds [`Check`]s and judges [`CheckReply`]s; sending requests is the runner's job. Check ids are stable across
//! runs (generated cases are named by key type, not by key), so reports of different runs and implementations merge.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use super::fresh::{random_key, shuffled_jwk};
use super::{Check, CheckReply, CheckRequest, Mismatch, Verdict};
use trustnode_did::error::ErrorCode;
use trustnode_did::public_key::{KeyType, PublicKey};

const DIDKEY_VALID: &str = include_str!("../../../tests/vectors/didkey-valid.json");
const DIDKEY_INVALID: &str = include_str!("../../../tests/vectors/didkey-invalid.json");
const DIDJWK: &str = include_str!("../../../tests/vectors/didjwk.json");
const DIDWEB: &str = include_str!("../../../tests/vectors/didweb.json");

/// The DID methods the resolver suite knows.
pub const METHODS: [&str; 3] = ["key", "jwk", "web"];

/// The Accept value of the CCG v0.3 ("legacy") dialect.
pub const LEGACY_PROFILE: &str = r#"application/ld+json;profile="https://w3id.org/did-resolution""#;

/// The did:key the contract checks resolve, with its derived X25519 key-agreement key (from the did:key spec).
const SAMPLE_DID: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

const CLAUSE_KEY_READ: &str = "did:key §Read: document from the decoded multicodec key (id <did>#<multibase>)";
const CLAUSE_KEY_DERIVE: &str = "did:key §Encryption key derivation (enableEncryptionKeyDerivation, default true)";
const CLAUSE_KEY_INVALID: &str =
    "did:key §Read: decoding errors (invalidDid, invalidPublicKeyLength, invalidPublicKey)";
const CLAUSE_JWK_READ: &str = "did:jwk §Read: one JsonWebKey2020 method <did>#0, relationships by `use`";
const CLAUSE_JWK_INVALID: &str = "did:jwk §Read: the identifier must decode to a public JWK with kty";
const CLAUSE_WEB_SYNTAX: &str = "did:web §Method-specific identifier: a domain name, optional %3A port, path segments";
const CLAUSE_STATUS: &str =
    "DID Resolution §HTTP(S) binding: error to status (INVALID_DID 400, METHOD_NOT_SUPPORTED 501)";

/// Why the data of the embedded vectors could not be turned into checks (a broken build, never user input).
#[derive(Debug, thiserror::Error)]
#[error("embedded vector {file}: {problem}")]
pub struct VectorError {
    file: &'static str,
    problem: String,
}

/// Every resolver check for the selected DID methods (a subset of [`METHODS`]): vectors, contract and fresh cases.
/// The HTTP contract checks resolve a did:key and are left out when `key` is not selected.
pub fn checks(methods: &[&str]) -> Result<Vec<Check>, VectorError> {
    let mut checks = Vec::new();
    if methods.contains(&"key") {
        checks.extend(contract_checks());
        checks.extend(did_key_vector_checks()?);
        checks.extend(fresh_did_key_checks());
    }
    if methods.contains(&"jwk") {
        checks.extend(did_jwk_vector_checks()?);
        checks.extend(fresh_did_jwk_checks());
    }
    if methods.contains(&"web") {
        checks.extend(did_web_vector_checks()?);
    }
    Ok(checks)
}

/// Characters left as they are when encoding an identifier into one path segment (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A DID or DID URL percent-encoded into one path segment, as the Universal Resolver's clients send it.
pub fn encode(identifier: &str) -> String {
    utf8_percent_encode(identifier, SEGMENT).to_string()
}

fn parse(file: &'static str, text: &str) -> Result<Value, VectorError> {
    serde_json::from_str(text).map_err(|error| VectorError { file, problem: error.to_string() })
}

fn field<'a>(file: &'static str, vector: &'a Value, name: &str) -> Result<&'a str, VectorError> {
    vector[name].as_str().ok_or_else(|| VectorError { file, problem: format!("an entry lacks the string {name:?}") })
}

fn entries<'a>(file: &'static str, value: &'a Value) -> Result<&'a Vec<Value>, VectorError> {
    value.as_array().ok_or_else(|| VectorError { file, problem: "expected an array of vectors".to_owned() })
}

fn method_of(did: &str) -> Option<&'static str> {
    METHODS.into_iter().find(|method| did.starts_with(&format!("did:{method}:")))
}

// --- Reading answers ------------------------------------------------------------------------------------------

/// A short description of an answer for failure reports: status, Content-Type and the start of the body.
pub fn describe(answer: &CheckReply) -> String {
    const SHOWN: usize = 400;
    let body = String::from_utf8_lossy(&answer.body);
    let shown: String = body.chars().take(SHOWN).collect();
    let more = if body.chars().count() > SHOWN { " …" } else { "" };
    let content_type = answer.content_type.as_deref().unwrap_or("none");
    format!("HTTP {} (Content-Type: {content_type}): {shown}{more}", answer.status)
}

fn json_body(answer: &CheckReply, expected: &str) -> Result<Value, Mismatch> {
    serde_json::from_slice(&answer.body).map_err(|_| Mismatch::new(expected, describe(answer)))
}

fn media_type(answer: &CheckReply) -> String {
    let content_type = answer.content_type.as_deref().unwrap_or_default();
    content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// The resolution error of a body in any dialect, as a code: a legacy camelCase string, a current `UPPER_CASE`
/// string, or a problem object whose `type` ends in the code (`https://www.w3.org/ns/did#NOT_FOUND`).
pub fn error_code(body: &Value) -> Option<ErrorCode> {
    let metadata = ["didResolutionMetadata", "dereferencingMetadata", "didDereferencingMetadata"]
        .into_iter()
        .find_map(|name| body.get(name).and_then(|metadata| metadata.get("error")))?;
    let text = match metadata {
        Value::String(text) => text.as_str(),
        Value::Object(problem) => problem.get("type").or_else(|| problem.get("title")).and_then(Value::as_str)?,
        _ => return None,
    };
    let name = text.rsplit(['#', '/']).next().unwrap_or(text);
    ErrorCode::from_legacy(name)
        .or_else(|| ErrorCode::ALL.into_iter().find(|code| screaming(code.legacy()) == name))
        .or_else(|| ErrorCode::ALL.into_iter().find(|code| code.current() == name))
}

/// `invalidPublicKeyLength` → `INVALID_PUBLIC_KEY_LENGTH`.
fn screaming(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The DID document of an answer: `didDocument` of a full result, or the body itself when it is a bare document.
fn document_of(body: &Value) -> &Value {
    match body.get("didDocument") {
        Some(document) if document.is_object() => document,
        _ => body,
    }
}

/// The key material of a verification method, whatever representation it uses.
fn key_of(method: &Value, expected_type: KeyType) -> Option<PublicKey> {
    if let Some(jwk) = method.get("publicKeyJwk").and_then(Value::as_object) {
        return PublicKey::from_jwk(jwk).ok();
    }
    if let Some(multibase) = method.get("publicKeyMultibase").and_then(Value::as_str) {
        let (_, bytes) = multibase::decode(multibase).ok()?;
        return PublicKey::from_multicodec(&bytes).or_else(|_| PublicKey::from_raw(expected_type, &bytes)).ok();
    }
    let base58 = method.get("publicKeyBase58").and_then(Value::as_str)?;
    let bytes = multibase::Base::Base58Btc.decode(base58).ok()?;
    PublicKey::from_raw(expected_type, &bytes).ok()
}

/// Every verification method of a document: the `verificationMethod` list and methods embedded in relationships.
fn methods_of(document: &Value) -> Vec<&Value> {
    let mut methods: Vec<&Value> =
        document["verificationMethod"].as_array().map(|m| m.iter().collect()).unwrap_or_default();
    for relationship in RELATIONSHIPS {
        if let Some(entries) = document[relationship].as_array() {
            methods.extend(entries.iter().filter(|entry| entry.is_object()));
        }
    }
    methods
}

const RELATIONSHIPS: [&str; 5] =
    ["authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation", "keyAgreement"];
const SIGNATURE_RELATIONSHIPS: [&str; 4] =
    ["authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation"];

/// True when `relationship` lists the method `id`, by reference or embedded.
fn references(document: &Value, relationship: &str, id: &str) -> bool {
    document[relationship].as_array().is_some_and(|entries| {
        entries.iter().any(|entry| entry.as_str() == Some(id) || entry.get("id").and_then(Value::as_str) == Some(id))
    })
}

/// What a resolved document must contain for one key.
#[derive(Debug, Clone)]
struct ExpectedMethod {
    key: PublicKey,
    id: String,
    /// The relationships that must list the method (and no others); `None` leaves them unchecked.
    relationships: Option<Vec<&'static str>>,
}

/// A document check: 200, `id` = the DID, and for each expected method one with that id, the key material,
/// `controller` = the DID, listed in exactly the expected relationships (others may not list it).
fn resolves_to(did: String, expected: Vec<ExpectedMethod>) -> Verdict {
    Box::new(move |answer| {
        let wanted = format!("HTTP 200 with the DID document of {did}");
        if answer.status != 200 {
            return Err(Mismatch::new(wanted, describe(answer)));
        }
        let body = json_body(answer, &wanted)?;
        let document = document_of(&body);
        if document["id"] != did.as_str() {
            return Err(Mismatch::new(format!("document id {did}"), format!("id {}", document["id"])));
        }
        for method in &expected {
            check_method(document, &did, method)?;
        }
        Ok(())
    })
}

fn check_method(document: &Value, did: &str, expected: &ExpectedMethod) -> Result<(), Mismatch> {
    let key_type = expected.key.key_type();
    let listed: Vec<String> = methods_of(document).iter().map(|m| m["id"].to_string()).collect();
    let method =
        methods_of(document).into_iter().find(|method| method["id"] == expected.id.as_str()).ok_or_else(|| {
            Mismatch::new(format!("a verification method with id {}", expected.id), format!("methods {listed:?}"))
        })?;
    if key_of(method, key_type).as_ref() != Some(&expected.key) {
        return Err(Mismatch::new(
            format!("{} carries the {} key {}", expected.id, key_type.name(), expected.key.to_multibase()),
            format!("method {method}"),
        ));
    }
    if method["controller"] != did {
        return Err(Mismatch::new(format!("controller {did}"), format!("controller {}", method["controller"])));
    }
    let Some(relationships) = &expected.relationships else {
        return Ok(());
    };
    for relationship in RELATIONSHIPS {
        let wanted = relationships.contains(&relationship);
        if references(document, relationship, &expected.id) != wanted {
            let verb = if wanted { "lists" } else { "does not list" };
            return Err(Mismatch::new(
                format!("{relationship} {verb} {}", expected.id),
                format!("{relationship}: {}", document[relationship]),
            ));
        }
    }
    Ok(())
}

/// An error check: one of `statuses`, and an error that means `code` in any dialect (did:key's specific codes
/// count as the generic code the current dialect folds them into).
fn refused(statuses: &'static [u16], code: ErrorCode) -> Verdict {
    Box::new(move |answer| {
        let wanted = format!("HTTP {statuses:?} with error {}", code.current());
        let body = json_body(answer, &wanted)?;
        let observed = error_code(&body).map(ErrorCode::current);
        if !statuses.contains(&answer.status) || observed != Some(code.current()) {
            return Err(Mismatch::new(wanted, describe(answer)));
        }
        if document_of(&body).get("id").is_some() {
            return Err(Mismatch::new("no DID document with an error", describe(answer)));
        }
        Ok(())
    })
}

// --- Vector checks --------------------------------------------------------------------------------------------

fn did_key_expectations(did: &str, key: &PublicKey) -> Vec<ExpectedMethod> {
    key.components()
        .into_iter()
        .map(|part| {
            let relationships = if part.key_type() == KeyType::X25519 {
                vec!["keyAgreement"]
            } else {
                SIGNATURE_RELATIONSHIPS.to_vec()
            };
            ExpectedMethod {
                id: format!("{did}#{}", part.to_multibase()),
                key: part,
                relationships: Some(relationships),
            }
        })
        .collect()
}

/// The checks for one valid did:key: its document, and for Ed25519 the derived key-agreement key.
fn valid_did_key(id_stem: &str, origin: &str, did: String, key: &PublicKey) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut expected = did_key_expectations(&did, key);
    // The combined BLS key's id choice is unsettled across implementations: check the key material only.
    if key.key_type() == KeyType::Bls12381G1G2 {
        expected.iter_mut().for_each(|method| method.relationships = None);
    }
    checks.push(Check {
        id: id_stem.to_owned(),
        title: format!("{origin} {} did:key resolves to its key", key.key_type().name()),
        clause: CLAUSE_KEY_READ,
        did_method: Some("key"),
        inapplicable_when: None,
        not_applicable: None,
        request: CheckRequest::get(encode(&did)),
        verdict: resolves_to(did.clone(), expected),
    });
    if let Some(x25519) = key.to_x25519() {
        let derived = ExpectedMethod {
            id: format!("{did}#{}", x25519.to_multibase()),
            key: x25519,
            relationships: Some(vec!["keyAgreement"]),
        };
        checks.push(Check {
            id: format!("{id_stem}.derived-x25519"),
            title: format!("{origin} Ed25519 did:key carries its derived X25519 key-agreement key"),
            clause: CLAUSE_KEY_DERIVE,
            did_method: Some("key"),
            inapplicable_when: None,
            not_applicable: None,
            request: CheckRequest::get(encode(&did)),
            verdict: resolves_to(did, vec![derived]),
        });
    }
    checks
}

fn did_key_vector_checks() -> Result<Vec<Check>, VectorError> {
    const FILE: &str = "didkey-valid.json";
    let mut checks = Vec::new();
    for (index, vector) in entries(FILE, &parse(FILE, DIDKEY_VALID)?)?.iter().enumerate() {
        let did = field(FILE, vector, "did")?;
        let codec = field(FILE, vector, "codecName")?;
        let raw = hex::decode(field(FILE, vector, "rawKeyHex")?)
            .map_err(|error| VectorError { file: FILE, problem: format!("{did}: {error}") })?;
        let key_type = KeyType::ALL
            .into_iter()
            .find(|key_type| key_type.name() == codec)
            .ok_or_else(|| VectorError { file: FILE, problem: format!("unknown codec {codec}") })?;
        let key = PublicKey::from_raw(key_type, &raw)
            .map_err(|error| VectorError { file: FILE, problem: format!("{did}: {error}") })?;
        checks.extend(valid_did_key(&format!("key.vector.{index:02}.{codec}"), "vector", did.to_owned(), &key));
    }
    const INVALID: &str = "didkey-invalid.json";
    for (index, vector) in entries(INVALID, &parse(INVALID, DIDKEY_INVALID)?)?.iter().enumerate() {
        let did = field(INVALID, vector, "did")?;
        let expect = field(INVALID, vector, "expect")?;
        let (statuses, code, clause): (&[u16], _, _) = match expect.starts_with("methodNotSupported") {
            true => (&[501], ErrorCode::MethodNotSupported, CLAUSE_STATUS),
            false => (&[400], ErrorCode::InvalidDid, CLAUSE_KEY_INVALID),
        };
        checks.push(Check {
            id: format!("key.invalid.{index:02}"),
            title: format!("refuses {did} ({expect})"),
            clause,
            did_method: method_of(did),
            inapplicable_when: None,
            not_applicable: None,
            request: CheckRequest::get(encode(did)),
            verdict: refused(statuses, code),
        });
    }
    Ok(checks)
}

fn did_jwk_check(id: String, title: String, did: String, key: PublicKey, usage: Option<&str>) -> Check {
    let relationships = match usage {
        Some("sig") => SIGNATURE_RELATIONSHIPS.to_vec(),
        Some("enc") => vec!["keyAgreement"],
        _ => RELATIONSHIPS.to_vec(),
    };
    let expected = ExpectedMethod { id: format!("{did}#0"), key, relationships: Some(relationships) };
    Check {
        id,
        title,
        clause: CLAUSE_JWK_READ,
        did_method: Some("jwk"),
        inapplicable_when: None,
        not_applicable: None,
        request: CheckRequest::get(encode(&did)),
        verdict: resolves_to(did, vec![expected]),
    }
}

fn did_jwk_vector_checks() -> Result<Vec<Check>, VectorError> {
    const FILE: &str = "didjwk.json";
    let vectors = parse(FILE, DIDJWK)?;
    let mut checks = Vec::new();
    for (index, vector) in entries(FILE, &vectors["positive"])?.iter().enumerate() {
        let did = field(FILE, vector, "did")?;
        let jwk =
            vector["jwk"].as_object().ok_or_else(|| VectorError { file: FILE, problem: format!("{did}: jwk") })?;
        let key = PublicKey::from_jwk(jwk).map_err(|error| VectorError { file: FILE, problem: error.to_string() })?;
        let usage = jwk.get("use").and_then(Value::as_str);
        let title =
            format!("vector did:jwk ({} {}) resolves to its key", jwk["kty"], jwk.get("crv").unwrap_or(&Value::Null));
        checks.push(did_jwk_check(format!("jwk.vector.{index:02}"), title, did.to_owned(), key, usage));
    }
    for (index, vector) in entries(FILE, &vectors["negative"])?.iter().enumerate() {
        let did = field(FILE, vector, "did")?;
        let why = field(FILE, vector, "why")?;
        checks.push(Check {
            id: format!("jwk.invalid.{index:02}"),
            title: format!("refuses {did} ({why})"),
            clause: CLAUSE_JWK_INVALID,
            did_method: Some("jwk"),
            inapplicable_when: None,
            not_applicable: None,
            request: CheckRequest::get(encode(did)),
            verdict: refused(&[400], ErrorCode::InvalidDid),
        });
    }
    Ok(checks)
}

fn did_web_vector_checks() -> Result<Vec<Check>, VectorError> {
    const FILE: &str = "didweb.json";
    let vectors = parse(FILE, DIDWEB)?;
    let mut checks = Vec::new();
    let needs_network = "needs the endpoint to reach a public HTTPS origin, which a hermetic run cannot provide";
    for (index, vector) in entries(FILE, &vectors["positive"])?.iter().enumerate() {
        let did = field(FILE, vector, "did")?;
        let url = field(FILE, vector, "url")?;
        checks.push(Check {
            id: format!("web.mapping.{index:02}"),
            title: format!("{did} is fetched from {url}"),
            clause: "did:web §Read: DID to HTTPS URL",
            did_method: Some("web"),
            inapplicable_when: None,
            not_applicable: Some(needs_network.to_owned()),
            request: CheckRequest::get(encode(did)),
            verdict: resolves_to(did.to_owned(), Vec::new()),
        });
    }
    for (index, vector) in entries(FILE, &vectors["negative"])?.iter().enumerate() {
        let did = field(FILE, vector, "did")?;
        let expect = field(FILE, vector, "expect")?;
        // Some recorded answers are NOT_FOUND from a real origin: those need the network too.
        let not_applicable = (expect != "invalidDid").then(|| needs_network.to_owned());
        checks.push(Check {
            id: format!("web.invalid.{index:02}"),
            title: format!("refuses {did} ({expect})"),
            clause: CLAUSE_WEB_SYNTAX,
            did_method: Some("web"),
            inapplicable_when: None,
            not_applicable,
            request: CheckRequest::get(encode(did)),
            verdict: refused(&[400], ErrorCode::InvalidDid),
        });
    }
    Ok(checks)
}

// --- Fresh cases ----------------------------------------------------------------------------------------------

/// One random key per type, a freshly built did:key for it, and one truncated key that must fail.
fn fresh_did_key_checks() -> Vec<Check> {
    let mut checks = Vec::new();
    for key_type in KeyType::ALL {
        match random_key(key_type) {
            Ok(key) => checks.extend(valid_did_key(
                &format!("key.fresh.{}", key_type.name()),
                "fresh",
                trustnode_did::key::did_for(&key),
                &key,
            )),
            Err(error) => checks.push(unbuildable(format!("key.fresh.{}", key_type.name()), error.to_string())),
        }
    }
    if let Ok(key) = random_key(KeyType::P256) {
        let mut truncated = key.to_multicodec();
        truncated.pop();
        let did = format!("did:key:{}", multibase::encode(multibase::Base::Base58Btc, truncated));
        checks.push(Check {
            id: "key.fresh.truncated-p256".to_owned(),
            title: format!("refuses a fresh P-256 did:key one byte short ({did})"),
            clause: CLAUSE_KEY_INVALID,
            did_method: Some("key"),
            inapplicable_when: None,
            not_applicable: None,
            request: CheckRequest::get(encode(&did)),
            verdict: refused(&[400], ErrorCode::InvalidDid),
        });
    }
    checks
}

/// One random JWK per key type with a random member order and `use`, and one carrying private material.
fn fresh_did_jwk_checks() -> Vec<Check> {
    let mut checks = Vec::new();
    for key_type in KeyType::ALL.into_iter().filter(|key_type| *key_type != KeyType::Bls12381G1G2) {
        let id = format!("jwk.fresh.{}", key_type.name());
        let Some((key, jwk)) = random_key(key_type).ok().and_then(|key| shuffled_jwk(&key).map(|jwk| (key, jwk)))
        else {
            checks.push(unbuildable(id, format!("no random {} JWK", key_type.name())));
            continue;
        };
        let usage = jwk.get("use").and_then(Value::as_str).map(str::to_owned);
        let members: Vec<&String> = jwk.keys().collect();
        let title = format!("fresh {} did:jwk with members {members:?} resolves to its key", key_type.name());
        checks.push(did_jwk_check(id, title, trustnode_did::jwk::did_for(&jwk), key, usage.as_deref()));
    }
    if let Some(mut jwk) = random_key(KeyType::Ed25519).ok().and_then(|key| key.to_jwk()) {
        jwk.insert("d".to_owned(), Value::from("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"));
        let did = trustnode_did::jwk::did_for(&jwk);
        checks.push(Check {
            id: "jwk.fresh.private-member".to_owned(),
            title: "refuses a fresh did:jwk that carries the private member d".to_owned(),
            clause: CLAUSE_JWK_INVALID,
            did_method: Some("jwk"),
            inapplicable_when: None,
            not_applicable: None,
            request: CheckRequest::get(encode(&did)),
            verdict: refused(&[400], ErrorCode::InvalidDid),
        });
    }
    checks
}

/// A check that reports a generated case the kit could not build (so it shows up instead of vanishing).
fn unbuildable(id: String, problem: String) -> Check {
    Check {
        id,
        title: "fresh case".to_owned(),
        clause: CLAUSE_KEY_READ,
        did_method: None,
        inapplicable_when: None,
        not_applicable: Some(format!("the kit could not generate this case: {problem}")),
        request: CheckRequest::get(""),
        verdict: Box::new(|_| Ok(())),
    }
}

// --- HTTP contract --------------------------------------------------------------------------------------------

/// The HTTP binding checks: negotiation in both dialects, the error table, encoded identifiers, fragments.
fn contract_checks() -> Vec<Check> {
    let msid = SAMPLE_DID.trim_start_matches("did:key:");
    let contract = |id: &str, title: &str, clause: &'static str, request: CheckRequest, verdict: Verdict| Check {
        id: format!("http.{id}"),
        title: title.to_owned(),
        clause,
        did_method: Some("key"),
        inapplicable_when: None,
        not_applicable: None,
        request,
        verdict,
    };
    let mut checks = Vec::new();
    for (id, accept) in
        [("default", None), ("accept-any", Some("*/*")), ("accept-did-resolution", Some("application/did-resolution"))]
    {
        let request = CheckRequest { target: encode(SAMPLE_DID), accept: accept.map(str::to_owned), json_body: None };
        checks.push(contract(
            &format!("full-result.{id}"),
            &format!("{} gives the full resolution result as application/did-resolution", request.describe()),
            "DID Resolution §HTTP(S) binding: default representation is the full result (application/did-resolution)",
            request,
            full_result("application/did-resolution", false),
        ));
    }
    checks.push(contract(
        "full-result.legacy",
        "the legacy profile gets the legacy full result (@context, same Content-Type)",
        "DID Resolution v0.3 §HTTP(S) binding: application/ld+json;profile=\"https://w3id.org/did-resolution\"",
        CheckRequest::get(encode(SAMPLE_DID)).accepting(LEGACY_PROFILE),
        full_result("application/ld+json", true),
    ));
    for accept in ["application/did", "application/did+json", "application/did+ld+json"] {
        checks.push(contract(
            &format!("document.{}", accept.trim_start_matches("application/")),
            &format!("Accept: {accept} gives the bare DID document in that media type (or 406)"),
            "DID Resolution §HTTP(S) binding: a document media type answers the document itself",
            CheckRequest::get(encode(SAMPLE_DID)).accepting(accept),
            bare_document(accept),
        ));
    }
    checks.push(contract(
        "unsupported-accept",
        "an Accept the resolver cannot produce is 406 REPRESENTATION_NOT_SUPPORTED",
        "DID Resolution §HTTP(S) binding: REPRESENTATION_NOT_SUPPORTED → 406",
        CheckRequest::get(encode(SAMPLE_DID)).accepting("image/png"),
        refused(&[406], ErrorCode::RepresentationNotSupported),
    ));
    checks.push(contract(
        "raw-identifier",
        "an unencoded DID in the path resolves like the encoded one",
        "DID Resolution §HTTP(S) binding: the identifier may arrive raw or percent-encoded",
        CheckRequest::get(SAMPLE_DID),
        resolves_to(SAMPLE_DID.to_owned(), Vec::new()),
    ));
    checks.push(Check {
        did_method: None,
        inapplicable_when: None,
        ..contract(
            "empty-identifier",
            "an empty identifier is 400",
            "DID Resolution §HTTP(S) binding: empty identifier → 400",
            CheckRequest::get(""),
            Box::new(|answer| match answer.status {
                400 => Ok(()),
                _ => Err(Mismatch::new("HTTP 400", describe(answer))),
            }),
        )
    });
    checks.push(Check {
        did_method: None,
        inapplicable_when: None,
        ..contract(
            "not-a-did",
            "not-a-did is 400 INVALID_DID with didDocument null and empty didDocumentMetadata",
            "DID Resolution §Errors: INVALID_DID → 400; error results carry didDocument null",
            CheckRequest::get("not-a-did"),
            error_result(),
        )
    });
    checks.push(Check {
        did_method: None,
        inapplicable_when: None,
        ..contract(
            "method-not-supported",
            "an unsupported method (did:example) is 501 METHOD_NOT_SUPPORTED",
            "DID Resolution §Errors: METHOD_NOT_SUPPORTED → 501",
            CheckRequest::get(encode("did:example:123456")),
            refused(&[501], ErrorCode::MethodNotSupported),
        )
    });
    checks.push(Check {
        did_method: None,
        inapplicable_when: None,
        ..contract(
            "legacy-error-code",
            "the legacy dialect names errors in camelCase (invalidDid)",
            "DID Resolution v0.3 §Errors: camelCase error codes",
            CheckRequest::get("not-a-did").accepting(LEGACY_PROFILE),
            legacy_error("invalidDid"),
        )
    });
    let fragment = format!("{SAMPLE_DID}#{msid}");
    checks.push(contract(
        "fragment",
        "a DID URL with a fragment dereferences to that verification method",
        "DID Resolution §Dereferencing: fragment selects the verification method",
        CheckRequest::get(encode(&fragment)),
        dereferenced(fragment.clone(), SAMPLE_DID),
    ));
    checks.push(contract(
        "fragment-not-found",
        "a fragment naming no method is 404 NOT_FOUND",
        "DID Resolution §Errors: NOT_FOUND → 404",
        CheckRequest::get(encode(&format!("{SAMPLE_DID}#no-such-key"))),
        refused(&[404], ErrorCode::NotFound),
    ));
    checks.push(contract(
        "invalid-did-url",
        "a malformed DID URL (the CCG suite's /^bar^/?query=`) is 400 INVALID_DID_URL",
        "DID Resolution §Errors: INVALID_DID_URL → 400",
        CheckRequest::get(encode(&format!("{SAMPLE_DID}/^bar^/?query=`#{msid}"))),
        refused(&[400], ErrorCode::InvalidDidUrl),
    ));
    checks.push(contract(
        "unknown-public-key-format",
        "an unknown publicKeyFormat option is 400 INVALID_OPTIONS (did:key unsupportedPublicKeyType)",
        "did:key §Resolution options: unknown publicKeyFormat → unsupportedPublicKeyType",
        CheckRequest::get(format!("{}?publicKeyFormat=unknown", encode(SAMPLE_DID))),
        refused(&[400], ErrorCode::InvalidOptions),
    ));
    checks
}

/// A full resolution result in the given media type; `legacy` also requires the v0.3 `@context`.
fn full_result(content_type: &'static str, legacy: bool) -> Verdict {
    Box::new(move |answer| {
        let wanted = format!(
            "HTTP 200, Content-Type {content_type}, {{didDocument, didResolutionMetadata, didDocumentMetadata}}"
        );
        let body = json_body(answer, &wanted)?;
        let complete = ["didResolutionMetadata", "didDocumentMetadata"].iter().all(|name| body[*name].is_object())
            && body["didDocument"]["id"] == SAMPLE_DID;
        let context = !legacy || body["@context"] == "https://w3id.org/did-resolution/v1";
        if answer.status != 200 || media_type(answer) != content_type || !complete || !context {
            return Err(Mismatch::new(wanted, describe(answer)));
        }
        Ok(())
    })
}

/// The bare document in `content_type`, or a 406 refusal (the W3C suite allows both).
fn bare_document(content_type: &'static str) -> Verdict {
    let not_acceptable = refused(&[406], ErrorCode::RepresentationNotSupported);
    Box::new(move |answer| {
        if answer.status == 406 {
            return not_acceptable(answer);
        }
        let wanted = format!("HTTP 200, Content-Type {content_type}, the document itself (id {SAMPLE_DID})");
        let body = json_body(answer, &wanted)?;
        if answer.status != 200 || media_type(answer) != content_type || body["id"] != SAMPLE_DID {
            return Err(Mismatch::new(wanted, describe(answer)));
        }
        Ok(())
    })
}

/// The W3C suite's error shape: 400, INVALID_DID, `didDocument: null`, `didDocumentMetadata: {}`.
fn error_result() -> Verdict {
    let invalid = refused(&[400], ErrorCode::InvalidDid);
    Box::new(move |answer| {
        invalid(answer)?;
        let wanted = "didDocument null and didDocumentMetadata {}";
        let body = json_body(answer, wanted)?;
        let empty_metadata = body["didDocumentMetadata"].as_object().is_some_and(|metadata| metadata.is_empty());
        if body.get("didDocument") != Some(&Value::Null) || !empty_metadata {
            return Err(Mismatch::new(wanted, describe(answer)));
        }
        Ok(())
    })
}

/// A legacy-dialect error: the camelCase string `code` in the resolution or dereferencing metadata.
fn legacy_error(code: &'static str) -> Verdict {
    Box::new(move |answer| {
        let wanted = format!("HTTP 400 with \"error\": \"{code}\"");
        let body = json_body(answer, &wanted)?;
        let named = ["didResolutionMetadata", "didDereferencingMetadata", "dereferencingMetadata"]
            .iter()
            .any(|metadata| body[*metadata]["error"] == code);
        if answer.status != 400 || !named {
            return Err(Mismatch::new(wanted, describe(answer)));
        }
        Ok(())
    })
}

/// A dereferenced verification method: `contentStream` (current) or `didDocument` (CCG suite) with that id and
/// controller, or the bare object.
fn dereferenced(id: String, controller: &'static str) -> Verdict {
    Box::new(move |answer| {
        let wanted = format!("HTTP 200 with the verification method {id} (controller {controller})");
        let body = json_body(answer, &wanted)?;
        let selected =
            ["contentStream", "didDocument"].iter().map(|name| &body[*name]).find(|object| object.is_object());
        let selected = selected.unwrap_or(&body);
        if answer.status != 200 || selected["id"] != id.as_str() || selected["controller"] != controller {
            return Err(Mismatch::new(wanted, describe(answer)));
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> CheckReply {
        CheckReply {
            status,
            content_type: Some("application/did-resolution".to_owned()),
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn check_ids_are_unique_and_every_method_contributes() {
        let all = checks(&METHODS).unwrap();
        let mut ids: Vec<&str> = all.iter().map(|check| check.id.as_str()).collect();
        ids.sort_unstable();
        let count = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate check ids");
        for prefix in
            ["http.", "key.vector.", "key.invalid.", "key.fresh.", "jwk.vector.", "jwk.fresh.", "web.invalid."]
        {
            assert!(ids.iter().any(|id| id.starts_with(prefix)), "{prefix}");
        }
        assert!(checks(&["jwk"]).unwrap().iter().all(|check| check.id.starts_with("jwk.")));
    }

    #[test]
    fn error_codes_are_read_in_every_dialect() {
        let cases = [
            (r#"{"didResolutionMetadata":{"error":"invalidPublicKeyLength"}}"#, ErrorCode::InvalidPublicKeyLength),
            (
                r#"{"didResolutionMetadata":{"error":{"type":"https://www.w3.org/ns/did#NOT_FOUND"}}}"#,
                ErrorCode::NotFound,
            ),
            (r#"{"didResolutionMetadata":{"error":{"type":"METHOD_NOT_SUPPORTED"}}}"#, ErrorCode::MethodNotSupported),
            (r#"{"didResolutionMetadata":{"error":"INVALID_PUBLIC_KEY"}}"#, ErrorCode::InvalidPublicKey),
            (r#"{"didDereferencingMetadata":{"error":"invalidDidUrl"}}"#, ErrorCode::InvalidDidUrl),
        ];
        for (body, code) in cases {
            assert_eq!(error_code(&serde_json::from_str(body).unwrap()), Some(code), "{body}");
        }
        assert_eq!(error_code(&serde_json::json!({"didResolutionMetadata": {}})), None);
    }

    #[test]
    fn refusal_accepts_a_specific_did_key_code_and_rejects_a_document() {
        let verdict = refused(&[400], ErrorCode::InvalidDid);
        assert!(verdict(&answer(400, r#"{"didDocument":null,"didResolutionMetadata":{"error":"invalidPublicKey"}}"#))
            .is_ok());
        let wrong_status = verdict(&answer(500, r#"{"didResolutionMetadata":{"error":"invalidDid"}}"#)).unwrap_err();
        assert!(wrong_status.expected.contains("INVALID_DID") && wrong_status.observed.contains("HTTP 500"));
        assert!(verdict(&answer(
            400,
            r#"{"didDocument":{"id":"did:x"},"didResolutionMetadata":{"error":"invalidDid"}}"#
        ))
        .is_err());
    }

    #[test]
    fn documents_are_compared_by_key_material_not_representation() {
        let key = random_key(KeyType::P256).unwrap();
        let did = trustnode_did::key::did_for(&key);
        let id = format!("{did}#{}", key.to_multibase());
        let verdict = resolves_to(did.clone(), did_key_expectations(&did, &key));
        let with = |material: Value| {
            let mut method = serde_json::json!({"id": id, "type": "X", "controller": did});
            method.as_object_mut().unwrap().extend(material.as_object().unwrap().clone());
            let mut document = serde_json::json!({"id": did, "verificationMethod": [method]});
            for relationship in SIGNATURE_RELATIONSHIPS {
                document[relationship] = serde_json::json!([id]);
            }
            answer(200, &serde_json::json!({ "didDocument": document }).to_string())
        };
        assert!(verdict(&with(serde_json::json!({"publicKeyMultibase": key.to_multibase()}))).is_ok());
        assert!(verdict(&with(serde_json::json!({"publicKeyJwk": key.to_jwk().unwrap()}))).is_ok());
        let other = random_key(KeyType::P256).unwrap();
        let mismatch = verdict(&with(serde_json::json!({"publicKeyMultibase": other.to_multibase()}))).unwrap_err();
        assert!(mismatch.expected.contains(&key.to_multibase()), "{mismatch:?}");
    }
}
