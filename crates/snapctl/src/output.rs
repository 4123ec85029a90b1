//! Output: one JSON document on stdout with `--output json`, aligned human-readable text with
//! `--output table` (the default).
//!
//! JSON output is the server's own JSON text ([`crate::raw`]): a resource is the member of
//! the answer the command prints, a listing is an array of the items as the pages held
//! them, written item by item while the pages arrive.
//!
//! Lists are tables whose rows are written as the items arrive (each column has a fixed
//! width; a longer value is printed whole and shifts the rest of its row). A single resource
//! is a list of `field  value` lines built from its JSON form, so that no field the service
//! returned is left out. Every cell is cleaned of control characters, so a name cannot move
//! the cursor or clear the terminal.

use std::io::{self, Write};

use clap::ValueEnum;
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use snapshots::capture::BodyCapture;
use snapshots::paginate::Paginate;
use unicode_width::UnicodeWidthStr;

use crate::raw::{self, RawItems};
use crate::Failure;

/// `--output`: how results are printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// Aligned, human-readable text.
    #[default]
    Table,
    /// Exactly one JSON document: the resource as the API returned it (its own JSON text,
    /// every `null` and unknown member kept, re-indented), or an array of them for `list`.
    Json,
}

/// One column of a list table: its header, its width (the widest value usually seen) and
/// how a row's cell is computed.
pub struct Column<T> {
    /// The header, in capitals.
    pub header: &'static str,
    /// The width the column is padded to (not for the last column).
    pub width: usize,
    /// The cell of one item.
    pub cell: fn(&T) -> String,
}

impl<T> std::fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Column")
            .field("header", &self.header)
            .field("width", &self.width)
            .finish()
    }
}

/// Prints results in the chosen [`Format`].
///
/// ```
/// use snapctl::output::{Format, Printer};
///
/// let mut printer = Printer::new(Format::Table, Vec::new());
/// printer.resource(&serde_json::json!({"SnapshotId": "snp-1", "Status": "Saved"})).unwrap();
/// let text = String::from_utf8(printer.into_inner()).unwrap();
/// assert_eq!(text, "SnapshotId  snp-1\nStatus      Saved\n");
/// ```
#[derive(Debug)]
pub struct Printer<W> {
    format: Format,
    out: W,
}

impl<W: Write> Printer<W> {
    /// A printer writing to `out`.
    pub fn new(format: Format, out: W) -> Self {
        Printer { format, out }
    }

    /// The format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// The writer, for commands that print free text (`demo`, `emulator`).
    pub fn writer(&mut self) -> &mut W {
        &mut self.out
    }

