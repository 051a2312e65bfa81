//! `ssi-server PORT`: a benchmark peer that resolves did:key, did:jwk and did:web with Spruce's `ssi` resolver
//! (`ssi_dids::AnyDidMethod`, default options) behind `GET /1.0/identifiers/{did}` on 127.0.0.1:PORT.
//! It adds no validation of its own and no caching: it measures ssi, so it must not do more or less than ssi does.
//! `PEER_CA_FILE` (a PEM file) becomes the trust store of ssi's did:web HTTPS client.

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use ssi_dids::resolution::Error as ResolutionError;
use ssi_dids::{AnyDidMethod, DIDResolver, DID};

const IDENTIFIERS_PREFIX: &str = "/1.0/identifiers/";
const SERVED_METHODS: [&str; 3] = ["key", "jwk", "web"];
const RESOLUTION_MEDIA_TYPE: &str = "application/did-resolution";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .ok_or("usage: ssi-server PORT (env PEER_CA_FILE: PEM roots for did:web over HTTPS)")?;
    if let Some(ca_file) = std::env::var_os("PEER_CA_FILE") {
        // ssi's did:web builds a reqwest client whose rustls-platform-verifier reads its roots through
        // rustls-native-certs, which honours SSL_CERT_FILE; set before any thread exists.
        std::env::set_var("SSL_CERT_FILE", ca_file);
    }
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(serve(port))
}

async fn serve(port: u16) -> Result<(), Box<dyn std::error::Error>> {
    let app = Router::new().route("/healthz", get(|| async { "ok" })).route("/1.0/identifiers/{*did}", get(resolve));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// The DID from the raw request path: percent-decoded once when it arrives encoded (`did%3A…`), else taken as is,
/// so a raw did:web with its `%3A` port separator keeps it.
fn requested_did(uri: &Uri) -> Option<String> {
    let identifier = uri.path().strip_prefix(IDENTIFIERS_PREFIX)?;
    let encoded = identifier.get(..6).is_some_and(|head| head.eq_ignore_ascii_case("did%3A"));
    if encoded {
        percent_encoding::percent_decode_str(identifier).decode_utf8().ok().map(|did| did.into_owned())
    } else {
        Some(identifier.to_owned())
    }
}

async fn resolve(uri: Uri) -> Response {
    let Some(text) = requested_did(&uri) else {
        return failure(StatusCode::BAD_REQUEST, "invalidDid", "the identifier is not UTF-8 once decoded");
    };
    let Ok(did) = DID::new(text.as_bytes()) else {
        return failure(StatusCode::BAD_REQUEST, "invalidDid", "not a DID");
    };
    if !SERVED_METHODS.contains(&did.method_name()) {
        return failure(
            StatusCode::NOT_IMPLEMENTED,
            "methodNotSupported",
            "this peer serves did:key, did:jwk, did:web",
        );
    }
    match AnyDidMethod::default().resolve(did).await {
        Ok(output) => {
            let document_metadata = match output.document_metadata.deactivated {
                Some(deactivated) => json!({ "deactivated": deactivated }),
                None => json!({}),
            };
            let body = json!({
                "didDocument": output.document,
                "didResolutionMetadata": { "contentType": output.metadata.content_type },
                "didDocumentMetadata": document_metadata,
            });
            ([(header::CONTENT_TYPE, RESOLUTION_MEDIA_TYPE)], body.to_string()).into_response()
        }
        Err(error) => {
            let (status, code) = status_of(&error);
            failure(status, code, &error.to_string())
        }
    }
}

/// The HTTP status and DID-resolution error code (legacy camelCase spelling) for an ssi resolution error.
fn status_of(error: &ResolutionError) -> (StatusCode, &'static str) {
    match error {
        ResolutionError::InvalidMethodSpecificId(_) => (StatusCode::BAD_REQUEST, "invalidDid"),
        ResolutionError::InvalidOptions => (StatusCode::BAD_REQUEST, "invalidOptions"),
        ResolutionError::NotFound => (StatusCode::NOT_FOUND, "notFound"),
        ResolutionError::MethodNotSupported(_) => (StatusCode::NOT_IMPLEMENTED, "methodNotSupported"),
        ResolutionError::RepresentationNotSupported(_) | ResolutionError::NoRepresentation => {
            (StatusCode::NOT_ACCEPTABLE, "representationNotSupported")
        }
        ResolutionError::InvalidData(_) => (StatusCode::INTERNAL_SERVER_ERROR, "invalidDidDocument"),
        ResolutionError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internalError"),
    }
}

fn failure(status: StatusCode, code: &str, message: &str) -> Response {
    let body: Value = json!({
        "didDocument": null,
        "didResolutionMetadata": { "error": code, "message": message },
        "didDocumentMetadata": {},
    });
    (status, [(header::CONTENT_TYPE, RESOLUTION_MEDIA_TYPE)], body.to_string()).into_response()
}
