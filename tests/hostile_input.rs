//! Property tests: the parsers that face the network never panic, whatever they are given, and answer
//! malformed input with an error rather than a guess.

use proptest::prelude::*;
use trustnode::did::syntax::DidUrl;
use trustnode::http::identifiers::split_request;
use trustnode::resolver::accept::negotiate;
use trustnode::resolver::{Method, ResolutionOptions, Resolver};

/// Strings biased towards the characters that matter to DID and URL parsing.
fn did_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("did:".to_owned()),
            Just("key:".to_owned()),
            Just("web:".to_owned()),
            Just("jwk:".to_owned()),
            Just("z6Mk".to_owned()),
            Just("%".to_owned()),
            Just("%3A".to_owned()),
            Just("#".to_owned()),
            Just("?".to_owned()),
            Just("/".to_owned()),
            Just("&".to_owned()),
            Just("=".to_owned()),
            "[a-zA-Z0-9]{1,8}",
            any::<char>().prop_map(String::from),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn did_url_parser_never_panics(input in did_like()) {
        if let Ok(url) = DidUrl::parse(&input) {
            prop_assert!(url.did.starts_with("did:"));
            prop_assert!(input.starts_with(url.did));
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics(input in any::<String>()) {
        let _ = DidUrl::parse(&input);
        let _ = negotiate(Some(&input));
        let _ = split_request(&input, Some(&input));
    }

    #[test]
    fn request_splitting_never_panics(path in did_like(), query in did_like()) {
        if let Ok(split) = split_request(&path, Some(&query)) {
            prop_assert!(!split.identifier.is_empty());
        }
    }

    #[test]
    fn accept_parsing_never_panics(parts in prop::collection::vec("[a-z/*+;=,. \"0-9q-]{0,20}", 0..10)) {
        let _ = negotiate(Some(&parts.join(",")));
    }

    #[test]
    fn option_parsing_never_panics(name in "[a-zA-Z]{0,40}", value in any::<String>()) {
        let _ = ResolutionOptions::from_pairs([(name.as_str(), value.as_str())]);
    }
}

#[test]
fn resolving_random_identifiers_always_answers() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let resolver = Resolver::new(vec![Method::Key, Method::Jwk], None, 0);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(2000));
    runner
        .run(&did_like(), |input| {
            let resolution = runtime.block_on(resolver.resolve(&input, &ResolutionOptions::default()));
            if let Err(error) = &resolution.result {
                prop_assert!(!error.detail.is_empty());
            }
            Ok(())
        })
        .unwrap();
}
