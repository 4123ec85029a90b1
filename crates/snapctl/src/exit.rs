//! Exit codes: what each failure of `snapctl` exits with, so that scripts can branch on it.
//!
//! [`Exit::of`] classifies a [`snapshots::Error`] with its own classification
//! (`is_auth_failure`, `is_not_found`, from the specs' `x-error`); [`Exit::help_table`] is the table printed in
//! `snapctl --help` and in the crate documentation (a unit test keeps the two in step).

use std::process::ExitCode;

use snapshots::Error;

/// An exit status of `snapctl`. The numbers are stable: scripts may rely on them.
///
/// ```
/// use snapctl::exit::Exit;
/// use snapshots::validate;
///
/// let refused = validate::dsw_snapshot_name("Not_Valid").unwrap_err();
/// assert_eq!(Exit::of(&refused), Exit::Invalid);
/// assert_eq!(Exit::Invalid.code(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// 0: the command did what it was asked.
    Ok,
    /// 1: an unexpected failure (the output could not be written, the async runtime could
    /// not start, the emulator could not be started).
    Failure,
    /// 2: the command line is wrong (unknown command or option, missing argument, a value
    /// that is not a number or a duration). Nothing was sent.
    Usage,
    /// 3: a value was refused: by `snapctl` before anything was sent (a name, a range, a
    /// label), or by the service as an invalid request (HTTP 400 or 422).
    Invalid,
    /// 4: no usable credentials, or a configuration error (base URL, region). Nothing was
    /// sent.
    Credentials,
    /// 5: the resource does not exist (HTTP 404).
    NotFound,
    /// 6: any other error answer of the service (HTTP 5xx or 429 after the retries, an
    /// undocumented status, a body that does not decode, pagination that cannot go on).
    Service,
    /// 7: the service could not be reached or did not answer in time (connection refused,
    /// reset, DNS, TLS, timeout), after the retries.
    Unreachable,
    /// 8: `wait` saw the snapshot end in a failed status.
    WaitFailed,
    /// 9: `wait` gave up: the snapshot was still in progress when `--timeout` ran out.
    WaitTimeout,
    /// 10: the request conflicts with the resource's state (HTTP 409, or an answer the spec
    /// declares a conflict), such as retrying a snapshot that has not failed or deleting one
    /// that instances use (a 500 on the real control plane). Never retried.
    Conflict,
    /// 11: the service refused the credentials or the permission (HTTP 401 or 403, a
    /// signature, access key, token or API key it rejects).
    Denied,
}

