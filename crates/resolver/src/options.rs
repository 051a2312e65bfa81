//! Resolution options: the names the DID Resolution specification and the did:key method define, parsed from
//! query parameters or a JSON body into one typed [`ResolutionOptions`].
//!
//! Unknown option names are ignored (the specification lets resolvers ignore options they do not understand, and
//! clients add their own); a known option with a value it cannot take is INVALID_OPTIONS (or did:key's
//! `unsupportedPublicKeyType` for an unknown `publicKeyFormat`).

use serde_json::Value;

use trustnode_did::error::{invalid_options, ResolutionError};
use trustnode_did::key::{KeyOptions, PublicKeyFormat};

/// Every option that changes a resolution, with its default.
#[derive(Debug, Clone, Default)]
pub struct ResolutionOptions {
    /// `accept`: the media type the caller wants (an HTTP `Accept` header takes precedence when both are given).
    pub accept: Option<String>,
    /// `noCache`: bypass the did:web cache.
    pub no_cache: bool,
    /// `expandRelativeUrls`: rewrite relative DID URLs in the document to absolute ones.
    pub expand_relative_urls: bool,
    /// `versionId`, which none of the supported methods can honour.
    pub version_id: Option<String>,
    /// `versionTime`, which none of the supported methods can honour.
    pub version_time: Option<String>,
    /// did:key's options.
    pub key: KeyOptions,
}

/// The option names this node understands, so callers can tell options from DID parameters.
pub const OPTION_NAMES: [&str; 8] = [
    "accept",
    "noCache",
    "expandRelativeUrls",
    "versionId",
    "versionTime",
    "publicKeyFormat",
    "enableEncryptionKeyDerivation",
    "enableExperimentalPublicKeyTypes",
];

impl ResolutionOptions {
    /// Options from `(name, value)` pairs, as they arrive in a query string. A repeated option is INVALID_OPTIONS:
    /// silently picking one of two conflicting values would hide a client bug.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, ResolutionError> {
        let mut options = ResolutionOptions::default();
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in pairs {
            if let Some(known) = OPTION_NAMES.iter().find(|known| **known == name) {
                if seen.contains(known) {
                    return Err(invalid_options(format!("option {name:?} is given more than once")));
                }
                seen.push(known);
                options.set(name, value)?;
            }
        }
        Ok(options)
    }

    /// Options from a JSON object, as in the body of `POST /1.0/identifiers/{id}`. Values may be strings or, for
    /// the boolean options, JSON booleans.
    pub fn from_json(body: &Value) -> Result<Self, ResolutionError> {
        let Value::Object(map) = body else {
            return Err(invalid_options("the options body must be a JSON object"));
        };
        let mut options = ResolutionOptions::default();
        for (name, value) in map {
            if !OPTION_NAMES.contains(&name.as_str()) {
                continue;
            }
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                other => {
                    return Err(invalid_options(format!("option {name:?} must be a string or boolean, got {other}")))
                }
            };
            options.set(name, &text)?;
        }
        Ok(options)
    }

    fn set(&mut self, name: &str, value: &str) -> Result<(), ResolutionError> {
        match name {
            "accept" => self.accept = Some(value.to_owned()),
            "noCache" => self.no_cache = parse_bool(name, value)?,
            "expandRelativeUrls" => self.expand_relative_urls = parse_bool(name, value)?,
            "versionId" => self.version_id = Some(value.to_owned()),
            "versionTime" => self.version_time = Some(value.to_owned()),
            "publicKeyFormat" => self.key.public_key_format = value.parse::<PublicKeyFormat>()?,
            "enableEncryptionKeyDerivation" => self.key.enable_encryption_key_derivation = parse_bool(name, value)?,
            "enableExperimentalPublicKeyTypes" => {
                self.key.enable_experimental_public_key_types = parse_bool(name, value)?
            }
            _ => {}
        }
        Ok(())
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ResolutionError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(invalid_options(format!("option {name:?} must be \"true\" or \"false\", got {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustnode_did::error::ErrorCode;

    #[test]
    fn defaults_follow_the_specs() {
        let options = ResolutionOptions::from_pairs([]).unwrap();
        assert!(!options.no_cache && !options.expand_relative_urls);
        assert!(options.key.enable_encryption_key_derivation, "the did:key suites expect derivation by default");
        assert!(!options.key.enable_experimental_public_key_types);
    }

    #[test]
    fn parses_known_options_and_ignores_others() {
        let options = ResolutionOptions::from_pairs([
            ("noCache", "true"),
            ("enableEncryptionKeyDerivation", "false"),
            ("accept", "application/did"),
            ("someVendorOption", "x"),
        ])
        .unwrap();
        assert!(options.no_cache);
        assert!(!options.key.enable_encryption_key_derivation);
        assert_eq!(options.accept.as_deref(), Some("application/did"));
    }

    #[test]
    fn bad_values_are_errors() {
        assert_eq!(ResolutionOptions::from_pairs([("noCache", "yes")]).unwrap_err().code, ErrorCode::InvalidOptions);
        assert_eq!(
            ResolutionOptions::from_pairs([("noCache", "true"), ("noCache", "false")]).unwrap_err().code,
            ErrorCode::InvalidOptions
        );
        assert_eq!(
            ResolutionOptions::from_pairs([("publicKeyFormat", "unknown")]).unwrap_err().code,
            ErrorCode::UnsupportedPublicKeyType
        );
    }

    #[test]
    fn json_bodies_take_booleans_and_strings() {
        let options =
            ResolutionOptions::from_json(&serde_json::json!({"noCache": true, "expandRelativeUrls": "true"})).unwrap();
        assert!(options.no_cache && options.expand_relative_urls);
        assert!(ResolutionOptions::from_json(&serde_json::json!([1])).is_err());
        assert!(ResolutionOptions::from_json(&serde_json::json!({"noCache": 1})).is_err());
    }
}
