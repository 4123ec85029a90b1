//! The credentials chain, following `alibabacloud-credentials` 1.0.12 (Python).
//!
//! [`resolve_access_key`] tries, in order, and stops at the first source that holds a key:
//!
//! 1. **explicit**: the key the caller passed;
//! 2. **environment**: `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and the
//!    optional `ALIBABA_CLOUD_SECURITY_TOKEN`;
//! 3. **CLI profile**: `~/.aliyun/config.json`, the profile named by `ALIBABA_CLOUD_PROFILE`,
//!    else the file's `"current"`; modes `AK` and `StsToken` (skipped when
//!    `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true`);
//! 4. **credentials file**: `ALIBABA_CLOUD_CREDENTIALS_FILE`, else
//!    `~/.alibabacloud/credentials.ini`, the section named by `ALIBABA_CLOUD_PROFILE`, else
//!    `default`; `type = access_key`.
//!
//! The Python chain's OIDC, ECS RAM role and credentials-URI providers, and the CLI's
//! `RamRoleArn`, `EcsRamRole`, `OIDC`, `ChainableRamRoleArn`, `CloudSSO`, `OAuth` and
//! `External` modes (and the INI file's other types) need token exchanges this crate does not
//! implement: a source that asks for one gives [`CredentialsError::Unsupported`], naming the
//! mode, rather than silently falling through to another identity.
//!
//! Behaviour kept from the Python library:
//!
//! - an empty variable or key counts as absent (`ALIBABA_CLOUD_ACCESS_KEY_ID=""` is unset; an
//!   empty security token means a long-lived key);
//! - an `AK` or `StsToken` CLI profile, or an `access_key` INI section, with an empty id, secret
//!   or token takes that value from the environment variable instead;
//! - a source that is present but broken (invalid JSON or INI, a missing key, a half-set
//!   environment) does not stop the chain: the next source is tried. If none has a key, the
//!   first such problem is returned as [`CredentialsError::Malformed`]; if nothing was broken,
//!   [`CredentialsError::NotFound`] lists every source tried;
//! - INI keys are case-insensitive, text after a `#` in a value is dropped, a `[DEFAULT]`
//!   section supplies keys missing from the selected one, and `%%` stands for `%` (a lone `%`
//!   is rejected, as Python's `configparser` rejects it).
//!
//! One deliberate difference: `ALIBABA_CLOUD_PROFILE=""` selects the `default` INI section
//! here; the Python library looks for a section named `""` and so never finds one.
//!
//! [`Environment`] holds the variables and the home directory, so that all of this can be
//! tested without touching the process environment.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{AccessKey, CredentialsError, Secret};

/// `ALIBABA_CLOUD_ACCESS_KEY_ID`.
pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// `ALIBABA_CLOUD_ACCESS_KEY_SECRET`.
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// `ALIBABA_CLOUD_SECURITY_TOKEN`.
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
/// `ALIBABA_CLOUD_PROFILE`: the CLI profile and the INI section to use.
pub const ENV_PROFILE: &str = "ALIBABA_CLOUD_PROFILE";
/// `ALIBABA_CLOUD_CREDENTIALS_FILE`: the INI credentials file.
pub const ENV_CREDENTIALS_FILE: &str = "ALIBABA_CLOUD_CREDENTIALS_FILE";
/// `ALIBABA_CLOUD_CLI_PROFILE_DISABLED`: `true` skips `~/.aliyun/config.json`.
pub const ENV_CLI_PROFILE_DISABLED: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";
/// `DASHSCOPE_API_KEY`: the DashScope (Model Studio) API key, sent as a bearer token.
pub const ENV_DASHSCOPE_API_KEY: &str = "DASHSCOPE_API_KEY";

/// Every variable [`Environment::from_process`] captures.
const CAPTURED_VARS: &[&str] = &[
    ENV_ACCESS_KEY_ID,
    ENV_ACCESS_KEY_SECRET,
    ENV_SECURITY_TOKEN,
    ENV_PROFILE,
    ENV_CREDENTIALS_FILE,
    ENV_CLI_PROFILE_DISABLED,
    ENV_DASHSCOPE_API_KEY,
    "ALIBABA_CLOUD_ROLE_ARN",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
    "ALIBABA_CLOUD_ROLE_SESSION_NAME",
    "ALIBABA_CLOUD_STS_REGION",
    "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED",
    "ALIBABA_CLOUD_ECS_METADATA",
    "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
    "ALIBABA_CLOUD_IMDSV1_DISABLED",
    "ALIBABA_CLOUD_CREDENTIALS_URI",
    "HOME",
    "HOMEPATH",
    "HOMEDRIVE",
];

/// A snapshot of the environment variables and home directory the chain reads.
///
/// Build it from the process with [`Environment::from_process`], or from a map in tests with
/// [`Environment::from_vars`]; [`Environment::default`] is empty (no variables, no home
/// directory). `Debug` lists variable names only, never their values.
#[derive(Clone, Default)]
pub struct Environment {
    vars: HashMap<String, String>,
    /// Variables that are set but are not valid Unicode (reported as malformed, not unset).
    not_unicode: Vec<String>,
    home: Option<PathBuf>,
}

impl Environment {
    /// Captures the variables the chain reads from the current process, and the home
    /// directory: `$HOME`, else `$HOMEPATH`, else the platform's home directory.
    pub fn from_process() -> Self {
        let mut vars = HashMap::new();
        let mut not_unicode = Vec::new();
        for name in CAPTURED_VARS {
            match std::env::var(name) {
                Ok(value) => {
                    vars.insert((*name).to_owned(), value);
                }
                Err(std::env::VarError::NotUnicode(_)) => not_unicode.push((*name).to_owned()),
                Err(std::env::VarError::NotPresent) => {}
            }
        }
        let mut env = Self::from_vars(vars);
        env.not_unicode = not_unicode;
        if env.home.is_none() {
            env.home = std::env::home_dir();
        }
        env
    }

