//! Waiters, the mechanism: what a pollable resource must tell (the [`WaitTarget`] trait),
//! how a status is classified against the spec's sets ([`StatusSets::classify`]), and how
//! a poll's status, failure fields and progress are read from a response ([`Observation`],
//! [`Progress`]).
//!
//! The per-API facts (the polled operation, its parameters, the status property, the
//! `waiting`/`success`/`failure` values, the failure code and message properties, the
//! progress operation) come from the spec's `x-waiters` extension: `cargo xtask generate`
//! writes one target type, constructor and set of constants per waiter in the generated
//! crate's `waiters` module. The loop (timeout, poll interval, events, `IntoFuture`) is
//! the facade's (`snapshots::wait`), generic over this trait.
//!
//! A status in none of the spec's sets is [`Class::Unknown`]: the waiter keeps waiting and
//! reports it as unknown, it is never taken for success.

use serde_json::Value;

pub use crate::paging::BoxFuture;

/// How a status is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A value of the spec's `waiting` set: keep polling.
    Waiting,
    /// A value of the `success` set: the resource is ready.
    Success,
    /// A value of the `failure` set: the resource failed.
    Failure,
    /// In none of the sets (or no status at all): keep polling, and say so.
    Unknown,
}

/// The status values of one waiter, as its `x-waiters` entry lists them (compared ignoring
/// ASCII case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSets {
    /// Values that mean "not final yet".
    pub waiting: &'static [&'static str],
    /// Values that mean "ready".
    pub success: &'static [&'static str],
    /// Values that mean "failed".
    pub failure: &'static [&'static str],
}

impl StatusSets {
    /// The class of `status` (`None` or empty: [`Class::Unknown`]). A value in two sets is
    /// refused by the lint; were it to happen, failure wins over success, success over waiting.
    pub fn classify(&self, status: Option<&str>) -> Class {
        let Some(status) = status.filter(|s| !s.is_empty()) else {
            return Class::Unknown;
        };
        let has = |set: &[&str]| set.iter().any(|v| v.eq_ignore_ascii_case(status));
        if has(self.failure) {
            Class::Failure
        } else if has(self.success) {
            Class::Success
        } else if has(self.waiting) {
            Class::Waiting
        } else {
            Class::Unknown
        }
    }
}

/// Where one waiter reads a response: property paths (`.`-separated, from the root of the
/// polled operation's response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusFields {
    /// The status property.
    pub status: &'static str,
    /// The failure code property, when the API has one.
    pub code: Option<&'static str>,
    /// The failure message property, when the API has one.
    pub message: Option<&'static str>,
}

/// What one poll found.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation<T> {
    /// The status as the service spelled it (`None` when the response had none).
    pub status: Option<String>,
    /// Its class.
    pub class: Class,
    /// The failure code, when the response has a non-empty one.
    pub code: Option<String>,
    /// The failure message, when the response has a non-empty one.
    pub message: Option<String>,
    /// The resource (the part of the response the waiter returns).
    pub output: T,
}

impl<T> Observation<T> {
    /// Reads `response` (the polled operation's response as JSON) with `fields` and
    /// classifies its status with `sets`.
    pub fn read(response: &Value, fields: &StatusFields, sets: &StatusSets, output: T) -> Self {
        let status = text_at(response, fields.status);
        let class = sets.classify(status.as_deref());
        Observation {
            status,
            class,
            code: fields.code.and_then(|path| text_at(response, path)),
            message: fields.message.and_then(|path| text_at(response, path)),
            output,
        }
    }
}

/// The value at a `.`-separated property path.
pub fn value_at<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// The non-empty text at a path: a string as is, a number or boolean as written.
fn text_at(value: &Value, path: &str) -> Option<String> {
    let text = match value_at(value, path)? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// A resource a waiter can poll; implemented by the generated code from `x-waiters`.
pub trait WaitTarget<'a>: Send + Sync + 'a {
    /// What the waiter returns once the resource is ready.
    type Output: Send + 'a;
    /// The error of a poll (the generated crate's `Error<E>`).
    type Error: Send + 'a;
    /// The waiter's status sets, from the spec.
    const SETS: StatusSets;
    /// E.g. `PAI-DSW snapshot snp-1 of instance dsw-2`.
    fn describe(&self) -> String;
    /// One poll.
    fn observe(&self) -> BoxFuture<'a, Result<Observation<Self::Output>, Self::Error>>;
    /// Progress while waiting, best effort (`None` when the waiter has no progress
    /// operation, or it failed).
    fn progress(&self) -> BoxFuture<'a, Option<Progress>> {
        Box::pin(async { None })
    }
}

