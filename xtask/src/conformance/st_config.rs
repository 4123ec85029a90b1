//! The schemathesis configuration of one conformance run (`st --config-file`): the
//! [`CHECKS`](super::CHECKS) and nothing else, and, for every operation whose spec documents
//! a 5xx answer, no `not_a_server_error` check: such an answer is the recorded behaviour
//! (Graph OLAP's 500 on deleting a snapshot an instance still uses), and
//! `status_code_conformance` still checks that it is documented.

use serde_json::Value;

/// The operation ids of `spec` that document a 5xx response, in document order.
pub(super) fn documented_server_errors(spec: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return ids;
    };
    for item in paths.values().filter_map(Value::as_object) {
        for operation in item.values().filter_map(Value::as_object) {
            let server_error = operation
                .get("responses")
                .and_then(Value::as_object)
                .is_some_and(|responses| responses.keys().any(|code| code.starts_with('5')));
            if let (true, Some(id)) = (server_error, operation.get("operationId")) {
                if let Some(id) = id.as_str() {
                    ids.push(id.to_owned());
                }
            }
        }
    }
    ids
}

/// The TOML text: `checks` (comma-separated) enabled, every other check off, and the
/// server-error check off for `exempt` operations.
pub(super) fn toml(checks: &str, exempt: &[String]) -> String {
    let mut text = String::from("[checks]\nenabled = false\n");
    for check in checks.split(',').filter(|c| !c.is_empty()) {
        text.push_str(&format!("{check}.enabled = true\n"));
    }
    for id in exempt {
        let quoted = serde_json::to_string(id).unwrap_or_default();
        text.push_str(&format!(
            "\n[[operations]]\ninclude-operation-id = {quoted}\nchecks.not_a_server_error.enabled = false\n"
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exempts_only_operations_documenting_a_server_error() {
        let spec = json!({"paths": {
            "/a": {"get": {"operationId": "get_a", "responses": {"200": {}}},
                   "delete": {"operationId": "delete_a", "responses": {"204": {}, "500": {}}}},
            "/b": {"parameters": [], "post": {"operationId": "post_b", "responses": {"503": {}}}}
        }});
        assert_eq!(documented_server_errors(&spec), ["delete_a", "post_b"]);
        let text = toml(
            "not_a_server_error,status_code_conformance",
            &["delete_a".to_owned()],
        );
        assert_eq!(
            text,
            "[checks]\nenabled = false\nnot_a_server_error.enabled = true\n\
             status_code_conformance.enabled = true\n\n[[operations]]\n\
             include-operation-id = \"delete_a\"\nchecks.not_a_server_error.enabled = false\n"
        );
    }
}
