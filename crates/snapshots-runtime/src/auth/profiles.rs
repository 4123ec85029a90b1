//! The two credentials files of the chain, parsed into typed structures: the Alibaba Cloud
//! CLI's `~/.aliyun/config.json` ([`CliConfig`], [`CliProfile`]) and the INI credentials
//! file `~/.alibabacloud/credentials.ini` ([`IniProfile`]), with the field names the official
//! library reads (`cli_profile.py`, `profile.py`). Unknown fields are ignored, as the CLI
//! writes many (`region_id`, `output_format`, ...). Errors name the file and never quote its
//! content.

use super::credentials::{Environment, ENV_CREDENTIALS_FILE, ENV_PROFILE};
use super::CredentialsError;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// `~/.aliyun/config.json`.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct CliConfig {
    /// The profile used when `ALIBABA_CLOUD_PROFILE` is unset.
    #[serde(default)]
    pub current: Option<String>,
    /// Every profile.
    #[serde(default)]
    pub profiles: Vec<CliProfile>,
}

/// One profile of the CLI's configuration (`Debug` shows no secret).
#[derive(Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct CliProfile {
    /// Its name.
    pub name: String,
    /// `AK`, `StsToken`, `RamRoleArn`, `EcsRamRole`, `OIDC`, `ChainableRamRoleArn`,
    /// `External`, `CloudSSO`, `OAuth`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Access key id (`AK`, `StsToken`, `RamRoleArn`).
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Access key secret.
    #[serde(default)]
    pub access_key_secret: Option<String>,
    /// STS token (`StsToken`).
    #[serde(default)]
    pub sts_token: Option<String>,
    /// Role to assume (`RamRoleArn`, `ChainableRamRoleArn`, `OIDC`).
    #[serde(default)]
    pub ram_role_arn: Option<String>,
    /// Session name of `RamRoleArn` and `ChainableRamRoleArn`.
    #[serde(default)]
    pub ram_session_name: Option<String>,
    /// Session name of `OIDC`.
    #[serde(default)]
    pub role_session_name: Option<String>,
    /// Lifetime of assumed credentials, in seconds.
    #[serde(default)]
    pub expired_seconds: Option<u64>,
    /// The STS region (`sts.<region>.aliyuncs.com`).
    #[serde(default)]
    pub sts_region: Option<String>,
    /// Whether to use the VPC STS endpoint (`sts-vpc.<region>.aliyuncs.com`).
    #[serde(default)]
    pub enable_vpc: Option<bool>,
    /// The ECS RAM role (`EcsRamRole`; discovered when absent).
    #[serde(default)]
    pub ram_role_name: Option<String>,
    /// The OIDC provider (`OIDC`).
    #[serde(default)]
    pub oidc_provider_arn: Option<String>,
    /// The OIDC token file (`OIDC`).
    #[serde(default)]
    pub oidc_token_file: Option<String>,
    /// The profile whose credentials assume the role (`ChainableRamRoleArn`).
    #[serde(default)]
    pub source_profile: Option<String>,
    /// The command that prints credentials (`External`).
    #[serde(default)]
    pub process_command: Option<String>,
}

impl std::fmt::Debug for CliProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CliProfile")
            .field("name", &self.name)
            .field("mode", &self.mode)
            .field("access_key_id", &self.access_key_id)
            .field("ram_role_arn", &self.ram_role_arn)
            .field("source_profile", &self.source_profile)
            .finish_non_exhaustive()
    }
}

impl CliConfig {
    /// The profile named `name`.
    pub fn profile(&self, name: &str) -> Option<&CliProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }
}

/// One section of the INI credentials file (`Debug` shows no secret).
#[derive(Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct IniProfile {
    /// `access_key`, `ram_role_arn`, `oidc_role_arn`, `ecs_ram_role`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Access key id (`access_key`, `ram_role_arn`).
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Access key secret.
    #[serde(default)]
    pub access_key_secret: Option<String>,
    /// Role to assume (`ram_role_arn`, `oidc_role_arn`).
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Session name.
    #[serde(default)]
    pub role_session_name: Option<String>,
    /// Policy of the assumed session.
    #[serde(default)]
    pub policy: Option<String>,
    /// The OIDC provider (`oidc_role_arn`).
    #[serde(default)]
    pub oidc_provider_arn: Option<String>,
    /// The OIDC token file (`oidc_role_arn`).
    #[serde(default)]
    pub oidc_token_file_path: Option<String>,
    /// The ECS RAM role (`ecs_ram_role`).
    #[serde(default)]
    pub role_name: Option<String>,
}

