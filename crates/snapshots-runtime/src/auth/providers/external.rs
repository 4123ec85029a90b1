//! [`External`]: credentials printed by an external process, as the official
//! `alibabacloud-credentials` 1.0.12 `ExternalCredentialsProvider` (`external.py`) runs it
//! (the Alibaba Cloud CLI's `External` mode, `process_command`; provider name `external`).
//!
//! One refresh runs the command once. The command line is split as Python's `shlex.split`
//! does (POSIX rules, no comments: whitespace separates words; `'...'` is literal; in
//! `"..."` a backslash escapes only `"` and `\`; outside quotes a backslash escapes any
//! character; an unclosed quote or a trailing backslash is an error) and run directly, with
//! no shell, stdin closed. It must exit 0 within the timeout (60 s by default, the library's
//! `DEFAULT_TIMEOUT`; a zero timeout means the default, as in the library) and print:
//!
//! ```json
//! {"mode": "AK" | "StsToken", "access_key_id": "...", "access_key_secret": "...",
//!  "sts_token": "...", "expiration": "2030-01-02T03:04:05Z"}
//! ```
//!
//! `access_key_id` and `access_key_secret` must be non-empty; with `"mode": "StsToken"`,
//! `sts_token` must be too (with any other mode a given `sts_token` is used all the same, as
//! in the library). `expiration` (`%Y-%m-%dT%H:%M:%SZ`, UTC) is optional.
//!
//! Refresh policy: the library's stale time is `expiration - 180 s`, or *now* when there is
//! no expiration; so `External`'s `refresh_policy` is stale 180 s before expiry and
//! [`RefreshPolicy::lifetime_without_expiry`] zero: credentials without an expiration are
//! used for the call that fetched them and the process runs again at the next call. Never
//! served stale (the library's default `STRICT`).
//!
//! Error texts are the library's (`command process timed out after 60000 milliseconds`,
//! `failed to execute external command: exit status 3; stderr: ...`,
//! `invalid credential response: access_key_id or access_key_secret is empty`,
//! `invalid StsToken credential response: sts_token is empty`, ...), each followed by
//! `(command: <program>)`.
//!
//! Deviations from the library, all deliberate:
//! - errors and `Debug` name the program (the command's first word), never its arguments,
//!   which may hold a secret; stdout is never quoted (it may hold credentials): a JSON error
//!   gives its position only; stderr is quoted bounded (its first
//!   [`MAX_QUOTED_CHARS`](crate::MAX_QUOTED_CHARS) characters, control characters escaped),
//!   after `; stderr: ` where the library has a newline;
//! - stdout is read up to 64 KiB (more is an error, and the process is killed); stderr's
//!   first 4 KiB are kept and the rest discarded;
//! - on timeout the process is killed (`kill_on_drop` as well), but not its own children;
//! - the library runs the command through the shell on Windows; here it is split and run
//!   directly on every platform;
//! - there is no credential-update callback (the CLI's write-back of refreshed
//!   credentials to its config file);
//! - a non-string `access_key_id`, `access_key_secret` or `sts_token` counts as empty, and
//!   a non-string `expiration` is an error.

use super::sts_http;
use crate::auth::provider::{
    ProvideCredentials, ProvidedCredentials, ProviderFuture, RefreshPolicy,
};
use crate::auth::{AccessKey, CredentialsError};
use std::fmt;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

const NAME: &str = "external";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The most stdout read from the process.
const MAX_STDOUT: usize = 64 * 1024;
/// The most stderr kept (the rest is read and discarded).
const MAX_STDERR: usize = 4 * 1024;

/// Credentials printed by an external process (`external`).
///
/// `Debug` shows the program and the number of arguments, never the arguments.
///
/// ```
/// use snapshots_runtime::auth::providers::External;
/// use snapshots_runtime::auth::CredentialsCache;
/// use std::time::Duration;
///
/// let provider = External::new("/usr/local/bin/get-credentials --profile 'my profile'")
///     .timeout(Duration::from_secs(10));
/// let cache = CredentialsCache::new(provider);
/// # let _ = cache;
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct External {
    command: String,
    timeout: Duration,
}

