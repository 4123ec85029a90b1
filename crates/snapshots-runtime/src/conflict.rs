//! Answers an operation's spec declares a conflict (`x-conflicts`, see `specs/EXTENSIONS.md`),
//! whatever their status: Graph OLAP answers deleting a snapshot that an instance still uses
//! with 500 `INTERNAL_ERROR` "An unexpected error occurred" (a foreign-key violation; the seed
//! promised 409). The runtime never retries such an answer and hands it on as
//! [`crate::Failure::DeclaredConflict`]; the facade reports it as a service error that is a
//! conflict. A declaration matches only its operation, its status, its code and its message,
//! read at the API's `x-error` paths, so the same 500 elsewhere stays a server error.
//!
//! ```
//! use snapshots_runtime::conflict::Conflict;
//! const IN_USE: Conflict = Conflict {
//!     status: 500,
//!     code: "INTERNAL_ERROR",
//!     message: "An unexpected error occurred",
//!     code_at: &[&["error", "code"]],
//!     message_at: &[&["error", "message"]],
//! };
//! let body = br#"{"error": {"code": "INTERNAL_ERROR", "message": "An unexpected error occurred"}}"#;
//! assert!(IN_USE.matches(500, body));
//! assert!(!IN_USE.matches(503, body));
//! assert!(!IN_USE.matches(500, br#"{"error": {"code": "INTERNAL_ERROR", "message": "disk full"}}"#));
//! ```

use serde_json::Value;

use crate::error_shape::PropertyPath;

/// One answer the spec declares a conflict (generated from `x-conflicts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict {
    /// The HTTP status of the answer.
    pub status: u16,
    /// The service code, compared exactly.
    pub code: &'static str,
    /// The message, compared exactly.
    pub message: &'static str,
    /// Where the body keeps the code (the API's `x-error.code`).
    pub code_at: &'static [PropertyPath],
    /// Where the body keeps the message (the API's `x-error.message`).
    pub message_at: &'static [PropertyPath],
}

impl Conflict {
    /// Whether an answer with `status` and `body` is this conflict: the status, and the
    /// first code and message found (as texts) equal the declared ones.
    pub fn matches(&self, status: u16, body: &[u8]) -> bool {
        if status != self.status {
            return false;
        }
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return false;
        };
        first_text(&body, self.code_at) == Some(self.code)
            && first_text(&body, self.message_at) == Some(self.message)
    }
}

/// The first text at one of `paths`.
fn first_text<'a>(body: &'a Value, paths: &[PropertyPath]) -> Option<&'a str> {
    paths.iter().find_map(|path| {
        path.iter()
            .try_fold(body, |value, member| value.get(member))
            .and_then(Value::as_str)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const IN_USE: Conflict = Conflict {
        status: 500,
        code: "INTERNAL_ERROR",
        message: "An unexpected error occurred",
        code_at: &[&["error", "code"], &["detail", "code"]],
        message_at: &[&["error", "message"], &["detail", "message"]],
    };

    /// The recorded body (captures.jsonl line 58, captures-2.jsonl line 106) matches.
    #[test]
    fn the_recorded_answer_matches() {
        let body = br#"{"error": {"code": "INTERNAL_ERROR", "message": "An unexpected error occurred"}, "meta": {"request_id": "d22f407f"}}"#;
        assert!(IN_USE.matches(500, body));
        assert!(!IN_USE.matches(500, b"<html>"));
        assert!(!IN_USE.matches(500, b"{}"));
    }

    proptest! {
        /// Only the declared status, code and message together match.
        #[test]
        fn every_other_answer_does_not(status in 100u16..600, code in "[A-Z_]{0,20}", message in "[a-zA-Z ]{0,40}") {
            let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
            let expected = status == 500 && code == "INTERNAL_ERROR" && message == "An unexpected error occurred";
            prop_assert_eq!(IN_USE.matches(status, body.as_bytes()), expected);
        }
    }
}
