//! The explorer page at `/`: one HTML page with its script and stylesheet, compiled into the binary from the files
//! in `explorer/`, so the node serves it without a build step or network. The page talks to the node only through
//! the public HTTP API.
//!
//! Served with a strict `Content-Security-Policy` (scripts, styles and requests from this origin only, no inline
//! code), `Cache-Control: no-cache` and an `ETag` derived from the content. Nothing here does I/O or reads state.

use std::sync::OnceLock;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::registries::if_none_match;

/// The policy of every explorer asset: only this origin's script, style and API; no inline code, no frames,
/// no plugins, no form posts elsewhere.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Browsers and caches keep the assets but revalidate them on every use (a 304 thanks to the `ETag`): the page and
/// its script must come from the same node version, which any lifetime would let drift apart after an upgrade.
pub const CACHE_CONTROL: &str = "public, no-cache";

/// One embedded file and its media type.
#[derive(Debug)]
pub struct Asset {
    body: &'static str,
    content_type: &'static str,
    etag: OnceLock<String>,
}

impl Asset {
    const fn new(body: &'static str, content_type: &'static str) -> Asset {
        Asset { body, content_type, etag: OnceLock::new() }
    }

    /// The asset's entity tag: a quoted prefix of the SHA-256 of its content, computed once.
    pub fn etag(&self) -> &str {
        self.etag.get_or_init(|| {
            let digest = hex::encode(Sha256::digest(self.body.as_bytes()));
            format!("\"{}\"", digest.get(..32).unwrap_or(&digest))
        })
    }

    fn respond(&self, request: &HeaderMap) -> Response {
        let etag = self.etag();
        let mut response = if if_none_match(request, etag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            ([(header::CONTENT_TYPE, self.content_type)], self.body).into_response()
        };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        if let Ok(value) = HeaderValue::from_str(etag) {
            headers.insert(header::ETAG, value);
        }
        response
    }
}

/// The page.
pub(crate) static PAGE: Asset = Asset::new(include_str!("explorer/index.html"), "text/html; charset=utf-8");
/// Its script.
pub static SCRIPT: Asset = Asset::new(include_str!("explorer/explorer.js"), "text/javascript; charset=utf-8");
/// Its stylesheet.
pub static STYLE: Asset = Asset::new(include_str!("explorer/explorer.css"), "text/css; charset=utf-8");

/// `GET /`.
pub async fn page(headers: HeaderMap) -> Response {
    PAGE.respond(&headers)
}

/// `GET /explorer.js`.
pub async fn script(headers: HeaderMap) -> Response {
    SCRIPT.respond(&headers)
}

/// `GET /explorer.css`.
pub async fn style(headers: HeaderMap) -> Response {
    STYLE.respond(&headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_its_script_and_style_from_this_origin_only() {
        assert!(PAGE.body.contains(r#"<script src="/explorer.js" defer></script>"#));
        assert!(PAGE.body.contains(r#"<link rel="stylesheet" href="/explorer.css">"#));
        // No inline script or style: the policy would block them.
        assert_eq!(PAGE.body.matches("<script").count(), 1);
        assert!(!PAGE.body.contains("<style") && !PAGE.body.contains(" style="));
        let event_handler = |(at, _): (usize, &str)| {
            let name = PAGE.body.get(at + 3..).unwrap_or_default();
            let letters = name.bytes().take_while(u8::is_ascii_lowercase).count();
            letters > 0 && name.as_bytes().get(letters) == Some(&b'=')
        };
        assert!(!PAGE.body.match_indices(" on").any(event_handler), "inline event handler");
        for asset in [&PAGE, &SCRIPT, &STYLE] {
            assert!(!asset.body.contains("http://") && !asset.body.contains("https://"), "external reference");
        }
    }

    #[test]
    fn the_script_never_parses_data_as_markup() {
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            assert!(!SCRIPT.body.contains(sink), "explorer.js uses {sink}");
        }
    }

    #[test]
    fn entity_tags_differ_between_assets_and_are_quoted() {
        let tags = [PAGE.etag(), SCRIPT.etag(), STYLE.etag()];
        assert!(tags.iter().all(|tag| tag.len() == 34 && tag.starts_with('"') && tag.ends_with('"')));
        assert_ne!(tags[0], tags[1]);
        assert_ne!(tags[1], tags[2]);
    }
}