    /// An environment holding exactly these variables. The home directory is taken from
    /// `HOME`, else `HOMEPATH` (prefixed by `HOMEDRIVE` when it has no drive), if present.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let non_empty = |name: &str| vars.get(name).filter(|v| !v.is_empty());
        let home = non_empty("HOME").map(PathBuf::from).or_else(|| {
            non_empty("HOMEPATH").map(|path| match non_empty("HOMEDRIVE") {
                Some(drive) if !has_drive(path) => PathBuf::from(format!("{drive}{path}")),
                _ => PathBuf::from(path),
            })
        });
        Self {
            vars,
            not_unicode: Vec::new(),
            home,
        }
    }

    /// Marks `name` as set to a value that is not valid Unicode (as
    /// [`Environment::from_process`] does for such variables): reading it is then a
    /// [`CredentialsError::Malformed`], not "not set".
    pub fn with_non_unicode(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.vars.remove(&name);
        self.not_unicode.push(name);
        self
    }

    /// Like [`Environment::var`], but a variable set to a value that is not valid Unicode
    /// is an error instead of "not set".
    pub fn checked_var(&self, name: &str) -> Result<Option<&str>, CredentialsError> {
        if self.not_unicode.iter().any(|n| n == name) {
            return Err(CredentialsError::Malformed {
                source_name: format!("environment ({name})"),
                reason: "the value is not valid UTF-8".to_owned(),
            });
        }
        Ok(self.var(name))
    }

    /// Replaces the home directory.
    pub fn with_home(mut self, home: impl Into<PathBuf>) -> Self {
        self.home = Some(home.into());
        self
    }

    /// Removes the home directory (no CLI profile, no default credentials file).
    pub fn without_home(mut self) -> Self {
        self.home = None;
        self
    }

    /// The value of a variable, or `None` if it is unset **or empty**.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The home directory, if known.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.vars.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Environment")
            .field("vars_set", &names)
            .field("home", &self.home)
            .finish()
    }
}

fn has_drive(path: &str) -> bool {
    let b = path.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Where [`resolve_access_key_with_source`] found the key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// The key the caller passed.
    Explicit,
    /// The `ALIBABA_CLOUD_ACCESS_KEY_*` environment variables.
    Environment,
    /// A profile of the Alibaba Cloud CLI's `config.json`.
    CliProfile {
        /// The file read.
        path: PathBuf,
        /// The profile used.
        profile: String,
    },
    /// A section of the INI credentials file.
    CredentialsFile {
        /// The file read.
        path: PathBuf,
        /// The section used.
        section: String,
    },
}

/// An access key and the source it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedAccessKey {
    /// The key.
    pub key: AccessKey,
    /// Where it was found.
    pub source: CredentialSource,
}

impl ResolvedAccessKey {
    /// The provider name the Python SDK sends (and signs) as `x-acs-credentials-provider`:
    /// `static_ak` / `static_sts` for an explicit key, `default/env`,
    /// `default/cli_profile/static_ak` / `default/cli_profile/static_sts`,
    /// `default/profile/static_ak`.
    pub fn provider_name(&self) -> String {
        let inner = if self.key.security_token.is_some() {
            "static_sts"
        } else {
            "static_ak"
        };
        match self.source {
            CredentialSource::Explicit => inner.to_owned(),
            CredentialSource::Environment => "default/env".to_owned(),
            CredentialSource::CliProfile { .. } => format!("default/cli_profile/{inner}"),
            CredentialSource::CredentialsFile { .. } => format!("default/profile/{inner}"),
        }
    }
}

/// Finds an access key: explicit, then environment, then CLI profile, then INI file (see the
/// [module documentation](self)).
pub fn resolve_access_key(
    explicit: Option<AccessKey>,
    env: &Environment,
) -> Result<AccessKey, CredentialsError> {
    resolve_access_key_with_source(explicit, env).map(|resolved| resolved.key)
}

