//! DID-valued path parameters (`/registries/{authority_id}/…`): a DID may itself contain `%3A`, so a parameter is
//! tried percent-decoded first and as sent second. Shared by the registry and federation handlers; no handler here.

use std::borrow::Cow;

use axum::extract::RawPathParams;

/// A path parameter as sent, percent-decoded first and raw second: a DID may itself contain `%3A`.
pub(super) fn path_candidates<'p>(params: &'p RawPathParams, name: &str) -> Vec<Cow<'p, str>> {
    let Some(raw) = params.iter().find(|(key, _)| *key == name).map(|(_, value)| value) else { return Vec::new() };
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    if decoded == raw {
        vec![Cow::Borrowed(raw)]
    } else {
        vec![decoded, Cow::Borrowed(raw)]
    }
}
