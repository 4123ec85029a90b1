//! `cargo xtask conformance`: the emulator checked against its own specs by schemathesis, a
//! property-based API tester, over loopback.
//!
//! 1. Finds schemathesis (`st`): on `PATH`, else in `target/conformance/venv`, else installs
//!    the pinned version there (`python3 -m venv` + `pip install`, from PyPI).
//! 2. Builds and starts the emulator binary on a free loopback port.
//! 3. Runs `st run` once per profile of every API of [`crate::apis::APIS`] (the specs'
//!    `x-profiles`), each with the base URL of its prefix and the headers of its auth scheme
//!    (see [`runs`]), with the checks
//!    [`CHECKS`]: no server error (except in operations whose spec documents a 5xx, see
//!    `st_config`), every status documented, every response valid against the spec (content
//!    type, headers, schema).
//! 4. Stops the emulator; fails if any run failed.
//!
//! The operation-level `servers` of the LangStudio gateway operations (the real gateway) are
//! never contacted: `--url` replaces every server, and the runs use only loopback.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod st_config;

/// The schemathesis release the conformance run is pinned to.
pub const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// The schemathesis checks every run applies.
pub const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance";

/// Test cases per operation (`--max-examples`); enough to cover every parameter, small
/// enough for CI on two cores.
pub const MAX_EXAMPLES: u32 = 40;

/// The fixed seed, so that a failure reproduces.
pub const SEED: u64 = 20_261_123;

/// One schemathesis run: which spec, which operations, which prefix, which headers.
#[derive(Debug)]
struct Run {
    name: String,
    spec: &'static str,
    prefix: String,
    filter: Vec<String>,
    headers: Vec<String>,
}

/// One run per `rest` profile of every API of [`crate::apis::APIS`]: the emulator serves a
/// profile under `/<accessor with hyphens>` (`/dsw`, `/langstudio`), with the headers of the
/// profile's auth scheme. An `action-path` profile (LangStudio's gateway) is not run:
/// schemathesis sends the paths the spec describes, which such a profile rewrites; the
/// end-to-end tests cover it.
fn runs(root: &Path, credentials: &DemoCredentials) -> Result<Vec<Run>> {
    let mut runs = Vec::new();
    for api in crate::apis::APIS {
        let spec = crate::spec::Spec::load(&root.join(api.spec))?;
        for profile in crate::glue::profiles::read(&spec.raw).context(api.spec)? {
            if profile.transport != "Rest" {
                continue;
            }
            runs.push(Run {
                name: profile.title.clone(),
                spec: api.spec,
                prefix: format!("/{}", profile.accessor.replace('_', "-")),
                filter: Vec::new(),
                headers: headers(profile.auth, credentials),
            });
        }
    }
    Ok(runs)
}

/// The headers of an auth scheme (the runtime's names, see `glue::profiles`), with the
/// emulator's credentials.
fn headers(auth: &str, credentials: &DemoCredentials) -> Vec<String> {
    match auth {
        "AlibabaAcs3" => vec![
            format!("x-acs-bearer-token: {}", credentials.alibaba_bearer_token),
            "x-acs-signature-type: BEARERTOKEN".to_owned(),
        ],
        "DashscopeBearer" => vec![format!(
            "Authorization: Bearer {}",
            credentials.dashscope_api_key
        )],
        _ => vec![format!("X-Username: {}", credentials.graph_olap_user)],
    }
}

/// Runs the conformance check.
pub fn run(root: &Path) -> Result<()> {
    let st = schemathesis(root)?;
    let emulator = Emulator::start(root)?;
    let runs = runs(root, &emulator.credentials)?;
    let mut failed = Vec::new();
    for run in &runs {
        let url = format!("http://{}{}", emulator.addr, run.prefix);
        eprintln!("==> conformance: {} ({}) against {url}", run.name, run.spec);
        let config = config_file(root, run)?;
        let mut command = Command::new(&st);
        command
            .current_dir(root)
            .arg("--config-file")
            .arg(&config)
            .args(["run", run.spec, "--url", &url])
            .args(["--max-examples", &MAX_EXAMPLES.to_string()])
            .args(["--seed", &SEED.to_string()])
            .args(["--workers", "1", "--no-color", "--request-timeout", "10"])
            .args(["--generation-database", "none"])
            .args(&run.filter);
        for header in &run.headers {
            command.args(["--header", header]);
        }
        let status = command
            .status()
            .with_context(|| format!("running {}", st.display()))?;
        if !status.success() {
            failed.push(run.name.as_str());
        }
    }
    drop(emulator);
    if !failed.is_empty() {
        bail!("conformance failed for: {}", failed.join(", "));
    }
    eprintln!("==> conformance: the emulator conforms to every spec");
    Ok(())
}

