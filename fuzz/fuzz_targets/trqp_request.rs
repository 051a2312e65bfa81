//! TRQP request parsing: any body through `RequestBody::parse` and `question`. Every refusal is a 400 problem;
//! an accepted question carries the body's four members verbatim, non-empty.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use trustnode::http::trqp::RequestBody;

fuzz_target!(|data: &[u8]| {
    let body = match RequestBody::parse(data) {
        Ok(body) => body,
        Err(problem) => return assert_eq!(problem.status.as_u16(), 400, "{}", problem.detail),
    };
    let question = match body.question() {
        Ok(question) => question,
        Err(problem) => return assert_eq!(problem.status.as_u16(), 400, "{}", problem.detail),
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
    if let Some(time) = question.time_requested {
        assert_eq!(json["context"]["time"], time);
    }
});
