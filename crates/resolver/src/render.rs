//! Rendering a [`Resolution`] in the representation a client negotiated: the body, the status code and the
//! headers that go with it. This is the one place where resolution errors become HTTP statuses.
//!
//! Pure: the HTTP handlers and the `resolve` command both call [`render`]; neither builds result JSON itself.

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;

use super::accept::{Dialect, Representation};
use super::{Content, Resolution};
use trustnode_did::error::{ErrorCode, ResolutionError};

/// Context of the legacy (CCG v0.3) result.
const LEGACY_CONTEXT: &str = "https://w3id.org/did-resolution/v1";
/// Namespace of the current dialect's problem types.
const ERROR_TYPE_BASE: &str = "https://www.w3.org/ns/did#";

/// A rendered answer, ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body (empty for a redirect).
    pub body: Vec<u8>,
    /// `Location`, for a service redirect.
    pub location: Option<String>,
}

/// The HTTP status of an error code (DID Resolution HTTP binding).
pub fn status_of(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::InvalidDid
        | ErrorCode::InvalidDidUrl
        | ErrorCode::InvalidOptions
        | ErrorCode::InvalidPublicKeyLength
        | ErrorCode::InvalidPublicKey
        | ErrorCode::UnsupportedPublicKeyType
        | ErrorCode::InvalidPublicKeyType => 400,
        ErrorCode::NotFound => 404,
        ErrorCode::RepresentationNotSupported => 406,
        ErrorCode::MethodNotSupported | ErrorCode::FeatureNotSupported => 501,
        ErrorCode::InvalidDidDocument | ErrorCode::InternalError => 500,
    }
}

/// Renders `resolution` as `representation`; `None` means the client accepts nothing this node produces (406).
pub fn render(resolution: &Resolution, representation: Option<Representation>) -> Rendered {
    let Some(representation) = representation else {
        let error = ResolutionError::new(
            ErrorCode::RepresentationNotSupported,
            "none of the accepted media types can be produced; see the README for the list",
        );
        return render_error(resolution, &error, Dialect::Current);
    };
    let content = match &resolution.result {
        Ok(content) => content,
        Err(error) => return render_error(resolution, error, representation.dialect()),
    };
    match (content, representation) {
        (Content::ServiceUrl(url), Representation::UriList) => {
            Rendered { status: 303, content_type: "text/uri-list", body: Vec::new(), location: Some(url.clone()) }
        }
        (Content::ServiceUrl(_), Representation::Document(_))
        | (Content::Document(_) | Content::Object(_), Representation::UriList) => {
            let error = ResolutionError::new(
                ErrorCode::RepresentationNotSupported,
                format!("{} cannot be produced for this identifier", representation.content_type()),
            );
            render_error(resolution, &error, Dialect::Current)
        }
        (Content::Document(document), Representation::Document(media_type)) => {
            success(resolution, media_type, document.json().to_vec())
        }
        (Content::Object(object), Representation::Document(media_type)) => {
            success(resolution, media_type, serde_json::to_vec(object).unwrap_or_default())
        }
        (content, Representation::Result(dialect)) => {
            success(resolution, representation.content_type(), result_body(resolution, content, dialect))
        }
    }
}

fn success(resolution: &Resolution, content_type: &'static str, body: Vec<u8>) -> Rendered {
    let deactivated = resolution.document_metadata.get("deactivated") == Some(&Value::Bool(true));
    Rendered { status: if deactivated { 410 } else { 200 }, content_type, body, location: None }
}

/// The document media type announced inside a full result of `dialect`.
fn inner_content_type(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Current => "application/did",
        Dialect::Legacy => "application/did+ld+json",
    }
}

