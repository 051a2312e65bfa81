//! `POST /credentials/verify` and `POST /presentations/verify`, in the shapes of the W3C VC API: a body
//! `{"verifiableCredential" | "verifiablePresentation": …, "options": {…}}` (a credential is a JSON object, a
//! compact JWS string or an `EnvelopedVerifiableCredential`; the verifier tells them apart), answered with the
//! node's explained verdict (`crate::verifier::verdict::Verdict`): 200 when verified, 400 with the same body when
//! not, as the W3C verifier test suites expect. A request that cannot be read (not JSON, a duplicated member name,
//! no document, `options` of the wrong shape) is 400 problem details instead; unknown `options` members are
//! ignored.
//!
//! Thin: read the body, read the clock once, call the verifier, write the verdict.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use super::problem::Problem;
use super::HttpState;
use crate::clock::now;
use crate::verifier::verdict::Verdict;
use crate::verifier::{Options, RequestError, Verifier};

/// `POST /credentials/verify`.
pub async fn verify_credential(
    State(state): State<Arc<HttpState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let (document, options) = read(&body?, "verifiableCredential")?;
    Ok(answer(verifier(&state, options)?.credential(document).await?))
}

/// `POST /presentations/verify`.
pub async fn verify_presentation(
    State(state): State<Arc<HttpState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let (document, options) = read(&body?, "verifiablePresentation")?;
    Ok(answer(verifier(&state, options)?.presentation(document).await?))
}

fn verifier(state: &HttpState, options: Options) -> Result<Verifier<'_>, Problem> {
    Ok(Verifier::new(state.node.verification_grounds(), now()?, options))
}

/// Reads the request: the document under `member`, and the options.
fn read(body: &[u8], member: &str) -> Result<(Value, Options), RequestError> {
    let request = trustnode_did::strict_json::from_slice(body)
        .map_err(|error| RequestError::Malformed(format!("the request body is not JSON: {error}")))?;
    let Value::Object(mut request) = request else {
        return Err(RequestError::Malformed("the request body must be a JSON object".to_owned()));
    };
    let options = Options::from_json(request.get("options"))?;
    let document = request
        .remove(member)
        .filter(|document| !document.is_null())
        .ok_or_else(|| RequestError::Malformed(format!("the request has no `{member}`")))?;
    Ok((document, options))
}

fn answer(verdict: Verdict) -> Response {
    let status = if verdict.verified { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    (status, Json(verdict)).into_response()
}
