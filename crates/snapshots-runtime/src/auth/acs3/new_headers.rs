//! [`NewHeaders`]: the headers [`sign`](super::sign) and [`sign_bearer`](super::sign_bearer)
//! set, written into one buffer that becomes the shared storage of every new header value
//! (one allocation for all of them, `Authorization` included, instead of one per value).
//!
//! The values are checked with the rule of [`HeaderValue`] as soon as they are written
//! ([`NewHeaders::check`]), so that a value that cannot be sent is an error before the
//! request is changed; [`NewHeaders::replace`] then makes the [`HeaderValue`]s (all of
//! them, before it puts them on the request).

use bytes::Bytes;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;

use super::{
    push_date, push_hex, trim, SignError, ACCESSKEY_ID_NAME, ACTION_NAME, AUTHORIZATION_NAME,
    CONTENT_SHA256_NAME, DATE_NAME, EMPTY_PAYLOAD_SHA256, HOST_NAME, NONCE_NAME,
    SECURITY_TOKEN_NAME, VERSION_NAME,
};

/// The most headers a signer sets: six common ones, two for STS credentials or a bearer
/// token, and `Authorization`.
const MAX_NEW: usize = 9;

/// One header a signer sets; its value is `buf[start..end]`, and what is signed of it (the
/// value trimmed) is `buf[signed_start..signed_end]`.
#[derive(Debug, Clone, Copy)]
struct NewHeader {
    name: &'static HeaderName,
    start: usize,
    end: usize,
    signed_start: usize,
    signed_end: usize,
    sensitive: bool,
}

/// A placeholder for the unused slots of [`NewHeaders::items`].
const UNUSED: NewHeader = NewHeader {
    name: &HOST_NAME,
    start: 0,
    end: 0,
    signed_start: 0,
    signed_end: 0,
    sensitive: false,
};

/// The headers a signer sets, in the order they are checked and inserted, their values one
/// after the other in one buffer.
#[derive(Debug)]
pub(super) struct NewHeaders {
    buf: String,
    items: [NewHeader; MAX_NEW],
    len: usize,
}

/// SHA-256 of a request body: `None` when there is no body.
pub(super) type BodyDigest = Option<[u8; 32]>;

impl NewHeaders {
    /// `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`, and
    /// `x-acs-content-sha256` when the body's digest is known; `room` more bytes are
    /// reserved for the values still to come. Fails when the URL has no host.
    pub(super) fn common(
        url: &Url,
        action: &str,
        version: &str,
        date: DateTime<Utc>,
        nonce: &str,
        body: Option<BodyDigest>,
        room: usize,
    ) -> Result<Self, SignError> {
        let host = url.host_str().ok_or(SignError::MissingHost)?;
        // host and port, the date, the hash: at most 6 + 25 + 64 bytes besides the others.
        let capacity = host.len() + action.len() + version.len() + nonce.len() + 95 + room;
        let mut new = Self {
            buf: String::with_capacity(capacity),
            items: [UNUSED; MAX_NEW],
            len: 0,
        };
        new.push_with(&HOST_NAME, false, |buf| {
            buf.push_str(host);
            if let Some(port) = url.port() {
                buf.push(':');
                push_port(buf, port);
            }
        });
        new.push(&ACTION_NAME, action, false);
        new.push(&VERSION_NAME, version, false);
        new.push_with(&DATE_NAME, false, |buf| push_date(buf, date));
        new.push(&NONCE_NAME, nonce, false);
        match body {
            Some(Some(digest)) => {
                new.push_with(&CONTENT_SHA256_NAME, false, |buf| push_hex(buf, &digest));
            }
            Some(None) => new.push(&CONTENT_SHA256_NAME, EMPTY_PAYLOAD_SHA256, false),
            None => {}
        }
        Ok(new)
    }

    /// Adds a header with `value`.
    pub(super) fn push(&mut self, name: &'static HeaderName, value: &str, sensitive: bool) {
        self.push_with(name, sensitive, |buf| buf.push_str(value));
    }

    /// Adds a header whose value `write` appends to the buffer.
    pub(super) fn push_with(
        &mut self,
        name: &'static HeaderName,
        sensitive: bool,
        write: impl FnOnce(&mut String),
    ) {
        let start = self.buf.len();
        write(&mut self.buf);
        let end = self.buf.len();
        let value = &self.buf[start..end];
        let signed_len = trim(value).len();
        let signed_start = if signed_len == value.len() {
            start
        } else {
            end - value.trim_start().len()
        };
        self.items[self.len] = NewHeader {
            name,
            start,
            end,
            signed_start,
            signed_end: signed_start + signed_len,
            sensitive,
        };
        self.len += 1;
    }

    fn items(&self) -> &[NewHeader] {
        &self.items[..self.len]
    }

    /// Checks, in order, that every value can be sent as a header value; the first that
    /// cannot is the error. (One pass over the whole buffer, which holds nothing else yet,
    /// and a second, value by value, only when it finds an invalid byte.)
    pub(super) fn check(&self) -> Result<(), SignError> {
        if is_header_value(self.buf.as_bytes()) {
            return Ok(());
        }
        match self
            .items()
            .iter()
            .find(|item| !is_header_value(&self.buf.as_bytes()[item.start..item.end]))
        {
            Some(item) => Err(SignError::InvalidHeaderValue {
                name: item.name.as_str(),
            }),
            None => Ok(()),
        }
    }

