//! DID URL dereferencing over a resolved document: selecting a verification method or service by fragment, and
//! turning `?service=…&relativeRef=…` into a URL (DID Core §7.2, RFC 3986 §5).
//!
//! Pure: takes the document and the parsed DID URL, returns what the URL names. A `relativeRef` may not leave the
//! service endpoint (no `..` segments, no scheme or authority of its own): a DID URL must not become a way to point
//! a client at arbitrary hosts.

use serde_json::Value;

use trustnode_did::document::Document;
use trustnode_did::error::{invalid_did_url, not_found, ResolutionError};
use trustnode_did::syntax::DidUrl;

/// What a DID URL names inside its DID document.
#[derive(Debug, Clone, PartialEq)]
pub enum Dereferenced {
    /// The DID itself: the whole document.
    Document,
    /// A fragment: the verification method or service object with that id.
    Object(Value),
    /// A service endpoint with `relativeRef` applied.
    ServiceUrl(String),
}

/// Properties whose entries may be (or reference) verification methods, in the order they are searched.
const METHOD_PROPERTIES: [&str; 7] = [
    "verificationMethod",
    "service",
    "authentication",
    "assertionMethod",
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
];

/// Dereferences `url` against `document` (the resolved document of `url.did`). `path_service` is the service and
/// `relativeRef` the method maps `url.path` to (see `DidMethod::path_service`); without one, a path names nothing.
pub fn dereference(
    document: &Document,
    url: &DidUrl<'_>,
    path_service: Option<(&str, Option<&str>)>,
) -> Result<Dereferenced, ResolutionError> {
    if let Some(service) = url.parameter("service")? {
        let relative_ref = url.parameter("relativeRef")?;
        let url = service_url(document.value(), url.did, &service, relative_ref.as_deref())?;
        return Ok(Dereferenced::ServiceUrl(url));
    }
    if !url.path.is_empty() {
        let Some((service, relative_ref)) = path_service else {
            return Err(not_found(format!("{} defines no resources at DID URL paths", url.did)));
        };
        return service_url(document.value(), url.did, service, relative_ref).map(Dereferenced::ServiceUrl);
    }
    match url.fragment {
        Some(fragment) => find_by_fragment(document.value(), url.did, fragment).cloned().map(Dereferenced::Object),
        None => Ok(Dereferenced::Document),
    }
}

/// The object in `document` whose id is `<did>#<fragment>` or the relative `#<fragment>`.
pub(crate) fn find_by_fragment<'d>(
    document: &'d Value,
    did: &str,
    fragment: &str,
) -> Result<&'d Value, ResolutionError> {
    let matches = |id: &str| id.strip_prefix(did).unwrap_or(id).strip_prefix('#') == Some(fragment);
    METHOD_PROPERTIES
        .iter()
        .filter_map(|property| document.get(property)?.as_array())
        .flatten()
        .find(|entry| entry.get("id").and_then(Value::as_str).is_some_and(matches))
        .ok_or_else(|| not_found(format!("no verification method or service with id #{fragment} in {did}")))
}

fn service_url(
    document: &Value,
    did: &str,
    service: &str,
    relative_ref: Option<&str>,
) -> Result<String, ResolutionError> {
    let entry = find_by_fragment(document, did, service)?;
    let endpoint = match entry.get("serviceEndpoint") {
        Some(Value::String(url)) => url.as_str(),
        Some(Value::Array(urls)) => urls.iter().find_map(Value::as_str).ok_or_else(|| no_url_endpoint(service))?,
        _ => return Err(no_url_endpoint(service)),
    };
    let base = url::Url::parse(endpoint)
        .map_err(|e| not_found(format!("service #{service} has an endpoint that is not a URL ({e})")))?;
    let Some(relative_ref) = relative_ref else { return Ok(base.into()) };
    check_relative_ref(relative_ref)?;
    base.join(relative_ref)
        .map(String::from)
        .map_err(|e| invalid_did_url(format!("relativeRef {relative_ref:?} cannot be applied: {e}")))
}

fn no_url_endpoint(service: &str) -> ResolutionError {
    not_found(format!("service #{service} has no URL endpoint to dereference"))
}

