//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.
//!
//! 1. `cargo fmt --all -- --check`
//! 2. `cargo xtask generate --check` (in-process): the generated crates are up to date
//! 3. `cargo clippy --workspace --all-targets -- -D warnings`
//! 4. the test suite: `cargo nextest run --workspace` (or `cargo test --workspace` where
//!    nextest is not installed), then `cargo test --workspace --doc` for the doctests
//!    (nextest does not run doctests). The official Alibaba Cloud credentials library and
//!    the official DSW and LangStudio Python SDKs are installed first (pinned; a venv under
//!    `target/official-sdk/`) and named to the tests by `SNAPSHOT_EMULATOR_PYTHON` (with
//!    `SNAPSHOT_EMULATOR_PYTHON_REQUIRED`, so that they fail rather than skip), so that the
//!    emulator is checked against them: `official_library` (credentials) and
//!    `official_sdks` (the 9 operations, V3/STS/bearer). The example crate
//!    (`examples/snapshot-service`, a workspace member) runs with the workspace's tests.
//! 5. `cargo xtask fixture-api` (in-process): a fourth API added to a copy of the workspace
//!    as a user would (a spec, one `APIS` entry, `cargo xtask generate`), tested through the
//!    facade
//! 6. `cargo xtask conformance` (in-process): the emulator against its specs, by schemathesis.
//! 7. `cargo xtask compile-budget --profile debug` (in-process): a minimal downstream binary
//!    built cold, its compile time and size reported (a report, never a failure on time; the
//!    release build is left to `cargo xtask compile-budget`, to keep CI under 20 minutes).

use anyhow::{bail, Result};
use std::path::Path;
use std::process::Command;

/// Runs every CI step; the first failure stops the run.
pub fn run(root: &Path) -> Result<()> {
    step(root, "format", &["fmt", "--all", "--", "--check"])?;
    eprintln!("==> generated code is up to date (cargo xtask generate --check)");
    crate::check(root)?;
    step(
        root,
        "lints",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    let python = crate::python::venv(root, "official-sdk", &crate::python::OFFICIAL_SDKS)?;
    std::env::set_var("SNAPSHOT_EMULATOR_PYTHON", &python);
    std::env::set_var("SNAPSHOT_EMULATOR_PYTHON_REQUIRED", "1");
    if has_nextest() {
        step(
            root,
            "tests",
            &["nextest", "run", "--workspace", "--no-fail-fast"],
        )?;
    } else {
        step(root, "tests", &["test", "--workspace", "--no-fail-fast"])?;
    }
    step(root, "doctests", &["test", "--workspace", "--doc"])?;
    eprintln!("==> fixture-api: a fourth API, added as a user would (cargo xtask fixture-api)");
    crate::fixture::run(root)?;
    crate::conformance::run(root)?;
    crate::budget::run(root, &[crate::budget::Profile::Debug])?;
    eprintln!("==> ci: all steps passed");
    Ok(())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn has_nextest() -> bool {
    Command::new(cargo())
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn step(root: &Path, name: &str, args: &[&str]) -> Result<()> {
    eprintln!("==> {name}: cargo {}", args.join(" "));
    let status = Command::new(cargo())
        .args(args)
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!(
            "ci step `{name}` failed ({status}): cargo {}",
            args.join(" ")
        );
    }
    Ok(())
}
