//! A small validator of JSON values against OpenAPI 3.0 schema objects, used to prove that
//! every `example` in a spec fits its schema.
//!
//! It works on the raw document (`serde_json::Value`), resolves local `$ref`s, and knows the
//! keywords our specs use: `type`, `nullable`, `enum`, `pattern` (ECMAScript, as typify's
//! generated code checks it, via `regress`), `minLength`/`maxLength`, `minimum`/`maximum`
//! (with 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum`), `format: date-time`, `items`,
//! `minItems`/`maxItems`, `properties`/`required`/`additionalProperties`, `allOf`, `anyOf`,
//! `oneOf` and `not`. An unknown keyword is an error, so that nothing is silently unchecked.
//!
//! `oneOf` passes when at least one branch fits: our open enums are `oneOf: [KnownEnum,
//! string]`, whose branches overlap on purpose, and the generated untagged enums decode the
//! first branch that fits.

use serde_json::Value;

/// Keywords that carry no constraint on the instance.
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "example",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "externalDocs",
    "xml",
];

/// Validates instances against schemas of one OpenAPI document.
pub struct Validator<'a> {
    doc: &'a Value,
}

impl<'a> Validator<'a> {
    /// A validator that resolves `$ref`s in `doc`.
    pub fn new(doc: &'a Value) -> Self {
        Self { doc }
    }