    /// One resource: a pretty JSON document, or one `field  value` line per field that has
    /// a value.
    pub fn resource<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        let value = to_value(value)?;
        match self.format {
            Format::Json => self.json(&value),
            Format::Table => {
                let fields = fields(&value);
                let width = fields.iter().map(|(key, _)| key.width()).max().unwrap_or(0);
                for (key, text) in fields {
                    writeln!(self.out, "{}  {text}", pad(&key, width))?;
                }
                self.out.flush()
            }
        }
    }

    /// The member at `path` (`data`; empty for the whole body) of an answer's raw `body`:
    /// the server's JSON text re-indented ([`raw::pretty`]), or one `field  value` line per
    /// member that has a value.
    ///
    /// ```
    /// use snapctl::output::{Format, Printer};
    ///
    /// let body = br#"{"data":{"id":7,"name":"x","size_bytes":null},"meta":{}}"#;
    /// let mut printer = Printer::new(Format::Json, Vec::new());
    /// printer.answer(body, "data").unwrap();
    /// let text = String::from_utf8(printer.into_inner()).unwrap();
    /// assert_eq!(text, "{\n  \"id\": 7,\n  \"name\": \"x\",\n  \"size_bytes\": null\n}\n");
    /// ```
    pub fn answer(&mut self, body: &[u8], path: &str) -> Result<(), Failure> {
        let member = raw::member(body, path)?;
        match self.format {
            Format::Json => {
                let mut text = String::with_capacity(member.get().len() * 2);
                raw::pretty(member.get(), 0, &mut text);
                text.push('\n');
                self.out.write_all(text.as_bytes())?;
                self.out.flush()?;
            }
            Format::Table => {
                let value: Value = serde_json::from_str(member.get()).map_err(io::Error::other)?;
                self.resource(&value)?;
            }
        }
        Ok(())
    }

    /// A result without a resource of its own (a deletion): `message` in table form; in
    /// JSON form the member at `path` of the raw `body`, or `value` when the answer had no
    /// body (an HTTP 204).
    pub fn outcome_of<T: Serialize>(
        &mut self,
        message: &str,
        body: &[u8],
        path: &str,
        value: &T,
    ) -> Result<(), Failure> {
        if self.format == Format::Json && !body.trim_ascii().is_empty() {
            return self.answer(body, path);
        }
        self.outcome(message, value)?;
        Ok(())
    }

    /// A result without a resource of its own (a deletion): `message` in table form, `value`
    /// in JSON form.
    pub fn outcome<T: Serialize>(&mut self, message: &str, value: &T) -> io::Result<()> {
        match self.format {
            Format::Json => self.json(&to_value(value)?),
            Format::Table => {
                writeln!(self.out, "{}", clean(message))?;
                self.out.flush()
            }
        }
    }

    /// Every item of a listing (a generated list builder, paged by the facade's `.items()`),
    /// printed as the pages arrive: one table row per item, or one JSON array of the items
    /// as the server wrote them ([`raw::RawItems`]), written item by item (nothing of the
    /// whole listing is held). Returns how many items there were.
    ///
    /// The first error ends the listing: what was printed stays, and a JSON array is left
    /// unterminated, so that a partial listing never parses as a complete one.
    pub async fn listing<'a, L>(
        &mut self,
        columns: &[Column<L::Item>],
        request: L,
    ) -> Result<usize, Failure>
    where
        L: Paginate<'a>,
        L::Item: Serialize + DeserializeOwned,
        snapshots::Error: From<L::Error>,
    {
        if self.format == Format::Table {
            return self.list(columns, request.items()).await;
        }
        let capture = BodyCapture::new();
        let mut raw = RawItems::new(capture.clone(), L::OPERATION, L::ITEMS);
        let items = request.items();
        capture
            .scope(async {
                let mut items = std::pin::pin!(items);
                let mut array = JsonArray::default();
                while let Some(item) = items.next().await {
                    let written = item.and_then(|item| raw.of(&item));
                    match written {
                        Ok(text) => array.push(text.get()),
                        Err(error) => {
                            array.flush(&mut self.out)?;
                            return Err(error.into());
                        }
                    }
                    if array.text.len() >= FLUSH_AT {
                        array.flush(&mut self.out)?;
                    }
                }
                Ok(array.finish(&mut self.out)?)
            })
            .await
    }

    /// Prints typed items as they arrive: one table row each, or one JSON array written item
    /// by item. Returns how many items there were; the first error ends the listing (what
    /// was printed stays; a JSON array is left unterminated).
    pub async fn list<T, S>(&mut self, columns: &[Column<T>], stream: S) -> Result<usize, Failure>
    where
        T: Serialize,
        S: Stream<Item = Result<T, snapshots::Error>>,
    {
        let mut stream = std::pin::pin!(stream);
        match self.format {
            Format::Json => {
                let mut array = JsonArray::default();
                while let Some(item) = stream.next().await {
                    let text = item.map_err(Failure::from).and_then(|item| {
                        serde_json::to_string(&item).map_err(|e| io::Error::other(e).into())
                    });
                    match text {
                        Ok(text) => array.push(&text),
                        Err(failure) => {
                            array.flush(&mut self.out)?;
                            return Err(failure);
                        }
                    }
                }
                Ok(array.finish(&mut self.out)?)
            }
            Format::Table => {
                // The header goes out with the first row (or once the listing ends empty), so
                // that a listing whose first request fails prints nothing on stdout.
                let headers: Vec<String> = columns.iter().map(|c| c.header.to_owned()).collect();
                let mut count = 0;
                while let Some(item) = stream.next().await {
                    let item = item?;
                    if count == 0 {
                        self.row(columns, &headers)?;
                    }
                    let cells: Vec<String> = columns.iter().map(|c| (c.cell)(&item)).collect();
                    self.row(columns, &cells)?;
                    count += 1;
                }
                if count == 0 {
                    self.row(columns, &headers)?;
                }
                Ok(count)
            }
        }
    }

    /// One table row, padded to the column widths, flushed at once.
    fn row<T>(&mut self, columns: &[Column<T>], cells: &[String]) -> io::Result<()> {
        let line = table_line(columns.iter().map(|c| c.width), cells);
        writeln!(self.out, "{line}")?;
        self.out.flush()
    }

    fn json(&mut self, value: &Value) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut self.out, value).map_err(io::Error::other)?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

