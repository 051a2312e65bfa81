//! What makes a configuration risky once other hosts can reach the node: the example registry (its signing key is
//! committed), publishing turned on, and an empty `server.public_url`. Each risk is one warning that names the
//! setting that removes it; [`crate::node::open`] logs them at start and readiness lists them in `/readyz`.
//!
//! Pure: the configuration and the hosted authorities in, warnings out. It refuses nothing; the HTTP layer does
//! (publishing off by default, federation statements without a trustworthy base URL).

use crate::config::Config;

/// The authority of `registry/example`, whose private key `EXAMPLE-ONLY-authority-key.jwk` is public: anyone can
/// sign as it, so a node serving it to other hosts serves statements nobody vouches for.
pub(crate) const EXAMPLE_AUTHORITY: &str = "did:key:z6MkvhPkGtv3JEtWXMVDW9vMCJYQR9QbadQUMGpYLexsj29Z";

/// The warnings for `config` hosting the registries of `authorities`; empty on a loopback listener, where only this
/// host can reach the node (the development set-up the defaults are made for).
pub(crate) fn warnings<'a>(config: &Config, authorities: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let server = &config.server;
    if server.listens_on_loopback() {
        return Vec::new();
    }
    let reachable = format!("server.listen {} is reachable from other hosts", server.listen);
    let serves_example = authorities.into_iter().any(|authority| authority == EXAMPLE_AUTHORITY);
    let mut warnings = Vec::new();
    if serves_example {
        warnings.push(format!(
            "{reachable} and the node serves the EXAMPLE registry {EXAMPLE_AUTHORITY}, whose private key is \
             committed: anyone can sign as its authority; remove its [[registries]] entry (or listen on loopback)"
        ));
    }
    if config.publishing.enabled {
        let example = if serves_example && config.publishing.accepts(EXAMPLE_AUTHORITY) {
            ", the EXAMPLE registry's among them (anyone has its key)"
        } else {
            ""
        };
        warnings.push(format!(
            "{reachable} and publishing.enabled is true: anyone who reaches it may PUT snapshots signed by an \
             authority's key{example}; set publishing.enabled = false, or list only your authorities in \
             publishing.authorities"
        ));
    }
    if server.public_url.is_empty() {
        warnings.push(format!(
            "{reachable} and server.public_url is empty: the OpenID Federation statements are refused (500) rather \
             than signed with a base URL taken from the Host header; set server.public_url to the node's public base \
             URL"
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        Config::load(None, pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap()
    }

    #[test]
    fn the_example_authority_is_the_committed_example_registrys() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/registry/example/registry.json");
        let source: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(source["authority_id"], EXAMPLE_AUTHORITY);
    }

    #[test]
    fn each_risk_of_a_reachable_listener_names_its_setting() {
        let defaults = config(&[]);
        assert!(warnings(&defaults, [EXAMPLE_AUTHORITY]).is_empty(), "the defaults listen on loopback");
        let exposed =
            config(&[("TRUSTNODE_SERVER__LISTEN", "0.0.0.0:8080"), ("TRUSTNODE_PUBLISHING__ENABLED", "true")]);
        let found = warnings(&exposed, [EXAMPLE_AUTHORITY]);
        assert_eq!(found.len(), 3, "{found:?}");
        for (warning, setting) in found.iter().zip(["[[registries]]", "publishing.enabled", "server.public_url"]) {
            assert!(warning.contains(setting) && warning.contains("0.0.0.0:8080"), "{warning}");
        }
        assert!(found[1].contains("EXAMPLE"), "{}", found[1]);
        let production = config(&[
            ("TRUSTNODE_SERVER__LISTEN", "[::]:8080"),
            ("TRUSTNODE_SERVER__PUBLIC_URL", "https://trust.example.org"),
        ]);
        assert!(warnings(&production, ["did:web:board.example"]).is_empty());
    }
}
