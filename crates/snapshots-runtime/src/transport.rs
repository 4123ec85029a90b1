//! [`Transport`]: how the requests of a client reach its API, the `transport` of a spec's
//! `x-profiles` entry (see `specs/EXTENSIONS.md`).
//!
//! - [`Transport::Rest`]: the request goes out as the generated code built it, to the path
//!   the spec describes;
//! - [`Transport::ActionPath`]: the request the generated code built for the REST path
//!   `{base}{template}` is rewritten, once per call and before it is authenticated, to
//!   `{base}/{action}` (the operation's `x-acs-action`). Its path parameters, matched
//!   against the operation's path template and percent-decoded, move into the query string
//!   (GET, DELETE: before the other query parameters, form-encoded as the generated code
//!   encodes query parameters) or into the JSON object body (POST, PUT: the members sorted
//!   by name, as the generated types serialize). Whatever cannot be rewritten so ends the
//!   call with [`Failure::Untransportable`] before anything is sent.
//!
//! ```
//! use snapshots_runtime::{Operation, Transport};
//! let op = Operation::new("get_snapshot", "GetSnapshot", "GET", "/snapshots/{SnapshotId}")
//!     .with_action("GetSnapshot");
//! let url = "https://gw.example/api/v1/snapshots/snap%201?WorkspaceId=478";
//! let request = reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap());
//! let sent = Transport::ActionPath.apply(request, &op).unwrap();
//! assert_eq!(
//!     sent.url().as_str(),
//!     "https://gw.example/api/v1/GetSnapshot?SnapshotId=snap+1&WorkspaceId=478"
//! );
//! ```

use crate::builder_glue::PATH_SEGMENT;
use crate::failure::{bounded, Failure};
use crate::operation::Operation;
use percent_encoding::{percent_decode_str, utf8_percent_encode};
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::{Method, Request};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// How a client's requests reach its API (`transport` in the spec's `x-profiles`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// The paths as the spec describes them (`rest`); the request is sent as built.
    #[default]
    Rest,
    /// Every operation is sent to `{base}/{action}`, its path parameters moved into the
    /// query string (GET, DELETE) or into the JSON body (POST, PUT) (`action-path`).
    ActionPath,
}

impl Transport {
    /// The transport a spec's `x-profiles` names (`rest`, `action-path`), if known.
    ///
    /// ```
    /// use snapshots_runtime::Transport;
    /// assert_eq!(Transport::from_profile("action-path"), Some(Transport::ActionPath));
    /// assert_eq!(Transport::from_profile("soap"), None);
    /// ```
    pub fn from_profile(name: &str) -> Option<Self> {
        match name {
            "rest" => Some(Self::Rest),
            "action-path" => Some(Self::ActionPath),
            _ => None,
        }
    }

    /// The name of this transport in a spec's `x-profiles`.
    pub fn as_profile(self) -> &'static str {
        match self {
            Self::Rest => "rest",
            Self::ActionPath => "action-path",
        }
    }

    /// `request`, built by the generated code for `operation`'s REST path, as this
    /// transport sends it (see the module documentation); [`Failure::Untransportable`]
    /// when it cannot be rewritten.
    pub fn apply(self, request: Request, operation: &Operation) -> Result<Request, Failure> {
        match self {
            Self::Rest => Ok(request),
            Self::ActionPath => {
                action_path(request, operation).map_err(|reason| Failure::Untransportable {
                    operation: operation.id.to_owned(),
                    reason,
                })
            }
        }
    }
}

/// Where the path parameters go under [`Transport::ActionPath`].
enum Destination {
    Query,
    Body,
}

