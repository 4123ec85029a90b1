//! `snapctl`: PAI-DSW, PAI LangStudio and Graph OLAP snapshots from the command line, over
//! the [`snapshots`] SDK (every request signed or authenticated, rate-limited and retried).
//!
//! From a clone of the workspace, `cargo run -p snapctl -- demo` walks every API against the
//! embedded emulator in about three seconds; `cargo install --path crates/snapctl` installs
//! the binary.
//!
//! ```text
//! snapctl [global options] <dsw|langstudio|graph-olap> <command> [options]
//! snapctl demo                 # every API against the embedded emulator: no credentials, no network
//! snapctl emulator [--addr A]  # the emulator in the foreground; prints URLs and demo credentials
//! ```
//!
//! | group | commands |
//! | --- | --- |
//! | `dsw` | `list --instance I`, `get`, `create`, `delete`, `wait` (the API has no update) |
//! | `langstudio [--gateway]` | `list`, `get`, `create`, `update`, `delete`, `wait`; `--gateway` sends the same calls through the gateway profile (`{base}/<Action>`, DashScope key) instead of ROA |
//! | `graph-olap` | `list`, `get`, `create`, `update`, `delete`, `wait`, `progress`, `retry`, `lifecycle`; `instance list\|get\|create\|delete\|wait`, `mapping list\|get\|create`, `user list\|get` |
//!
//! Examples:
//!
//! ```text
//! snapctl dsw create --instance dsw-730xxxxxxxxxx --name nightly-1 \
//!     --image-url registry.cn-hangzhou.aliyuncs.com/team/env:nightly-1 --label team=ml --wait
//! snapctl langstudio list --workspace 12345 --status Success
//! snapctl --graph-olap-url http://localhost:8080 --graph-olap-user alice \
//!     graph-olap create --name customers --mapping-id 1 --wait
//! snapctl -o json graph-olap list --status ready | jq '.[].name'
//! ```
//!
//! # Global options
//!
//! `--output table|json` (`SNAPCTL_OUTPUT`), `--region` (`SNAPCTL_REGION`), base URLs
//! `--dsw-url`, `--langstudio-url`, `--langstudio-gateway-url`, `--graph-olap-url`
//! (`SNAPCTL_DSW_URL`, ...), `--graph-olap-user` (`SNAPCTL_GRAPH_OLAP_USER`), `--no-retry`,
//! `--rate-limit N`. Credentials come from the SDK's chain (`ALIBABA_CLOUD_ACCESS_KEY_ID`/
//! `_SECRET`, `~/.aliyun/config.json`, `~/.alibabacloud/credentials.ini`;
//! `DASHSCOPE_API_KEY` for the gateway profile) and, for secrets without a standard variable,
//! `SNAPCTL_ALIBABA_BEARER_TOKEN` and `SNAPCTL_GRAPH_OLAP_TOKEN` ([`client`]). Secrets are
//! never taken from the command line.
//!
//! # Output
//!
//! With `--output table`, `list` prints one aligned row per snapshot as the pages arrive
//! (every page is fetched), and the other commands print the resource as `field  value`
//! lines. With `--output json`, stdout gets exactly one JSON document, the server's own JSON
//! text re-indented ([`raw`]: every `null`, every member the spec does not know and every
//! number as the server wrote them): for `list`, an array of the items of every page,
//! written item by item as the pages arrive; otherwise the operation's answer
//! (`GetInstanceSnapshot`, `GetSnapshot`, the `data` of a Graph OLAP envelope, ...). A
//! listing that fails part-way leaves its array unterminated, so that it never parses as a
//! complete one. `list` asks for the largest page the spec allows (Graph OLAP: 100) unless
//! `--page-size` says otherwise. `demo` and `emulator` always print text.
//!
//! Errors go to stderr: the error, then the API, HTTP status, service code, message and
//! request id of a service error (as one JSON object `{"error": {...}}` with
//! `--output json`). `wait` draws a spinner (DSW, LangStudio) or a bar of the export's
//! done/total (Graph OLAP) on stderr when it is a terminal.
//!
//! # Exit codes
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | success |
//! | 1 | unexpected failure (output not writable, emulator not started) |
//! | 2 | usage error: unknown command or option, missing or malformed argument |
//! | 3 | invalid value: refused before sending (names, ranges, labels, filters the server ignores) or by the service (HTTP 400/422) |
//! | 4 | no usable credentials, or a configuration error (base URL, region) |
//! | 5 | not found (HTTP 404) |
//! | 6 | other service error (HTTP 5xx, 429 after retries, undecodable or oversized answer, redirect) |
//! | 7 | service unreachable or timed out (connection, DNS, TLS, timeout) |
//! | 8 | wait: the snapshot ended in a failed status |
//! | 9 | wait: still in progress when --timeout ran out |
//! | 10 | conflict with the resource's state (HTTP 409, or a snapshot still in use) |
//! | 11 | credentials or permission refused by the service (HTTP 401/403, bad signature or key) |
//!
//! The same table is at the end of `snapctl --help` ([`exit::Exit`]).