impl Exit {
    /// Every status, in the order of its number.
    pub const ALL: [Exit; 12] = [
        Exit::Ok,
        Exit::Failure,
        Exit::Usage,
        Exit::Invalid,
        Exit::Credentials,
        Exit::NotFound,
        Exit::Service,
        Exit::Unreachable,
        Exit::WaitFailed,
        Exit::WaitTimeout,
        Exit::Conflict,
        Exit::Denied,
    ];

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Invalid => 3,
            Exit::Credentials => 4,
            Exit::NotFound => 5,
            Exit::Service => 6,
            Exit::Unreachable => 7,
            Exit::WaitFailed => 8,
            Exit::WaitTimeout => 9,
            Exit::Conflict => 10,
            Exit::Denied => 11,
        }
    }

    /// One line saying what the status means (the help text's wording).
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "success",
            Exit::Failure => "unexpected failure (output not writable, emulator not started)",
            Exit::Usage => "usage error: unknown command or option, missing or malformed argument",
            Exit::Invalid => {
                "invalid value: refused before sending (names, ranges, labels, filters the server ignores) or by the service (HTTP 400/422)"
            }
            Exit::Credentials => "no usable credentials, or a configuration error (base URL, region)",
            Exit::NotFound => "not found (HTTP 404)",
            Exit::Service => "other service error (HTTP 5xx, 429 after retries, undecodable or oversized answer, redirect)",
            Exit::Unreachable => "service unreachable or timed out (connection, DNS, TLS, timeout)",
            Exit::WaitFailed => "wait: the snapshot ended in a failed status",
            Exit::WaitTimeout => "wait: still in progress when --timeout ran out",
            Exit::Conflict => "conflict with the resource's state (HTTP 409, or a snapshot still in use)",
            Exit::Denied => "credentials or permission refused by the service (HTTP 401/403, bad signature or key)",
        }
    }

    /// The exit codes as the plain-text table of `snapctl --help`.
    pub fn help_table() -> String {
        let mut text = String::from("Exit codes:\n");
        for exit in Exit::ALL {
            text.push_str(&format!("  {:>2}  {}\n", exit.code(), exit.meaning()));
        }
        text
    }

    /// The status of a failed SDK call.
    pub fn of(error: &Error) -> Exit {
        match error {
            Error::Service(_) if error.is_auth_failure() => Exit::Denied,
            Error::Service(_) if error.is_not_found() => Exit::NotFound,
            // HTTP 409, or an answer the spec's `x-conflicts` declares one (the real control
            // plane's 500 on deleting a snapshot an instance uses); never retried.
            Error::Service(_) if error.is_conflict() => Exit::Conflict,
            Error::Service(service) => match service.status {
                409 => Exit::Conflict,
                400 | 422 => Exit::Invalid,
                _ => Exit::Service,
            },
            Error::Validation { .. } | Error::NotHonoured { .. } => Exit::Invalid,
            Error::Credentials(_) | Error::Config(_) => Exit::Credentials,
            Error::Timeout { .. } | Error::Transport { .. } => Exit::Unreachable,
            Error::Decode { .. }
            | Error::Pagination { .. }
            | Error::IncompleteListing { .. }
            | Error::Redirect { .. }
            | Error::ResponseTooLarge { .. } => Exit::Service,
            Error::WaitFailed { .. } => Exit::WaitFailed,
            Error::WaitTimeout { .. } => Exit::WaitTimeout,
            _ => Exit::Failure,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A service error as the facade builds it from a generated client's error answer.
    fn service(status: u16, code: Option<&str>) -> Error {
        let body: pai_dsw::types::AlibabaError = serde_json::from_value(serde_json::json!({
            "Code": code,
            "Message": "message",
            "RequestId": "REQ-1",
        }))
        .expect("an Alibaba error body");
        let status = reqwest::StatusCode::from_u16(status).expect("a valid status");
        let response = pai_dsw::ResponseValue::new(body, status, reqwest::header::HeaderMap::new());
        Error::from(pai_dsw::Error::ErrorResponse(response))
    }

    #[test]
    fn codes_are_distinct_and_in_order() {
        for (index, exit) in Exit::ALL.iter().enumerate() {
            assert_eq!(usize::from(exit.code()), index, "{exit:?}");
        }
    }

    #[test]
    fn service_errors_by_status_and_code() {
        let cases = [
            (404, Some("InstanceSnapshotNotFound"), Exit::NotFound),
            (404, None, Exit::NotFound),
            (404, Some("InvalidAccessKeyId.NotFound"), Exit::Denied),
            (400, Some("SignatureDoesNotMatch"), Exit::Denied),
            (400, Some("InvalidTimeStamp.Expired"), Exit::Denied),
            (400, Some("SignatureNonceUsed"), Exit::Denied),
            (400, Some("InvalidParameter"), Exit::Invalid),
            (400, Some("ValidationError"), Exit::Invalid),
            (422, Some("VALIDATION_FAILED"), Exit::Invalid),
            (401, Some("UNAUTHORIZED"), Exit::Denied),
            (403, Some("PERMISSION_DENIED"), Exit::Denied),
            (403, None, Exit::Denied),
            (409, Some("INVALID_STATE"), Exit::Conflict),
            (409, Some("RESOURCE_HAS_DEPENDENCIES"), Exit::Conflict),
            (429, Some("Throttling.User"), Exit::Service),
            (500, Some("InternalError"), Exit::Service),
            (503, None, Exit::Service),
        ];
        for (status, code, expected) in cases {
            assert_eq!(
                Exit::of(&service(status, code)),
                expected,
                "{status} {code:?}"
            );
        }
    }

    #[test]
    fn local_errors() {
        let invalid = snapshots::validate::graph_olap_limit(0).unwrap_err();
        assert_eq!(Exit::of(&invalid), Exit::Invalid);
        assert_eq!(Exit::of(&Error::Config("no URL".into())), Exit::Credentials);
        let timeout = Error::WaitTimeout {
            resource: "x".into(),
            last_status: Some("Pushing".into()),
            waited: std::time::Duration::from_secs(1),
        };
        assert_eq!(Exit::of(&timeout), Exit::WaitTimeout);
        let failed = Error::WaitFailed {
            resource: "x".into(),
            status: "Failed".into(),
            code: None,
            message: None,
        };
        assert_eq!(Exit::of(&failed), Exit::WaitFailed);
        let transport = Error::Transport {
            source: "connection refused".into(),
        };
        assert_eq!(Exit::of(&transport), Exit::Unreachable);
        let pagination = Error::Pagination {
            operation: "list_snapshots",
            message: "repeated token".into(),
        };
        assert_eq!(Exit::of(&pagination), Exit::Service);
    }

    #[test]
    fn help_table_lists_every_code() {
        let table = Exit::help_table();
        for exit in Exit::ALL {
            assert!(
                table.contains(&format!("{:>2}  {}", exit.code(), exit.meaning())),
                "{exit:?}"
            );
        }
    }
}