fn action_path(mut request: Request, operation: &Operation) -> Result<Request, String> {
    let action = operation
        .action
        .ok_or("the operation has no action name (x-acs-action)")?;
    let destination = match *request.method() {
        Method::GET | Method::DELETE => Destination::Query,
        Method::POST | Method::PUT => Destination::Body,
        ref other => return Err(format!("the method {other} has no action-path form")),
    };
    let (base, params) = split_path(request.url().path(), operation.path)?;
    match destination {
        Destination::Query => prepend_query(request.url_mut(), &params),
        Destination::Body => merge_body(&mut request, &params)?,
    }
    let path = format!("{base}/{}", utf8_percent_encode(action, PATH_SEGMENT));
    request.url_mut().set_path(&path);
    Ok(request)
}

/// The base path before `template`'s expansion at the end of `path`, and the template's
/// path parameters (name, percent-decoded value), in template order.
fn split_path(path: &str, template: &str) -> Result<(String, Vec<(String, String)>), String> {
    let pattern: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let segments: Vec<&str> = path.split('/').collect();
    // The first segment of an absolute path is the empty text before its first `/`.
    let Some(start) = segments
        .len()
        .checked_sub(pattern.len())
        .filter(|start| *start >= 1)
    else {
        return Err(format!(
            "the path {} does not end with the template {template}",
            bounded(path)
        ));
    };
    let mut params = Vec::new();
    for (segment, expected) in segments[start..].iter().zip(&pattern) {
        match expected
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        {
            Some(name) => {
                let value = percent_decode_str(segment).decode_utf8().map_err(|_| {
                    format!("the path parameter {name} is not UTF-8 once percent-decoded")
                })?;
                params.push((name.to_owned(), value.into_owned()));
            }
            None if expected.contains(['{', '}']) => {
                return Err(format!(
                    "the template segment {expected} mixes text and a parameter"
                ));
            }
            None if segment == expected => {}
            None => {
                return Err(format!(
                    "the path {} does not end with the template {template}",
                    bounded(path)
                ))
            }
        }
    }
    Ok((segments[..start].join("/"), params))
}

/// Puts `params` first in `url`'s query string, form-encoded, and keeps the rest of the
/// query as it was.
fn prepend_query(url: &mut reqwest::Url, params: &[(String, String)]) {
    if params.is_empty() {
        return;
    }
    let rest = url.query().filter(|q| !q.is_empty()).map(str::to_owned);
    url.set_query(None);
    url.query_pairs_mut().extend_pairs(params);
    if let Some(rest) = rest {
        let first = url.query().unwrap_or_default().to_owned();
        url.set_query(Some(&format!("{first}&{rest}")));
    }
}

