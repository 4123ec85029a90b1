//! What the generated operation builders call where progenitor's code would allocate on every
//! call (`cargo xtask generate` rewrites its output to use them; `xtask/src/glue/allocations.rs`):
//!
//! - [`PathSegment`] (`value.to_path_segment()`, [`ToPathSegment`]): a path parameter
//!   percent-encoded while the URL is formatted, in place of
//!   `encode_path(&value.to_string())`, which makes two strings per parameter;
//! - [`missing`]: the message of a required parameter that was never set, made only when it
//!   is needed, in place of a `"... was not initialized"` string allocated by every builder's
//!   `new` and dropped as soon as the parameter is set.
//!
//! ```
//! use snapshots_runtime::builder_glue::{missing, ToPathSegment};
//! let id = String::from("a b/c");
//! let url = format!("https://h.example/api/v1/snapshots/{}", id.to_path_segment());
//! assert_eq!(url, "https://h.example/api/v1/snapshots/a%20b%2Fc");
//! assert_eq!(missing(String::new(), "id was not initialized"), "id was not initialized");
//! assert_eq!(missing("conversion failed".into(), "unused"), "conversion failed");
//! ```

use std::fmt::{self, Display, Write};

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// The bytes a path segment percent-encodes: the WHATWG URL standard's path percent-encode
/// set (controls, space, `"`, `#`, `<`, `>`, `?`, `` ` ``, `{`, `}`) plus `/` (a parameter is
/// one segment) and `%` (a parameter's `%` is data, not an escape). The set of progenitor's
/// `encode_path`, which the tests compare against; the action segment of a gateway path
/// (`transport`) is encoded with it too.
pub(crate) const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// A path parameter, displayed percent-encoded as one URL path segment: the text its own
/// `Display` writes, encoded piece by piece as it is written (no intermediate string).
#[derive(Debug, Clone, Copy)]
pub struct PathSegment<'a, T: Display + ?Sized>(pub &'a T);

impl<T: Display + ?Sized> Display for PathSegment<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Encoder(f), "{}", self.0)
    }
}

/// `value.to_path_segment()`: the [`PathSegment`] of what `value.to_string()` would write,
/// found the same way. As a method call it goes through `Deref` as `to_string` does, so a
/// newtype over `String` without `Display` of its own (as typify writes for a constrained
/// path parameter) is encoded as its text.
pub trait ToPathSegment: Display {
    /// This value as a percent-encoded path segment.
    fn to_path_segment(&self) -> PathSegment<'_, Self> {
        PathSegment(self)
    }
}

impl<T: Display + ?Sized> ToPathSegment for T {}

/// Writes what it is given percent-encoded to the formatter it wraps.
struct Encoder<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl Write for Encoder<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Each chunk is whole characters, and the set encodes bytes one by one, so chunks
        // encode exactly as their concatenation does.
        for piece in utf8_percent_encode(s, PATH_SEGMENT) {
            self.0.write_str(piece)?;
        }
        Ok(())
    }
}

/// The error of a required builder parameter: `error` when setting it failed (a conversion
/// message, never empty), otherwise (empty: it was never set) `message`.
pub fn missing(error: String, message: &'static str) -> String {
    if error.is_empty() {
        message.to_owned()
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A value whose `Display` writes its text in several calls, split anywhere between
    /// characters.
    struct Pieces(Vec<String>);

    impl Display for Pieces {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.iter().try_for_each(|p| f.write_str(p))
        }
    }

    proptest! {
        /// The same text as progenitor's `encode_path(&value.to_string())`, for any text,
        /// however its `Display` splits it.
        #[test]
        fn encodes_as_progenitor_does(parts in prop::collection::vec(any::<String>(), 0..4)) {
            let whole = parts.concat();
            let expected = progenitor_client::encode_path(&whole);
            prop_assert_eq!(PathSegment(&whole).to_string(), expected.clone());
            prop_assert_eq!(PathSegment(&Pieces(parts)).to_string(), expected);
        }

        #[test]
        fn numbers_encode_as_their_text(n in any::<i64>(), u in any::<u64>()) {
            prop_assert_eq!(PathSegment(&n).to_string(), n.to_string());
            prop_assert_eq!(PathSegment(&u).to_string(), u.to_string());
        }
    }

    /// A newtype like typify's for a constrained string: `Deref` to `String`, no `Display`.
    struct Id(String);

    impl std::ops::Deref for Id {
        type Target = String;
        fn deref(&self) -> &String {
            &self.0
        }
    }

    #[test]
    fn a_newtype_over_a_string_is_encoded_as_to_string_finds_it() {
        let id = Id("w 1/2".to_owned());
        let expected = progenitor_client::encode_path(&id.to_string());
        assert_eq!(id.to_path_segment().to_string(), expected);
        assert_eq!(expected, "w%201%2F2");
    }

    #[test]
    fn reserved_characters_are_encoded() {
        let text = "a b/c?d#e%f\"g<h>i`j{k}l\u{7f}m\u{e9}n*o'p(q)r!s;t,u=v&w+x:y@z";
        assert_eq!(
            PathSegment(&text).to_string(),
            "a%20b%2Fc%3Fd%23e%25f%22g%3Ch%3Ei%60j%7Bk%7Dl%7Fm%C3%A9n*o'p(q)r!s;t,u=v&w+x:y@z"
        );
    }

    #[test]
    fn only_a_missing_parameter_gets_the_message() {
        assert_eq!(
            missing(String::new(), "x was not initialized"),
            "x was not initialized"
        );
        assert_eq!(missing("bad".into(), "x was not initialized"), "bad");
    }
}