impl External {
    /// Runs `command` (split as `shlex.split` does) at each refresh, 60 s at most.
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// How long the process may run (default 60 s; zero means the default, as in the
    /// library).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = if timeout.is_zero() {
            DEFAULT_TIMEOUT
        } else {
            timeout
        };
        self
    }

    /// The program (the first word), or what is wrong with the command line.
    fn program(&self) -> String {
        match split_command(&self.command) {
            Ok(words) => words
                .first()
                .map_or_else(|| "(none)".to_owned(), |p| crate::bounded(p)),
            Err(_) => "(unparseable)".to_owned(),
        }
    }

    async fn fetch(&self) -> Result<ProvidedCredentials, String> {
        let words = split_command(&self.command)
            .map_err(|why| format!("failed to execute external command: {why}"))?;
        let Some((program, args)) = words.split_first() else {
            return Err("process_command is empty".to_owned());
        };
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("failed to execute external command: {e}"))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err("failed to execute external command: no pipes".to_owned());
        };
        let outcome = tokio::time::timeout(self.timeout, async {
            let (stdout, stderr) = tokio::try_join!(read_stdout(stdout), read_stderr(stderr))?;
            let status = child
                .wait()
                .await
                .map_err(|e| format!("failed to execute external command: {e}"))?;
            Ok::<_, String>((status, stdout, stderr))
        })
        .await;
        let (status, stdout, stderr) = match outcome {
            Ok(Ok(done)) => done,
            Ok(Err(error)) => {
                let _ = child.kill().await;
                return Err(error);
            }
            Err(_) => {
                let _ = child.kill().await;
                return Err(format!(
                    "command process timed out after {} milliseconds",
                    self.timeout.as_millis()
                ));
            }
        };
        if !status.success() {
            let code = status
                .code()
                .map_or_else(|| status.to_string(), |code| format!("exit status {code}"));
            return Err(format!(
                "failed to execute external command: {code}; stderr: {}",
                crate::bounded(String::from_utf8_lossy(&stderr).trim_end())
            ));
        }
        parse_output(&stdout)
    }
}

/// Reads stdout to its end, refusing more than [`MAX_STDOUT`] bytes.
async fn read_stdout(stdout: impl AsyncRead + Unpin) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    stdout
        .take(MAX_STDOUT as u64 + 1)
        .read_to_end(&mut out)
        .await
        .map_err(|e| format!("failed to read external command output: {e}"))?;
    if out.len() > MAX_STDOUT {
        return Err(format!(
            "the external command's output is larger than {} KiB",
            MAX_STDOUT / 1024
        ));
    }
    Ok(out)
}

/// Reads stderr to its end, keeping its first [`MAX_STDERR`] bytes.
async fn read_stderr(mut stderr: impl AsyncRead + Unpin) -> Result<Vec<u8>, String> {
    let mut kept = Vec::new();
    let mut head = (&mut stderr).take(MAX_STDERR as u64);
    // A failing read of stderr only loses the diagnostic.
    let _ = head.read_to_end(&mut kept).await;
    let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
    Ok(kept)
}

/// Parses what the process printed, as `_parse_and_build_credentials` does.
fn parse_output(stdout: &[u8]) -> Result<ProvidedCredentials, String> {
    let value: serde_json::Value = serde_json::from_slice(stdout).map_err(|e| {
        format!(
            "failed to parse external command output: {}",
            sts_http::json_position(&e)
        )
    })?;
    let object = value
        .as_object()
        .ok_or("failed to parse external command output: not a JSON object")?;
    let text = |name: &str| {
        object
            .get(name)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let (Some(id), Some(secret)) = (text("access_key_id"), text("access_key_secret")) else {
        return Err(
            "invalid credential response: access_key_id or access_key_secret is empty".to_owned(),
        );
    };
    let token = text("sts_token");
    if object.get("mode").and_then(serde_json::Value::as_str) == Some("StsToken") && token.is_none()
    {
        return Err("invalid StsToken credential response: sts_token is empty".to_owned());
    }
    let expiration = match object.get("expiration") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(sts_http::parse_expiration("expiration", s)?),
        Some(_) => return Err("expiration is not a string".to_owned()),
    };
    let mut key = AccessKey::new(id, secret);
    if let Some(token) = token {
        key = key.with_security_token(token);
    }
    Ok(ProvidedCredentials::new(key, expiration, NAME))
}

