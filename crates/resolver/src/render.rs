//! Rendering a [`Resolution`] in the representation a client negotiated: the body, the status code and the
//! headers that go with it. This is the one place where resolution errors become HTTP statuses.
//!
//! Pure: the HTTP handlers and the `resolve` command both call [`render`]; neither builds result JSON itself.
//!
//! Choices where the DID Resolution specification leaves room:
//! - A service URL becomes a `303` redirect (for `text/uri-list` and `application/did-url-dereferencing`) only when
//!   its scheme is `https` or `http`. Any other URL (`javascript:`, `data:`, `mailto:`, …) is the content of a `200`
//!   instead: a redirect would make a browser or HTTP client act on a URL the DID's controller chose, which only
//!   web URLs are fit for.
//! - A dereferenced object (a verification method or service) labelled as JSON-LD (`application/did+ld+json`,
//!   `application/ld+json`, and the legacy dialect's results, which label their content `application/did+ld+json`)
//!   carries the document's `@context`: without it a JSON-LD processor cannot read the object's terms.

use std::borrow::Cow;

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;

use super::accept::{Dialect, Representation, DID_URL_DEREFERENCING};
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
    let current = Representation::Result(Dialect::Current);
    let Some(representation) = representation else {
        let error = ResolutionError::new(
            ErrorCode::RepresentationNotSupported,
            "none of the accepted media types can be produced; see the README for the list",
        );
        return render_error(resolution, &error, current);
    };
    let content = match &resolution.result {
        Ok(content) => content,
        Err(error) => return render_error(resolution, error, representation),
    };
    match (content, representation) {
        (Content::ServiceUrl(url), Representation::UriList | Representation::Dereferencing) if is_web_url(url) => {
            Rendered { status: 303, content_type: URI_LIST, body: Vec::new(), location: Some(url.clone()) }
        }
        (Content::ServiceUrl(url), Representation::UriList) => {
            success(resolution, URI_LIST, format!("{url}\r\n").into())
        }
        (Content::ServiceUrl(_), Representation::Document(_))
        | (Content::Document(_) | Content::Object { .. }, Representation::UriList) => {
            let error = ResolutionError::new(
                ErrorCode::RepresentationNotSupported,
                format!("{} cannot be produced for this identifier", representation.content_type()),
            );
            render_error(resolution, &error, current)
        }
        (Content::Document(document), Representation::Document(media_type)) => {
            success(resolution, media_type, document.json().to_vec())
        }
        (Content::Object { object, context }, Representation::Document(media_type)) => {
            let object = labelled_object(object, context.as_ref(), media_type);
            success(resolution, media_type, serde_json::to_vec(&object).unwrap_or_default())
        }
        (content, Representation::Result(dialect)) => {
            success(resolution, representation.content_type(), result_body(resolution, content, dialect))
        }
        (content, Representation::Dereferencing) => {
            success(resolution, DID_URL_DEREFERENCING, dereferencing_body(resolution, content))
        }
    }
}

/// Media type of a list of URLs, the representation of a service URL.
const URI_LIST: &str = "text/uri-list";

/// True for the URLs a redirect may point to: `https` and `http` (see the module doc).
fn is_web_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|url| matches!(url.scheme(), "https" | "http"))
}

/// A dereferenced object as sent with `media_type`: with the document's `@context` first when the media type is
/// JSON-LD and the object has none of its own.
fn labelled_object<'a>(object: &'a Value, context: Option<&Value>, media_type: &str) -> Cow<'a, Value> {
    match (media_type.ends_with("ld+json"), context, object) {
        (true, Some(context), Value::Object(members)) if !members.contains_key("@context") => {
            let mut labelled = Map::with_capacity(members.len() + 1);
            labelled.insert("@context".into(), context.clone());
            labelled.extend(members.iter().map(|(name, value)| (name.clone(), value.clone())));
            Cow::Owned(Value::Object(labelled))
        }
        _ => Cow::Borrowed(object),
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
    Value(Cow<'a, Value>),
    Map(&'a Map<String, Value>),
}

impl<'a> Part<'a> {
    fn value(value: &'a Value) -> Part<'a> {
        Part::Value(Cow::Borrowed(value))
    }
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
                let _ = serde_json::to_writer(&mut out, value.as_ref());
            }
        }
    }
    out.push(b'}');
    out
}