/// A member of a JSON object being written: already-serialized JSON text, or a value to serialize.
enum Part<'a> {
    Raw(&'a [u8]),
    Value(&'a Value),
    Map(&'a Map<String, Value>),
}

/// Writes a JSON object from its members in order. The document travels as its pre-serialized text, so a full
/// result costs one copy of it rather than a clone and a second serialization.
fn write_object(members: &[(&str, Part<'_>)]) -> Vec<u8> {
    let raw_len: usize = members.iter().map(|(_, part)| if let Part::Raw(raw) = part { raw.len() } else { 0 }).sum();
    let mut out = Vec::with_capacity(raw_len + 512);
    out.push(b'{');
    for (i, (name, part)) in members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing into a Vec cannot fail, and neither can serializing a `Value` or a string.
        let _ = serde_json::to_writer(&mut out, name);
        out.push(b':');
        match part {
            Part::Raw(raw) => out.extend_from_slice(raw),
            Part::Map(map) => {
                let _ = serde_json::to_writer(&mut out, map);
            }
            Part::Value(value) => {
                let _ = serde_json::to_writer(&mut out, value);
            }
        }
    }
    out.push(b'}');
    out
}

fn result_body(resolution: &Resolution, content: &Content, dialect: Dialect) -> Vec<u8> {
    let content_type = match content {
        Content::ServiceUrl(_) => "text/uri-list",
        _ => inner_content_type(dialect),
    };
    let metadata = Value::Object(base_metadata(resolution, Some(content_type)));
    let document_metadata = &resolution.document_metadata;
    let context = Value::from(LEGACY_CONTEXT);
    let url;
    let content_part = match content {
        Content::Document(document) => Part::Raw(document.json()),
        Content::Object(object) => Part::Value(object),
        Content::ServiceUrl(service_url) => {
            url = Value::from(service_url.as_str());
            Part::Value(&url)
        }
    };
    let is_document = matches!(content, Content::Document(_));
    match (dialect, is_document) {
        (Dialect::Current, true) => write_object(&[
            ("didDocument", content_part),
            ("didResolutionMetadata", Part::Value(&metadata)),
            ("didDocumentMetadata", Part::Map(document_metadata)),
        ]),
        (Dialect::Current, false) => write_object(&[
            ("contentStream", content_part),
            ("dereferencingMetadata", Part::Value(&metadata)),
            ("contentMetadata", Part::Map(document_metadata)),
        ]),
        (Dialect::Legacy, true) => write_object(&[
            ("@context", Part::Value(&context)),
            ("didDocument", content_part),
            ("didResolutionMetadata", Part::Value(&metadata)),
            ("didDocumentMetadata", Part::Map(document_metadata)),
        ]),
        // The CCG suites read the dereferenced object from `didDocument` and its metadata from
        // `didDereferencingMetadata`.
        (Dialect::Legacy, false) => write_object(&[
            ("@context", Part::Value(&context)),
            ("didDocument", content_part),
            ("didDereferencingMetadata", Part::Value(&metadata)),
            ("didDocumentMetadata", Part::Map(document_metadata)),
            ("contentMetadata", Part::Map(document_metadata)),
        ]),
    }
}

/// `contentType` (for successes), `retrieved`, `duration` and the method's additions.
fn base_metadata(resolution: &Resolution, content_type: Option<&str>) -> Map<String, Value> {
    let mut metadata = Map::new();
    if let Some(content_type) = content_type {
        metadata.insert("contentType".into(), content_type.into());
    }
    let retrieved = resolution.retrieved.replace_nanosecond(0).unwrap_or(resolution.retrieved);
    if let Ok(retrieved) = retrieved.format(&Rfc3339) {
        metadata.insert("retrieved".into(), retrieved.into());
    }
    metadata.insert("duration".into(), u64::try_from(resolution.duration.as_millis()).unwrap_or(u64::MAX).into());
    metadata.extend(resolution.extra_metadata.clone());
    metadata
}

/// The full result of a failed resolution: `didDocument: null`, the error in the metadata, the status from the
/// table. A DID URL's error also appears under the dereferencing metadata name of the dialect.
fn render_error(resolution: &Resolution, error: &ResolutionError, dialect: Dialect) -> Rendered {
    let mut metadata = base_metadata(resolution, None);
    let mut body = Map::new();
    match dialect {
        Dialect::Current => {
            let detail = if error.code.is_method_specific() {
                format!("{}: {}", error.code.legacy(), error.detail)
            } else {
                error.detail.clone()
            };
            let problem = json!({
                "type": format!("{ERROR_TYPE_BASE}{}", error.code.current()),
                "title": error.code.current(),
                "detail": detail,
            });
            metadata.insert("error".into(), problem);
        }
        Dialect::Legacy => {
            body.insert("@context".into(), LEGACY_CONTEXT.into());
            metadata.insert("error".into(), error.code.legacy().into());
            metadata.insert("errorMessage".into(), error.detail.clone().into());
        }
    }
    let metadata = Value::Object(metadata);
    body.insert("didDocument".into(), Value::Null);
    body.insert("didResolutionMetadata".into(), metadata.clone());
    body.insert("didDocumentMetadata".into(), json!({}));
    if resolution.dereferencing {
        let name = match dialect {
            Dialect::Current => "dereferencingMetadata",
            Dialect::Legacy => "didDereferencingMetadata",
        };
        body.insert(name.into(), metadata);
    }
    let content_type = match dialect {
        Dialect::Current => super::accept::DID_RESOLUTION,
        Dialect::Legacy => super::accept::LEGACY_RESOLUTION,
    };
    Rendered {
        status: status_of(error.code),
        content_type,
        body: serde_json::to_vec(&Value::Object(body)).unwrap_or_default(),
        location: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Document;
    use std::time::Duration;
    use time::OffsetDateTime;

    fn resolution(result: Result<Content, ResolutionError>, dereferencing: bool) -> Resolution {
        Resolution {
            method: None,
            validity: crate::Validity::Unknown,
            result,
            dereferencing,
            document_metadata: Map::new(),
            extra_metadata: Map::new(),
            retrieved: OffsetDateTime::UNIX_EPOCH,
            duration: Duration::from_millis(3),
            repeatable: false,
        }
    }

    fn body(rendered: &Rendered) -> Value {
        serde_json::from_slice(&rendered.body).unwrap()
    }

    #[test]
    fn current_result_has_metadata_and_no_context() {
        let r = resolution(Ok(Content::Document(Document::new(json!({"id": "did:x:1"})))), false);
        let rendered = render(&r, Some(Representation::Result(Dialect::Current)));
        assert_eq!((rendered.status, rendered.content_type), (200, "application/did-resolution"));
        let body = body(&rendered);
        assert_eq!(body["didDocument"]["id"], "did:x:1");
        assert_eq!(body["didResolutionMetadata"]["contentType"], "application/did");
        assert_eq!(body["didResolutionMetadata"]["retrieved"], "1970-01-01T00:00:00Z");
        assert_eq!(body["didResolutionMetadata"]["duration"], 3);
        assert!(body.get("@context").is_none());
    }

    #[test]
    fn errors_carry_the_status_and_both_dialect_spellings() {
        let error = ResolutionError::new(ErrorCode::InvalidPublicKeyLength, "ed25519-pub needs 32 bytes");
        let r = resolution(Err(error), false);
        let current = render(&r, Some(Representation::Result(Dialect::Current)));
        assert_eq!(current.status, 400);
        let current = body(&current);
        assert_eq!(current["didDocument"], Value::Null);
        assert_eq!(current["didResolutionMetadata"]["error"]["type"], "https://www.w3.org/ns/did#INVALID_DID");
        assert!(current["didResolutionMetadata"]["error"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("invalidPublicKeyLength"));
        let legacy = body(&render(&r, Some(Representation::Result(Dialect::Legacy))));
        assert_eq!(legacy["didResolutionMetadata"]["error"], "invalidPublicKeyLength");
        assert_eq!(legacy["@context"], LEGACY_CONTEXT);
    }

    #[test]
    fn not_acceptable_is_406_with_a_full_result() {
        let r = resolution(Ok(Content::Document(Document::new(json!({})))), false);
        let rendered = render(&r, None);
        assert_eq!(rendered.status, 406);
        assert_eq!(body(&rendered)["didResolutionMetadata"]["error"]["title"], "REPRESENTATION_NOT_SUPPORTED");
    }

    #[test]
    fn service_urls_redirect_for_uri_lists() {
        let r = resolution(Ok(Content::ServiceUrl("https://example.com/a".into())), true);
        let rendered = render(&r, Some(Representation::UriList));
        assert_eq!((rendered.status, rendered.location.as_deref()), (303, Some("https://example.com/a")));
        assert!(rendered.body.is_empty());
        let document = resolution(Ok(Content::Document(Document::new(json!({})))), false);
        assert_eq!(render(&document, Some(Representation::UriList)).status, 406);
    }

    #[test]
    fn legacy_dereferencing_puts_the_object_in_did_document() {
        let r = resolution(Ok(Content::Object(json!({"id": "did:x:1#k", "controller": "did:x:1"}))), true);
        let legacy = body(&render(&r, Some(Representation::Result(Dialect::Legacy))));
        assert_eq!(legacy["didDocument"]["controller"], "did:x:1");
        assert!(legacy["didDereferencingMetadata"].is_object());
        let current = body(&render(&r, Some(Representation::Result(Dialect::Current))));
        assert_eq!(current["contentStream"]["id"], "did:x:1#k");
    }

    #[test]
    fn deactivated_documents_answer_410() {
        let mut r = resolution(Ok(Content::Document(Document::new(json!({"id": "did:x:1"})))), false);
        r.document_metadata.insert("deactivated".into(), Value::Bool(true));
        assert_eq!(render(&r, Some(Representation::Document("application/did"))).status, 410);
    }
}