/// How much JSON text a listing gathers before writing it out.
const FLUSH_AT: usize = 64 * 1024;

/// A JSON array being written item by item, indented as `serde_json`'s pretty printer does.
#[derive(Debug, Default)]
struct JsonArray {
    text: String,
    count: usize,
}

impl JsonArray {
    /// Appends one item (JSON text).
    fn push(&mut self, item: &str) {
        self.text
            .push_str(if self.count == 0 { "[\n  " } else { ",\n  " });
        raw::pretty(item, 1, &mut self.text);
        self.count += 1;
    }

    /// Writes what was gathered.
    fn flush(&mut self, out: &mut impl Write) -> io::Result<()> {
        if !self.text.is_empty() {
            out.write_all(self.text.as_bytes())?;
            self.text.clear();
        }
        out.flush()
    }

    /// Closes the array (`[]` when it had no item) and writes the rest; the item count.
    fn finish(mut self, out: &mut impl Write) -> io::Result<usize> {
        self.text
            .push_str(if self.count == 0 { "[]\n" } else { "\n]\n" });
        self.flush(out)?;
        Ok(self.count)
    }
}

fn to_value<T: Serialize>(value: &T) -> io::Result<Value> {
    serde_json::to_value(value).map_err(io::Error::other)
}

/// A table line: every cell but the last padded to its width, two spaces between cells;
/// a cell wider than its column is printed whole.
///
/// ```
/// let line = snapctl::output::table_line([4, 6], &["ID".into(), "NAME".into(), "X".into()]);
/// assert_eq!(line, "ID    NAME    X");
/// ```
pub fn table_line(widths: impl IntoIterator<Item = usize>, cells: &[String]) -> String {
    let mut widths = widths.into_iter();
    let mut line = String::new();
    for (index, cell) in cells.iter().enumerate() {
        let cell = clean(cell);
        if index + 1 == cells.len() {
            line.push_str(&cell);
        } else {
            let width = widths.next().unwrap_or(0);
            line.push_str(&pad(&cell, width));
            line.push_str("  ");
        }
    }
    line.trim_end().to_owned()
}

/// `text` padded with spaces to `width` display columns (wide characters count twice).
fn pad(text: &str, width: usize) -> String {
    let shown = text.width();
    let mut padded = text.to_owned();
    padded.extend(std::iter::repeat_n(' ', width.saturating_sub(shown)));
    padded
}

