//! TRQP request parsing: any body through the registry core's `RequestBody::parse` and `question`. Every refusal
//! becomes a 400 problem at the node; an accepted question carries the body's four members verbatim, non-empty,
//! and holds for `context.time` (written back in one form that reads the same) or else for the `now` it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use trustnode::http::problem::Problem;
use trustnode_registry::model::Timestamp;
use trustnode_registry::trqp::{AsOf, RequestBody};

fuzz_target!(|data: &[u8]| {
    let now = Timestamp::from_unix_seconds(1_750_000_000).expect("a timestamp in range");
    let body = match RequestBody::parse(data) {
        Ok(body) => body,
        Err(error) => return assert_eq!(Problem::from(error).status.as_u16(), 400),
    };
    let question = match body.question(now) {
        Ok(question) => question,
        Err(error) => return assert_eq!(Problem::from(error).status.as_u16(), 400),
    };
    let json: Value = serde_json::from_slice(data).expect("an accepted body is JSON");
    for (name, value) in [
        ("entity_id", question.entity_id),
        ("authority_id", question.authority_id),
        ("action", question.action),
        ("resource", question.resource),
    ] {
        assert!(!value.is_empty());
        assert_eq!(json[name], value, "{name} is carried verbatim");
    }
    match question.time_requested {
        Some(time) => {
            // Written back in the one form, which reads as the same instant; the date and clock digits are as sent.
            let sent = json["context"]["time"].as_str().expect("an accepted time is a string");
            assert_eq!(AsOf::parse(time.as_str()).ok(), Some(time));
            assert_eq!(time.as_str()[..19], sent[..19].replacen('t', "T", 1));
            assert_eq!(question.at, time.second());
        }
        None => assert_eq!(question.at, now),
    }
});
