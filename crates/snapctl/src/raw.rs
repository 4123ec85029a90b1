//! Lossless JSON output: what `--output json` prints is the server's own JSON text (every
//! `null` and every member the spec does not know kept, numbers and strings as they were
//! written), re-indented, never a typed value encoded again.
//!
//! One mechanism for every command: the calls run inside a
//! [`snapshots::capture::BodyCapture`] scope, the runtime keeps the body of each successful
//! answer, and this module picks the member to print out of it ([`member`]), re-indents it
//! ([`pretty`]), and for listings finds each item the facade's `.items()` stream yields in
//! the raw pages ([`RawItems`]), so that the stream's own rules (which items it yields, in
//! which order) stay the facade's.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::future::Future;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use snapshots::capture::BodyCapture;
use snapshots::Error;

/// A decoded answer and the body it was decoded from.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    /// The typed value (for tables, waits, ids).
    pub value: T,
    /// The body as the server sent it (empty for an answer without one, such as a 204).
    pub body: Bytes,
}

/// Runs `call` (one or more SDK calls) and returns its result with the body of the last
/// successful answer it received. A call that succeeds without the runtime having recorded
/// a body cannot be printed losslessly: that is an error, not a re-encoding.
pub async fn captured<T, F>(call: F) -> Result<Answer<T>, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    let capture = BodyCapture::new();
    let value = capture.scope(call).await?;
    let body = capture.latest().ok_or_else(|| no_body("the answer"))?;
    Ok(Answer { value, body })
}

fn no_body(what: &str) -> Error {
    Error::Config(format!(
        "{what} was decoded but its raw body was not recorded; refusing to print a re-encoded value"
    ))
}

fn undecodable(what: &str, error: &serde_json::Error) -> Error {
    Error::Config(format!(
        "{what} is not the JSON document it decoded from: {error}"
    ))
}

/// The member at `path` of a JSON document (`data`, `meta.total`; the empty path is the
/// whole document), as the server wrote it.
///
/// ```
/// let body = br#"{"data": {"id": 1, "size_bytes": null, "new": [1.50]}, "meta": {}}"#;
/// let data = snapctl::raw::member(body, "data").unwrap();
/// assert_eq!(data.get(), r#"{"id": 1, "size_bytes": null, "new": [1.50]}"#);
/// assert!(snapctl::raw::member(body, "nothing").is_err());
/// ```
pub fn member<'a>(body: &'a [u8], path: &str) -> Result<&'a RawValue, Error> {
    let mut value: &RawValue =
        serde_json::from_slice(body).map_err(|e| undecodable("the answer", &e))?;
    for key in path.split('.').filter(|key| !key.is_empty()) {
        let object: HashMap<Cow<'a, str>, &'a RawValue> = serde_json::from_str(value.get())
            .map_err(|e| undecodable(&format!("the member holding `{key}`"), &e))?;
        value = *object
            .get(key)
            .ok_or_else(|| Error::Config(format!("the answer has no member `{path}` to print")))?;
    }
    Ok(value)
}

/// Appends `json` (valid JSON text) to `out` indented as `serde_json::to_string_pretty`
/// indents, starting at nesting `depth`: two spaces per level, `": "` after keys, `[]` and
/// `{}` for empty containers. Strings, numbers and literals are copied byte for byte.
///
/// ```
/// let mut out = String::new();
/// snapctl::raw::pretty(r#"{"a":[1.50,null],"b":{},"c":"\u00e9"}"#, 0, &mut out);
/// assert_eq!(out, "{\n  \"a\": [\n    1.50,\n    null\n  ],\n  \"b\": {},\n  \"c\": \"\\u00e9\"\n}");
/// ```
pub fn pretty(json: &str, depth: usize, out: &mut String) {
    let mut depth = depth;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = json.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                while chars.peek().is_some_and(|n| n.is_ascii_whitespace()) {
                    chars.next();
                }
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n("  ", depth));
}

/// The raw items of a listing, matched to the typed items the facade's `.items()` yields.
///
/// The pages' bodies are recorded by the capture under the list operation's id; the items
/// of each are at the operation's `x-paging` `items` path. For each typed item, the raw
/// items are taken in order until one decodes to an equal value (items the stream left out,
/// such as duplicates, are skipped); none left is an error, never a re-encoding.
#[derive(Debug)]
pub struct RawItems {
    capture: BodyCapture,
    operation: &'static str,
    path: &'static str,
    queue: VecDeque<Box<RawValue>>,
}