    /// Whether one of the headers is named `name`.
    pub(super) fn sets(&self, name: &HeaderName) -> bool {
        self.items().iter().any(|item| item.name == name)
    }

    /// The value of the header named `name`, if it is one of them.
    pub(super) fn value(&self, name: &HeaderName) -> Option<&str> {
        let item = self.items().iter().find(|item| item.name == name)?;
        Some(&self.buf[item.start..item.end])
    }

    /// `(name, trimmed value)` of each header, as they are signed.
    pub(super) fn signed(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.items().iter().map(|item| {
            (
                item.name.as_str(),
                &self.buf[item.signed_start..item.signed_end],
            )
        })
    }

    /// Adds `Authorization` (sensitive), whose value `write` appends to the buffer.
    pub(super) fn push_authorization(&mut self, write: impl FnOnce(&mut String)) {
        self.push_with(&AUTHORIZATION_NAME, true, write);
    }

    /// Puts the headers on `headers`, their values sharing the buffer: removes
    /// `authorization` and the STS headers, then inserts each header in order, replacing any
    /// of its name. The values are all made first: when one is not a valid header value, it
    /// is the error and `headers` is left unchanged.
    pub(super) fn replace(&mut self, headers: &mut HeaderMap) -> Result<(), SignError> {
        let shared = Bytes::from(std::mem::take(&mut self.buf));
        let mut values: [Option<HeaderValue>; MAX_NEW] = Default::default();
        for (slot, item) in values.iter_mut().zip(self.items()) {
            let mut value = HeaderValue::from_maybe_shared(shared.slice(item.start..item.end))
                .map_err(|_| SignError::InvalidHeaderValue {
                    name: item.name.as_str(),
                })?;
            value.set_sensitive(item.sensitive);
            *slot = Some(value);
        }
        remove_stale(headers);
        headers.reserve(self.len);
        for (item, value) in self.items().iter().zip(values) {
            if let Some(value) = value {
                headers.insert(item.name.clone(), value);
            }
        }
        Ok(())
    }
}

/// Removes `authorization`, `x-acs-accesskey-id` and `x-acs-security-token`, each only when
/// it is there (a lookup hashes the name; a scan of the few names of a request costs less).
fn remove_stale(headers: &mut HeaderMap) {
    for name in [
        &AUTHORIZATION_NAME,
        &ACCESSKEY_ID_NAME,
        &SECURITY_TOKEN_NAME,
    ] {
        if headers.keys().any(|key| key == name) {
            headers.remove(name);
        }
    }
}

/// Whether `bytes` make a valid header value, by the rule of [`HeaderValue::from_bytes`]:
/// no control character but the tab.
///
/// Written as a fold without early exit, which the compiler turns into vector code.
pub(super) fn is_header_value(bytes: &[u8]) -> bool {
    let invalid = bytes.iter().fold(0u8, |invalid, &byte| {
        invalid | u8::from((byte < 32 && byte != b'\t') || byte == 127)
    });
    invalid == 0
}

/// Appends `port` in decimal.
fn push_port(out: &mut String, port: u16) {
    let mut digits = [0u8; 5];
    let mut rest = port;
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend(digits[start..].iter().map(|&digit| char::from(digit)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The check is the rule of `HeaderValue`, for any bytes.
        #[test]
        fn header_value_rule_matches_http(bytes in proptest::collection::vec(any::<u8>(), 0..8)) {
            prop_assert_eq!(is_header_value(&bytes), HeaderValue::from_bytes(&bytes).is_ok());
        }

        #[test]
        fn ports_are_written_in_decimal(port in any::<u16>()) {
            let mut out = String::from("h:");
            push_port(&mut out, port);
            prop_assert_eq!(out, format!("h:{port}"));
        }

        /// Each value is stored as pushed, and signed trimmed.
        #[test]
        fn values_are_kept_and_signed_trimmed(values in proptest::collection::vec("[ a\u{a0}\t]{0,4}", 1..4)) {
            let url = Url::parse("https://h.example:8443/").unwrap();
            let date = DateTime::from_timestamp(0, 0).unwrap();
            let mut new = NewHeaders::common(&url, "A", "V", date, "n", None, 0).unwrap();
            for value in &values {
                new.push(&SECURITY_TOKEN_NAME, value, true);
            }
            let signed: Vec<(&str, &str)> = new.signed().skip(5).collect();
            let expected: Vec<(&str, &str)> =
                values.iter().map(|v| (SECURITY_TOKEN_NAME.as_str(), v.trim())).collect();
            prop_assert_eq!(signed, expected);
            prop_assert_eq!(new.value(&HOST_NAME), Some("h.example:8443"));
            prop_assert_eq!(new.value(&DATE_NAME), Some("1970-01-01T00:00:00Z"));
        }
    }
}
