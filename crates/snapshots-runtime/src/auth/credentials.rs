//! What the default chain ([`super::chain`]) reads: the [`Environment`] (variables and home
//! directory, captured once so that everything can be tested without touching the process),
//! the INI reader, the static-key rule, and the DashScope API key ([`resolve_dashscope`]).
//!
//! Behaviour kept from the official Python library (`alibabacloud-credentials` 1.0.12):
//!
//! - an empty variable or key counts as absent (`ALIBABA_CLOUD_ACCESS_KEY_ID=""` is unset; an
//!   empty security token means a long-lived key); a variable that is not valid UTF-8 is
//!   malformed, not absent;
//! - an `AK` or `StsToken` CLI profile, or an `access_key` INI section, with an empty id, secret
//!   or token takes that value from the environment variable instead ([`static_key`]);
//! - INI keys are case-insensitive, text after a `#` in a value is dropped, a `[DEFAULT]`
//!   section supplies keys missing from the selected one, and `%%` stands for `%` (a lone `%`
//!   is rejected, as Python's `configparser` rejects it).
//!
//! One deliberate difference: `ALIBABA_CLOUD_PROFILE=""` selects the `default` INI section
//! here; the Python library looks for a section named `""` and so never finds one.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

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

/// Finds the DashScope API key (`DASHSCOPE_API_KEY`), to be sent as
/// [`Credentials::Bearer`](super::Credentials::Bearer). An empty value counts as unset.
pub fn resolve_dashscope(env: &Environment) -> Result<Secret, CredentialsError> {
    env.checked_var(ENV_DASHSCOPE_API_KEY)?
        .map(Secret::from)
        .ok_or_else(|| CredentialsError::NotFound {
            tried: vec![format!("environment ({ENV_DASHSCOPE_API_KEY})")],
        })
}

/// Builds a static key the way `StaticAKCredentialsProvider` / `StaticSTSCredentialsProvider`
/// do: each absent or empty value falls back to its environment variable, and must then be
/// non-empty. `token` is `None` for a long-lived key, `Some(value)` when a token is required.
pub(crate) fn static_key(
    env: &Environment,
    id: Option<&str>,
    secret: Option<&str>,
    token: Option<Option<&str>>,
    source_name: &str,
) -> Result<AccessKey, CredentialsError> {
    let missing = |what: &str, var: &str| CredentialsError::Malformed {
        source_name: source_name.to_owned(),
        reason: format!("{what} is missing or empty (and {var} is unset)"),
    };
    let pick = |value: Option<&str>, var: &str, what: &str| {
        value
            .filter(|v| !v.is_empty())
            .or_else(|| env.var(var))
            .map(str::to_owned)
            .ok_or_else(|| missing(what, var))
    };
    let id = pick(id, ENV_ACCESS_KEY_ID, "access_key_id")?;
    let secret = pick(secret, ENV_ACCESS_KEY_SECRET, "access_key_secret")?;
    let mut key = AccessKey::new(id, secret);
    if let Some(token) = token {
        key = key.with_security_token(pick(token, ENV_SECURITY_TOKEN, "sts_token")?);
    }
    Ok(key)
}

