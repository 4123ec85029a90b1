//! The one decode of each answer: the generated clients call [`response_value`] where
//! progenitor's code calls `ResponseValue::from_response` (`cargo xtask generate` swaps the
//! call).
//!
//! Two differences from progenitor's function, both for every operation of every API:
//!
//! - a body that does not decode as the type the spec documents keeps its status and request
//!   id: the error carries [`Failure::Undecodable`] (progenitor's `InvalidResponsePayload`
//!   has neither), so the body is decoded once, here, and not checked beforehand by a
//!   second decode in the runtime;
//! - the response headers are moved into the [`ResponseValue`], not copied.
//!
//! (Error bodies are still checked by the runtime before the generated code sees them, see
//! [`crate::operation::check_error_body`]: an undocumented status has no decode of its own.)

use crate::failure::{request_id, snippet, Failure};
use progenitor_client::{Error, ResponseValue};
use serde::de::DeserializeOwned;

/// Reads `response`'s body and decodes it as a `T`, keeping the status and the headers.
///
/// A body that does not decode ends with `Error::CommunicationError` carrying
/// [`Failure::Undecodable`] (with the status, the request id and the start of the body);
/// a body that cannot be read, with `Error::ResponseBodyError`.
///
/// ```
/// use snapshots_runtime::{decode::response_value, Failure};
/// # futures::executor::block_on(async {
/// let ok = http::Response::builder().status(201).body(r#"{"id": 7}"#).unwrap();
/// let value = response_value::<serde_json::Value, ()>(ok.into()).await.unwrap();
/// assert_eq!(value.status(), 201);
/// assert_eq!(value.into_inner()["id"], 7);
///
/// let html = http::Response::builder().status(200).body("<html>").unwrap();
/// let Err(progenitor_client::Error::CommunicationError(error)) =
///     response_value::<serde_json::Value, ()>(html.into()).await
/// else {
///     panic!("an error")
/// };
/// assert!(matches!(Failure::find(&error), Some(Failure::Undecodable { status: 200, .. })));
/// # });
/// ```
pub async fn response_value<T, E>(
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>>
where
    T: DeserializeOwned,
{
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = response.bytes().await.map_err(Error::ResponseBodyError)?;
    match serde_json::from_slice(&body) {
        Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
        Err(source) => {
            let failure = Failure::Undecodable {
                status: status.as_u16(),
                request_id: request_id(&headers),
                snippet: snippet(&body),
                source,
            };
            Err(Error::CommunicationError(failure.into_reqwest().await))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn response(status: u16, body: &str) -> reqwest::Response {
        http::Response::builder()
            .status(status)
            .header("x-acs-request-id", "REQ-1")
            .header("content-type", "application/json")
            .body(body.to_owned())
            .unwrap()
            .into()
    }

    #[tokio::test]
    async fn a_decoded_body_keeps_its_status_and_headers() {
        let value = response_value::<Vec<u32>, ()>(response(200, "[1,2]"))
            .await
            .unwrap();
        assert_eq!(value.status(), 200);
        assert_eq!(value.headers()["x-acs-request-id"], "REQ-1");
        assert_eq!(value.into_inner(), vec![1, 2]);
    }

    #[tokio::test]
    async fn an_undecodable_body_keeps_its_status_and_request_id() {
        let Err(Error::CommunicationError(error)) =
            response_value::<Vec<u32>, ()>(response(201, r#"{"not":"a list"}"#)).await
        else {
            panic!("an undecodable body is an error");
        };
        let Some(Failure::Undecodable {
            status,
            request_id,
            snippet,
            ..
        }) = Failure::find(&error)
        else {
            panic!("{error:?}");
        };
        assert_eq!(*status, 201);
        assert_eq!(request_id.as_deref(), Some("REQ-1"));
        assert_eq!(snippet, r#"{"not":"a list"}"#);
    }

    proptest! {
        /// Whatever the body, the result is the decode of exactly that body, or an
        /// undecodable failure with the status; never a panic.
        #[test]
        fn decodes_exactly_what_serde_json_decodes(body in "\\PC{0,40}", status in 200u16..300) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let result = runtime.block_on(response_value::<Vec<i64>, ()>(response(status, &body)));
            match (serde_json::from_str::<Vec<i64>>(&body), result) {
                (Ok(expected), Ok(value)) => prop_assert_eq!(value.into_inner(), expected),
                (Err(_), Err(Error::CommunicationError(error))) => {
                    let found = Failure::find(&error).and_then(Failure::status);
                    prop_assert_eq!(found, Some(status));
                }
                (expected, got) => prop_assert!(false, "{:?} vs {:?}", expected.is_ok(), got.is_ok()),
            }
        }
    }
}