/// Like [`resolve_access_key`], and also says where the key was found.
pub fn resolve_access_key_with_source(
    explicit: Option<AccessKey>,
    env: &Environment,
) -> Result<ResolvedAccessKey, CredentialsError> {
    if let Some(key) = explicit {
        let key = check_explicit(key)?;
        tracing::debug!(source = "explicit", access_key_id = %key.id, "using access key");
        return Ok(ResolvedAccessKey {
            key,
            source: CredentialSource::Explicit,
        });
    }
    let mut tried = vec!["explicit (none given)".to_owned()];
    let mut first_problem: Option<CredentialsError> = None;
    let sources: [Source; 3] = [from_environment, from_cli_profile, from_credentials_file];
    for source in sources {
        match source(env) {
            Ok(Lookup::Found(resolved)) => {
                tracing::debug!(
                    source = %resolved.provider_name(),
                    access_key_id = %resolved.key.id,
                    "using access key"
                );
                return Ok(resolved);
            }
            Ok(Lookup::Absent(why)) => tried.push(why),
            Err(e @ CredentialsError::Malformed { .. }) => {
                tracing::warn!(error = %e, "skipping a credentials source");
                if let CredentialsError::Malformed {
                    source_name,
                    reason,
                } = &e
                {
                    tried.push(format!("{source_name} (malformed: {reason})"));
                }
                first_problem.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(first_problem.unwrap_or(CredentialsError::NotFound { tried }))
}

/// Finds the DashScope API key (`DASHSCOPE_API_KEY`), to be sent as
/// [`Credentials::Bearer`](super::Credentials::Bearer). An empty value counts as unset.
pub fn resolve_dashscope(env: &Environment) -> Result<Secret, CredentialsError> {
    env.checked_var(ENV_DASHSCOPE_API_KEY)?
        .map(Secret::from)
        .ok_or_else(|| CredentialsError::NotFound {
            tried: vec![format!("environment ({ENV_DASHSCOPE_API_KEY})")],
        })
}

/// One source of the chain after `explicit`.
type Source = fn(&Environment) -> Result<Lookup, CredentialsError>;

/// What one source of the chain gave.
enum Lookup {
    Found(ResolvedAccessKey),
    /// Nothing there; the text says what was looked at and why it gave nothing.
    Absent(String),
}

fn check_explicit(key: AccessKey) -> Result<AccessKey, CredentialsError> {
    let missing = if key.id.is_empty() {
        "the access key id is empty"
    } else if key.secret.is_empty() {
        "the access key secret is empty"
    } else {
        let token = key.security_token.clone();
        return Ok(match token {
            Some(t) => key.with_security_token(t),
            None => key,
        });
    };
    Err(CredentialsError::Malformed {
        source_name: "explicit".to_owned(),
        reason: missing.to_owned(),
    })
}

fn from_environment(env: &Environment) -> Result<Lookup, CredentialsError> {
    let id = env.checked_var(ENV_ACCESS_KEY_ID)?;
    let secret = env.checked_var(ENV_ACCESS_KEY_SECRET)?;
    let (id, secret) = match (id, secret) {
        (Some(id), Some(secret)) => (id, secret),
        (None, None) => {
            return Ok(Lookup::Absent(format!(
                "environment ({ENV_ACCESS_KEY_ID}, {ENV_ACCESS_KEY_SECRET}: not set)"
            )))
        }
        (Some(_), None) => return Err(half_set(ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET)),
        (None, Some(_)) => return Err(half_set(ENV_ACCESS_KEY_SECRET, ENV_ACCESS_KEY_ID)),
    };
    let mut key = AccessKey::new(id, secret);
    if let Some(token) = env.checked_var(ENV_SECURITY_TOKEN)? {
        key = key.with_security_token(token);
    }
    Ok(Lookup::Found(ResolvedAccessKey {
        key,
        source: CredentialSource::Environment,
    }))
}

fn half_set(set: &str, unset: &str) -> CredentialsError {
    CredentialsError::Malformed {
        source_name: "environment".to_owned(),
        reason: format!("{set} is set but {unset} is unset or empty"),
    }
}

fn from_cli_profile(env: &Environment) -> Result<Lookup, CredentialsError> {
    if env
        .var(ENV_CLI_PROFILE_DISABLED)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Ok(Lookup::Absent(format!(
            "CLI profile (disabled by {ENV_CLI_PROFILE_DISABLED}=true)"
        )));
    }
    let Some(home) = env.home() else {
        return Ok(Lookup::Absent(
            "CLI profile ~/.aliyun/config.json (no home directory)".to_owned(),
        ));
    };
    let path = home.join(".aliyun").join("config.json");
    let shown = path.display().to_string();
    if !path.is_file() {
        return Ok(Lookup::Absent(format!(
            "CLI profile {shown} (file not found)"
        )));
    }
    let malformed = |source_name: String, reason: String| CredentialsError::Malformed {
        source_name,
        reason,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        malformed(
            format!("CLI profile {shown}"),
            format!("cannot read the file ({})", e.kind()),
        )
    })?;
    let config: Value = serde_json::from_str(&text).map_err(|e| {
        malformed(
            format!("CLI profile {shown}"),
            format!("invalid JSON at line {}, column {}", e.line(), e.column()),
        )
    })?;
    let Some(config) = config.as_object() else {
        return Err(malformed(
            format!("CLI profile {shown}"),
            "the file is not a JSON object".to_owned(),
        ));
    };
    let profile_name = match env.var(ENV_PROFILE) {
        Some(name) => name.to_owned(),
        None => match config.get("current") {
            Some(Value::String(name)) if !name.is_empty() => name.clone(),
            _ => {
                return Err(malformed(
                    format!("CLI profile {shown}"),
                    format!(
                    "no profile selected: {ENV_PROFILE} is unset and the file has no \"current\""
                ),
                ))
            }
        },
    };
    let source_name = format!("CLI profile {shown} (profile '{profile_name}')");
    let profile = config
        .get("profiles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(profile_name.as_str()));
    let Some(profile) = profile else {
        return Ok(Lookup::Absent(format!("{source_name}: not found")));
    };
    let field = |name: &str| -> Result<Option<&str>, CredentialsError> {
        match profile.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str()).filter(|s| !s.is_empty())),
            Some(_) => Err(malformed(
                source_name.clone(),
                format!("\"{name}\" is not a string"),
            )),
        }
    };
    let mode = match profile.get("mode") {
        Some(Value::String(mode)) if !mode.is_empty() => mode.as_str(),
        _ => {
            return Err(malformed(
                source_name.clone(),
                "the profile has no \"mode\"".to_owned(),
            ))
        }
    };
    let with_token = match mode {
        "AK" => false,
        "StsToken" => true,
        other => {
            return Err(CredentialsError::Unsupported {
                source_name,
                mode: other.to_owned(),
            })
        }
    };
    let key = static_key(
        env,
        &source_name,
        field("access_key_id")?,
        field("access_key_secret")?,
        if with_token {
            Some(field("sts_token")?)
        } else {
            None
        },
        &format!("mode {mode}: "),
    )?;
    Ok(Lookup::Found(ResolvedAccessKey {
        key,
        source: CredentialSource::CliProfile {
            path,
            profile: profile_name,
        },
    }))
}

