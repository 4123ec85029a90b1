//! Where an API's error body keeps its facts, and what its codes mean: the [`ErrorShape`] that
//! `cargo xtask generate` writes into each generated crate from the spec's `x-error`
//! extension (see `specs/EXTENSIONS.md`), and the [`ErrorBody`] trait it implements for the
//! crate's error body type. The `snapshots` facade converts any generated client's error
//! through this one mechanism: no per-API code reads an error body.
//!
//! A property path is a list of object members (`["error", "code"]`); a fact may be found
//! at one of several paths (Graph OLAP's `error.code` or `detail.code`): the first path
//! that leads to a value of the wanted kind wins.
//!
//! ```
//! use snapshots_runtime::error_shape::ErrorShape;
//! use serde_json::json;
//!
//! const SHAPE: ErrorShape = ErrorShape {
//!     api: "Example",
//!     schema: "ErrorBody",
//!     code: &[&["error", "code"], &["detail", "code"]],
//!     message: &[&["error", "message"], &["detail"]],
//!     request_id: &[&["meta", "request_id"]],
//!     request_id_header: "x-request-id",
//!     details: &[&["error", "details"]],
//!     facts: &[],
//!     auth_codes: &["UNAUTHORIZED"],
//!     throttling_codes: &["RATE_LIMIT_EXCEEDED"],
//!     not_found_codes: &["RESOURCE_NOT_FOUND"],
//!     field_errors: &[],
//! };
//! let body = json!({"detail": "Not authenticated"});
//! assert_eq!(SHAPE.text(&body, SHAPE.message), Some("Not authenticated"));
//! assert_eq!(SHAPE.text(&body, SHAPE.code), None);
//! assert!(ErrorShape::matches(SHAPE.auth_codes, "UNAUTHORIZED"));
//! ```

use serde_json::{Map, Value};

/// A path of object members from the body's root to one value.
pub type PropertyPath = &'static [&'static str];

/// Where an API's error body keeps its code, message, request id and details, and which
/// service codes mean what. Generated from the spec's `x-error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorShape {
    /// The API as errors name it (`PAI-DSW`, `Graph OLAP`).
    pub api: &'static str,
    /// The spec's error body schema (a `components.schemas` name).
    pub schema: &'static str,
    /// Where the service's error code is (the first text found wins).
    pub code: &'static [PropertyPath],
    /// Where the human-readable message is.
    pub message: &'static [PropertyPath],
    /// Where the request id is, in the body.
    pub request_id: &'static [PropertyPath],
    /// The response header carrying the request id when the body does not.
    pub request_id_header: &'static str,
    /// Where the free-form details object is (the first object found wins).
    pub details: &'static [PropertyPath],
    /// Other named facts of the body (`host-id`, `recommend`, ...), each with its paths.
    pub facts: &'static [(&'static str, &'static [PropertyPath])],
    /// Service codes that mean the credentials, signature or permission were refused,
    /// whatever HTTP status carries them.
    pub auth_codes: &'static [&'static str],
    /// Service codes that mean the caller is throttled.
    pub throttling_codes: &'static [&'static str],
    /// Service codes that mean the resource does not exist.
    pub not_found_codes: &'static [&'static str],
    /// Where the body lists its field errors (`x-error.field-errors`), each entry one shape.
    pub field_errors: &'static [FieldErrorPaths],
}

/// One shape of field errors in an error body: at `at`, a list of objects (or one object),
/// each with the field's location, a message and a type at the given paths (relative to the
/// object; an empty path: the shape has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldErrorPaths {
    /// Where the list (or the one object) is, from the body's root.
    pub at: PropertyPath,
    /// The field's location in the request (`body.mapping_id`, `query.limit`).
    pub location: PropertyPath,
    /// The message about the field.
    pub message: PropertyPath,
    /// The kind of error (`greater_than`, `missing`).
    pub kind: PropertyPath,
}

/// One field error of an error body, read through [`ErrorShape::field_errors`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where the refused value is (`body.mapping_id`, `query.limit`, `body`).
    pub location: String,
    /// What is wrong with it, when the body says.
    pub message: Option<String>,
    /// The kind of error (`greater_than`, `missing`), when the body says.
    pub kind: Option<String>,
}