pub mod cli;
pub mod cli_olap;
pub mod client;
pub mod commands;
pub mod demo;
pub mod emulator;
pub mod exit;
pub mod output;
pub mod progress;
pub mod raw;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use crate::cli::{Cli, Command};
use crate::exit::Exit;
use crate::output::{Format, Printer};

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// An SDK call failed (or a value was refused before sending).
    Sdk(snapshots::Error),
    /// A step of `snapctl demo` failed.
    Step {
        /// What the demo was doing.
        step: String,
        /// Why it failed.
        error: Box<Failure>,
    },
    /// Writing the output failed.
    Output(io::Error),
    /// The emulator could not be started.
    Emulator(io::Error),
    /// Something that should not happen did (a demo check that did not hold).
    Unexpected(String),
}

impl Failure {
    /// The exit status of this failure.
    pub fn exit(&self) -> Exit {
        match self {
            Failure::Sdk(error) => Exit::of(error),
            Failure::Step { error, .. } => error.exit(),
            Failure::Output(error) if error.kind() == io::ErrorKind::BrokenPipe => Exit::Ok,
            Failure::Output(_) | Failure::Emulator(_) | Failure::Unexpected(_) => Exit::Failure,
        }
    }

    /// The SDK error behind this failure, if any.
    pub fn sdk_error(&self) -> Option<&snapshots::Error> {
        match self {
            Failure::Sdk(error) => Some(error),
            Failure::Step { error, .. } => error.sdk_error(),
            _ => None,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Sdk(error) => write!(f, "{error}"),
            Failure::Step { step, error } => write!(f, "{step} failed: {error}"),
            Failure::Output(error) => write!(f, "cannot write the output: {error}"),
            Failure::Emulator(error) => write!(f, "cannot start the emulator: {error}"),
            Failure::Unexpected(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Failure {}

impl From<snapshots::Error> for Failure {
    fn from(error: snapshots::Error) -> Self {
        Failure::Sdk(error)
    }
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        Failure::Output(error)
    }
}

/// The `snapctl` program: parses the command line, runs the command on a tokio runtime,
/// prints any error on stderr and returns the exit code ([`exit::Exit`]).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = error.exit_code();
            // --help and --version are "errors" that exit 0; usage errors exit 2.
            let _ = error.print();
            return ExitCode::from(u8::try_from(code).unwrap_or(Exit::Usage.code()));
        }
    };
    let format = cli.global.output;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return Exit::Failure.into();
        }
    };
    let mut printer = Printer::new(format, io::stdout());
    let result = runtime.block_on(run(cli, &mut printer));
    let exit = match result {
        Ok(()) => Exit::Ok,
        Err(failure) => {
            let exit = failure.exit();
            if exit != Exit::Ok {
                report(&mut io::stderr(), &failure, format);
            }
            exit
        }
    };
    exit.into()
}

/// Runs a parsed command line, printing its results with `printer`.
pub async fn run<W: Write>(cli: Cli, printer: &mut Printer<W>) -> Result<(), Failure> {
    match cli.command {
        Command::Dsw { command } => {
            let client = client::from_args(&cli.global)?;
            commands::dsw::run(&client, command, printer).await
        }
        Command::LangStudio(args) => {
            let client = client::from_args(&cli.global)?;
            commands::langstudio::run(&client, args, printer).await
        }
        Command::GraphOlap { command } => {
            let client = client::from_args(&cli.global)?;
            commands::graph_olap::run(&client, command, printer).await
        }
        Command::Auth => {
            let client = client::from_args(&cli.global)?;
            commands::auth::run(&client, printer).await
        }
        Command::Demo(args) => demo::run(&args, printer.writer()).await,
        Command::Emulator(args) => emulator::run(&args, printer.writer()).await,
    }
}