/// The content member of a result whose documents and objects are labelled `media_type`, and its label: documents
/// travel as their serialized text, service URLs as `text/uri-list`.
fn content_part<'a>(content: &'a Content, media_type: &'static str) -> (Part<'a>, &'static str) {
    match content {
        Content::Document(document) => (Part::Raw(document.json()), media_type),
        Content::Object { object, context } => {
            (Part::Value(labelled_object(object, context.as_ref(), media_type)), media_type)
        }
        Content::ServiceUrl(url) => (Part::Value(Cow::Owned(Value::from(url.as_str()))), URI_LIST),
    }
}

fn result_body(resolution: &Resolution, content: &Content, dialect: Dialect) -> Vec<u8> {
    let (content_part, content_type) = content_part(content, inner_content_type(dialect));
    let metadata = Value::Object(base_metadata(resolution, Some(content_type)));
    let document_metadata = &resolution.document_metadata;
    let context = Value::from(LEGACY_CONTEXT);
    let is_document = matches!(content, Content::Document(_));
    match (dialect, is_document) {
        (Dialect::Current, true) => write_object(&[
            ("didDocument", content_part),
            ("didResolutionMetadata", Part::value(&metadata)),
            ("didDocumentMetadata", Part::Map(document_metadata)),
        ]),
        // The names of the drafts `application/did-resolution` clients were written against; the current
        // dereferencing result (`content`) has its own media type, [`dereferencing_body`].
        (Dialect::Current, false) => write_object(&[
            ("contentStream", content_part),
            ("dereferencingMetadata", Part::value(&metadata)),
            ("contentMetadata", Part::Map(document_metadata)),
        ]),
        (Dialect::Legacy, true) => write_object(&[
            ("@context", Part::value(&context)),
            ("didDocument", content_part),
            ("didResolutionMetadata", Part::value(&metadata)),
            ("didDocumentMetadata", Part::Map(document_metadata)),
        ]),
        // The CCG suites read the dereferenced object from `didDocument` and its metadata from
        // `didDereferencingMetadata`.
        (Dialect::Legacy, false) => write_object(&[
            ("@context", Part::value(&context)),
            ("didDocument", content_part),
            ("didDereferencingMetadata", Part::value(&metadata)),
            ("didDocumentMetadata", Part::Map(document_metadata)),
            ("contentMetadata", Part::Map(document_metadata)),
        ]),
    }
}