impl ErrorShape {
    /// The first value at one of `paths` in `body` that is a non-empty text.
    pub fn text<'a>(&self, body: &'a Value, paths: &[PropertyPath]) -> Option<&'a str> {
        paths
            .iter()
            .filter_map(|path| at(body, path))
            .find_map(|value| value.as_str().filter(|text| !text.is_empty()))
    }

    /// The first value at one of `paths` in `body` that is an object.
    pub fn object<'a>(
        &self,
        body: &'a Value,
        paths: &[PropertyPath],
    ) -> Option<&'a Map<String, Value>> {
        paths
            .iter()
            .filter_map(|path| at(body, path))
            .find_map(Value::as_object)
    }

    /// The paths of the named fact, when the shape has it.
    pub fn fact(&self, name: &str) -> Option<&'static [PropertyPath]> {
        self.facts
            .iter()
            .find(|(fact, _)| *fact == name)
            .map(|(_, paths)| *paths)
    }

    /// The field errors of `body`, from every [`FieldErrorPaths`] of the shape, in order: an
    /// entry without a text location is skipped.
    ///
    /// ```
    /// use snapshots_runtime::error_shape::{ErrorShape, FieldErrorPaths};
    /// let paths = FieldErrorPaths { at: &["errors"], location: &["field"], message: &["message"], kind: &[] };
    /// let body = serde_json::json!({"errors": [{"field": "body.name", "message": "Field required"}]});
    /// let found = ErrorShape::read_field_errors(&[paths], &body);
    /// assert_eq!(found[0].location, "body.name");
    /// assert_eq!(found[0].message.as_deref(), Some("Field required"));
    /// ```
    pub fn read_field_errors(shapes: &[FieldErrorPaths], body: &Value) -> Vec<FieldError> {
        let mut found = Vec::new();
        for shape in shapes {
            let entries = match at(body, shape.at) {
                Some(Value::Array(items)) => items.iter().collect(),
                Some(object @ Value::Object(_)) => vec![object],
                _ => Vec::new(),
            };
            let text = |entry: &Value, path: &[&str]| {
                if path.is_empty() {
                    return None;
                }
                at(entry, path).and_then(Value::as_str).map(str::to_owned)
            };
            found.extend(entries.into_iter().filter_map(|entry| {
                Some(FieldError {
                    location: text(entry, shape.location)?,
                    message: text(entry, shape.message),
                    kind: text(entry, shape.kind),
                })
            }));
        }
        found
    }

    /// Whether `code` is one of `codes`, or a dotted refinement of one
    /// (`InvalidTimeStamp.Expired` matches `InvalidTimeStamp`; `InvalidTimeStampX` does not).
    pub fn matches(codes: &[&str], code: &str) -> bool {
        codes.iter().any(|known| {
            code == *known
                || code
                    .strip_prefix(known)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }
}

/// The value at `path` in `body`, when every member on the way exists.
fn at<'a>(body: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(body, |value, member| value.get(member))
}

/// The error body type of a generated client, and its [`ErrorShape`] (implemented by the
/// generated crate, from the spec's `x-error`).
pub trait ErrorBody: serde::de::DeserializeOwned + serde::Serialize {
    /// Where this body keeps its facts, and what its codes mean.
    const SHAPE: &'static ErrorShape;
    /// The validation rules of the API's parameters and request bodies.
    const RULES: &'static [crate::rules::Rule];
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const SHAPE: ErrorShape = ErrorShape {
        api: "Test",
        schema: "E",
        code: &[&["error", "code"], &["detail", "code"]],
        message: &[&["error", "message"], &["detail", "message"], &["detail"]],
        request_id: &[&["meta", "request_id"]],
        request_id_header: "x-request-id",
        details: &[&["error", "details"]],
        facts: &[("host-id", &[&["HostId"]])],
        auth_codes: &["InvalidTimeStamp", "UNAUTHORIZED"],
        throttling_codes: &["Throttling"],
        not_found_codes: &[],
        field_errors: &[FieldErrorPaths {
            at: &["error", "details", "errors"],
            location: &["field"],
            message: &["message"],
            kind: &["type"],
        }],
    };