/// Refuses references that could leave the endpoint: a scheme, an authority, or a dot-dot segment (also encoded).
fn check_relative_ref(relative_ref: &str) -> Result<(), ResolutionError> {
    let path = relative_ref.split(['?', '#']).next().unwrap_or_default();
    let has_scheme = path.split('/').next().is_some_and(|first| first.contains(':'));
    let climbs = path.split('/').any(|segment| {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        decoded == ".." || decoded.contains(['/', '\\'])
    });
    if has_scheme || relative_ref.starts_with("//") || climbs {
        return Err(invalid_did_url(format!("relativeRef {relative_ref:?} must stay within the service endpoint")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use trustnode_did::error::ErrorCode;

    const DID: &str = "did:web:example.com";

    fn document() -> Value {
        json!({
            "id": DID,
            "verificationMethod": [{"id": "did:web:example.com#key-1", "type": "Multikey"}],
            "keyAgreement": [{"id": "#key-2", "type": "Multikey"}],
            "service": [
                {"id": "#files", "type": "LinkedDomains", "serviceEndpoint": "https://example.com/files/"},
                {"id": "#many", "type": "X", "serviceEndpoint": [{"a": 1}, "https://cdn.example.com/"]},
                {"id": "#map", "type": "X", "serviceEndpoint": {"origins": []}}
            ]
        })
    }

    fn deref(url: &str) -> Result<Dereferenced, ResolutionError> {
        dereference(&Document::new(document()), &DidUrl::parse(url).unwrap(), None)
    }

    #[test]
    fn paths_go_through_the_service_the_method_names_and_stay_under_it() {
        let document = Document::new(document());
        let at = |url: &str, service: Option<(&str, Option<&str>)>| {
            dereference(&document, &DidUrl::parse(url).unwrap(), service)
        };
        assert_eq!(
            at("did:web:example.com/a/b.json", Some(("files", Some("a/b.json")))).unwrap(),
            Dereferenced::ServiceUrl("https://example.com/files/a/b.json".into())
        );
        assert_eq!(
            at("did:web:example.com/whois", Some(("many", None))).unwrap(),
            Dereferenced::ServiceUrl("https://cdn.example.com/".into())
        );
        let climbing = at("did:web:example.com/a/%2E%2E/x", Some(("files", Some("a/%2E%2E/x")))).unwrap_err();
        assert_eq!(climbing.code, ErrorCode::InvalidDidUrl);
        assert_eq!(at("did:web:example.com/a", Some(("nope", Some("a")))).unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(at("did:web:example.com/a", None).unwrap_err().code, ErrorCode::NotFound, "no service: nothing");
    }

    #[test]
    fn fragments_select_absolute_and_relative_ids() {
        let Dereferenced::Object(vm) = deref("did:web:example.com#key-1").unwrap() else { panic!() };
        assert_eq!(vm["type"], "Multikey");
        let Dereferenced::Object(embedded) = deref("did:web:example.com#key-2").unwrap() else { panic!() };
        assert_eq!(embedded["id"], "#key-2");
        assert_eq!(deref("did:web:example.com#nope").unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(deref(DID).unwrap(), Dereferenced::Document);
    }

    #[test]
    fn services_resolve_relative_refs() {
        assert_eq!(
            deref("did:web:example.com?service=files&relativeRef=%2Fcv%2Fresume.pdf").unwrap(),
            Dereferenced::ServiceUrl("https://example.com/cv/resume.pdf".into())
        );
        assert_eq!(
            deref("did:web:example.com?service=files&relativeRef=resume.pdf").unwrap(),
            Dereferenced::ServiceUrl("https://example.com/files/resume.pdf".into())
        );
        assert_eq!(
            deref("did:web:example.com?service=many").unwrap(),
            Dereferenced::ServiceUrl("https://cdn.example.com/".into())
        );
        assert_eq!(deref("did:web:example.com?service=map").unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(deref("did:web:example.com?service=none").unwrap_err().code, ErrorCode::NotFound);
    }

    #[test]
    fn relative_refs_that_escape_are_refused() {
        for reference in ["..%2F..%2Fetc", "%2E%2E/x", "a/%2e%2e/b", "https:%2F%2Fevil.example", "%2F%2Fevil.example/x"]
        {
            let url = format!("did:web:example.com?service=files&relativeRef={reference}");
            assert_eq!(deref(&url).unwrap_err().code, ErrorCode::InvalidDidUrl, "{reference}");
        }
    }

    #[test]
    fn paths_name_nothing() {
        assert_eq!(deref("did:web:example.com/some/path").unwrap_err().code, ErrorCode::NotFound);
    }
}
