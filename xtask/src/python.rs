//! Python tools the checks need, installed on first use into a virtual environment under
//! `target/` (`python3 -m venv` + `pip install` of pinned versions from PyPI): schemathesis
//! for `cargo xtask conformance`, and the official Alibaba Cloud Python libraries that the
//! emulator's tests run against it.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The official credentials library the emulator's credential services are tested with
/// (`crates/snapshot-emulator/tests/official_library.rs`).
pub const OFFICIAL_CREDENTIALS: &str = "alibabacloud-credentials==1.0.12";

/// The official Python SDKs (and their pinned core) that drive the 9 snapshot operations
/// against the emulator (`crates/snapshot-emulator/tests/official_sdks.rs`), installed with
/// [`OFFICIAL_CREDENTIALS`] into one venv: the first CI run spends about 20 s on it.
pub const OFFICIAL_SDKS: [&str; 5] = [
    OFFICIAL_CREDENTIALS,
    "alibabacloud-tea-openapi==0.4.6",
    "darabonba-core==1.0.9",
    "alibabacloud-pai-dsw20220101==2.4.0",
    "alibabacloud-pailangstudio20240710==1.2.2",
];

/// The Python of the venv `target/<name>/venv` with `packages` installed, creating it (and
/// installing them) unless its `.installed` file lists exactly these packages.
pub fn venv(root: &Path, name: &str, packages: &[&str]) -> Result<PathBuf> {
    let venv = root.join("target").join(name).join("venv");
    let marker = venv.join(".installed");
    let wanted = packages.join("\n");
    if std::fs::read_to_string(&marker).is_ok_and(|listed| listed == wanted) {
        return Ok(venv.join("bin/python"));
    }
    eprintln!(
        "==> installing {} into {}",
        packages.join(" "),
        venv.display()
    );
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .context("python3 is needed to install the Python test tools")?;
    ok(Command::new(python)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()?)?;
    ok(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(packages)
        .status()?)?;
    std::fs::write(&marker, wanted)?;
    Ok(venv.join("bin/python"))
}

fn ok(status: std::process::ExitStatus) -> Result<()> {
    if status.success() {
        Ok(())
    } else {
        bail!("command failed: {status}")
    }
}
