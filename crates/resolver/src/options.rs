//! Resolution options: the names the DID Resolution specification and the did:key method define, parsed from
//! query parameters or a JSON body into one typed [`ResolutionOptions`].
//!
//! Unknown option names are ignored (the specification lets resolvers ignore options they do not understand, and
//! clients add their own); a known option with a value it cannot take is INVALID_OPTIONS (or did:key's
//! `unsupportedPublicKeyType` for an unknown `publicKeyFormat`).

use std::borrow::Cow;

use serde_json::Value;

use trustnode_did::error::{invalid_did_url, invalid_options, ResolutionError};
use trustnode_did::key::{KeyOptions, PublicKeyFormat};
use trustnode_did::syntax::DidUrl;

/// Every option that changes a resolution, with its default.
#[derive(Debug, Clone, Default)]
pub struct ResolutionOptions {
    /// `accept`: the media type the caller wants (an HTTP `Accept` header takes precedence when both are given).
    pub accept: Option<String>,
    /// `noCache`: bypass the did:web and did:webvh caches.
    pub no_cache: bool,
    /// `expandRelativeUrls`: rewrite relative DID URLs in the document to absolute ones.
    pub expand_relative_urls: bool,
    /// `versionId`: the version of the document with this id (methods with a history only).
    pub version_id: Option<String>,
    /// `versionTime`: the version in force at this time (methods with a history only; each parses it).
    pub version_time: Option<String>,
    /// `versionNumber`: the version with this number, 1 for the first (did:webvh's option; methods with a history
    /// only).
    pub version_number: Option<u64>,
    /// did:key's options.
    pub key: KeyOptions,
}

/// The option names this node understands, so callers can tell options from DID parameters.
pub const OPTION_NAMES: [&str; 9] = [
    "accept",
    "noCache",
    "expandRelativeUrls",
    "versionId",
    "versionTime",
    "versionNumber",
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
    /// the boolean options, JSON booleans, and for `versionNumber` a JSON number.
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
                Value::Number(number) if name == "versionNumber" => number.to_string(),
                other => {
                    return Err(invalid_options(format!("option {name:?} must be a string or boolean, got {other}")))
                }
            };
            options.set(name, &text)?;
        }
        Ok(options)
    }

    /// True when a version is asked for (`versionId`, `versionTime` or `versionNumber`).
    pub fn selects_version(&self) -> bool {
        self.version_id.is_some() || self.version_time.is_some() || self.version_number.is_some()
    }

    /// These options with the version DID parameters of `url` (`?versionId=`, `?versionTime=`, `?versionNumber=`)
    /// folded in: borrowed when the URL has none. A parameter that contradicts the option of the same name is
    /// INVALID_OPTIONS (the same value twice is accepted); a malformed `versionNumber` parameter is INVALID_DID_URL.
    pub fn with_version_parameters(&self, url: &DidUrl<'_>) -> Result<Cow<'_, Self>, ResolutionError> {
        if url.query.is_none() {
            return Ok(Cow::Borrowed(self));
        }
        let mut options = Cow::Borrowed(self);
        for name in VERSION_PARAMETERS {
            let Some(value) = url.parameter(name)? else { continue };
            let mut from_url = ResolutionOptions::default();
            from_url.set(name, &value).map_err(|error| invalid_did_url(error.detail))?;
            let options = options.to_mut();
            let agrees = match name {
                "versionId" => merge(&mut options.version_id, from_url.version_id),
                "versionTime" => merge(&mut options.version_time, from_url.version_time),
                _ => merge(&mut options.version_number, from_url.version_number),
            };
            if !agrees {
                return Err(invalid_options(format!(
                    "{name} is given both as a DID parameter and as an option, with different values"
                )));
            }
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
            "versionNumber" => self.version_number = Some(parse_version_number(value)?),
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

/// The DID parameters that select a version, which a DID URL may carry instead of the options.
const VERSION_PARAMETERS: [&str; 3] = ["versionId", "versionTime", "versionNumber"];

/// Sets `given` to `from_url`; false (leaving it) when it already holds another value.
fn merge<T: PartialEq>(given: &mut Option<T>, from_url: Option<T>) -> bool {
    if given.is_some() && *given != from_url {
        return false;
    }
    *given = from_url;
    true
}

fn parse_version_number(value: &str) -> Result<u64, ResolutionError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|number| *number >= 1 && value.bytes().all(|byte| byte.is_ascii_digit()))
        .ok_or_else(|| invalid_options(format!("versionNumber must be a whole number from 1, got {value:?}")))
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
    fn version_numbers_are_whole_numbers_from_one() {
        assert_eq!(ResolutionOptions::from_pairs([("versionNumber", "3")]).unwrap().version_number, Some(3));
        for bad in ["0", "-1", "+2", "1.0", "x", ""] {
            let error = ResolutionOptions::from_pairs([("versionNumber", bad)]).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidOptions, "{bad}");
        }
    }

    #[test]
    fn version_parameters_of_did_urls_join_the_options() {
        let url = DidUrl::parse("did:example:abc?versionNumber=2&versionId=2-x").unwrap();
        let options = ResolutionOptions::default();
        let merged = options.with_version_parameters(&url).unwrap();
        assert_eq!((merged.version_number, merged.version_id.as_deref()), (Some(2), Some("2-x")));
        let same = ResolutionOptions { version_number: Some(2), ..Default::default() };
        assert_eq!(same.with_version_parameters(&url).unwrap().version_number, Some(2));
        let other = ResolutionOptions { version_number: Some(1), ..Default::default() };
        assert_eq!(other.with_version_parameters(&url).unwrap_err().code, ErrorCode::InvalidOptions);
        let bad = DidUrl::parse("did:example:abc?versionNumber=zero").unwrap();
        assert_eq!(options.with_version_parameters(&bad).unwrap_err().code, ErrorCode::InvalidDidUrl);
        let bare = DidUrl::parse("did:example:abc").unwrap();
        assert!(matches!(options.with_version_parameters(&bare).unwrap(), Cow::Borrowed(_)));
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