/// Writes the run's schemathesis configuration (see [`st_config`]) under
/// `target/conformance/`; its path.
fn config_file(root: &Path, run: &Run) -> Result<PathBuf> {
    let spec = crate::spec::Spec::load(&root.join(run.spec))?;
    let exempt = st_config::documented_server_errors(&spec.raw);
    let dir = root.join("target/conformance");
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    let name: String = run
        .prefix
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let path = dir.join(format!("schemathesis-{name}.toml"));
    std::fs::write(&path, st_config::toml(CHECKS, &exempt))
        .with_context(|| path.display().to_string())?;
    Ok(path)
}

/// The `st` executable: on `PATH`, or in the workspace's venv (installed on first use).
fn schemathesis(root: &Path) -> Result<PathBuf> {
    if Command::new("st")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(PathBuf::from("st"));
    }
    let python = crate::python::venv(root, "conformance", &[SCHEMATHESIS])?;
    Ok(python.with_file_name("st"))
}

fn ok(status: std::process::ExitStatus) -> Result<()> {
    if status.success() {
        Ok(())
    } else {
        bail!("command failed: {status}")
    }
}

/// What the emulator accepts, as it prints it at start-up.
#[derive(Debug, Default)]
struct DemoCredentials {
    alibaba_bearer_token: String,
    dashscope_api_key: String,
    graph_olap_user: String,
}

/// The emulator binary, running until dropped.
struct Emulator {
    child: Child,
    addr: SocketAddr,
    credentials: DemoCredentials,
}

impl Emulator {
    fn start(root: &Path) -> Result<Emulator> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        ok(Command::new(&cargo)
            .current_dir(root)
            .args(["build", "--quiet", "-p", "snapshot-emulator"])
            .status()?)?;
        let addr = free_port()?;
        let mut child = Command::new(root.join("target/debug/snapshot-emulator"))
            .args(["--addr", &addr.to_string(), "--print-env"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the emulator")?;
        let stdout = child.stdout.take().context("the emulator's stdout")?;
        let credentials = read_credentials(BufReader::new(stdout))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(addr).is_err() {
            if Instant::now() > deadline {
                let _ = child.kill();
                bail!("the emulator did not listen on {addr} within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Emulator {
            child,
            addr,
            credentials,
        })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `NAME=value` lines (the emulator's `--print-env` output) until an empty line.
fn read_credentials(reader: impl BufRead) -> Result<DemoCredentials> {
    let mut credentials = DemoCredentials::default();
    for line in reader.lines() {
        let line = line?;
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.to_owned();
        match name.trim_start_matches("export ") {
            "ALIBABA_CLOUD_BEARER_TOKEN" => credentials.alibaba_bearer_token = value,
            "DASHSCOPE_API_KEY" => credentials.dashscope_api_key = value,
            "GRAPH_OLAP_USERNAME" => credentials.graph_olap_user = value,
            _ => {}
        }
    }
    if credentials.alibaba_bearer_token.is_empty()
        || credentials.dashscope_api_key.is_empty()
        || credentials.graph_olap_user.is_empty()
    {
        bail!("the emulator did not print its demo credentials: {credentials:?}");
    }
    Ok(credentials)
}

fn free_port() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_read_from_the_env_lines() {
        let text = "export ALIBABA_CLOUD_BEARER_TOKEN=tok\nDASHSCOPE_API_KEY=sk-1\nGRAPH_OLAP_USERNAME=demo\n\nignored=1\n";
        let c = read_credentials(text.as_bytes()).unwrap();
        assert_eq!(c.alibaba_bearer_token, "tok");
        assert_eq!(c.dashscope_api_key, "sk-1");
        assert_eq!(c.graph_olap_user, "demo");
        assert!(read_credentials("DASHSCOPE_API_KEY=x\n\n".as_bytes()).is_err());
    }

    /// The runs come from the table and the profiles: one per `rest` profile, at the
    /// emulator's prefixes, with each scheme's headers; the action-path gateway is not run.
    #[test]
    fn runs_follow_the_profiles() {
        let credentials = DemoCredentials {
            alibaba_bearer_token: "tok".into(),
            dashscope_api_key: "sk".into(),
            graph_olap_user: "demo".into(),
        };
        let runs = runs(&crate::spec::workspace_root(), &credentials).unwrap();
        let prefixes: Vec<&str> = runs.iter().map(|r| r.prefix.as_str()).collect();
        assert_eq!(prefixes, ["/langstudio", "/dsw", "/graph-olap"]);
        let olap = runs.iter().find(|r| r.prefix == "/graph-olap").unwrap();
        assert_eq!(olap.headers, ["X-Username: demo"]);
        let dsw = runs.iter().find(|r| r.prefix == "/dsw").unwrap();
        assert_eq!(dsw.headers[0], "x-acs-bearer-token: tok");
    }
}
