//! Where a did:webvh DID's log lives: the method-specific identifier (`{SCID}:host[%3Aport][:path…]`) mapped to the
//! HTTPS URLs of `did.jsonl` and `did-witness.json`, and the equivalent did:web DID.
//!
//! The host and path rules are did:web's ([`trustnode_did::web::locate`]: one percent-decoding, no IP literals even
//! percent-encoded, DNS names checked through IDNA, no empty, dot or slash segments), plus did:webvh's own: the
//! SCID segment first, and the port separator written exactly once as uppercase `%3A`. Pure: no DNS, no sockets.

use trustnode_did::error::{invalid_did, ResolutionError};
use trustnode_did::web::{self, DidWebLocation};

use crate::hash::is_multihash;

/// Where a did:webvh DID's log and witness proofs are fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    scid: String,
    web: DidWebLocation,
    /// The method-specific identifier without the SCID segment: the did:web identifier of the same place.
    web_id: String,
}

impl Location {
    /// The self-certifying identifier: the DID's first segment.
    pub fn scid(&self) -> &str {
        &self.scid
    }

    /// `https://host[:port]/<path>/did.jsonl`, or `/.well-known/did.jsonl` without a path.
    pub fn log_url(&self) -> String {
        format!("{}l", self.web.url())
    }

    /// The witness-proof file: the log URL with `did-witness.json` as its last segment.
    pub fn witness_url(&self) -> String {
        let url = self.web.url();
        format!("{}did-witness.json", url.strip_suffix("did.json").unwrap_or(&url))
    }

    /// `host` or `host:port` as the URLs name it (the port only when the DID names one).
    pub fn authority(&self) -> String {
        match self.web.explicit_port {
            true => format!("{}:{}", self.web.host, self.web.port),
            false => self.web.host.clone(),
        }
    }

    /// The did:web DID of the same place (`did:web:host[%3Aport][:path…]`), which a did:webvh document may list in
    /// `alsoKnownAs`.
    pub fn did_web(&self) -> String {
        format!("did:web:{}", self.web_id)
    }

    /// The base of the implicit `#files` service: the log's directory with `.well-known/` left out, ending in `/`.
    pub(crate) fn files_url(&self) -> String {
        let url = self.web.url();
        let directory = url.strip_suffix("did.json").unwrap_or(&url);
        directory.strip_suffix(".well-known/").unwrap_or(directory).to_owned()
    }
}

/// Maps a did:webvh method-specific identifier (what follows `did:webvh:`) to where its log lives.
///
/// Refused with INVALID_DID, naming the rule: no SCID segment or one that is not a base58btc SHA-256 multihash,
/// a lowercase `%3a` port separator, and everything did:web refuses (IP literals, bad ports, bad segments).
pub fn locate(method_specific_id: &str) -> Result<Location, ResolutionError> {
    let Some((scid, web_id)) = method_specific_id.split_once(':') else {
        return Err(invalid_did("did:webvh identifiers are {SCID}:<domain>[:path]: the domain is missing"));
    };
    // Percent-encoding is case-insensitive, so a parser splitting only on `%3A` would leave `%3a8080` glued to the
    // host; the specification has DIDs spell it uppercase, and this refuses the other spelling outright.
    if web_id.contains("%3a") {
        return Err(invalid_did("the did:webvh port separator must be written as uppercase %3A"));
    }
    let web = web::locate(web_id)?;
    if !is_multihash(scid) {
        return Err(invalid_did(format!(
            "the did:webvh SCID {scid:?} is not a base58btc SHA-256 multihash (46 characters starting Qm)"
        )));
    }
    Ok(Location { scid: scid.to_owned(), web, web_id: web_id.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustnode_did::error::ErrorCode;

    const SCID: &str = "QmfGEUAcMpzo25kF2Rhn8L5FAXysfGnkzjwdKoNPi615XQ";

    #[test]
    fn the_specification_table_maps_to_its_urls() {
        for (rest, log, witness, authority, did_web, files) in [
            (
                "example.com",
                "https://example.com/.well-known/did.jsonl",
                "https://example.com/.well-known/did-witness.json",
                "example.com",
                "did:web:example.com",
                "https://example.com/",
            ),
            (
                "example.com:dids:issuer",
                "https://example.com/dids/issuer/did.jsonl",
                "https://example.com/dids/issuer/did-witness.json",
                "example.com",
                "did:web:example.com:dids:issuer",
                "https://example.com/dids/issuer/",
            ),
            (
                "example.com%3A3000:dids:issuer",
                "https://example.com:3000/dids/issuer/did.jsonl",
                "https://example.com:3000/dids/issuer/did-witness.json",
                "example.com:3000",
                "did:web:example.com%3A3000:dids:issuer",
                "https://example.com:3000/dids/issuer/",
            ),
        ] {
            let location = locate(&format!("{SCID}:{rest}")).unwrap();
            assert_eq!(location.scid(), SCID);
            assert_eq!(location.log_url(), log);
            assert_eq!(location.witness_url(), witness);
            assert_eq!(location.authority(), authority);
            assert_eq!(location.did_web(), did_web);
            assert_eq!(location.files_url(), files);
        }
    }

    #[test]
    fn bad_identifiers_are_invalid_dids_with_the_reason() {
        for (msid, reason) in [
            (SCID.to_owned(), "domain is missing"),
            ("example.com".to_owned(), "domain is missing"),
            ("Qm123:example.com".to_owned(), "SCID"),
            ("zQmfGEUAcMpzo25kF2Rhn8L5FAXysfGnkzjwdKoNPi615X:example.com".to_owned(), "SCID"),
            (format!("{SCID}:example.com%3a8080"), "uppercase %3A"),
            (format!("{SCID}:127.0.0.1%3a8080"), "uppercase %3A"),
            (format!("{SCID}:example.com%3A1%3A2"), "one port separator"),
            (format!("{SCID}:127%2E0%2E0%2E1"), "IP addresses"),
            (format!("{SCID}:169%2e254%2e169%2e254"), "IP addresses"),
            (format!("{SCID}:example.com:..:admin"), "dot segment"),
            (format!("{SCID}:example.com:%2E%2E:admin"), "dot segment"),
            (format!("{SCID}:example.com:a%2Fb"), "'/'"),
            (format!("{SCID}:example.com::x"), "must not be empty"),
            (format!("{SCID}:example.com%3A0"), "1 to 65535"),
        ] {
            let error = locate(&msid).expect_err(&msid);
            assert_eq!(error.code, ErrorCode::InvalidDid, "{msid}");
            assert!(error.detail.contains(reason), "{msid}: {error}");
        }
    }
}
