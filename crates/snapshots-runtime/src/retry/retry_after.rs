//! Delays requested by the server: Alibaba's `x-acs-retry-after` (milliseconds) and the
//! standard `Retry-After` (delta-seconds or an HTTP-date).
//!
//! These functions only read what the server asked for; the cap
//! ([`RetryConfig::max_retry_after`](super::RetryConfig::max_retry_after)) is applied by
//! [`decide`](super::decide).

use std::time::{Duration, SystemTime};

use http::HeaderMap;

/// Alibaba Cloud's throttling hint: a non-negative integer of **milliseconds** (the header the
/// official Alibaba SDKs honour).
pub const X_ACS_RETRY_AFTER: &str = "x-acs-retry-after";

/// The delay the server asked for before the next attempt, if it asked for one it can be
/// understood.
///
/// In order of precedence:
/// 1. `x-acs-retry-after`: an integer of milliseconds;
/// 2. `Retry-After` (RFC 9110 §10.2.3): an integer of seconds, or an HTTP-date, in which case
///    the delay is the time from `now` to that date (zero if the date is past).
///
/// Values that cannot be parsed (negative numbers, fractions, garbage, non-ASCII) are ignored:
/// an unparsable `x-acs-retry-after` falls back to `Retry-After`, and `None` means "use the
/// backoff". Surrounding whitespace is tolerated. Only the first value of each header is read.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use http::HeaderMap;
/// use snapshots_runtime::retry::server_delay;
///
/// let now = SystemTime::now();
/// let mut headers = HeaderMap::new();
/// assert_eq!(server_delay(&headers, now), None);
///
/// headers.insert("retry-after", "3".parse().unwrap());
/// assert_eq!(server_delay(&headers, now), Some(Duration::from_secs(3)));
///
/// headers.insert("x-acs-retry-after", "1500".parse().unwrap());
/// assert_eq!(server_delay(&headers, now), Some(Duration::from_millis(1500)));
///
/// let in_ten = httpdate::fmt_http_date(now + Duration::from_secs(10));
/// let mut headers = HeaderMap::new();
/// headers.insert("retry-after", in_ten.parse().unwrap());
/// let delay = server_delay(&headers, now).unwrap();
/// assert!(delay <= Duration::from_secs(10) && delay > Duration::from_secs(8));
/// ```
pub fn server_delay(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    acs_retry_after(headers).or_else(|| retry_after(headers, now))
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
}

/// Digits only: `u64::from_str` would also accept a leading `+`.
fn parse_digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Overflowing numbers are clamped: a server asking for more than u64::MAX units is
    // asking for "very long", and the cap applies anyway.
    Some(text.parse().unwrap_or(u64::MAX))
}

fn acs_retry_after(headers: &HeaderMap) -> Option<Duration> {
    header_str(headers, X_ACS_RETRY_AFTER)
        .and_then(parse_digits)
        .map(Duration::from_millis)
}

fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = header_str(headers, http::header::RETRY_AFTER.as_str())?;
    if let Some(seconds) = parse_digits(text) {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    // 2015-10-21T07:28:00Z, the RFC's example date.
    const RFC_DATE: &str = "Wed, 21 Oct 2015 07:28:00 GMT";
    const RFC_DATE_SECS: u64 = 1_445_412_480;

    #[test]
    fn no_header_no_delay() {
        assert_eq!(server_delay(&HeaderMap::new(), at(0)), None);
    }

    #[test]
    fn retry_after_seconds() {
        let h = headers(&[("retry-after", "120")]);
        assert_eq!(server_delay(&h, at(0)), Some(Duration::from_secs(120)));
        let h = headers(&[("retry-after", " 0 ")]);
        assert_eq!(server_delay(&h, at(0)), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_http_date_in_the_future() {
        let h = headers(&[("retry-after", RFC_DATE)]);
        assert_eq!(
            server_delay(&h, at(RFC_DATE_SECS - 30)),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn retry_after_other_date_formats() {
        // RFC 850 and asctime forms are obsolete but valid HTTP-dates.
        for text in [
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "Wed Oct 21 07:28:00 2015",
        ] {
            let h = headers(&[("retry-after", text)]);
            assert_eq!(
                server_delay(&h, at(RFC_DATE_SECS - 5)),
                Some(Duration::from_secs(5)),
                "{text}"
            );
        }
    }

    #[test]
    fn retry_after_past_date_is_zero() {
        let h = headers(&[("retry-after", RFC_DATE)]);
        assert_eq!(
            server_delay(&h, at(RFC_DATE_SECS + 3600)),
            Some(Duration::ZERO)
        );
        assert_eq!(server_delay(&h, at(RFC_DATE_SECS)), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_garbage_is_ignored() {
        for text in [
            "soon",
            "-1",
            "+5",
            "1.5",
            "",
            "5s",
            "0x10",
            "Wed, 32 Oct 2015",
        ] {
            let h = headers(&[("retry-after", text)]);
            assert_eq!(server_delay(&h, at(0)), None, "{text:?}");
        }
    }

    #[test]
    fn retry_after_non_ascii_is_ignored() {
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            http::HeaderValue::from_bytes(b"\xff12").unwrap(),
        );
        assert_eq!(server_delay(&h, at(0)), None);
    }

    #[test]
    fn huge_numbers_saturate() {
        let h = headers(&[("retry-after", "99999999999999999999999999")]);
        assert_eq!(server_delay(&h, at(0)), Some(Duration::from_secs(u64::MAX)));
        let h = headers(&[("x-acs-retry-after", "99999999999999999999999999")]);
        assert_eq!(
            server_delay(&h, at(0)),
            Some(Duration::from_millis(u64::MAX))
        );
    }

    #[test]
    fn acs_retry_after_is_milliseconds() {
        let h = headers(&[("x-acs-retry-after", "250")]);
        assert_eq!(server_delay(&h, at(0)), Some(Duration::from_millis(250)));
    }

    #[test]
    fn acs_retry_after_takes_precedence() {
        let h = headers(&[("retry-after", "30"), ("x-acs-retry-after", "2000")]);
        assert_eq!(server_delay(&h, at(0)), Some(Duration::from_secs(2)));
        let h = headers(&[("retry-after", RFC_DATE), ("X-Acs-Retry-After", "10")]);
        assert_eq!(
            server_delay(&h, at(RFC_DATE_SECS - 30)),
            Some(Duration::from_millis(10))
        );
    }

    #[test]
    fn garbage_acs_retry_after_falls_back_to_retry_after() {
        let h = headers(&[("retry-after", "7"), ("x-acs-retry-after", "later")]);
        assert_eq!(server_delay(&h, at(0)), Some(Duration::from_secs(7)));
        let h = headers(&[("x-acs-retry-after", "1.5")]);
        assert_eq!(server_delay(&h, at(0)), None);
    }

    #[test]
    fn only_the_first_value_counts() {
        let h = headers(&[("retry-after", "1"), ("retry-after", "100")]);
        assert_eq!(server_delay(&h, at(0)), Some(Duration::from_secs(1)));
    }

    /// What a header value means, read independently of the parser under test: all digits
    /// (after trimming) is a number of units, saturating; otherwise an HTTP-date (when `now`
    /// is given: `Retry-After` only) or nothing.
    fn upper_bound(
        text: &str,
        units: fn(u64) -> Duration,
        now: Option<SystemTime>,
    ) -> Option<Duration> {
        let text = text.trim_matches([' ', '\t']);
        if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
            let n = text
                .parse::<u128>()
                .map_or(u64::MAX, |n| u64::try_from(n).unwrap_or(u64::MAX));
            return Some(units(n));
        }
        let date = httpdate::parse_http_date(text).ok()?;
        Some(date.duration_since(now?).unwrap_or(Duration::ZERO))
    }

    fn header_value_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ \t]*[0-9]{0,25}[ \t]*",
            "[ -~]{0,40}",
            "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] (Jan|Feb|Oct|Dec) (19|20)[0-9][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT",
        ]
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(
            acs in proptest::collection::vec(any::<u8>(), 0..40),
            std in proptest::collection::vec(any::<u8>(), 0..40),
            now in 0u64..4_000_000_000,
        ) {
            let mut h = HeaderMap::new();
            if let Ok(v) = http::HeaderValue::from_bytes(&acs) {
                h.insert(X_ACS_RETRY_AFTER, v);
            }
            if let Ok(v) = http::HeaderValue::from_bytes(&std) {
                h.insert(http::header::RETRY_AFTER, v);
            }
            let _ = server_delay(&h, at(now));
        }

        #[test]
        fn never_exceeds_what_the_header_says(
            acs in proptest::option::of(header_value_text()),
            std in proptest::option::of(header_value_text()),
            now in 0u64..4_000_000_000,
        ) {
            let now = at(now);
            let mut h = HeaderMap::new();
            if let Some(text) = &acs {
                h.insert(X_ACS_RETRY_AFTER, text.parse().unwrap());
            }
            if let Some(text) = &std {
                h.insert(http::header::RETRY_AFTER, text.parse().unwrap());
            }
            let bound_acs = acs.as_deref().and_then(|t| upper_bound(t, Duration::from_millis, None));
            let bound_std = std.as_deref().and_then(|t| upper_bound(t, Duration::from_secs, Some(now)));
            match server_delay(&h, now) {
                None => prop_assert!(bound_acs.is_none() && bound_std.is_none()),
                Some(delay) => {
                    let bound = bound_acs.or(bound_std);
                    prop_assert!(bound.is_some());
                    prop_assert!(delay <= bound.unwrap(), "{delay:?} > {bound:?}");
                }
            }
        }

        #[test]
        fn numbers_mean_exactly_what_they_say(ms in any::<u64>(), secs in any::<u64>()) {
            let h = headers(&[("x-acs-retry-after", &ms.to_string())]);
            prop_assert_eq!(server_delay(&h, at(0)), Some(Duration::from_millis(ms)));
            let h = headers(&[("retry-after", &secs.to_string())]);
            prop_assert_eq!(server_delay(&h, at(0)), Some(Duration::from_secs(secs)));
        }

        #[test]
        fn dates_mean_the_time_until_them(now in 0u64..4_000_000_000, ahead in 0u64..1_000_000) {
            let date = httpdate::fmt_http_date(at(now + ahead));
            let h = headers(&[("retry-after", &date)]);
            prop_assert_eq!(server_delay(&h, at(now)), Some(Duration::from_secs(ahead)));
        }
    }
}
