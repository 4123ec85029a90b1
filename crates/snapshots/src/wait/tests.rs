//! The waiter loop against a scripted target classified with the generated status sets:
//! an unknown status keeps waiting (reported as unknown) and never succeeds, a failure
//! value fails, the timeout names the last status; and a proptest of the classification
//! of every generated set.

use super::*;
use proptest::prelude::*;
use snapshots_runtime::waiter::{Observation, StatusFields, StatusSets};
use std::sync::Mutex;

const FIELDS: StatusFields = StatusFields {
    status: "Status",
    code: Some("ReasonCode"),
    message: None,
};

/// Answers the scripted statuses in order (the last one forever), with DSW's sets.
#[derive(Debug)]
struct Script(Mutex<Vec<&'static str>>);

impl<'a> WaitTarget<'a> for Script {
    type Output = String;
    type Error = Error;
    const SETS: StatusSets = pai_dsw::waiters::INSTANCE_SNAPSHOT;

    fn describe(&self) -> String {
        "scripted snapshot".into()
    }

    fn observe(&self) -> BoxFuture<'a, Result<Observation<String>, Error>> {
        let status = {
            let mut script = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if script.len() > 1 {
                script.remove(0)
            } else {
                script[0]
            }
        };
        let json = serde_json::json!({"Status": status, "ReasonCode": "E42"});
        Box::pin(async move {
            Ok(Observation::read(
                &json,
                &FIELDS,
                &Self::SETS,
                status.to_owned(),
            ))
        })
    }
}

fn script(statuses: &[&'static str]) -> Waiter<'static, Script> {
    until(Script(Mutex::new(statuses.to_vec()))).poll_interval(Duration::from_secs(1))
}

#[tokio::test(start_paused = true)]
async fn an_unknown_status_keeps_waiting_then_a_success_ends_it() {
    let events: Vec<_> = script(&["Queued", "Pushing", "Available"])
        .events()
        .collect()
        .await;
    let polls: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Ok(WaitEvent::Waiting(poll)) => Some((poll.status.as_str(), poll.known)),
            _ => None,
        })
        .collect();
    assert_eq!(polls, [("Queued", false), ("Pushing", true)]);
    assert!(matches!(events.last(), Some(Ok(WaitEvent::Ready(s))) if s == "Available"));
}

#[tokio::test(start_paused = true)]
async fn a_failure_value_fails_with_its_code() {
    let error = script(&["Pushing", "Failed"]).await.unwrap_err();
    assert!(
        matches!(&error, Error::WaitFailed { status, code: Some(code), .. } if status == "Failed" && code == "E42"),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unknown_status_is_never_success_and_times_out() {
    let error = script(&["Queued"])
        .timeout(Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::WaitTimeout { last_status: Some(s), .. } if s == "Queued"),
        "{error:?}"
    );
}

/// Every waiter the specs define.
const GENERATED: &[StatusSets] = &[
    pai_dsw::waiters::INSTANCE_SNAPSHOT,
    pai_langstudio::waiters::SNAPSHOT,
    graph_olap::waiters::SNAPSHOT,
];

proptest! {
    /// For every generated set: a listed value (in any case) is in its set's class; anything
    /// else is unknown, never success.
    #[test]
    fn generated_sets_classify_exactly_their_values(which in 0..GENERATED.len(), status in "[A-Za-z]{0,12}", pick in 0usize..16, upper: bool) {
        let sets = GENERATED[which];
        let listed: Vec<(&str, Class)> = sets.waiting.iter().map(|v| (*v, Class::Waiting))
            .chain(sets.success.iter().map(|v| (*v, Class::Success)))
            .chain(sets.failure.iter().map(|v| (*v, Class::Failure)))
            .collect();
        let (value, class) = listed[pick % listed.len()];
        let spelled = if upper { value.to_ascii_uppercase() } else { value.to_ascii_lowercase() };
        prop_assert_eq!(sets.classify(Some(&spelled)), class);
        let expected = listed.iter().find(|(v, _)| v.eq_ignore_ascii_case(&status)).map_or(Class::Unknown, |(_, c)| *c);
        prop_assert_eq!(sets.classify(Some(&status)), expected);
    }
}
