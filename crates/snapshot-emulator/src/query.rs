//! Query parameters, read the way the Alibaba gateway reads them: form-decoded (`+` is a
//! space), the last value of a repeated name wins, and an empty value counts as absent (the
//! SDKs send `NextToken=` on a first call). Bad values are `400` errors with the API's code.

use crate::error::ApiError;
use std::collections::HashMap;
use std::str::FromStr;

/// The decoded query of one request.
#[derive(Debug, Default)]
pub(crate) struct Query {
    params: HashMap<String, String>,
    /// The error code for a bad value (`ValidationError` for DSW, `InvalidParameter` for
    /// LangStudio).
    code: &'static str,
}

impl Query {
    /// Decodes a raw query string (without `?`).
    pub(crate) fn parse(raw: Option<&str>, code: &'static str) -> Self {
        let mut params = HashMap::new();
        if let Some(raw) = raw {
            let url = reqwest::Url::parse(&format!("http://q.invalid/?{raw}"));
            if let Ok(url) = url {
                for (k, v) in url.query_pairs() {
                    params.insert(k.into_owned(), v.into_owned());
                }
            }
        }
        Self { params, code }
    }

    /// The value of `name`, when present and not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The value of `name` parsed as `T` (for example a generated enum).
    pub(crate) fn parse_as<T: FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        self.get(name)
            .map(|v| {
                v.parse::<T>().map_err(|_| {
                    ApiError::bad_request(
                        self.code,
                        format!("The parameter {name} has an invalid value {v:?}."),
                    )
                })
            })
            .transpose()
    }

    /// The value of `name` as an integer in `min..=max`.
    pub(crate) fn int_in(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(value) = self.parse_as::<i64>(name)? else {
            return Ok(None);
        };
        if (min..=max).contains(&value) {
            Ok(Some(value))
        } else {
            Err(ApiError::bad_request(
                self.code,
                format!("The parameter {name} must be between {min} and {max}; got {value}."),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_the_gateway() {
        let q = Query::parse(Some("A=1&B=a+b%2Bc&A=2&Empty=&C"), "InvalidParameter");
        assert_eq!(q.get("A"), Some("2"));
        assert_eq!(q.get("B"), Some("a b+c"));
        assert_eq!(q.get("Empty"), None);
        assert_eq!(q.get("C"), None);
        assert_eq!(q.get("D"), None);
        assert_eq!(Query::parse(None, "x").get("A"), None);
    }

    #[test]
    fn integers_are_checked() {
        let q = Query::parse(Some("N=5&Big=1000&Bad=x"), "ValidationError");
        assert_eq!(q.int_in("N", 1, 100), Ok(Some(5)));
        assert_eq!(q.int_in("Missing", 1, 100), Ok(None));
        let error = q.int_in("Big", 1, 100).expect_err("out of range");
        assert_eq!(
            (error.status.as_u16(), error.code.as_str()),
            (400, "ValidationError")
        );
        assert!(q.int_in("Bad", 1, 100).is_err());
    }
}