/// Reads one section of an INI file as Python's `configparser` + the SDK's `_load_ini` would:
/// keys lowercased, values trimmed and cut at the first `#`, `[DEFAULT]` keys as fallbacks,
/// `%%` → `%`. `Ok(None)` when the section does not exist. Errors never quote file content.
pub(crate) fn ini_section(
    text: &str,
    name: &str,
) -> Result<Option<HashMap<String, String>>, String> {
    let sections = parse_ini(text)?;
    if name == INI_DEFAULT || !sections.contains_key(name) {
        return Ok(None);
    }
    let mut values = HashMap::new();
    for section in [INI_DEFAULT, name] {
        for (key, value) in sections.get(section).into_iter().flatten() {
            let Some(value) = value else {
                return Err("a line has neither '=' nor ':' after its key".to_owned());
            };
            values.insert(key.trim().to_lowercase(), value.clone());
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

/// The name of the section whose keys every other section inherits.
const INI_DEFAULT: &str = "DEFAULT";

/// Sections and keys of an INI text, as `configparser` (the crate, modelled on Python's
/// module) reads them: `=` or `:` between key and value, `#` and `;` lines are comments,
/// names kept as written (keys are lowercased by the caller), no multi-line values. A key
/// without a value maps to `None`. The error names a line, never its content.
fn parse_ini(text: &str) -> Result<HashMap<String, IniSection>, String> {
    let mut defaults = configparser::ini::IniDefault::default();
    defaults.default_section = INI_DEFAULT.to_owned();
    defaults.case_sensitive = true;
    defaults.multiline = false;
    defaults.enable_inline_comments = false;
    let mut ini = configparser::ini::Ini::new_from_defaults(defaults);
    ini.read(text.to_owned()).map_err(|e| {
        // The crate's messages start with `line N`; keep only that, in case a later version
        // quotes the line (which may hold a secret).
        let at = e.split(':').next().filter(|s| s.starts_with("line "));
        format!("invalid INI at {}", at.unwrap_or("an unknown line"))
    })
}

/// The keys of one INI section and their values (`None`: a key alone on its line).
type IniSection = HashMap<String, Option<String>>;

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

    /// The key the static part of the chain gives for `env` (CLI profile, then INI file;
    /// the environment comes first in the chain and is tested there).
    fn static_from_files(env: &Environment) -> Result<AccessKey, CredentialsError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let env = env.clone();
        let chain = super::super::chain::DefaultChain::new(env);
        use super::super::provider::ProvideCredentials;
        rt.block_on(chain.provide()).map(|p| p.key)
    }

    #[test]
    fn a_non_unicode_variable_is_malformed_not_missing() {
        let e = Environment::default().with_non_unicode(ENV_DASHSCOPE_API_KEY);
        let error = resolve_dashscope(&e).unwrap_err();
        assert!(
            matches!(&error, CredentialsError::Malformed { source_name, .. } if source_name.contains(ENV_DASHSCOPE_API_KEY)),
            "{error}"
        );
    }

    #[test]
    fn ini_configparser_details() {
        let home = TempDir::new("ini-details");
        home.ini(
            "; a comment\n# another\n[DEFAULT]\ntype = access_key\n\n[default]\nAccess_Key_Id : the-id   # trailing note\n\
             ACCESS_KEY_SECRET = a\\b%%c\"d'\n",
        );
        let key = static_from_files(&env(&home, &[])).unwrap();
        assert_eq!(key, AccessKey::new("the-id", "a\\b%c\"d'"));
    }

    #[test]
    fn ini_errors_name_a_line_never_its_content() {
        let alone = ini_section("[p]\nS3cr3t-alone\n", "p").unwrap_err();
        assert!(alone.contains("neither '=' nor ':'"), "{alone}");
        let header = ini_section("[p]\na = 1\n[S3cr3t\n", "p").unwrap_err();
        assert_eq!(header, "invalid INI at line 3");
        for error in [alone, header] {
            assert!(!error.contains("S3cr3t"), "{error}");
        }
    }

    #[test]
    fn ini_sections_are_case_sensitive_and_inherit_default() {
        let text = "[DEFAULT]\nRegion = r0\n[Prod]\nKEY = v # note\n";
        assert_eq!(ini_section(text, "prod").unwrap(), None);
        assert_eq!(ini_section(text, "DEFAULT").unwrap(), None);
        let prod = ini_section(text, "Prod").unwrap().unwrap();
        assert_eq!(prod.get("region").map(String::as_str), Some("r0"));
        assert_eq!(prod.get("key").map(String::as_str), Some("v"));
    }

    #[test]
    fn empty_profile_values_fall_back_to_the_environment() {
        let home = TempDir::new("fallback");
        home.cli_config(r#"{"current": "p", "profiles": [{"name": "p", "mode": "AK", "access_key_id": "", "access_key_secret": "s"}]}"#);
        // The environment alone is half set (noted, skipped); the profile's empty id is then
        // taken from the same variable, as the official library does.
        let key = static_from_files(&env(&home, &[(ENV_ACCESS_KEY_ID, "from-env-id")])).unwrap();
        assert_eq!(key, AccessKey::new("from-env-id", "s"));
    }

    #[test]
    fn no_secret_in_any_error_or_debug_output() {
        const SECRET: &str = "S3cr3t-Value";
        let mut outputs = Vec::new();
        for content in [
            format!(
                r#"{{"current":"p","profiles":[{{"name":"p","mode":"AK","access_key_secret":"{SECRET}"}}]}}"#
            ),
            format!(
                r#"{{"current":"p","profiles":[{{"name":"p","mode":"AK","access_key_secret":"{SECRET}" "#
            ),
            format!(
                r#"{{"current":"p","profiles":[{{"name":"p","mode":"StsToken","access_key_id":"i","access_key_secret":"{SECRET}","sts_token":5}}]}}"#
            ),
        ] {
            let home = TempDir::new("no-leak-cli");
            home.cli_config(&content);
            let err = static_from_files(&env(&home, &[])).unwrap_err();
            outputs.push(format!("{err} {err:?}"));
        }
        for content in [
            format!("[default]\ntype = access_key\naccess_key_secret = {SECRET}\n"),
            format!("[default]\ntype = rsa_key_pair\naccess_key_secret = {SECRET}\n"),
            format!("[default\naccess_key_secret = {SECRET}\n"),
        ] {
            let home = TempDir::new("no-leak-ini");
            home.ini(&content);
            let err = static_from_files(&env(&home, &[])).unwrap_err();
            outputs.push(format!("{err} {err:?}"));
        }
        for output in outputs {
            assert!(!output.contains(SECRET), "{output}");
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