/// Writes `failure` to `err` (stderr): text, or one JSON object with `--output json`.
///
/// ```
/// use snapctl::{output::Format, report, Failure};
///
/// let failure = Failure::Sdk(snapshots::validate::graph_olap_limit(0).unwrap_err());
/// let mut err = Vec::new();
/// report(&mut err, &failure, Format::Table);
/// let text = String::from_utf8(err).unwrap();
/// assert!(text.starts_with("error: invalid `limit`: must be between 1 and 100"));
/// assert!(text.contains("nothing was sent"));
/// ```
pub fn report(err: &mut impl Write, failure: &Failure, format: Format) {
    let text = match format {
        Format::Json => {
            let mut value = serde_json::to_string(&error_json(failure)).unwrap_or_default();
            value.push('\n');
            value
        }
        Format::Table => error_text(failure),
    };
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// The text form of an error: `error: ...`, the facts of a service error one per line, and
/// a hint where one helps.
pub fn error_text(failure: &Failure) -> String {
    let mut text = format!("error: {}\n", output::clean(&failure.to_string()));
    let Some(error) = failure.sdk_error() else {
        return text;
    };
    let mut line = |label: &str, value: &str| {
        text.push_str(&format!("  {label:<13}{}\n", output::clean(value)));
    };
    match error {
        snapshots::Error::Service(service) => {
            line("api:", service.api);
            line("http status:", &service.status.to_string());
            line("code:", service.code.as_deref().unwrap_or("-"));
            line("message:", service.message.as_deref().unwrap_or("-"));
            line("request id:", service.request_id.as_deref().unwrap_or("-"));
            if let Some(host) = service.host_id() {
                line("host id:", host);
            }
            if let Some(recommend) = service.recommend() {
                line("recommend:", recommend);
            }
            let fields = service.field_errors();
            if !fields.is_empty() {
                text.push_str("  field errors:\n");
            }
            for field in fields {
                text.push_str(&format!(
                    "    {}: {}{}\n",
                    output::clean(&field.location),
                    output::clean(field.message.as_deref().unwrap_or("-")),
                    field
                        .kind
                        .map(|kind| format!(" ({})", output::clean(&kind)))
                        .unwrap_or_default()
                ));
            }
        }
        snapshots::Error::Decode {
            status, request_id, ..
        } => {
            line(
                "http status:",
                &status.map_or_else(|| "-".to_owned(), |s| s.to_string()),
            );
            line("request id:", request_id.as_deref().unwrap_or("-"));
        }
        snapshots::Error::Validation { .. } => {
            text.push_str("  nothing was sent\n");
        }
        snapshots::Error::Credentials(_) => {
            text.push_str(
                "  hint: see `snapctl --help` (Credentials); `snapctl demo` needs none\n",
            );
        }
        _ => {}
    }
    text
}

/// The JSON form of an error: `{"error": {"exit_code", "message", "api", "status", "code",
/// "message_from_service", "request_id", "field", "rule", "field_errors"}}` (members without a
/// value are null; `field_errors` is the service's list of refused fields, each
/// `{"location", "message", "type"}`, empty when it gave none).
pub fn error_json(failure: &Failure) -> serde_json::Value {
    let error = failure.sdk_error();
    let service = error.and_then(snapshots::Error::service);
    let (field, rule) = match error {
        Some(snapshots::Error::Validation { field, rule }) => (Some(field), Some(rule)),
        _ => (None, None),
    };
    let field_errors: Vec<serde_json::Value> = service
        .map(snapshots::ServiceError::field_errors)
        .unwrap_or_default()
        .into_iter()
        .map(|f| json!({"location": f.location, "message": f.message, "type": f.kind}))
        .collect();
    json!({
        "error": {
            "exit_code": failure.exit().code(),
            "message": failure.to_string(),
            "api": service.map(|s| s.api.to_string()),
            "status": error.and_then(snapshots::Error::status),
            "code": error.and_then(snapshots::Error::code),
            "message_from_service": service.and_then(|s| s.message.clone()),
            "request_id": error.and_then(snapshots::Error::request_id),
            "field": field,
            "rule": rule,
            "field_errors": field_errors,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service_failure() -> Failure {
        let body = pai_dsw::types::AlibabaError::try_from(
            pai_dsw::types::AlibabaError::builder()
                .code(Some("InstanceSnapshotNotFound".to_owned()))
                .message(Some("The snapshot does not exist.".to_owned()))
                .request_id(Some("E7D55162-4489-1619-AAF5-3F97D5FCA948".to_owned()))
                .host_id(Some("pai-dsw.cn-hangzhou.aliyuncs.com".to_owned())),
        )
        .expect("an error body");
        let response = pai_dsw::ResponseValue::new(
            body,
            reqwest::StatusCode::NOT_FOUND,
            reqwest::header::HeaderMap::new(),
        );
        Failure::Sdk(snapshots::Error::from(pai_dsw::Error::ErrorResponse(
            response,
        )))
    }

    #[test]
    fn service_errors_show_status_code_message_and_request_id() {
        let failure = service_failure();
        assert_eq!(failure.exit(), Exit::NotFound);
        let text = error_text(&failure);
        for expected in [
            "error: PAI-DSW error: HTTP 404",
            "  http status: 404\n",
            "  code:        InstanceSnapshotNotFound\n",
            "  message:     The snapshot does not exist.\n",
            "  request id:  E7D55162-4489-1619-AAF5-3F97D5FCA948\n",
            "  host id:     pai-dsw.cn-hangzhou.aliyuncs.com\n",
        ] {
            assert!(text.contains(expected), "{expected:?} not in\n{text}");
        }
    }

    /// The control plane's 422 for `mapping_id: 0`, as recorded.
    fn field_failure() -> Failure {
        let body: graph_olap::types::ErrorBody = serde_json::from_value(json!({
            "error": {"code": "VALIDATION_FAILED", "message": "Request validation failed",
                      "details": {"errors": [{"field": "body.mapping_id",
                          "message": "Input should be greater than 0", "type": "greater_than"}]}},
            "meta": {"request_id": "f489dd7d"}
        }))
        .expect("an error body");
        let response = graph_olap::ResponseValue::new(
            body,
            reqwest::StatusCode::UNPROCESSABLE_ENTITY,
            reqwest::header::HeaderMap::new(),
        );
        Failure::Sdk(snapshots::Error::from(graph_olap::Error::ErrorResponse(
            response,
        )))
    }

    #[test]
    fn field_errors_are_listed_in_text_and_json() {
        let failure = field_failure();
        assert_eq!(failure.exit(), Exit::Invalid);
        let text = error_text(&failure);
        assert!(
            text.contains(
                "  field errors:\n    body.mapping_id: Input should be greater than 0 (greater_than)\n"
            ),
            "{text}"
        );
        let value = error_json(&failure);
        assert_eq!(
            value["error"]["field_errors"],
            json!([{"location": "body.mapping_id", "message": "Input should be greater than 0",
                    "type": "greater_than"}])
        );
        let value = error_json(&service_failure());
        assert_eq!(value["error"]["field_errors"], json!([]));
    }

    #[test]
    fn json_errors_are_one_object() {
        let mut err = Vec::new();
        report(&mut err, &service_failure(), Format::Json);
        let value: serde_json::Value = serde_json::from_slice(&err).expect("one JSON document");
        let error = &value["error"];
        assert_eq!(error["exit_code"], 5);
        assert_eq!(error["status"], 404);
        assert_eq!(error["code"], "InstanceSnapshotNotFound");
        assert_eq!(error["request_id"], "E7D55162-4489-1619-AAF5-3F97D5FCA948");
        assert_eq!(error["api"], "PAI-DSW");
    }

    #[test]
    fn steps_keep_the_exit_code_of_their_error() {
        let failure = Failure::Step {
            step: "PAI-DSW get".into(),
            error: Box::new(service_failure()),
        };
        assert_eq!(failure.exit(), Exit::NotFound);
        assert!(error_text(&failure).starts_with("error: PAI-DSW get failed: PAI-DSW error"));
    }

    #[test]
    fn a_closed_stdout_is_not_an_error() {
        let failure = Failure::Output(io::Error::from(io::ErrorKind::BrokenPipe));
        assert_eq!(failure.exit(), Exit::Ok);
        let failure = Failure::Output(io::Error::other("disk full"));
        assert_eq!(failure.exit(), Exit::Failure);
    }

    #[test]
    fn the_crate_docs_list_every_exit_code() {
        let docs = include_str!("lib.rs");
        for exit in Exit::ALL {
            let row = format!("//! | {} | {} |", exit.code(), exit.meaning());
            assert!(docs.contains(&row), "missing from the crate docs: {row}");
        }
    }
}
