//! Reading a response body with a size limit, inside the attempt that received it.
//!
//! The runtime reads every body itself before the generated code sees the response, so that
//! (1) no response can make the client allocate more than the limit, whatever its
//! `Content-Length` says or however long it streams; (2) a connection that breaks in the
//! middle of a body is an attempt that failed, retried like any other transport error; and
//! (3) the status and headers are known when the body turns out not to decode.

use bytes::Bytes;

/// The default limit of a response body: 8 MiB, far above the largest page of any of the
/// APIs (a Graph OLAP page of 100 snapshots is about 100 KiB).
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 8 * 1024 * 1024;

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// The body is (or says it is) longer than the limit; what was read is dropped.
    TooLarge,
    /// The connection failed or timed out while the body was being read.
    Transport(reqwest::Error),
}

/// Reads the rest of `response`'s body, at most `limit` bytes.
///
/// A `Content-Length` above the limit fails before anything is read; a body that streams
/// past the limit fails as soon as it does, so at most `limit` bytes (plus one chunk) are
/// ever held.
pub(crate) async fn read_bounded(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Bytes, BodyError> {
    // hyper's size hint is the `Content-Length` of a received response; the header itself
    // is read for responses built some other way.
    let declared = response.content_length().or_else(|| {
        let header = response.headers().get(reqwest::header::CONTENT_LENGTH)?;
        header.to_str().ok()?.parse().ok()
    });
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut first: Option<Bytes> = None;
    let mut rest: Option<Vec<u8>> = None;
    let mut total = 0usize;
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        total = total.saturating_add(chunk.len());
        if total > limit {
            return Err(BodyError::TooLarge);
        }
        match (&mut first, &mut rest) {
            (None, _) => first = Some(chunk),
            (Some(head), None) => {
                // A second chunk: from now on the body is copied into one buffer.
                let hint = declared.map_or(total, |d| d as usize).clamp(total, limit);
                let mut buffer = Vec::with_capacity(hint);
                buffer.extend_from_slice(head);
                buffer.extend_from_slice(&chunk);
                rest = Some(buffer);
            }
            (Some(_), Some(buffer)) => {
                grow_within(buffer, chunk.len(), limit);
                buffer.extend_from_slice(&chunk);
            }
        }
    }
    Ok(match (first, rest) {
        (_, Some(buffer)) => Bytes::from(buffer),
        (Some(head), None) => head,
        (None, None) => Bytes::new(),
    })
}

/// Makes room for `more` bytes in `buffer`, doubling its capacity but never past `limit`
/// (a buffer that merely doubled could hold nearly twice the limit).
fn grow_within(buffer: &mut Vec<u8>, more: usize, limit: usize) {
    let needed = buffer.len() + more;
    if needed <= buffer.capacity() {
        return;
    }
    let target = needed
        .max(buffer.capacity().saturating_mul(2))
        .min(limit.max(needed));
    buffer.reserve_exact(target - buffer.len());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn response(chunks: Vec<Vec<u8>>, content_length: Option<u64>) -> reqwest::Response {
        let frames = futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, std::io::Error>(http_body::Frame::data(Bytes::from(c)))),
        );
        let mut builder = http::Response::builder();
        if let Some(length) = content_length {
            builder = builder.header("content-length", length);
        }
        let body = reqwest::Body::wrap(http_body_util::StreamBody::new(frames));
        reqwest::Response::from(builder.body(body).unwrap())
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let mut r = response(vec![b"abc".to_vec()], Some(10_000_000));
        assert!(matches!(
            read_bounded(&mut r, 1000).await,
            Err(BodyError::TooLarge)
        ));
    }

    #[test]
    fn the_buffer_never_grows_past_the_limit() {
        let mut buffer = Vec::with_capacity(600);
        buffer.extend_from_slice(&[0; 600]);
        grow_within(&mut buffer, 300, 1000);
        assert!(
            buffer.capacity() >= 900 && buffer.capacity() <= 1000,
            "{}",
            buffer.capacity()
        );
    }

    #[tokio::test]
    async fn an_undeclared_body_stops_at_the_limit() {
        let mut r = response(vec![vec![b'x'; 600], vec![b'y'; 600]], None);
        assert!(matches!(
            read_bounded(&mut r, 1000).await,
            Err(BodyError::TooLarge)
        ));
        let mut r = response(vec![vec![b'x'; 600], vec![b'y'; 400]], None);
        assert_eq!(read_bounded(&mut r, 1000).await.unwrap().len(), 1000);
    }

    proptest! {
        #[test]
        fn the_body_is_read_whole_or_refused(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..50), 0..8),
            limit in 0usize..300,
        ) {
            let expected: Vec<u8> = chunks.concat();
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let mut r = response(chunks, None);
            let result = rt.block_on(read_bounded(&mut r, limit));
            if expected.len() <= limit {
                let body = result.unwrap();
                prop_assert_eq!(body.as_ref(), &expected[..]);
            } else {
                prop_assert!(matches!(result, Err(BodyError::TooLarge)));
            }
        }
    }
}