    #[test]
    fn alternatives_are_tried_in_order() {
        let envelope = json!({"error": {"code": "X", "message": "m", "details": {"a": 1}}});
        assert_eq!(SHAPE.text(&envelope, SHAPE.code), Some("X"));
        assert_eq!(
            SHAPE.object(&envelope, SHAPE.details).map(|d| d.len()),
            Some(1)
        );
        let detail = json!({"detail": {"code": "Y", "message": "n"}});
        assert_eq!(SHAPE.text(&detail, SHAPE.code), Some("Y"));
        assert_eq!(SHAPE.text(&detail, SHAPE.message), Some("n"));
        let text = json!({"detail": "plain"});
        assert_eq!(SHAPE.text(&text, SHAPE.message), Some("plain"));
        assert_eq!(SHAPE.object(&text, SHAPE.details), None);
        assert_eq!(
            SHAPE.text(
                &json!({"HostId": "h"}),
                SHAPE.fact("host-id").unwrap_or_default()
            ),
            Some("h")
        );
        assert_eq!(SHAPE.fact("nope"), None);
    }

    /// Both Graph OLAP shapes: the 422 list and the admin routes' 400 single object.
    #[test]
    fn field_errors_of_every_shape() {
        let shapes = [
            FieldErrorPaths {
                at: &["error", "details", "errors"],
                location: &["field"],
                message: &["message"],
                kind: &["type"],
            },
            FieldErrorPaths {
                at: &["error", "details"],
                location: &["field"],
                message: &[],
                kind: &[],
            },
        ];
        let list = json!({"error": {"details": {"errors": [
            {"field": "body.name", "message": "Field required", "type": "missing"},
            {"field": "body.node_definitions", "message": "List should have at least 1 item", "type": "too_short"},
            {"message": "no location: skipped"}
        ]}}});
        let found = ErrorShape::read_field_errors(&shapes, &list);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].kind.as_deref(), Some("too_short"));
        let single = json!({"error": {"details": {"field": "username"}}});
        let found = ErrorShape::read_field_errors(&shapes, &single);
        assert_eq!(
            found,
            vec![FieldError {
                location: "username".into(),
                message: None,
                kind: None
            }]
        );
        assert!(ErrorShape::read_field_errors(&shapes, &json!({"detail": "x"})).is_empty());
    }

    proptest! {
        /// Every entry with a text location is read, in order, whatever else it holds.
        #[test]
        fn every_located_entry_is_read(entries in proptest::collection::vec(("[a-z.]{1,12}", proptest::option::of("[ -~]{0,20}")), 0..8)) {
            let shapes = [FieldErrorPaths { at: &["errors"], location: &["field"], message: &["message"], kind: &["type"] }];
            let body = json!({"errors": entries.iter().map(|(f, m)| json!({"field": f, "message": m})).collect::<Vec<_>>()});
            let found = ErrorShape::read_field_errors(&shapes, &body);
            prop_assert_eq!(found.len(), entries.len());
            for (error, (field, message)) in found.iter().zip(&entries) {
                prop_assert_eq!(&error.location, field);
                prop_assert_eq!(&error.message, message);
            }
        }
    }

    #[test]
    fn empty_texts_are_absent() {
        assert_eq!(
            SHAPE.text(&json!({"error": {"code": ""}}), SHAPE.code),
            None
        );
    }

    proptest! {
        #[test]
        fn codes_match_whole_dotted_segments(code in "[A-Za-z.]{0,20}") {
            let matched = ErrorShape::matches(SHAPE.auth_codes, &code);
            let expected = SHAPE.auth_codes.iter().any(|known| {
                code == *known || code.starts_with(&format!("{known}."))
            });
            prop_assert_eq!(matched, expected);
        }
    }

    #[test]
    fn refinements_match_and_lookalikes_do_not() {
        assert!(ErrorShape::matches(
            SHAPE.auth_codes,
            "InvalidTimeStamp.Expired"
        ));
        assert!(!ErrorShape::matches(SHAPE.auth_codes, "InvalidTimeStampX"));
        assert!(!ErrorShape::matches(SHAPE.auth_codes, "InvalidParameter"));
    }
}