impl std::fmt::Debug for IniProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IniProfile")
            .field("type", &self.kind)
            .field("access_key_id", &self.access_key_id)
            .field("role_arn", &self.role_arn)
            .finish_non_exhaustive()
    }
}

/// Where the CLI configuration is, if there is a home directory.
pub fn cli_config_path(env: &Environment) -> Option<PathBuf> {
    env.home()
        .map(|home| home.join(".aliyun").join("config.json"))
}

/// Reads and parses the CLI configuration at `path`; `Ok(None)` when there is no file.
pub fn load_cli_config(path: &Path) -> Result<Option<CliConfig>, CredentialsError> {
    if !path.is_file() {
        return Ok(None);
    }
    let source_name = format!("CLI profile {}", path.display());
    let malformed = |reason: String| CredentialsError::Malformed {
        source_name: source_name.clone(),
        reason,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| malformed(format!("cannot read the file ({})", e.kind())))?;
    serde_json::from_str(&text).map(Some).map_err(|e| {
        // serde's message names the field and the expected type, never the value.
        let what = if e.is_syntax() || e.is_eof() {
            "invalid JSON".to_owned()
        } else {
            e.to_string()
                .split(" at line")
                .next()
                .unwrap_or("invalid content")
                .to_owned()
        };
        malformed(format!(
            "{what} at line {}, column {}",
            e.line(),
            e.column()
        ))
    })
}

/// The INI file and section the chain reads: `ALIBABA_CLOUD_CREDENTIALS_FILE`, else
/// `~/.alibabacloud/credentials.ini`; section `ALIBABA_CLOUD_PROFILE`, else `default`.
pub fn ini_location(env: &Environment) -> (Option<PathBuf>, String) {
    let section = env.var(ENV_PROFILE).unwrap_or("default").to_owned();
    let path = match env.var(ENV_CREDENTIALS_FILE) {
        Some(path) => Some(PathBuf::from(path)),
        None => env
            .home()
            .map(|home| home.join(".alibabacloud").join("credentials.ini")),
    };
    (path, section)
}

/// Turns the key-value pairs of one INI section into an [`IniProfile`].
pub fn ini_profile(values: HashMap<String, String>) -> IniProfile {
    let non_empty = |key: &str| values.get(key).filter(|v| !v.is_empty()).cloned();
    IniProfile {
        kind: non_empty("type"),
        access_key_id: non_empty("access_key_id"),
        access_key_secret: non_empty("access_key_secret"),
        role_arn: non_empty("role_arn"),
        role_session_name: non_empty("role_session_name"),
        policy: non_empty("policy"),
        oidc_provider_arn: non_empty("oidc_provider_arn"),
        oidc_token_file_path: non_empty("oidc_token_file_path"),
        role_name: non_empty("role_name"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_of_the_cli_parses_and_unknown_fields_are_ignored() {
        let config: CliConfig = serde_json::from_str(
            r#"{"current": "chain", "meta_path": "", "profiles": [
                {"name": "ak", "mode": "AK", "access_key_id": "id", "access_key_secret": "s", "region_id": "cn-hangzhou"},
                {"name": "role", "mode": "RamRoleArn", "access_key_id": "id", "access_key_secret": "s",
                 "ram_role_arn": "acs:ram::1:role/r", "ram_session_name": "n", "expired_seconds": 900, "sts_region": "cn-shanghai", "enable_vpc": true},
                {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "r"},
                {"name": "oidc", "mode": "OIDC", "ram_role_arn": "a", "oidc_provider_arn": "p", "oidc_token_file": "/t", "role_session_name": "s"},
                {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "ak", "ram_role_arn": "a"},
                {"name": "ext", "mode": "External", "process_command": "cmd --flag"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(config.current.as_deref(), Some("chain"));
        let role = config.profile("role").unwrap();
        assert_eq!(role.expired_seconds, Some(900));
        assert_eq!(role.enable_vpc, Some(true));
        assert_eq!(
            config.profile("chain").unwrap().source_profile.as_deref(),
            Some("ak")
        );
        assert_eq!(
            config.profile("ext").unwrap().process_command.as_deref(),
            Some("cmd --flag")
        );
        assert!(!format!("{role:?}").contains("\"s\""));
    }
}