/// Merges `params` into the request's JSON object body (created when the request has no
/// body and there is something to merge).
fn merge_body(request: &mut Request, params: &[(String, String)]) -> Result<(), String> {
    let members = match request.body() {
        None => Map::new(),
        Some(body) => {
            let bytes = body
                .as_bytes()
                .ok_or("the body is a stream, not a JSON object")?;
            match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Object(members)) => members,
                Ok(_) | Err(_) => return Err("the body is not a JSON object".to_owned()),
            }
        }
    };
    if params.is_empty() {
        return Ok(());
    }
    let mut sorted: BTreeMap<String, Value> = members.into_iter().collect();
    for (name, value) in params {
        if sorted.contains_key(name) {
            return Err(format!(
                "the body already has a member {name}, the name of a path parameter"
            ));
        }
        sorted.insert(name.clone(), Value::String(value.clone()));
    }
    let bytes = serde_json::to_vec(&sorted).map_err(|e| e.to_string())?;
    request
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    *request.body_mut() = Some(bytes.into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GET: Operation = Operation::new("get", "Get", "GET", "/api/v1/things/{Id}");
    const PUT: Operation = Operation::new("put", "Put", "PUT", "/api/v1/things/{Id}");

    fn request(method: Method, url: &str, body: Option<&str>) -> Request {
        let mut request = Request::new(method, url.parse().expect("url"));
        if let Some(body) = body {
            *request.body_mut() = Some(body.to_owned().into());
        }
        request
    }

    fn body_of(request: &Request) -> String {
        let bytes = request.body().and_then(|b| b.as_bytes()).unwrap_or(b"");
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[test]
    fn rest_sends_the_request_as_built() {
        let sent = Transport::Rest
            .apply(request(Method::GET, "http://h/api/v1/things/x", None), &GET)
            .expect("sent");
        assert_eq!(sent.url().as_str(), "http://h/api/v1/things/x");
    }

    #[test]
    fn get_moves_path_parameters_into_the_query() {
        let op = GET.with_action("GetThing");
        let url = "http://h/base/api/v1/things/a%2Fb?Z=1&A=2";
        let sent = Transport::ActionPath
            .apply(request(Method::GET, url, None), &op)
            .expect("rewritten");
        assert_eq!(
            sent.url().as_str(),
            "http://h/base/GetThing?Id=a%2Fb&Z=1&A=2"
        );
    }

    #[test]
    fn put_merges_path_parameters_into_the_body_sorted() {
        let op = PUT.with_action("PutThing");
        let sent = Transport::ActionPath
            .apply(
                request(
                    Method::PUT,
                    "http://h/api/v1/things/t-1",
                    Some(r#"{"Z":1,"A":"a"}"#),
                ),
                &op,
            )
            .expect("rewritten");
        assert_eq!(sent.url().as_str(), "http://h/PutThing");
        assert_eq!(body_of(&sent), r#"{"A":"a","Id":"t-1","Z":1}"#);
        assert_eq!(sent.headers()[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn a_body_without_parameters_is_kept_byte_for_byte() {
        let op = Operation::new("c", "C", "POST", "/things").with_action("CreateThing");
        let body = r#"{"Z": 1, "A": 2}"#;
        let sent = Transport::ActionPath
            .apply(request(Method::POST, "http://h/things", Some(body)), &op)
            .expect("rewritten");
        assert_eq!(body_of(&sent), body);
        assert_eq!(sent.url().path(), "/CreateThing");
    }

    #[test]
    fn what_cannot_be_rewritten_is_refused() {
        let put = PUT.with_action("PutThing");
        let cases = [
            (
                request(Method::GET, "http://h/api/v1/things/x", None),
                GET,
                "no action name",
            ),
            (
                request(Method::PUT, "http://h/api/v1/things/x", Some("[1]")),
                put,
                "not a JSON object",
            ),
            (
                request(Method::PUT, "http://h/api/v1/things/x", Some("nope")),
                put,
                "not a JSON object",
            ),
            (
                request(
                    Method::PUT,
                    "http://h/api/v1/things/x",
                    Some(r#"{"Id":"y"}"#),
                ),
                put,
                "already has a member Id",
            ),
            (
                request(Method::GET, "http://h/api/v2/things/x", None),
                GET.with_action("G"),
                "does not end with",
            ),
            (
                request(Method::GET, "http://h/things/x", None),
                GET.with_action("G"),
                "does not end with",
            ),
            (
                request(Method::GET, "http://h/api/v1/things/%FF", None),
                GET.with_action("G"),
                "not UTF-8",
            ),
            (
                request(Method::PATCH, "http://h/api/v1/things/x", None),
                GET.with_action("G"),
                "no action-path form",
            ),
        ];
        for (request, op, needle) in cases {
            match Transport::ActionPath.apply(request, &op) {
                Err(failure @ Failure::Untransportable { .. }) => {
                    assert!(failure.to_string().contains(needle), "{failure}")
                }
                other => panic!("{needle}: {other:?}"),
            }
        }
    }

    #[test]
    fn profile_names_round_trip() {
        for t in [Transport::Rest, Transport::ActionPath] {
            assert_eq!(Transport::from_profile(t.as_profile()), Some(t));
        }
    }

    /// A retried call sends the rewritten request on every attempt, authenticated afresh:
    /// the rewrite happens once, before the attempts.
    #[tokio::test]
    async fn every_attempt_sends_the_rewritten_request() {
        use crate::{auth::Secret, Credentials, RateLimiter, RetryConfig, Runtime};
        use wiremock::matchers::{header, method, path, query_param};
        use wiremock::{Mock, MockServer, ResponseTemplate};

        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/b/GetThing"))
            .and(query_param("Id", "t 1"))
            .and(header("authorization", "Bearer sk-1"))
            .respond_with(ResponseTemplate::new(500))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/b/GetThing"))
            .and(query_param("Id", "t 1"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let runtime = Runtime::builder()
            .credentials(Credentials::Bearer(Secret::new("sk-1")))
            .retry(
                RetryConfig::default()
                    .with_max_attempts(3)
                    .with_base_delay(std::time::Duration::from_millis(1))
                    .with_jitter(false),
            )
            .rate_limit(RateLimiter::unlimited())
            .transport(Transport::ActionPath)
            .build();
        let url = format!("{}/b/api/v1/things/t%201", server.uri());
        let request = request(Method::GET, &url, None);
        let op = GET.with_action("GetThing");
        let response = runtime
            .execute(&reqwest::Client::new(), request, op, "v")
            .await
            .expect("answered");
        assert_eq!(response.status(), 200);
        let received = server.received_requests().await.expect("recorded");
        assert_eq!(received.len(), 2);
        for sent in received {
            assert_eq!(sent.url.path(), "/b/GetThing");
            assert_eq!(sent.url.query(), Some("Id=t+1"));
            assert_eq!(sent.headers["authorization"], "Bearer sk-1");
        }
    }

    /// The URL of `GET {base}/things/{id}?Q=q` as progenitor builds it.
    fn built(base: &str, id: &str, q: &str) -> Request {
        let url = format!(
            "{base}/api/v1/things/{}",
            progenitor_client::encode_path(id)
        );
        crate::install_crypto_provider();
        let client = reqwest::Client::new();
        client.get(url).query(&[("Q", q)]).build().expect("request")
    }

    proptest! {
        #[test]
        fn query_parameters_round_trip(
            id in any::<String>(),
            q in any::<String>(),
            base in "(/[a-zA-Z0-9_-][a-zA-Z0-9._-]{0,7}){0,3}",
        ) {
            // The URL parser resolves `.` and `..` segments and reads `\\` as `/` in http
            // URLs, which the generated code does not encode: such ids cannot travel in a
            // path, in either transport.
            prop_assume!(!matches!(id.as_str(), "." | "..") && !id.contains('\\'));
            let op = GET.with_action("GetThing");
            let base_url = format!("http://h{base}");
            let sent = Transport::ActionPath.apply(built(&base_url, &id, &q), &op).expect("rewritten");
            // Never leaves the base path: one segment, the action, is added to it.
            prop_assert_eq!(sent.url().path(), format!("{base}/GetThing"));
            let pairs: Vec<(String, String)> = sent.url().query_pairs().into_owned().collect();
            prop_assert_eq!(pairs, vec![("Id".to_owned(), id.clone()), ("Q".to_owned(), q.clone())]);
            // The same bytes as a client that put both in the query itself.
            let direct = reqwest::Client::new()
                .get(format!("{base_url}/GetThing"))
                .query(&[("Id", id.as_str()), ("Q", q.as_str())])
                .build()
                .expect("request");
            prop_assert_eq!(sent.url().as_str(), direct.url().as_str());
        }

        #[test]
        fn body_parameters_round_trip(id in any::<String>(), name in any::<String>()) {
            prop_assume!(!matches!(id.as_str(), "." | "..") && !id.contains('\\'));
            let op = PUT.with_action("PutThing");
            let url = format!("http://h/b/api/v1/things/{}", progenitor_client::encode_path(&id));
            let body = serde_json::json!({"Name": name}).to_string();
            let sent = Transport::ActionPath
                .apply(request(Method::PUT, &url, Some(&body)), &op)
                .expect("rewritten");
            prop_assert_eq!(sent.url().as_str(), "http://h/b/PutThing");
            let value: Value = serde_json::from_str(&body_of(&sent)).expect("json");
            prop_assert_eq!(value, serde_json::json!({"Id": id, "Name": name}));
        }
    }
}
