//! Pod Security Admission conformance: `tests/psa/cases.yaml` lists pods and what PSA decides
//! about each at given levels and versions (allowed, or PSA's exact message).

use stockade_core::engine::psa_decision;
use stockade_core::input::pod::decode_pod;
use stockade_core::input::yaml::{Limits, Node, parse_document};
use stockade_core::{Level, Version};

#[test]
fn psa_cases() {
    let text = include_str!("psa/cases.yaml");
    let (root, errors) = parse_document(text, 0, Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    let cases = root.expect("cases");
    let mut checked = 0;
    for case in cases.as_seq().expect("a list of cases") {
        let name = case.get("name").and_then(Node::as_str).expect("name");
        let mut field_errors = Vec::new();
        let pod =
            decode_pod("Pod", case.get("pod").expect("pod"), &mut field_errors).expect("a pod");
        assert!(field_errors.is_empty(), "{name}: {field_errors:?}");
        for expectation in case.get("expect").and_then(Node::as_map).expect("expect") {
            let (level, version) = expectation.key.split_once(':').expect("level:version");
            let level = Level::parse(level).expect("level");
            let version = Version::parse(version).expect("version");
            let expected = expectation.value.as_str().expect("expected text");
            let actual = psa_decision(&pod, level, version);
            match expected {
                "allowed" => assert_eq!(actual, None, "{name} at {}", expectation.key),
                message => assert_eq!(
                    actual.as_deref(),
                    Some(message),
                    "{name} at {}",
                    expectation.key
                ),
            }
            checked += 1;
        }
    }
    assert!(checked >= 39, "only {checked} expectations");
}