/// Splits a command line as Python's `shlex.split` (POSIX mode, no comments).
fn split_command(line: &str) -> Result<Vec<String>, &'static str> {
    const NO_QUOTE: &str = "No closing quotation";
    const NO_ESCAPED: &str = "No escaped character";
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                word.push(chars.next().ok_or(NO_ESCAPED)?);
                in_word = true;
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next().ok_or(NO_QUOTE)? {
                        '\'' => break,
                        other => word.push(other),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next().ok_or(NO_QUOTE)? {
                        '"' => break,
                        '\\' => match chars.next().ok_or(NO_ESCAPED)? {
                            escaped @ ('"' | '\\') => word.push(escaped),
                            other => {
                                word.push('\\');
                                word.push(other);
                            }
                        },
                        other => word.push(other),
                    }
                }
            }
            other => {
                word.push(other);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

impl fmt::Debug for External {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arguments = split_command(&self.command).map_or(0, |w| w.len().saturating_sub(1));
        f.debug_struct("External")
            .field("program", &self.program())
            .field("arguments", &arguments)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ProvideCredentials for External {
    fn provide(&self) -> ProviderFuture<'_> {
        Box::pin(async move {
            self.fetch()
                .await
                .map_err(|reason| CredentialsError::Refresh {
                    provider: NAME.to_owned(),
                    reason: format!("{reason} (command: {})", self.program()),
                })
        })
    }

    fn name(&self) -> &'static str {
        NAME
    }

    /// Stale 180 s before expiry; without an expiration, stale at once (the process runs
    /// at each call), as `external.py`'s `_get_stale_time`.
    fn refresh_policy(&self) -> RefreshPolicy {
        let mut policy =
            RefreshPolicy::default().with_stale_before_expiry(Duration::from_secs(180));
        policy.lifetime_without_expiry = Duration::ZERO;
        policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::provider::StaleBehavior;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::{Instant, SystemTime};

    /// A fresh directory under the system's temporary directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "snapshots-runtime-external-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::SeqCst)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }

        fn file(&self, name: &str, content: &str) -> String {
            let path = self.0.join(name);
            std::fs::write(&path, content).unwrap();
            path.to_str().unwrap().to_owned()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn refresh_error(result: Result<ProvidedCredentials, CredentialsError>) -> String {
        match result {
            Err(CredentialsError::Refresh { provider, reason }) => {
                assert_eq!(provider, "external");
                for secret in ["ext-secret", "ext-token", "arg-secret"] {
                    assert!(!reason.contains(secret), "{reason}");
                }
                reason
            }
            other => panic!("expected a refresh error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn providers_external_ak_from_a_file() {
        let dir = TempDir::new();
        let json = dir.file(
            "ak.json",
            r#"{"mode":"AK","access_key_id":"ext-id","access_key_secret":"ext-secret"}"#,
        );
        let provided = External::new(format!("cat '{json}'"))
            .provide()
            .await
            .unwrap();
        assert_eq!(provided.provider, "external");
        assert_eq!(provided.key.id, "ext-id");
        assert_eq!(provided.key.secret.expose(), "ext-secret");
        assert!(provided.key.security_token.is_none());
        assert!(provided.expiration.is_none());
    }

    #[tokio::test]
    async fn providers_external_sts_from_a_script_with_quoted_arguments() {
        let dir = TempDir::new();
        let script = dir.file(
            "creds.sh",
            "#!/bin/sh\n\
             # prints its arguments into the JSON, proving the split\n\
             printf '{\"mode\":\"StsToken\",\"access_key_id\":\"%s\",\"access_key_secret\":\"ext-secret\",\"sts_token\":\"%s\",\"expiration\":\"2030-01-02T03:04:05Z\"}' \"$1\" \"$2\"\n\
             echo 'some diagnostics' >&2\n",
        );
        let command = format!(r#"sh "{script}" 'STS.ext id' "ext-token x""#);
        let provided = External::new(command).provide().await.unwrap();
        assert_eq!(provided.key.id, "STS.ext id");
        assert_eq!(provided.key.secret.expose(), "ext-secret");
        assert_eq!(
            provided.key.security_token.as_ref().unwrap().expose(),
            "ext-token x"
        );
        assert_eq!(
            provided.expiration,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_553_445))
        );
    }

    #[tokio::test]
    async fn providers_external_non_zero_exit_quotes_stderr_not_stdout() {
        let command = r#"sh -c 'echo "{\"access_key_id\":\"i\",\"access_key_secret\":\"ext-secret\"}"; echo oops >&2; exit 3' arg-secret"#;
        let reason = refresh_error(External::new(command).provide().await);
        assert_eq!(
            reason,
            "failed to execute external command: exit status 3; stderr: oops (command: sh)"
        );
    }

    #[tokio::test]
    async fn providers_external_timeout_kills_the_process() {
        let started = Instant::now();
        let provider = External::new("sleep 30").timeout(Duration::from_millis(300));
        let reason = refresh_error(provider.provide().await);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            reason,
            "command process timed out after 300 milliseconds (command: sleep)"
        );
    }

    #[tokio::test]
    async fn providers_external_bad_outputs_are_errors_without_stdout() {
        let cases = [
            (
                "echo ext-secret-garbage",
                "failed to parse external command output: syntax error at line 1 column 1",
            ),
            (
                "echo '[\"ext-secret\"]'",
                "failed to parse external command output: not a JSON object",
            ),
            (
                r#"echo '{"mode":"AK","access_key_id":"i","access_key_secret":""}'"#,
                "invalid credential response: access_key_id or access_key_secret is empty",
            ),
            (
                r#"echo '{"mode":"StsToken","access_key_id":"i","access_key_secret":"ext-secret"}'"#,
                "invalid StsToken credential response: sts_token is empty",
            ),
            (
                r#"echo '{"mode":"AK","access_key_id":"i","access_key_secret":"ext-secret","expiration":"soon"}'"#,
                "expiration 'soon' does not match format",
            ),
            (
                "true",
                "failed to parse external command output: unexpected end",
            ),
            ("head -c 100000 /dev/zero", "larger than 64 KiB"),
            (
                "/nonexistent/get-credentials arg-secret",
                "failed to execute external command: ",
            ),
            (
                "echo 'unclosed",
                "failed to execute external command: No closing quotation",
            ),
            ("   ", "process_command is empty"),
        ];
        for (command, expected) in cases {
            let reason = refresh_error(External::new(command).provide().await);
            assert!(reason.contains(expected), "{command}: {reason}");
        }
    }

    #[tokio::test]
    async fn providers_external_ak_mode_keeps_a_given_token() {
        let provided = External::new(
            r#"echo '{"mode":"AK","access_key_id":"i","access_key_secret":"s","sts_token":"t"}'"#,
        )
        .provide()
        .await
        .unwrap();
        assert_eq!(provided.key.security_token.unwrap().expose(), "t");
    }

    #[test]
    fn providers_external_split_as_shlex() {
        let ok = |line: &str| split_command(line).unwrap();
        assert_eq!(ok("a b\tc\n d"), ["a", "b", "c", "d"]);
        assert_eq!(ok(r#"a 'b c' "d e""#), ["a", "b c", "d e"]);
        assert_eq!(ok(r#"a"b c"d'e'"#), ["ab cde"]);
        assert_eq!(ok("a '' \"\" b"), ["a", "", "", "b"]);
        assert_eq!(ok(r"a\ b \'c"), ["a b", "'c"]);
        assert_eq!(ok(r#""\"\\\x$y""#), [r#""\\x$y"#]);
        assert_eq!(ok(r"'\n'"), [r"\n"]);
        assert_eq!(ok("a #b"), ["a", "#b"]);
        assert!(ok("  ").is_empty());
        assert_eq!(split_command("'a"), Err("No closing quotation"));
        assert_eq!(split_command("\"a"), Err("No closing quotation"));
        assert_eq!(split_command("a\\"), Err("No escaped character"));
    }

    #[test]
    fn providers_external_policy_defaults_and_debug() {
        let provider = External::new("get-creds --secret arg-secret");
        assert_eq!(provider.name(), "external");
        assert_eq!(provider.timeout, Duration::from_secs(60));
        assert_eq!(
            provider.clone().timeout(Duration::ZERO).timeout,
            Duration::from_secs(60)
        );
        let policy = provider.refresh_policy();
        assert_eq!(policy.stale_before_expiry, Duration::from_secs(180));
        assert_eq!(policy.lifetime_without_expiry, Duration::ZERO);
        assert_eq!(policy.prefetch_after, None);
        assert_eq!(policy.stale, StaleBehavior::Strict);
        let text = format!("{provider:?}");
        assert!(
            text.contains("get-creds") && !text.contains("arg-secret"),
            "{text}"
        );
    }
}