    /// Resolves a local `$ref` such as `#/components/schemas/Snapshot`.
    pub fn resolve(&self, reference: &str) -> Option<&'a Value> {
        reference
            .strip_prefix('#')
            .and_then(|pointer| self.doc.pointer(pointer))
    }

    /// Every way `value` fails `schema`, each as `<json path>: <reason>`; empty when it fits.
    pub fn errors(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.check(schema, value, "$", &mut errors, 0);
        errors
    }

    fn check(
        &self,
        schema: &Value,
        value: &Value,
        at: &str,
        errors: &mut Vec<String>,
        depth: usize,
    ) {
        if depth > 64 {
            errors.push(format!(
                "{at}: schema nesting deeper than 64 (a $ref cycle?)"
            ));
            return;
        }
        let Some(obj) = schema.as_object() else {
            errors.push(format!("{at}: schema is not an object"));
            return;
        };
        if let Some(reference) = obj.get("$ref") {
            let target = reference.as_str().and_then(|r| self.resolve(r));
            match target {
                Some(target) => self.check(target, value, at, errors, depth + 1),
                None => errors.push(format!("{at}: unresolvable $ref {reference}")),
            }
            return;
        }
        if value.is_null() && obj.get("nullable").and_then(Value::as_bool) == Some(true) {
            return;
        }
        for (keyword, arg) in obj {
            if ANNOTATIONS.contains(&keyword.as_str()) || keyword.starts_with("x-") {
                continue;
            }
            self.keyword(obj, keyword, arg, value, at, errors, depth);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn keyword(
        &self,
        obj: &serde_json::Map<String, Value>,
        keyword: &str,
        arg: &Value,
        value: &Value,
        at: &str,
        errors: &mut Vec<String>,
        depth: usize,
    ) {
        match keyword {
            "nullable" => {}
            "type" => {
                let ty = arg.as_str().unwrap_or_default();
                let fits = match ty {
                    "string" => value.is_string(),
                    "integer" => value.is_i64() || value.is_u64(),
                    "number" => value.is_number(),
                    "boolean" => value.is_boolean(),
                    "array" => value.is_array(),
                    "object" => value.is_object(),
                    _ => false,
                };
                if !fits {
                    push(errors, at, format!("expected {ty}, found {}", short(value)));
                }
            }
            "enum" => {
                let options = arg.as_array().map(Vec::as_slice).unwrap_or_default();
                if !options.contains(value) {
                    push(errors, at, format!("{} is not one of {arg}", short(value)));
                }
            }
            "format" => {
                if let (Some("date-time"), Some(s)) = (arg.as_str(), value.as_str()) {
                    if chrono::DateTime::parse_from_rfc3339(s).is_err() {
                        push(errors, at, format!("{s:?} is not an RFC 3339 date-time"));
                    }
                }
            }
            "pattern" => {
                if let Some(s) = value.as_str() {
                    let pattern = arg.as_str().unwrap_or_default();
                    match regress::Regex::new(pattern) {
                        Ok(re) if re.find(s).is_some() => {}
                        Ok(_) => push(errors, at, format!("{s:?} does not match {pattern:?}")),
                        Err(e) => push(
                            errors,
                            at,
                            format!("pattern {pattern:?} does not compile: {e}"),
                        ),
                    }
                }
            }
            "minLength" | "maxLength" => {
                if let (Some(s), Some(n)) = (value.as_str(), arg.as_u64()) {
                    let len = s.chars().count() as u64;
                    if (keyword == "minLength" && len < n) || (keyword == "maxLength" && len > n) {
                        push(errors, at, format!("length {len} breaks {keyword} {n}"));
                    }
                }
            }
            "minimum" | "maximum" => {
                if let (Some(v), Some(bound)) = (value.as_f64(), arg.as_f64()) {
                    let exclusive_key = if keyword == "minimum" {
                        "exclusiveMinimum"
                    } else {
                        "exclusiveMaximum"
                    };
                    let exclusive = obj.get(exclusive_key).and_then(Value::as_bool) == Some(true);
                    let ok = match (keyword, exclusive) {
                        ("minimum", false) => v >= bound,
                        ("minimum", true) => v > bound,
                        (_, false) => v <= bound,
                        (_, true) => v < bound,
                    };
                    if !ok {
                        push(errors, at, format!("{v} breaks {keyword} {bound}"));
                    }
                }
            }
            "exclusiveMinimum" | "exclusiveMaximum" => {}
            "items" => {
                if let Some(items) = value.as_array() {
                    for (i, item) in items.iter().enumerate() {
                        self.check(arg, item, &format!("{at}[{i}]"), errors, depth + 1);
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let (Some(items), Some(n)) = (value.as_array(), arg.as_u64()) {
                    let len = items.len() as u64;
                    if (keyword == "minItems" && len < n) || (keyword == "maxItems" && len > n) {
                        push(errors, at, format!("{len} items break {keyword} {n}"));
                    }
                }
            }
            "required" => {
                if let Some(map) = value.as_object() {
                    for name in arg
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        if !map.contains_key(name) {
                            push(errors, at, format!("missing required property {name:?}"));
                        }
                    }
                }
            }
            "properties" => {
                if let (Some(map), Some(props)) = (value.as_object(), arg.as_object()) {
                    for (name, v) in map {
                        if let Some(prop) = props.get(name) {
                            self.check(prop, v, &format!("{at}.{name}"), errors, depth + 1);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(map) = value.as_object() {
                    let declared = obj.get("properties").and_then(Value::as_object);
                    for (name, v) in map {
                        if declared.is_some_and(|d| d.contains_key(name)) {
                            continue;
                        }
                        match arg {
                            Value::Bool(false) => {
                                push(errors, at, format!("property {name:?} is not allowed"))
                            }
                            Value::Bool(true) => {}
                            schema => {
                                self.check(schema, v, &format!("{at}.{name}"), errors, depth + 1)
                            }
                        }
                    }
                }
            }
            "allOf" => {
                for branch in arg.as_array().into_iter().flatten() {
                    self.check(branch, value, at, errors, depth + 1);
                }
            }
            "anyOf" | "oneOf" => {
                let branches = arg.as_array().map(Vec::as_slice).unwrap_or_default();
                let mut reasons = Vec::new();
                for branch in branches {
                    let mut branch_errors = Vec::new();
                    self.check(branch, value, at, &mut branch_errors, depth + 1);
                    if branch_errors.is_empty() {
                        return;
                    }
                    reasons.push(branch_errors.join("; "));
                }
                push(
                    errors,
                    at,
                    format!("no branch of {keyword} fits: [{}]", reasons.join(" | ")),
                );
            }
            "not" => {
                let mut branch_errors = Vec::new();
                self.check(arg, value, at, &mut branch_errors, depth + 1);
                if branch_errors.is_empty() {
                    push(errors, at, "matches a `not` schema".to_string());
                }
            }
            other => push(errors, at, format!("unsupported schema keyword {other:?}")),
        }
    }
}

fn push(errors: &mut Vec<String>, at: &str, reason: String) {
    errors.push(format!("{at}: {reason}"));
}

/// A value shortened for error messages.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"components": {"schemas": {
            "Name": {"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^[a-z]+$"},
            "Status": {"type": "string", "enum": ["ready", "failed"]},
            "OpenStatus": {"oneOf": [{"$ref": "#/components/schemas/Status"}, {"type": "string"}]},
            "Thing": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": false,
                "properties": {
                    "name": {"$ref": "#/components/schemas/Name"},
                    "count": {"type": "integer", "minimum": 1, "maximum": 100},
                    "when": {"type": "string", "format": "date-time", "nullable": true},
                    "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}}
                }
            }
        }}})
    }

    fn errors_for(schema: &str, value: Value) -> Vec<String> {
        let doc = doc();
        let v = Validator::new(&doc);
        v.errors(
            &json!({"$ref": format!("#/components/schemas/{schema}")}),
            &value,
        )
    }

    #[test]
    fn accepts_a_fitting_value() {
        let ok = json!({"name": "abc", "count": 5, "when": null, "tags": ["x"]});
        assert_eq!(errors_for("Thing", ok), Vec::<String>::new());
    }

    #[test]
    fn reports_each_broken_constraint() {
        let bad = json!({"count": 0, "when": "yesterday", "tags": ["a", "b", "c"], "extra": 1});
        let errors = errors_for("Thing", bad);
        let text = errors.join("\n");
        for needle in [
            "missing required property \"name\"",
            "breaks minimum 1",
            "RFC 3339",
            "3 items",
            "\"extra\" is not allowed",
        ] {
            assert!(text.contains(needle), "{needle} not in {text}");
        }
    }

    #[test]
    fn checks_pattern_and_length() {
        assert!(!errors_for("Name", json!("ABC")).is_empty());
        assert!(!errors_for("Name", json!("")).is_empty());
        assert!(!errors_for("Name", json!("abcdef")).is_empty());
        assert!(errors_for("Name", json!("abcde")).is_empty());
    }

    #[test]
    fn open_enum_accepts_known_and_unknown_strings_but_not_numbers() {
        assert!(errors_for("OpenStatus", json!("ready")).is_empty());
        assert!(errors_for("OpenStatus", json!("cancelled")).is_empty());
        assert!(!errors_for("OpenStatus", json!(3)).is_empty());
    }

    #[test]
    fn unknown_keywords_and_refs_are_errors() {
        let doc = doc();
        let v = Validator::new(&doc);
        assert!(!v.errors(&json!({"multipleOf": 2}), &json!(4)).is_empty());
        assert!(!v
            .errors(&json!({"$ref": "#/components/schemas/Nope"}), &json!(4))
            .is_empty());
    }
}