/// The current dereferencing result (`application/did-url-dereferencing`), also for a bare DID, whose content is
/// its document.
fn dereferencing_body(resolution: &Resolution, content: &Content) -> Vec<u8> {
    let (content_part, content_type) = content_part(content, inner_content_type(Dialect::Current));
    let metadata = Value::Object(base_metadata(resolution, Some(content_type)));
    write_object(&[
        ("content", content_part),
        ("dereferencingMetadata", Part::value(&metadata)),
        ("contentMetadata", Part::Map(&resolution.document_metadata)),
    ])
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
/// table. A DID URL's error also appears under the dereferencing metadata name of the dialect. Asked for as a
/// dereferencing result, the error is `content: null` with the error in `dereferencingMetadata`.
fn render_error(resolution: &Resolution, error: &ResolutionError, representation: Representation) -> Rendered {
    let dialect = representation.dialect();
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
    if representation == Representation::Dereferencing {
        let body = json!({"content": null, "dereferencingMetadata": metadata, "contentMetadata": {}});
        return Rendered {
            status: status_of(error.code),
            content_type: DID_URL_DEREFERENCING,
            body: serde_json::to_vec(&body).unwrap_or_default(),
            location: None,
        };
    }
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
        for url in ["https://example.com/a", "http://example.com/b"] {
            let r = resolution(Ok(Content::ServiceUrl(url.into())), true);
            for representation in [Representation::UriList, Representation::Dereferencing] {
                let rendered = render(&r, Some(representation));
                assert_eq!((rendered.status, rendered.location.as_deref()), (303, Some(url)), "{representation:?}");
                assert!(rendered.body.is_empty());
            }
        }
        let document = resolution(Ok(Content::Document(Document::new(json!({})))), false);
        assert_eq!(render(&document, Some(Representation::UriList)).status, 406);
    }

    #[test]
    fn only_web_urls_become_redirects() {
        for url in ["javascript:alert(document.domain)", "data:text/html,<script>x</script>", "mailto:a@example.com"] {
            let r = resolution(Ok(Content::ServiceUrl(url.into())), true);
            let listed = render(&r, Some(Representation::UriList));
            assert_eq!((listed.status, listed.location.as_deref(), listed.content_type), (200, None, "text/uri-list"));
            assert_eq!(listed.body, format!("{url}\r\n").into_bytes(), "the URL is the content");
            let dereferenced = render(&r, Some(Representation::Dereferencing));
            assert_eq!((dereferenced.status, dereferenced.location.as_deref()), (200, None), "{url}");
            let body = body(&dereferenced);
            assert_eq!(body["content"], url);
            assert_eq!(body["dereferencingMetadata"]["contentType"], "text/uri-list");
        }
    }

    #[test]
    fn dereferencing_results_carry_content_and_errors_in_dereferencing_metadata() {
        let object = json!({"id": "did:x:1#k", "type": "Multikey"});
        let r = resolution(Ok(Content::Object { object: object.clone(), context: None }), true);
        let rendered = render(&r, Some(Representation::Dereferencing));
        assert_eq!((rendered.status, rendered.content_type), (200, "application/did-url-dereferencing"));
        let body = body(&rendered);
        assert_eq!(body["content"], object);
        assert_eq!(body["dereferencingMetadata"]["contentType"], "application/did");
        assert_eq!(body["contentMetadata"], json!({}));
        assert!(body.get("contentStream").is_none() && body.get("didDocument").is_none());

        let failed = resolution(Err(ResolutionError::new(ErrorCode::NotFound, "no #k")), true);
        let rendered = render(&failed, Some(Representation::Dereferencing));
        assert_eq!((rendered.status, rendered.content_type), (404, "application/did-url-dereferencing"));
        let body = serde_json::from_slice::<Value>(&rendered.body).unwrap();
        assert_eq!(body["content"], Value::Null);
        assert_eq!(body["dereferencingMetadata"]["error"]["title"], "NOT_FOUND");
        assert_eq!(body["contentMetadata"], json!({}));
    }

    #[test]
    fn objects_labelled_json_ld_carry_the_document_context() {
        let context = json!(["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]);
        let object = json!({"id": "did:x:1#k", "type": "Multikey"});
        let r = resolution(Ok(Content::Object { object: object.clone(), context: Some(context.clone()) }), true);
        for media_type in ["application/did+ld+json", "application/ld+json"] {
            let labelled = body(&render(&r, Some(Representation::Document(media_type))));
            assert_eq!(labelled["@context"], context, "{media_type}");
            assert_eq!(labelled["id"], "did:x:1#k");
        }
        let legacy = body(&render(&r, Some(Representation::Result(Dialect::Legacy))));
        assert_eq!(legacy["didDocument"]["@context"], context, "the legacy result labels it application/did+ld+json");
        for media_type in ["application/did", "application/did+json", "application/json"] {
            assert_eq!(body(&render(&r, Some(Representation::Document(media_type)))), object, "{media_type}");
        }
        let own = json!({"@context": "https://example.com/own", "id": "did:x:1#k"});
        let r = resolution(Ok(Content::Object { object: own.clone(), context: Some(context) }), true);
        assert_eq!(body(&render(&r, Some(Representation::Document("application/did+ld+json")))), own);
    }

    #[test]
    fn legacy_dereferencing_puts_the_object_in_did_document() {
        let object = json!({"id": "did:x:1#k", "controller": "did:x:1"});
        let r = resolution(Ok(Content::Object { object, context: None }), true);
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