/// `text` with every control character (newlines, escapes, ...) written as an escape
/// sequence, so that it stays on one line and cannot drive the terminal.
///
/// ```
/// assert_eq!(snapctl::output::clean("a\nb\u{1b}[2J"), "a\\nb\\u{1b}[2J");
/// ```
pub fn clean(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Members whose values come first in the `field  value` view, in this order; the others
/// follow in the order of the JSON object.
const FIRST: &[&str] = &[
    "SnapshotId",
    "id",
    "SnapshotName",
    "name",
    "Status",
    "SnapshotStatus",
    "status",
];

/// The `field  value` lines of a JSON value: an object's members with a value (null and
/// empty members are left out), identifiers, names and statuses first.
pub fn fields(value: &Value) -> Vec<(String, String)> {
    let Value::Object(object) = value else {
        return vec![("value".to_owned(), render(value))];
    };
    let mut keys: Vec<&String> = object.keys().collect();
    keys.sort_by_key(|key| {
        FIRST
            .iter()
            .position(|first| first == key)
            .unwrap_or(FIRST.len())
    });
    keys.into_iter()
        .filter_map(|key| {
            let value = &object[key.as_str()];
            let empty = match value {
                Value::Null => true,
                Value::Array(items) => items.is_empty(),
                Value::Object(members) => members.is_empty(),
                Value::String(text) => text.is_empty(),
                _ => false,
            };
            (!empty).then(|| (clean(key), clean(&render(value))))
        })
        .collect()
}

/// One value on one line: strings bare, `Key=Value` pairs for Alibaba label lists, scalar
/// lists comma-separated, other structures as compact JSON.
pub fn render(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_owned(),
        Value::Array(items) if items.iter().all(is_label) => items
            .iter()
            .map(|item| {
                let part = |name: &str| item.get(name).map(render).unwrap_or_default();
                format!("{}={}", part("Key"), part("Value"))
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

fn is_label(value: &Value) -> bool {
    value.as_object().is_some_and(|object| {
        !object.is_empty() && object.keys().all(|key| key == "Key" || key == "Value")
    })
}

/// An optional text cell: the value, or `-`.
pub fn or_dash(value: Option<&str>) -> String {
    match value {
        Some(text) if !text.is_empty() => text.to_owned(),
        _ => "-".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::stream;
    use serde_json::json;

    fn text(printer: Printer<Vec<u8>>) -> String {
        String::from_utf8(printer.into_inner()).expect("utf-8")
    }

    const COLUMNS: &[Column<(String, String)>] = &[
        Column {
            header: "ID",
            width: 6,
            cell: |item| item.0.clone(),
        },
        Column {
            header: "NAME",
            width: 4,
            cell: |item| item.1.clone(),
        },
    ];

    #[tokio::test]
    async fn table_rows_are_aligned_and_long_cells_kept_whole() {
        let mut printer = Printer::new(Format::Table, Vec::new());
        let items = vec![
            Ok(("a".to_owned(), "first".to_owned())),
            Ok(("longer-id".to_owned(), "x".to_owned())),
        ];
        let count = printer
            .list(COLUMNS, stream::iter(items))
            .await
            .expect("listed");
        assert_eq!(count, 2);
        assert_eq!(text(printer), "ID      NAME\na       first\nlonger-id  x\n");
    }

    #[tokio::test]
    async fn tables_print_nothing_when_the_first_page_fails_and_a_header_when_empty() {
        let mut printer = Printer::new(Format::Table, Vec::new());
        let items: Vec<Result<(String, String), _>> =
            vec![Err(snapshots::Error::Config("boom".into()))];
        assert!(printer.list(COLUMNS, stream::iter(items)).await.is_err());
        assert_eq!(text(printer), "");

        let mut printer = Printer::new(Format::Table, Vec::new());
        let items: Vec<Result<(String, String), snapshots::Error>> = Vec::new();
        let count = printer
            .list(COLUMNS, stream::iter(items))
            .await
            .expect("listed");
        assert_eq!(count, 0);
        assert_eq!(text(printer), "ID      NAME\n");
    }

    #[tokio::test]
    async fn json_lists_are_one_array_and_a_failed_listing_never_parses() {
        let mut printer = Printer::new(Format::Json, Vec::new());
        let items = vec![Ok(("a".to_owned(), "b".to_owned()))];
        printer
            .list(COLUMNS, stream::iter(items))
            .await
            .expect("listed");
        let out = text(printer);
        assert_eq!(out, "[\n  [\n    \"a\",\n    \"b\"\n  ]\n]\n");
        let value: Value = serde_json::from_str(&out).expect("one JSON document");
        assert_eq!(value, json!([["a", "b"]]));

        let mut printer = Printer::new(Format::Json, Vec::new());
        let items: Vec<Result<(String, String), snapshots::Error>> = Vec::new();
        printer
            .list(COLUMNS, stream::iter(items))
            .await
            .expect("listed");
        assert_eq!(text(printer), "[]\n");

        // The first request fails: nothing on stdout.
        let mut printer = Printer::new(Format::Json, Vec::new());
        let items: Vec<Result<(String, String), _>> =
            vec![Err(snapshots::Error::Config("boom".into()))];
        assert!(printer.list(COLUMNS, stream::iter(items)).await.is_err());
        assert_eq!(text(printer), "");

        // A later one fails: the items so far, in an array left open.
        let mut printer = Printer::new(Format::Json, Vec::new());
        let items = vec![
            Ok(("a".to_owned(), "b".to_owned())),
            Err(snapshots::Error::Config("boom".into())),
        ];
        let result = printer.list(COLUMNS, stream::iter(items)).await;
        assert!(result.is_err());
        let out = text(printer);
        assert!(out.starts_with("[\n  [\n    \"a\""), "{out}");
        assert!(serde_json::from_str::<Value>(&out).is_err(), "{out}");
    }

    #[test]
    fn answers_print_the_raw_member_in_json_and_its_fields_in_tables() {
        let body = br#"{"data":{"id":7,"name":"x","size_bytes":null,"new_member":[1.50]}}"#;
        let mut printer = Printer::new(Format::Json, Vec::new());
        printer.answer(body, "data").expect("printed");
        assert_eq!(
            text(printer),
            "{\n  \"id\": 7,\n  \"name\": \"x\",\n  \"size_bytes\": null,\n  \"new_member\": [\n    1.50\n  ]\n}\n"
        );
        let mut printer = Printer::new(Format::Table, Vec::new());
        printer.answer(body, "data").expect("printed");
        assert_eq!(
            text(printer),
            "id          7\nname        x\nnew_member  1.5\n"
        );

        let mut printer = Printer::new(Format::Json, Vec::new());
        printer
            .outcome_of("Deleted 7", b"", "data", &json!({"deleted": true}))
            .expect("printed");
        assert_eq!(text(printer), "{\n  \"deleted\": true\n}\n");
        let mut printer = Printer::new(Format::Json, Vec::new());
        printer
            .outcome_of(
                "Deleted 7",
                br#"{"data":{"deleted":true,"x":null}}"#,
                "data",
                &json!({}),
            )
            .expect("printed");
        assert_eq!(text(printer), "{\n  \"deleted\": true,\n  \"x\": null\n}\n");
    }

    #[test]
    fn resources_list_ids_names_and_statuses_first_and_skip_empty_members() {
        let mut printer = Printer::new(Format::Table, Vec::new());
        printer
            .resource(&json!({
                "GmtCreateTime": "2026-01-01T00:00:00Z",
                "Labels": [{"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "dev"}],
                "ExcludePaths": ["/tmp", "/cache"],
                "ReasonCode": null,
                "Message": "",
                "Status": "Saved",
                "SnapshotId": "snp-1",
            }))
            .expect("printed");
        assert_eq!(
            text(printer),
            "SnapshotId     snp-1\n\
             Status         Saved\n\
             ExcludePaths   /tmp, /cache\n\
             GmtCreateTime  2026-01-01T00:00:00Z\n\
             Labels         team=ml, env=dev\n"
        );
    }

    #[test]
    fn nested_values_are_compact_json() {
        let rendered = render(&json!({"Person": 3}));
        assert_eq!(rendered, r#"{"Person":3}"#);
        let rendered = render(&json!([{"id": 1, "name": "x"}]));
        assert_eq!(rendered, r#"[{"id":1,"name":"x"}]"#);
    }

    #[test]
    fn json_resources_round_trip() {
        let mut printer = Printer::new(Format::Json, Vec::new());
        let snapshot = pai_dsw::types::InstanceSnapshot::try_from(
            pai_dsw::types::InstanceSnapshot::builder()
                .snapshot_id(Some("snp-1".to_owned()))
                .status(Some("Saved".to_owned())),
        )
        .expect("a snapshot");
        printer.resource(&snapshot).expect("printed");
        let back: pai_dsw::types::InstanceSnapshot =
            serde_json::from_str(&text(printer)).expect("decodes");
        assert_eq!(back, snapshot);
    }

    #[test]
    fn outcome_is_a_message_or_the_value() {
        let mut printer = Printer::new(Format::Table, Vec::new());
        printer
            .outcome("Deleted snp-1", &json!({"deleted": true}))
            .expect("printed");
        assert_eq!(text(printer), "Deleted snp-1\n");
        let mut printer = Printer::new(Format::Json, Vec::new());
        printer
            .outcome("Deleted snp-1", &json!({"deleted": true}))
            .expect("printed");
        assert_eq!(text(printer), "{\n  \"deleted\": true\n}\n");
    }

    #[test]
    fn wide_characters_are_padded_by_display_width() {
        let line = table_line([6], &["名前".into(), "x".into()]);
        assert_eq!(line, "名前    x");
    }

    #[test]
    fn control_characters_are_escaped_in_cells() {
        let line = table_line([3], &["a\tb".into(), "c\r\nd".into()]);
        assert_eq!(line, "a\\tb  c\\r\\nd");
    }
}
