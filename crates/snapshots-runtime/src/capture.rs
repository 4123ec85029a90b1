//! [`BodyCapture`]: the raw JSON bodies of the successful calls made inside a scope, next to
//! the typed values the generated clients decode from them.
//!
//! A typed value cannot say what the server sent: `null` members and members the spec does
//! not know are gone once a body is decoded. A caller that must pass the server's answer on
//! unchanged (`snapctl --output json`) runs its calls inside [`BodyCapture::scope`]; the
//! runtime then keeps the body of every successful final answer of those calls (a reference
//! to the bytes it already holds, no copy), per operation, until the caller takes them.
//! Outside a scope nothing is kept and a call costs one task-local lookup more.
//!
//! ```
//! use snapshots_runtime::capture::BodyCapture;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let capture = BodyCapture::new();
//! let answer = capture.scope(async {
//!     // a generated client's call here; the runtime records its body
//!     snapshots_runtime::capture::record("get_snapshot", &bytes::Bytes::from_static(b"{\"data\":{\"id\":1,\"size_bytes\":null}}"));
//!     42
//! }).await;
//! assert_eq!(answer, 42);
//! let bodies = capture.take("get_snapshot");
//! assert_eq!(&bodies[0][..], b"{\"data\":{\"id\":1,\"size_bytes\":null}}");
//! assert!(capture.take("get_snapshot").is_empty());
//! # });
//! ```

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

tokio::task_local! {
    static CURRENT: BodyCapture;
}

/// The bodies recorded in a scope, per operation, in the order the calls ended. Cheap to
/// clone: clones share the recorded bodies.
#[derive(Debug, Clone, Default)]
pub struct BodyCapture {
    bodies: Arc<Mutex<Vec<(&'static str, Bytes)>>>,
}

impl BodyCapture {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `future` with this capture in effect: the runtime records the body of every
    /// successful final answer of the calls it makes (in this task).
    pub fn scope<F: Future>(&self, future: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self.clone(), future)
    }

    /// The bodies recorded for `operation` (progenitor's id, such as `get_snapshot`) since
    /// the last `take` of it, oldest first; they are no longer held here.
    pub fn take(&self, operation: &str) -> Vec<Bytes> {
        let mut bodies = self.bodies.lock().unwrap_or_else(PoisonError::into_inner);
        let mut taken = Vec::new();
        bodies.retain(|(id, body)| {
            if *id == operation {
                taken.push(body.clone());
                false
            } else {
                true
            }
        });
        taken
    }

    /// The body recorded last for `operation`, the others of it dropped.
    pub fn last(&self, operation: &str) -> Option<Bytes> {
        self.take(operation).pop()
    }

    /// The body recorded last, whatever its operation; every recorded body is dropped.
    pub fn latest(&self) -> Option<Bytes> {
        let mut bodies = self.bodies.lock().unwrap_or_else(PoisonError::into_inner);
        let last = bodies.pop().map(|(_, body)| body);
        bodies.clear();
        last
    }

    fn push(&self, operation: &'static str, body: &Bytes) {
        let mut bodies = self.bodies.lock().unwrap_or_else(PoisonError::into_inner);
        bodies.push((operation, body.clone()));
    }
}

/// Records `body` as the answer of `operation` in the current scope's capture, if there is
/// one (the runtime calls this for every successful final answer).
pub fn record(operation: &'static str, body: &Bytes) {
    let _ = CURRENT.try_with(|capture| capture.push(operation, body));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn nothing_is_recorded_outside_a_scope_and_scopes_do_not_mix() {
        let first = BodyCapture::new();
        let second = BodyCapture::new();
        record("op", &Bytes::from_static(b"outside"));
        first
            .scope(async {
                record("op", &Bytes::from_static(b"1"));
                second
                    .scope(async { record("op", &Bytes::from_static(b"2")) })
                    .await;
                record("other", &Bytes::from_static(b"3"));
                record("op", &Bytes::from_static(b"4"));
            })
            .await;
        assert_eq!(
            first.take("op"),
            [Bytes::from_static(b"1"), Bytes::from_static(b"4")]
        );
        assert_eq!(first.last("other"), Some(Bytes::from_static(b"3")));
        assert_eq!(second.last("op"), Some(Bytes::from_static(b"2")));
        assert!(first.take("op").is_empty());
        assert_eq!(second.latest(), None);
        first
            .scope(async {
                record("a", &Bytes::from_static(b"5"));
                record("b", &Bytes::from_static(b"6"));
            })
            .await;
        assert_eq!(first.latest(), Some(Bytes::from_static(b"6")));
        assert_eq!(first.latest(), None);
    }
}