impl RawItems {
    /// The raw items of the pages of `operation` recorded by `capture`, at `path` in each.
    pub fn new(capture: BodyCapture, operation: &'static str, path: &'static str) -> Self {
        RawItems {
            capture,
            operation,
            path,
            queue: VecDeque::new(),
        }
    }

    /// The raw text of `item`, the next item of the listing.
    pub fn of<T: DeserializeOwned + PartialEq>(
        &mut self,
        item: &T,
    ) -> Result<Box<RawValue>, Error> {
        loop {
            if self.queue.is_empty() && !self.fill()? {
                return Err(no_body(&format!("an item of {}", self.operation)));
            }
            while let Some(raw) = self.queue.pop_front() {
                let decoded: T = serde_json::from_str(raw.get())
                    .map_err(|e| undecodable(&format!("an item of {}", self.operation), &e))?;
                if &decoded == item {
                    return Ok(raw);
                }
            }
        }
    }

    /// Moves the items of the pages recorded since the last call into the queue; false when
    /// there was none.
    fn fill(&mut self) -> Result<bool, Error> {
        let pages = self.capture.take(self.operation);
        for page in &pages {
            let items = member(page, self.path)?;
            let items: Vec<Box<RawValue>> = serde_json::from_str(items.get())
                .map_err(|e| undecodable(&format!("the items of {}", self.operation), &e))?;
            self.queue.extend(items);
        }
        Ok(!pages.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-z\"\\\\\u{e9}\n ]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
                prop::collection::btree_map("[a-z:,{ ]{0,4}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn pretty_indents_as_serde_json_does(value in arb_json()) {
            let mut out = String::new();
            pretty(&serde_json::to_string(&value).unwrap(), 0, &mut out);
            prop_assert_eq!(out, serde_json::to_string_pretty(&value).unwrap());
        }

        #[test]
        fn pretty_keeps_every_token_of_spaced_text(value in arb_json()) {
            // The server's own spacing goes; its tokens stay.
            let spaced = serde_json::to_string_pretty(&value).unwrap().replace('\n', "\n \t");
            let mut out = String::new();
            pretty(&spaced, 0, &mut out);
            prop_assert_eq!(out, serde_json::to_string_pretty(&value).unwrap());
        }
    }

    #[test]
    fn members_keep_nulls_unknown_members_and_number_text() {
        let body = br#"{"data":{"id":7,"description":null,"future_field":{"x":1.0e3}},"meta":{"request_id":null}}"#;
        let data = member(body, "data").expect("a member");
        assert_eq!(
            data.get(),
            r#"{"id":7,"description":null,"future_field":{"x":1.0e3}}"#
        );
        assert_eq!(
            member(body, "meta.request_id").expect("nested").get(),
            "null"
        );
        assert_eq!(member(body, "").expect("whole").get().len(), body.len());
        assert!(member(b"[1]", "data").is_err());
        assert!(member(b"not json", "").is_err());
    }

    #[tokio::test]
    async fn raw_items_follow_the_typed_stream_and_skip_what_it_left_out() {
        let capture = BodyCapture::new();
        capture
            .scope(async {
                snapshots::capture::record(
                    "list",
                    &Bytes::from_static(br#"{"data":[{"id":1,"x":null},{"id":2,"x":null}]}"#),
                );
                snapshots::capture::record(
                    "list",
                    &Bytes::from_static(br#"{"data":[{"id":2,"x":null},{"id":3,"y":true}]}"#),
                );
            })
            .await;
        #[derive(serde::Deserialize, PartialEq)]
        struct Item {
            id: i64,
        }
        let mut raw = RawItems::new(capture, "list", "data");
        // The stream yields 1, 2, 3: the repeated 2 of the second page is skipped.
        assert_eq!(
            raw.of(&Item { id: 1 }).unwrap().get(),
            r#"{"id":1,"x":null}"#
        );
        assert_eq!(
            raw.of(&Item { id: 2 }).unwrap().get(),
            r#"{"id":2,"x":null}"#
        );
        assert_eq!(
            raw.of(&Item { id: 3 }).unwrap().get(),
            r#"{"id":3,"y":true}"#
        );
        assert!(raw.of(&Item { id: 4 }).is_err());
    }
}
