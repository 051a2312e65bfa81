//! The names the registry protocol puts on the wire, each defined once: the header carrying a snapshot's
//! signature, the header asking a TRQP answer for a proof, the media and JWS types of what the node signs, the
//! headers of a webhook delivery, and the encoding of a DID as one path segment.
//!
//! Servers, mirrors, the CLI and the conformance kit all speak the same protocol; when they read these names from
//! one place, a client and the server it talks to cannot drift apart. Only names and the encoding live here: no
//! parsing, no HTTP types, no I/O.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

/// The response (and `PUT` request) header carrying a snapshot's detached JWS.
pub const SNAPSHOT_JWS_HEADER: &str = "registry-snapshot-jws";

/// The request header asking a TRQP answer for a proof, `true` or `false`: the same as `context.proof`, for clients
/// that keep the request body to the TRQP schema (whose `context` members are strings). Either form asking is enough.
pub const PROOF_HEADER: &str = "trqp-proof";

/// The media type of a compact JWS served alone: a snapshot's detached signature, or a node-signed answer.
pub const JOSE_MEDIA_TYPE: &str = "application/jose";

/// The `typ` of a node-signed answer: a compact JWS whose payload is the answer's JSON, signed by the node's key.
pub const ANSWER_JWS_TYPE: &str = "trqp-answer+jws";

/// The `typ` of a node-signed batch answer (`crate::batch`): its own type, so that a signed batch is never taken
/// for a signed single answer.
pub const BATCH_JWS_TYPE: &str = "trqp-batch+jws";

/// The `typ` of the node's signature on a webhook delivery: a compact JWS over the request body, sent detached
/// (`header..signature`) in [`WEBHOOK_JWS_HEADER`].
pub const WEBHOOK_JWS_TYPE: &str = "trustnode-webhook+jws";

/// Webhook request header: the event's sequence, the receiver's idempotency key (per authority).
pub const WEBHOOK_SEQUENCE_HEADER: &str = "trustnode-webhook-sequence";

/// Webhook request header: when this attempt was signed, in Unix seconds; part of the HMAC's signed material.
pub const WEBHOOK_TIMESTAMP_HEADER: &str = "trustnode-webhook-timestamp";

/// Webhook request header: `v1=` and the HMAC-SHA256 of `crate::webhook::signed_material`, in lowercase hex.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "trustnode-webhook-signature";

/// Webhook request header: the node's detached JWS over the body, typed [`WEBHOOK_JWS_TYPE`].
pub const WEBHOOK_JWS_HEADER: &str = "trustnode-webhook-jws";

/// The JWS `typ` of OpenID Federation entity statements.
pub const ENTITY_STATEMENT_TYPE: &str = "entity-statement+jwt";

/// The media type entity statements are served with.
pub const ENTITY_STATEMENT_MEDIA_TYPE: &str = "application/entity-statement+jwt";

/// Percent-encodes a DID for use as one path segment or query value. Everything but ASCII letters and digits is
/// escaped, so a DID's own `:` and `%` survive a round trip through any router.
pub fn encode(did: &str) -> String {
    utf8_percent_encode(did, NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_did_becomes_one_segment() {
        assert_eq!(encode("did:web:example.org%3A8443"), "did%3Aweb%3Aexample%2Eorg%253A8443");
        assert!(!encode("did:web:a/b?c#d").contains(['/', '?', '#', ':']));
    }
}
