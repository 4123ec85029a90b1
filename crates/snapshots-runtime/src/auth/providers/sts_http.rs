//! What the ECS RAM role and credentials-URI providers share: a bounded plain-HTTP exchange
//! (no redirects, the library's connect and read timeouts, a bounded body) and the parse of
//! the `{"Code": "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}`
//! answer both services give, plus the `%Y-%m-%dT%H:%M:%SZ` expiration format of the
//! library (`time.strptime(..., '%Y-%m-%dT%H:%M:%SZ')` read as UTC by `calendar.timegm`).
//!
//! Every text produced here is safe to put in an error: no body is ever quoted (only the
//! position of a JSON syntax error, the value of `Code`, or the expiration text).

use crate::auth::AccessKey;
use crate::body::BodyError;
use std::time::{Duration, SystemTime};

/// The largest body read from a metadata or credentials service (their answers are well
/// under 2 KiB).
pub(super) const MAX_BODY: usize = 64 * 1024;

/// A status and a body of at most [`MAX_BODY`] bytes.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: Vec<u8>,
}

/// A client that follows no redirects, with these timeouts; `direct`: ignore proxies from
/// the environment (the instance metadata service is only reachable directly).
pub(super) fn client(
    connect: Duration,
    read: Duration,
    direct: bool,
) -> Result<reqwest::Client, String> {
    let mut builder = crate::http_client_builder()
        .connect_timeout(connect)
        .read_timeout(read);
    if direct {
        builder = builder.no_proxy();
    }
    builder.build().map_err(describe)
}

/// Sends `request` and reads its whole body, refusing one over [`MAX_BODY`] bytes.
pub(super) async fn send(request: reqwest::RequestBuilder) -> Result<Reply, String> {
    let mut response = request.send().await.map_err(describe)?;
    let status = response.status().as_u16();
    match crate::body::read_bounded(&mut response, MAX_BODY).await {
        Ok(body) => Ok(Reply {
            status,
            body: body.to_vec(),
        }),
        Err(BodyError::Transport(e)) => Err(describe(e)),
        Err(BodyError::TooLarge) => Err(format!(
            "the answer (HTTP {status}) is larger than {} KiB",
            MAX_BODY / 1024
        )),
    }
}

/// A transport error and its causes, without the URL (which may carry a query the caller
/// considers private), bounded.
pub(super) fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    if error.is_timeout() {
        return "timed out".to_owned();
    }
    crate::chain(&error)
}

/// Parses the library's expiration format, `%Y-%m-%dT%H:%M:%SZ` in UTC; `field` names it in
/// the error.
pub(super) fn parse_expiration(field: &str, text: &str) -> Result<SystemTime, String> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ")
        .map(|t| SystemTime::from(t.and_utc()))
        .map_err(|_| {
            format!(
                "{field} '{}' does not match format '%Y-%m-%dT%H:%M:%SZ'",
                crate::bounded(text)
            )
        })
}

/// Why a body is not usable credentials.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum StsProblem {
    /// Not JSON (or not UTF-8), with the position of the error.
    NotJson(String),
    /// JSON, but not an object.
    NotObject,
    /// `Code` is missing or not `Success` (its value, bounded, if it is a string).
    Code(Option<String>),
    /// This field is missing or not a string.
    Missing(&'static str),
    /// The expiration does not parse.
    Expiration(String),
}

impl std::fmt::Display for StsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StsProblem::NotJson(why) => write!(f, "invalid JSON ({why})"),
            StsProblem::NotObject => f.write_str("the JSON is not an object"),
            StsProblem::Code(None) => f.write_str("no Code in the answer"),
            StsProblem::Code(Some(code)) => write!(f, "Code is '{code}', not 'Success'"),
            StsProblem::Missing(field) => write!(f, "{field} is missing or not a string"),
            StsProblem::Expiration(why) => f.write_str(why),
        }
    }
}

/// The position of a JSON error, never the text around it.
pub(super) fn json_position(error: &serde_json::Error) -> String {
    let kind = match error.classify() {
        serde_json::error::Category::Eof => "unexpected end",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    };
    format!("{kind} at line {} column {}", error.line(), error.column())
}

/// Parses `{"Code": "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken",
/// "Expiration"}` into a key (with its token) and its expiry.
pub(super) fn parse_sts(body: &[u8]) -> Result<(AccessKey, SystemTime), StsProblem> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| StsProblem::NotJson(json_position(&e)))?;
    let object = value.as_object().ok_or(StsProblem::NotObject)?;
    match object.get("Code") {
        Some(serde_json::Value::String(code)) if code == "Success" => {}
        Some(serde_json::Value::String(code)) => {
            return Err(StsProblem::Code(Some(crate::bounded(code))))
        }
        _ => return Err(StsProblem::Code(None)),
    }
    let field = |name: &'static str| {
        object
            .get(name)
            .and_then(serde_json::Value::as_str)
            .ok_or(StsProblem::Missing(name))
    };
    let id = field("AccessKeyId")?;
    let secret = field("AccessKeySecret")?;
    let token = field("SecurityToken")?;
    let expiration =
        parse_expiration("Expiration", field("Expiration")?).map_err(StsProblem::Expiration)?;
    Ok((
        AccessKey::new(id, secret).with_security_token(token),
        expiration,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_sts_parse() {
        let body = br#"{"Code":"Success","AccessKeyId":"STS.id","AccessKeySecret":"sec","SecurityToken":"tok","Expiration":"2030-01-02T03:04:05Z","LastUpdated":"x"}"#;
        let (key, expiry) = parse_sts(body).unwrap();
        assert_eq!(key.id, "STS.id");
        assert_eq!(key.secret.expose(), "sec");
        assert_eq!(key.security_token.unwrap().expose(), "tok");
        assert_eq!(
            expiry,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_553_445)
        );
    }

    #[test]
    fn providers_sts_problems_never_quote_the_body() {
        let cases: [(&[u8], StsProblem); 5] = [
            (b"{\"AccessKeySecret\":\"sec\"", StsProblem::NotJson(String::new())),
            (b"[\"sec\"]", StsProblem::NotObject),
            (
                br#"{"Code":"Failure","AccessKeySecret":"sec"}"#,
                StsProblem::Code(Some("Failure".into())),
            ),
            (
                br#"{"Code":"Success","AccessKeyId":"i","AccessKeySecret":"sec","SecurityToken":"t"}"#,
                StsProblem::Missing("Expiration"),
            ),
            (
                br#"{"Code":"Success","AccessKeyId":"i","AccessKeySecret":"sec","SecurityToken":"t","Expiration":"2030-01-02 03:04:05"}"#,
                StsProblem::Expiration(String::new()),
            ),
        ];
        for (body, expected) in cases {
            let problem = parse_sts(body).unwrap_err();
            assert_eq!(
                std::mem::discriminant(&problem),
                std::mem::discriminant(&expected)
            );
            assert!(!problem.to_string().contains("sec"), "{problem}");
        }
    }
}
