//! The small HTTP/1.1 client the governance commands use to talk to a node (`registry publish`, `registry verify
//! URL`). Plain `http://` only: nodes are reached on loopback or through a TLS-terminating proxy's inner side.

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::{HeaderMap, Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::CliError;

/// A fully read response.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Reply {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body as text: a problem's `detail` when it is a problem document, else the raw text.
    pub fn text(&self) -> String {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|problem| problem.get("detail").and_then(|d| d.as_str()).map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned())
    }
}

/// Sends one request and reads the whole response.
pub async fn request(method: Method, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Result<Reply, CliError> {
    if !url.starts_with("http://") {
        return Err(format!("{url}: only http:// node URLs are supported").into());
    }
    let mut builder = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(Full::new(Bytes::from(body))).map_err(|e| format!("{url}: {e}"))?;
    let client = Client::builder(TokioExecutor::new()).build_http();
    let response = client.request(request).await.map_err(|e| format!("{url}: {e}"))?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| format!("{url}: {e}"))?.to_bytes();
    Ok(Reply { status: parts.status, headers: parts.headers, body })
}