/// Where a progress response keeps its counts (the `progress` member of an `x-waiters`
/// entry); paths are relative to the progress resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressFields {
    /// Paths of "units done", the first one present wins.
    pub done: &'static [&'static str],
    /// Paths of "units in total", the first one present wins.
    pub total: &'static [&'static str],
    /// The path of a phase name.
    pub phase: Option<&'static str>,
    /// A list of steps to count when no `done`/`total` path is present: the list's path,
    /// each step's status property, and the status value of a step that is done.
    pub steps: Option<(&'static str, &'static str, &'static str)>,
}

/// The progress of a resource being made, in one shape for every API.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Units done.
    pub done: u64,
    /// Units in total (0 while the total is not known yet).
    pub total: u64,
    /// The phase name, when the response has one.
    pub phase: Option<String>,
    /// The progress response as JSON.
    pub raw: Value,
}

impl Progress {
    /// Reads a progress resource with `fields`.
    pub fn read(raw: Value, fields: &ProgressFields) -> Self {
        let count = |paths: &[&str]| {
            paths
                .iter()
                .find_map(|path| value_at(&raw, path).and_then(Value::as_i64))
                .map(|n| u64::try_from(n).unwrap_or(0))
        };
        let steps = fields.steps.and_then(|(list, status, done)| {
            let steps = value_at(&raw, list)?.as_array()?;
            let finished = steps
                .iter()
                .filter(|step| step.get(status).and_then(Value::as_str) == Some(done))
                .count();
            Some((finished as u64, steps.len() as u64))
        });
        let done = count(fields.done).or(steps.map(|s| s.0)).unwrap_or(0);
        let total = count(fields.total).or(steps.map(|s| s.1)).unwrap_or(0);
        let phase = fields
            .phase
            .and_then(|path| value_at(&raw, path))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Progress {
            done,
            total,
            phase,
            raw,
        }
    }

    /// `done / total` between 0 and 1, or `None` while the total is unknown.
    pub fn fraction(&self) -> Option<f64> {
        (self.total > 0).then(|| (self.done.min(self.total) as f64) / (self.total as f64))
    }
}

/// The progress in a progress operation's result, read with `fields`; `None` (logged at
/// debug level) when the operation failed: progress is best effort, the status decides.
pub fn progress_of<T: serde::Serialize, E: std::fmt::Display>(
    result: Result<T, E>,
    fields: &ProgressFields,
) -> Option<Progress> {
    match result.map(|resource| serde_json::to_value(resource)) {
        Ok(Ok(raw)) => Some(Progress::read(raw, fields)),
        Ok(Err(error)) => {
            tracing::debug!(error = %error, "progress not encodable");
            None
        }
        Err(error) => {
            tracing::debug!(error = %error, "progress unavailable");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const SETS: StatusSets = StatusSets {
        waiting: &["Pushing"],
        success: &["Saved"],
        failure: &["Failed"],
    };

    proptest! {
        /// Every value is in exactly the class of the set holding it, whatever its case;
        /// any other value is unknown, never success.
        #[test]
        fn classification_follows_the_sets(status in "[A-Za-z]{0,10}") {
            let lower = status.to_ascii_lowercase();
            let expected = match lower.as_str() {
                "pushing" => Class::Waiting,
                "saved" => Class::Success,
                "failed" => Class::Failure,
                _ => Class::Unknown,
            };
            prop_assert_eq!(SETS.classify(Some(&status)), expected);
        }
    }

    #[test]
    fn no_status_is_unknown() {
        assert_eq!(SETS.classify(None), Class::Unknown);
        assert_eq!(SETS.classify(Some("")), Class::Unknown);
        assert_eq!(SETS.classify(Some("Queued")), Class::Unknown);
    }

    #[test]
    fn observations_read_paths() {
        let fields = StatusFields {
            status: "data.status",
            code: Some("data.code"),
            message: None,
        };
        let seen = Observation::read(
            &json!({"data": {"status": "saved", "code": 7}}),
            &fields,
            &SETS,
            (),
        );
        assert_eq!(seen.status.as_deref(), Some("saved"));
        assert_eq!(seen.class, Class::Success);
        assert_eq!(seen.code.as_deref(), Some("7"));
        assert_eq!(seen.message, None);
    }

    #[test]
    fn progress_reads_counts_then_steps() {
        let fields = ProgressFields {
            done: &["jobs_completed", "completed_steps"],
            total: &["jobs_total", "total_steps"],
            phase: Some("phase"),
            steps: Some(("steps", "status", "completed")),
        };
        let jobs = Progress::read(json!({"jobs_completed": 3, "jobs_total": 4}), &fields);
        assert_eq!((jobs.done, jobs.total, jobs.fraction()), (3, 4, Some(0.75)));
        let phase = Progress::read(
            json!({"phase": "exporting", "steps": [{"status": "completed"}, {"status": "pending"}]}),
            &fields,
        );
        assert_eq!((phase.done, phase.total), (1, 2));
        assert_eq!(phase.phase.as_deref(), Some("exporting"));
        let empty = Progress::read(json!({}), &fields);
        assert_eq!(empty.fraction(), None);
    }
}