/// Builds a static key the way `StaticAKCredentialsProvider` / `StaticSTSCredentialsProvider`
/// do: each empty value falls back to its environment variable, and must then be non-empty.
/// `token` is `None` for a long-lived key, `Some(value)` when a token is required.
pub(crate) fn static_key(
    env: &Environment,
    source_name: &str,
    id: Option<&str>,
    secret: Option<&str>,
    token: Option<Option<&str>>,
    context: &str,
) -> Result<AccessKey, CredentialsError> {
    let missing = |what: &str, var: &str| CredentialsError::Malformed {
        source_name: source_name.to_owned(),
        reason: format!("{context}{what} is missing or empty (and {var} is unset)"),
    };
    let id = id
        .or_else(|| env.var(ENV_ACCESS_KEY_ID))
        .ok_or_else(|| missing("access_key_id", ENV_ACCESS_KEY_ID))?;
    let secret = secret
        .or_else(|| env.var(ENV_ACCESS_KEY_SECRET))
        .ok_or_else(|| missing("access_key_secret", ENV_ACCESS_KEY_SECRET))?;
    let mut key = AccessKey::new(id, secret);
    if let Some(token) = token {
        let token = token
            .or_else(|| env.var(ENV_SECURITY_TOKEN))
            .ok_or_else(|| missing("sts_token", ENV_SECURITY_TOKEN))?;
        key = key.with_security_token(token);
    }
    Ok(key)
}

fn from_credentials_file(env: &Environment) -> Result<Lookup, CredentialsError> {
    let section_name = env.var(ENV_PROFILE).unwrap_or("default").to_owned();
    let path = match env.var(ENV_CREDENTIALS_FILE) {
        Some(path) => PathBuf::from(path),
        None => match env.home() {
            Some(home) => home.join(".alibabacloud").join("credentials.ini"),
            None => {
                return Ok(Lookup::Absent(format!(
                    "credentials file ~/.alibabacloud/credentials.ini (section '{section_name}', no home directory)"
                )))
            }
        },
    };
    let shown = path.display().to_string();
    if !path.is_file() {
        return Ok(Lookup::Absent(format!(
            "credentials file {shown} (section '{section_name}', file not found)"
        )));
    }
    let source_name = format!("credentials file {shown} (section '{section_name}')");
    let malformed = |reason: String| CredentialsError::Malformed {
        source_name: source_name.clone(),
        reason,
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| malformed(format!("cannot read the file ({})", e.kind())))?;
    let Some(section) = ini_section(&text, &section_name).map_err(malformed)? else {
        return Ok(Lookup::Absent(format!("{source_name}: not found")));
    };
    let get = |name: &str| {
        section
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    match get("type") {
        Some("access_key") => {}
        Some(other) => {
            return Err(CredentialsError::Unsupported {
                source_name,
                mode: format!("type = {other}"),
            });
        }
        None => return Err(malformed("the section has no \"type\"".to_owned())),
    }
    let key = static_key(
        env,
        &source_name,
        get("access_key_id"),
        get("access_key_secret"),
        None,
        "",
    )?;
    Ok(Lookup::Found(ResolvedAccessKey {
        key,
        source: CredentialSource::CredentialsFile {
            path,
            section: section_name,
        },
    }))
}

/// Reads one section of an INI file as Python's `configparser` + the SDK's `_load_ini` would:
/// keys lowercased, values trimmed and cut at the first `#`, `[DEFAULT]` keys as fallbacks,
/// `%%` → `%`. `Ok(None)` when the section does not exist. Errors never quote file content.
pub(crate) fn ini_section(
    text: &str,
    name: &str,
) -> Result<Option<HashMap<String, String>>, String> {
    let options = ini::ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        enabled_indented_mutiline_value: false,
        enabled_preserve_key_leading_whitespace: false,
    };
    let ini = ini::Ini::load_from_str_opt(text, options)
        .map_err(|e| format!("invalid INI at line {}, column {}", e.line, e.col))?;
    if name == "DEFAULT" || ini.section(Some(name)).is_none() {
        return Ok(None);
    }
    let mut values = HashMap::new();
    for section in [Some("DEFAULT"), Some(name)] {
        for props in ini.section_all(section) {
            for (key, value) in props.iter() {
                values.insert(key.trim().to_lowercase(), value.to_owned());
            }
        }
    }
    let mut out = HashMap::with_capacity(values.len());
    for (key, value) in values {
        let value = unescape_percent(&value).ok_or_else(|| {
            format!(
                "the value of '{key}' has a '%' that is not '%%' (write '%%' for a literal '%')"
            )
        })?;
        let value = match value.split_once('#') {
            Some((before, _)) => before.trim().to_owned(),
            None => value.trim().to_owned(),
        };
        out.insert(key, value);
    }
    Ok(Some(out))
}

