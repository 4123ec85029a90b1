//! Every `pattern` of a spec must be in the portable subset of ECMA-262
//! (`snapshots_runtime::pattern`, documented there and in `specs/EXTENSIONS.md`), where
//! regex-lite, the engine the generated code uses, and ECMA-262 agree; and it must compile
//! in both regex-lite and regress (the ECMA-262 engine the example lint uses). A pattern
//! outside the subset is an error with the reason, never compiled with other semantics.

use super::extensions::each_keyword;
use serde_json::Value;

/// Pushes one problem per `pattern` of `doc` outside the portable subset or not compiling in
/// both engines, naming its JSON pointer.
pub fn check(doc: &Value, problems: &mut Vec<String>) {
    for (at, pattern) in patterns(doc) {
        if let Err(e) = snapshots_runtime::pattern::Regex::new(pattern) {
            problems.push(format!("{at}: {e}"));
        } else if let Err(e) = regress::Regex::new(pattern) {
            problems.push(format!(
                "{at}: pattern {pattern:?} does not compile in regress: {e}"
            ));
        }
    }
}

/// Every schema `pattern` of `doc` with its JSON pointer (example, default and enum values
/// are data, and keys of name maps are names: neither is a pattern).
pub fn patterns(doc: &Value) -> Vec<(String, &str)> {
    let mut found = Vec::new();
    each_keyword(doc, &mut |at, key, member| {
        if let ("pattern", Value::String(pattern)) = (key, member) {
            found.push((at.to_owned(), pattern.as_str()));
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn problems(doc: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        check(doc, &mut problems);
        problems
    }

    /// Every pattern of the three specs (read once).
    fn spec_patterns() -> &'static [String] {
        static PATTERNS: std::sync::LazyLock<Vec<String>> =
            std::sync::LazyLock::new(read_spec_patterns);
        &PATTERNS
    }

    fn read_spec_patterns() -> Vec<String> {
        let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs");
        let mut all = Vec::new();
        for entry in std::fs::read_dir(specs).expect("specs/ is readable") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).expect("readable");
                let doc: Value = serde_yaml::from_str(&text).expect("yaml");
                assert_eq!(problems(&doc), Vec::<String>::new(), "{}", path.display());
                all.extend(patterns(&doc).into_iter().map(|(_, p)| p.to_owned()));
            }
        }
        all
    }

    #[test]
    fn the_specs_patterns_are_all_portable() {
        // `grep -c "pattern:" specs/*.yaml`: 4 + 1 + 1.
        assert_eq!(spec_patterns().len(), 6);
    }

    #[test]
    fn patterns_outside_the_subset_are_reported_with_the_reason() {
        let doc = json!({
            "components": {"schemas": {
                "Ok": {"type": "string", "pattern": "^[a-z]+$"},
                "Dot": {"type": "string", "pattern": "^a.c$", "example": "abc"},
                "Space": {"type": "object", "properties": {
                    "pattern": {"type": "string", "pattern": "\\s"},
                    "data": {"type": "object", "example": {"pattern": "(?=x)"}}
                }},
                "Broken": {"type": "string", "pattern": "(a"}
            }},
            "paths": {"/a": {"get": {"parameters": [
                {"name": "p", "in": "query", "schema": {"type": "string", "pattern": "\\bx"}}
            ]}}}
        });
        let found = problems(&doc);
        for (pointer, reason) in [
            ("/components/schemas/Dot/pattern", "`.` is not portable"),
            (
                "/components/schemas/Space/properties/pattern/pattern",
                "`\\s`",
            ),
            ("/components/schemas/Broken/pattern", "unclosed group"),
            (
                "/paths/~1a/get/parameters/0/schema/pattern",
                "word boundaries",
            ),
        ] {
            assert!(
                found
                    .iter()
                    .any(|p| p.starts_with(pointer) && p.contains(reason)),
                "{pointer}: {reason} not in {found:?}"
            );
        }
        assert_eq!(found.len(), 4, "{found:?}");
    }

    /// Texts over the spec patterns' alphabets and characters where engines could differ.
    fn text() -> impl Strategy<Value = String> {
        let chars = vec![
            'P', 'T', 'D', 'H', 'M', 'S', 'a', 'z', 'A', 'Z', '0', '9', '_', '-', ' ', '\n', '\r',
            '\u{2028}', '٣', 'é', 'K', '\u{212a}', '😀',
        ];
        prop::collection::vec(prop::sample::select(chars), 0..16)
            .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn both_engines_agree_on_every_spec_pattern(texts in prop::collection::vec(text(), 1..8)) {
            for pattern in spec_patterns() {
                let ours = snapshots_runtime::pattern::Regex::new(pattern).expect("portable");
                let ecma = regress::Regex::new(pattern).expect("compiles");
                for text in &texts {
                    prop_assert_eq!(ours.is_match(text), ecma.find(text).is_some(), "{} on {:?}", pattern, text);
                }
            }
        }
    }
}
