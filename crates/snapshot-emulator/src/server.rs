//! The HTTP server of [`crate::start`]: hyper's HTTP/1 connection loop around the axum
//! router, so that a `drop_connection` fault can close a connection without answering (the
//! service returns an error and hyper closes the socket), with graceful shutdown (each
//! connection finishes its request in flight, for up to 5 s).
//!
//! Two limits keep slow or numerous clients from starving the others (see
//! [`ServerLimits`]):
//!
//! - **Header-read timeout**: a connection that has not sent a request's complete headers
//!   within [`ServerLimits::header_read_timeout`] of starting to read them is closed
//!   without an answer. It runs while a kept-alive connection waits for its next request
//!   too, so idle connections are closed after it as well.
//! - **Connection cap**: at most [`ServerLimits::max_connections`] connections are served
//!   at once; each holds a permit for its whole life. When all are taken and one more
//!   client connects, the server accepts no one else until a slot frees, and every
//!   connection already open answers its next request with `Connection: close` (so busy
//!   kept-alive connections hand their slots over without the race of a server-side close;
//!   idle ones free theirs at the header-read timeout). The waiting clients stay in the
//!   listen backlog (their connect succeeds, their request waits) and are served, oldest
//!   first, as slots free.

use crate::faults::DropConnection;
use crate::ServerLimits;
use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The error that makes hyper close a connection instead of answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct Dropped;

/// Serves `router` on `listener` within `limits` until `shutdown` fires (or its sender is
/// dropped), then asks every connection to close after its request in flight and waits up
/// to 5 s for them.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: oneshot::Receiver<()>,
) {
    let slots = limits
        .max_connections
        .clamp(1, Semaphore::MAX_PERMITS)
        .min(u32::MAX as usize);
    let permits = Arc::new(Semaphore::new(slots));
    // Shutdown: a new value asks every connection to close once its request in flight is
    // answered.
    let (close, _) = watch::channel(());
    // Bumped whenever a client waits for a slot: older connections then close after their
    // next answer.
    let pressure = Arc::new(AtomicU64::new(0));
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new());
    builder
        .header_read_timeout(Some(limits.header_read_timeout).filter(|timeout| !timeout.is_zero()));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = accept(&listener, &permits, &pressure) => accepted,
            _ = &mut shutdown => break,
        };
        let Some((stream, permit)) = accepted else {
            break;
        };
        let service = service(router.clone(), pressure.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let mut closing = close.subscribe();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let mut asked = false;
            // Errors here are clients going away, header-read timeouts and dropped
            // connections.
            loop {
                tokio::select! {
                    _ = connection.as_mut() => break,
                    _ = closing.changed(), if !asked => {
                        asked = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    close.send_replace(());
    let all = u32::try_from(slots).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, permits.acquire_many(all)).await;
}

/// Accepts the next connection and gives it a slot. When every slot is taken, bumps
/// `pressure` (the connections then answer their next request with `Connection: close`)
/// and waits for a slot to free; `None` only if the semaphore were closed.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
    pressure: &AtomicU64,
) -> Option<(TcpStream, OwnedSemaphorePermit)> {
    let stream = loop {
        match listener.accept().await {
            Ok((stream, _)) => break stream,
            Err(error) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    let _ = stream.set_nodelay(true);
    let permit = match permits.clone().try_acquire_owned() {
        Ok(permit) => permit,
        Err(_) => {
            pressure.fetch_add(1, Ordering::Relaxed);
            permits.clone().acquire_owned().await.ok()?
        }
    };
    Some((stream, permit))
}

/// The hyper service of one connection: the router, and a hyper error (which closes the
/// connection) for a response marked [`DropConnection`]. Once `pressure` has moved since
/// the connection was accepted, each answer says `Connection: close`, so that the client
/// does not reuse the connection (closing it on the client is race-free, unlike closing an
/// idle kept-alive connection under it).
fn service(
    router: Router,
    pressure: Arc<AtomicU64>,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = Dropped,
    Future = impl Future<Output = Result<axum::response::Response, Dropped>> + Send,
> + Clone {
    let born = pressure.load(Ordering::Relaxed);
    hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        let pressure = pressure.clone();
        async move {
            let mut response = match router.oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(infallible) => match infallible {},
            };
            if pressure.load(Ordering::Relaxed) != born {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            if response.extensions().get::<DropConnection>().is_some() {
                Err(Dropped)
            } else {
                Ok(response)
            }
        }
    })
}