/// `configparser`'s `BasicInterpolation`, minus `%(name)s` references: `%%` → `%`, any other
/// `%` is an error (`None`).
fn unescape_percent(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '%' && chars.next() != Some('%') {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::SeqCst);
            let path = std::env::temp_dir().join(format!(
                "snapshots-runtime-auth-{name}-{}-{n}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        fn write(&self, relative: &str, content: &str) -> PathBuf {
            let path = self.0.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
            path
        }

        fn cli_config(&self, content: &str) -> PathBuf {
            self.write(".aliyun/config.json", content)
        }

        fn ini(&self, content: &str) -> PathBuf {
            self.write(".alibabacloud/credentials.ini", content)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn env(home: &TempDir, vars: &[(&str, &str)]) -> Environment {
        Environment::from_vars(vars.iter().copied()).with_home(&home.0)
    }

    fn resolve(env: &Environment) -> Result<ResolvedAccessKey, CredentialsError> {
        resolve_access_key_with_source(None, env)
    }

    const AK_PROFILE: &str = r#"{
        "current": "main",
        "profiles": [
            {"name": "main", "mode": "AK", "access_key_id": "cli-id", "access_key_secret": "cli-secret", "region_id": "cn-hangzhou"},
            {"name": "sts", "mode": "StsToken", "access_key_id": "sts-id", "access_key_secret": "sts-secret", "sts_token": "sts-token"},
            {"name": "role", "mode": "RamRoleArn", "access_key_id": "r-id", "access_key_secret": "r-secret", "ram_role_arn": "acs:ram::1:role/x"},
            {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "x"},
            {"name": "oidc", "mode": "OIDC"},
            {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "main"},
            {"name": "weird", "mode": "Weird"},
            {"name": "nomode", "access_key_id": "x", "access_key_secret": "y"},
            {"name": "empty", "mode": "AK", "access_key_id": "", "access_key_secret": ""}
        ]
    }"#;

    const INI: &str = "[default]\ntype = access_key\naccess_key_id = ini-id\naccess_key_secret = ini-secret\n\n\
                       [other]\ntype = access_key\naccess_key_id = other-id\naccess_key_secret = other-secret\n\n\
                       [role]\ntype = ram_role_arn\naccess_key_id = a\naccess_key_secret = b\nrole_arn = x\n";

    // ---- explicit -------------------------------------------------------------------------

    #[test]
    fn explicit_wins_over_everything() {
        let home = TempDir::new("explicit");
        home.cli_config(AK_PROFILE);
        home.ini(INI);
        let env = env(
            &home,
            &[
                (ENV_ACCESS_KEY_ID, "env-id"),
                (ENV_ACCESS_KEY_SECRET, "env-secret"),
            ],
        );
        let r =
            resolve_access_key_with_source(Some(AccessKey::new("x-id", "x-secret")), &env).unwrap();
        assert_eq!(r.key, AccessKey::new("x-id", "x-secret"));
        assert_eq!(r.source, CredentialSource::Explicit);
        assert_eq!(r.provider_name(), "static_ak");
    }

    #[test]
    fn explicit_with_empty_parts_is_malformed() {
        let env = Environment::default();
        let e = resolve_access_key(Some(AccessKey::new("", "s")), &env).unwrap_err();
        assert!(
            matches!(e, CredentialsError::Malformed { ref source_name, .. } if source_name == "explicit"),
            "{e}"
        );
        let e = resolve_access_key(Some(AccessKey::new("id", "")), &env).unwrap_err();
        assert!(e.to_string().contains("secret is empty"), "{e}");
        let mut key = AccessKey::new("id", "s");
        key.security_token = Some(Secret::new(""));
        let r = resolve_access_key_with_source(Some(key), &env).unwrap();
        assert_eq!(r.key.security_token, None);
        assert_eq!(r.provider_name(), "static_ak");
    }

    // ---- environment ----------------------------------------------------------------------

    #[test]
    fn a_non_unicode_variable_is_malformed_not_missing() {
        let e = Environment::default().with_non_unicode(ENV_DASHSCOPE_API_KEY);
        let error = resolve_dashscope(&e).unwrap_err();
        assert!(
            matches!(&error, CredentialsError::Malformed { source_name, .. } if source_name.contains(ENV_DASHSCOPE_API_KEY)),
            "{error}"
        );
        let e = Environment::from_vars([(ENV_ACCESS_KEY_ID, "id")])
            .with_non_unicode(ENV_ACCESS_KEY_SECRET);
        assert!(matches!(
            resolve_access_key(None, &e),
            Err(CredentialsError::Malformed { .. })
        ));
    }

    #[test]
    fn environment_key_and_token() {
        let home = TempDir::new("env");
        home.cli_config(AK_PROFILE);
        home.ini(INI);
        let e = env(
            &home,
            &[
                (ENV_ACCESS_KEY_ID, "env-id"),
                (ENV_ACCESS_KEY_SECRET, "env-secret"),
            ],
        );
        let r = resolve(&e).unwrap();
        assert_eq!(r.key, AccessKey::new("env-id", "env-secret"));
        assert_eq!(r.source, CredentialSource::Environment);
        assert_eq!(r.provider_name(), "default/env");

        let e = env(
            &home,
            &[
                (ENV_ACCESS_KEY_ID, "env-id"),
                (ENV_ACCESS_KEY_SECRET, "env-secret"),
                (ENV_SECURITY_TOKEN, "tok"),
            ],
        );
        assert_eq!(
            resolve(&e).unwrap().key.security_token,
            Some(Secret::new("tok"))
        );

        let e = env(
            &home,
            &[
                (ENV_ACCESS_KEY_ID, "env-id"),
                (ENV_ACCESS_KEY_SECRET, "env-secret"),
                (ENV_SECURITY_TOKEN, ""),
            ],
        );
        assert_eq!(resolve(&e).unwrap().key.security_token, None);
    }

    #[test]
    fn empty_environment_values_count_as_unset() {
        let home = TempDir::new("env-empty");
        home.ini(INI);
        let e = env(
            &home,
            &[(ENV_ACCESS_KEY_ID, ""), (ENV_ACCESS_KEY_SECRET, "")],
        );
        let r = resolve(&e).unwrap();
        assert_eq!(r.key.id, "ini-id");
    }

    #[test]
    fn half_set_environment_falls_through_then_reports() {
        let home = TempDir::new("env-half");
        home.ini(INI);
        // A later source has a key: it is used, as in the Python chain.
        let e = env(&home, &[(ENV_ACCESS_KEY_ID, "env-id")]);
        assert_eq!(resolve(&e).unwrap().key.id, "ini-id");
        // Nothing later: the problem is reported.
        let empty = TempDir::new("env-half-empty");
        let e = env(&empty, &[(ENV_ACCESS_KEY_ID, "env-id")]);
        let err = resolve(&e).unwrap_err();
        assert_eq!(
            err,
            CredentialsError::Malformed {
                source_name: "environment".into(),
                reason: format!(
                    "{ENV_ACCESS_KEY_ID} is set but {ENV_ACCESS_KEY_SECRET} is unset or empty"
                ),
            }
        );
    }

    // ---- CLI profile ----------------------------------------------------------------------

    #[test]
    fn cli_profile_current_ak() {
        let home = TempDir::new("cli-ak");
        let path = home.cli_config(AK_PROFILE);
        home.ini(INI);
        let r = resolve(&env(&home, &[])).unwrap();
        assert_eq!(r.key, AccessKey::new("cli-id", "cli-secret"));
        assert_eq!(
            r.source,
            CredentialSource::CliProfile {
                path,
                profile: "main".into()
            }
        );
        assert_eq!(r.provider_name(), "default/cli_profile/static_ak");
    }

    #[test]
    fn cli_profile_selected_by_env_sts_token() {
        let home = TempDir::new("cli-sts");
        home.cli_config(AK_PROFILE);
        let r = resolve(&env(&home, &[(ENV_PROFILE, "sts")])).unwrap();
        assert_eq!(
            r.key,
            AccessKey::new("sts-id", "sts-secret").with_security_token("sts-token")
        );
        assert_eq!(r.provider_name(), "default/cli_profile/static_sts");
    }

    #[test]
    fn cli_profile_empty_env_profile_uses_current() {
        let home = TempDir::new("cli-empty-profile");
        home.cli_config(AK_PROFILE);
        let r = resolve(&env(&home, &[(ENV_PROFILE, "")])).unwrap();
        assert_eq!(r.key.id, "cli-id");
    }

    #[test]
    fn cli_profile_empty_values_fall_back_to_environment() {
        // As StaticAKCredentialsProvider: `access_key_id or env`. Here the environment alone
        // is half set, so the environment source fails and the profile completes it.
        let home = TempDir::new("cli-fallback");
        home.cli_config(
            r#"{"current":"p","profiles":[{"name":"p","mode":"AK","access_key_id":"","access_key_secret":"cli-secret"}]}"#,
        );
        let r = resolve(&env(&home, &[(ENV_ACCESS_KEY_ID, "env-id")])).unwrap();
        assert_eq!(r.key, AccessKey::new("env-id", "cli-secret"));
        assert!(matches!(r.source, CredentialSource::CliProfile { .. }));
    }

    #[test]
    fn cli_profile_unsupported_modes_are_named() {
        let home = TempDir::new("cli-unsupported");
        let path = home.cli_config(AK_PROFILE);
        home.ini(INI); // must NOT be used instead
        for mode in [
            "RamRoleArn",
            "EcsRamRole",
            "OIDC",
            "ChainableRamRoleArn",
            "Weird",
        ] {
            let profile = match mode {
                "RamRoleArn" => "role",
                "EcsRamRole" => "ecs",
                "OIDC" => "oidc",
                "ChainableRamRoleArn" => "chain",
                _ => "weird",
            };
            let err = resolve(&env(&home, &[(ENV_PROFILE, profile)])).unwrap_err();
            assert_eq!(
                err,
                CredentialsError::Unsupported {
                    source_name: format!("CLI profile {} (profile '{profile}')", path.display()),
                    mode: mode.into(),
                }
            );
            let text = err.to_string();
            assert!(
                text.contains(mode) && text.contains("not yet supported"),
                "{text}"
            );
            assert!(!text.contains("r-secret"), "{text}");
        }
    }

    #[test]
    fn cli_profile_missing_profile_falls_through() {
        let home = TempDir::new("cli-missing-profile");
        let path = home.cli_config(AK_PROFILE);
        let ini = home.ini(INI);
        // ALIBABA_CLOUD_PROFILE=other: no such CLI profile, but an INI section 'other'.
        let r = resolve(&env(&home, &[(ENV_PROFILE, "other")])).unwrap();
        assert_eq!(r.key.id, "other-id");
        assert_eq!(
            r.source,
            CredentialSource::CredentialsFile {
                path: ini,
                section: "other".into()
            }
        );
        assert_eq!(r.provider_name(), "default/profile/static_ak");
        // Neither has it.
        let err = resolve(&env(&home, &[(ENV_PROFILE, "nope")])).unwrap_err();
        let CredentialsError::NotFound { tried } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            tried[2],
            format!("CLI profile {} (profile 'nope'): not found", path.display())
        );
    }

    #[test]
    fn cli_profile_malformed() {
        let cases: &[(&str, &str)] = &[
            ("{ not json", "invalid JSON at line 1, column 3"),
            ("[1, 2]", "not a JSON object"),
            (r#"{"profiles": []}"#, "no profile selected"),
            (
                r#"{"current":"p","profiles":[{"name":"p"}]}"#,
                "no \"mode\"",
            ),
            (
                r#"{"current":"p","profiles":[{"name":"p","mode":"AK","access_key_id":"i"}]}"#,
                "access_key_secret is missing",
            ),
            (
                r#"{"current":"p","profiles":[{"name":"p","mode":"AK","access_key_id":5,"access_key_secret":"s"}]}"#,
                "\"access_key_id\" is not a string",
            ),
            (
                r#"{"current":"p","profiles":[{"name":"p","mode":"StsToken","access_key_id":"i","access_key_secret":"s"}]}"#,
                "sts_token is missing",
            ),
        ];
        for (content, expected) in cases {
            let home = TempDir::new("cli-malformed");
            home.cli_config(content);
            let err = resolve(&env(&home, &[])).unwrap_err();
            let CredentialsError::Malformed {
                source_name,
                reason,
            } = &err
            else {
                panic!("{content}: {err:?}")
            };
            assert!(source_name.starts_with("CLI profile "), "{source_name}");
            assert!(reason.contains(expected), "{content}: {reason}");
        }
    }

    #[test]
    fn malformed_cli_profile_does_not_hide_a_valid_ini() {
        let home = TempDir::new("cli-malformed-ini");
        home.cli_config("{ nope");
        home.ini(INI);
        assert_eq!(resolve(&env(&home, &[])).unwrap().key.id, "ini-id");
    }

    #[test]
    fn cli_profile_can_be_disabled() {
        let home = TempDir::new("cli-disabled");
        home.cli_config(AK_PROFILE);
        home.ini(INI);
        let r = resolve(&env(&home, &[(ENV_CLI_PROFILE_DISABLED, "TRUE")])).unwrap();
        assert_eq!(r.key.id, "ini-id");
    }

    // ---- INI file -------------------------------------------------------------------------

    #[test]
    fn ini_default_section() {
        let home = TempDir::new("ini-default");
        let path = home.ini(INI);
        let r = resolve(&env(&home, &[])).unwrap();
        assert_eq!(r.key, AccessKey::new("ini-id", "ini-secret"));
        assert_eq!(
            r.source,
            CredentialSource::CredentialsFile {
                path,
                section: "default".into()
            }
        );
    }

    #[test]
    fn ini_file_from_env_and_section_from_profile() {
        let home = TempDir::new("ini-env");
        let elsewhere = home.write("somewhere/creds.ini", INI);
        let e = env(
            &home,
            &[
                (ENV_CREDENTIALS_FILE, elsewhere.to_str().unwrap()),
                (ENV_PROFILE, "other"),
            ],
        );
        let r = resolve(&e).unwrap();
        assert_eq!(r.key, AccessKey::new("other-id", "other-secret"));
        assert_eq!(
            r.source,
            CredentialSource::CredentialsFile {
                path: elsewhere,
                section: "other".into()
            }
        );
    }

    #[test]
    fn ini_empty_file_variable_uses_default_path() {
        let home = TempDir::new("ini-empty-var");
        home.ini(INI);
        let r = resolve(&env(&home, &[(ENV_CREDENTIALS_FILE, "")])).unwrap();
        assert_eq!(r.key.id, "ini-id");
    }

    #[test]
    fn ini_configparser_details() {
        let home = TempDir::new("ini-details");
        home.ini(
            "; a comment\n# another\n[DEFAULT]\ntype = access_key\n\n[default]\nAccess_Key_Id : the-id   # trailing note\n\
             ACCESS_KEY_SECRET = a\\b%%c\"d'\n",
        );
        let r = resolve(&env(&home, &[])).unwrap();
        assert_eq!(r.key, AccessKey::new("the-id", "a\\b%c\"d'"));
    }

    #[test]
    fn ini_unsupported_types_are_named() {
        let home = TempDir::new("ini-unsupported");
        let path = home.ini(INI);
        let err = resolve(&env(&home, &[(ENV_PROFILE, "role")])).unwrap_err();
        assert_eq!(
            err,
            CredentialsError::Unsupported {
                source_name: format!("credentials file {} (section 'role')", path.display()),
                mode: "type = ram_role_arn".into(),
            }
        );
        for ty in ["oidc_role_arn", "ecs_ram_role", "rsa_key_pair", "sts"] {
            home.ini(&format!("[default]\ntype = {ty}\n"));
            let err = resolve(&env(&home, &[])).unwrap_err();
            assert!(
                matches!(&err, CredentialsError::Unsupported { mode, .. } if *mode == format!("type = {ty}")),
                "{err:?}"
            );
        }
    }

    #[test]
    fn ini_malformed() {
        let cases: &[(&str, &str)] = &[
            ("[default\ntype = access_key\n", "invalid INI at line"),
            (
                "[default]\naccess_key_id = a\naccess_key_secret = b\n",
                "no \"type\"",
            ),
            (
                "[default]\ntype = access_key\naccess_key_id = a\n",
                "access_key_secret is missing",
            ),
            (
                "[default]\ntype = access_key\naccess_key_id = a\naccess_key_secret = 50%off\n",
                "'access_key_secret' has a '%'",
            ),
        ];
        for (content, expected) in cases {
            let home = TempDir::new("ini-malformed");
            home.ini(content);
            let err = resolve(&env(&home, &[])).unwrap_err();
            let CredentialsError::Malformed {
                source_name,
                reason,
            } = &err
            else {
                panic!("{content}: {err:?}")
            };
            assert!(
                source_name.starts_with("credentials file "),
                "{source_name}"
            );
            assert!(reason.contains(expected), "{content}: {reason}");
            assert!(!err.to_string().contains("50%off"), "{err}");
        }
    }

    #[test]
    fn ini_missing_section_is_not_found() {
        let home = TempDir::new("ini-missing-section");
        let path = home.ini(INI);
        let err = resolve(&env(&home, &[(ENV_PROFILE, "absent")])).unwrap_err();
        let CredentialsError::NotFound { tried } = err else {
            panic!()
        };
        assert_eq!(
            tried.last().unwrap(),
            &format!(
                "credentials file {} (section 'absent'): not found",
                path.display()
            )
        );
    }

    // ---- the chain as a whole -------------------------------------------------------------

    #[test]
    fn precedence_environment_then_cli_then_ini() {
        let home = TempDir::new("precedence");
        home.cli_config(AK_PROFILE);
        home.ini(INI);
        let with_env = env(
            &home,
            &[
                (ENV_ACCESS_KEY_ID, "env-id"),
                (ENV_ACCESS_KEY_SECRET, "env-secret"),
            ],
        );
        assert_eq!(resolve(&with_env).unwrap().key.id, "env-id");
        assert_eq!(resolve(&env(&home, &[])).unwrap().key.id, "cli-id");
        std::fs::remove_file(home.0.join(".aliyun/config.json")).unwrap();
        assert_eq!(resolve(&env(&home, &[])).unwrap().key.id, "ini-id");
    }

    #[test]
    fn not_found_lists_every_source_tried() {
        let home = TempDir::new("not-found");
        let err = resolve(&env(&home, &[(ENV_PROFILE, "x")])).unwrap_err();
        let h = home.0.display();
        assert_eq!(
            err.to_string(),
            format!(
                "no credentials found; tried: explicit (none given), \
                 environment (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: not set), \
                 CLI profile {} (file not found), \
                 credentials file {} (section 'x', file not found)",
                home.0.join(".aliyun").join("config.json").display(),
                home.0.join(".alibabacloud").join("credentials.ini").display(),
            ),
            "home {h}"
        );

        let err = resolve(&Environment::default()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("CLI profile ~/.aliyun/config.json (no home directory)"),
            "{text}"
        );
        assert!(text.contains("credentials file ~/.alibabacloud/credentials.ini (section 'default', no home directory)"), "{text}");
    }

    #[test]
    fn no_secret_in_any_error_or_debug_output() {
        const SECRETS: &[&str] = &["S3cr3t-Value", "T0ken-Value", "Dash-Key-Value"];
        let home = TempDir::new("no-leak");
        let mut outputs = Vec::new();
        // Half-set environment with only the secret and token.
        let e = env(
            &home,
            &[
                (ENV_ACCESS_KEY_SECRET, SECRETS[0]),
                (ENV_SECURITY_TOKEN, SECRETS[1]),
                (ENV_DASHSCOPE_API_KEY, SECRETS[2]),
            ],
        );
        outputs.push(format!("{e:?}"));
        let err = resolve(&e).unwrap_err();
        outputs.push(format!("{err} {err:?}"));
        // Malformed and unsupported files holding the secret.
        for content in [
            format!(
                r#"{{"current":"p","profiles":[{{"name":"p","mode":"AK","access_key_secret":"{}"}}]}}"#,
                SECRETS[0]
            ),
            format!(
                r#"{{"current":"p","profiles":[{{"name":"p","mode":"RamRoleArn","access_key_id":"i","access_key_secret":"{}"}}]}}"#,
                SECRETS[0]
            ),
            format!(
                r#"{{"current":"p","profiles":[{{"name":"p","mode":"AK","access_key_secret":"{}" "#,
                SECRETS[0]
            ),
            format!(
                r#"{{"current":"p","profiles":[{{"name":"p","mode":"StsToken","access_key_id":"i","access_key_secret":"{}","sts_token":5}}]}}"#,
                SECRETS[0]
            ),
        ] {
            let home = TempDir::new("no-leak-cli");
            home.cli_config(&content);
            let err = resolve(&env(&home, &[])).unwrap_err();
            outputs.push(format!("{err} {err:?}"));
        }
        for content in [
            format!(
                "[default]\ntype = access_key\naccess_key_secret = {}\n",
                SECRETS[0]
            ),
            format!(
                "[default]\ntype = ram_role_arn\naccess_key_id = i\naccess_key_secret = {}\n",
                SECRETS[0]
            ),
            format!(
                "[default]\ntype = access_key\naccess_key_id = i\naccess_key_secret = {}%\n",
                SECRETS[0]
            ),
            format!(
                "[default]\ntype = access_key\naccess_key_secret = {}\n[default\n",
                SECRETS[0]
            ),
        ] {
            let home = TempDir::new("no-leak-ini");
            home.ini(&content);
            let err = resolve(&env(&home, &[])).unwrap_err();
            outputs.push(format!("{err} {err:?}"));
        }
        // Successful resolutions.
        let e = env(
            &home,
            &[
                (ENV_ACCESS_KEY_ID, "id"),
                (ENV_ACCESS_KEY_SECRET, SECRETS[0]),
                (ENV_SECURITY_TOKEN, SECRETS[1]),
            ],
        );
        let r = resolve(&e).unwrap();
        outputs.push(format!("{r:?} {:?} {:?}", r.key, r.source));
        let d = resolve_dashscope(&env(&home, &[(ENV_DASHSCOPE_API_KEY, SECRETS[2])])).unwrap();
        outputs.push(format!("{d:?} {d}"));
        for out in &outputs {
            for secret in SECRETS {
                assert!(!out.contains(secret), "secret leaked in: {out}");
            }
        }
    }

    // ---- DashScope ------------------------------------------------------------------------

    #[test]
    fn dashscope_key() {
        let e = Environment::from_vars([(ENV_DASHSCOPE_API_KEY, "sk-1")]);
        assert_eq!(resolve_dashscope(&e).unwrap().expose(), "sk-1");
        for e in [
            Environment::default(),
            Environment::from_vars([(ENV_DASHSCOPE_API_KEY, "")]),
        ] {
            assert_eq!(
                resolve_dashscope(&e).unwrap_err().to_string(),
                "no credentials found; tried: environment (DASHSCOPE_API_KEY)"
            );
        }
    }

    // ---- Environment ----------------------------------------------------------------------

    #[test]
    fn environment_home_and_debug() {
        let e = Environment::from_vars([("HOME", "/h"), (ENV_ACCESS_KEY_SECRET, "zzz")]);
        assert_eq!(e.home(), Some(Path::new("/h")));
        assert!(!format!("{e:?}").contains("zzz"));
        let e = Environment::from_vars([("HOMEPATH", "\\Users\\me"), ("HOMEDRIVE", "C:")]);
        assert_eq!(e.home(), Some(Path::new("C:\\Users\\me")));
        let e = Environment::from_vars([("HOME", ""), ("HOMEPATH", "/hp")]);
        assert_eq!(e.home(), Some(Path::new("/hp")));
        assert_eq!(
            Environment::from_vars([("HOME", "/h")])
                .without_home()
                .home(),
            None
        );
        assert_eq!(e.var("HOME"), None);
        // from_process only reads; it must not panic whatever the environment holds.
        let _ = Environment::from_process();
    }
}
