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
//!    built cold, then its floor (the same calls with reqwest alone), their compile times and
//!    sizes and the difference reported (a report, never a failure on time; the
//!    release build is left to `cargo xtask compile-budget`, to keep CI under 20 minutes).
//!
//! Before the first step it warns when the file system that holds `target/` has less free
//! space than a cold run needs ([`DISK_NEEDED_MB`]): a build that runs out of space fails
//! late, with a linker's "No space left on device" in the middle of the test build.

use anyhow::{bail, Result};
use std::path::Path;
use std::process::Command;

/// Runs every CI step; the first failure stops the run.
pub fn run(root: &Path) -> Result<()> {
    warn_if_disk_low(root);
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

/// Free space a cold run needs where `target/` is, in MiB: a fresh clone's whole tree
/// (`target/`, the Python venvs, the budget's two fixture builds) peaked at 5.9 GB in a full run
/// (README, "Figures"); this leaves room to spare.
const DISK_NEEDED_MB: u64 = 8 * 1024;

/// Prints a warning when the file system of `root` has less than [`DISK_NEEDED_MB`] free. A
/// warning, not a failure: the need is an estimate, and a warm `target/` needs far less.
fn warn_if_disk_low(root: &Path) {
    if let Some(warning) = disk_warning(root, free_megabytes(root)) {
        eprintln!("{warning}");
    }
}

/// The warning for `free` MiB at `root`, if that is less than a cold run needs.
fn disk_warning(root: &Path, free: Option<u64>) -> Option<String> {
    let free = free.filter(|free| *free < DISK_NEEDED_MB)?;
    Some(format!(
        "warning: {free} MiB free on the file system of {}; a cold CI run needs about \
         {DISK_NEEDED_MB} MiB, and a build that runs out fails with \"No space left on device\"",
        root.display()
    ))
}

/// Free space of the file system holding `path`, in MiB, from POSIX `df -Pk`; `None` when
/// `df` is missing or answers something else.
fn free_megabytes(path: &Path) -> Option<u64> {
    let output = Command::new("df").arg("-Pk").arg(path).output().ok()?;
    if !output.status.success() {
        return None;
    }
    available_kib(std::str::from_utf8(&output.stdout).ok()?).map(|kib| kib / 1024)
}

/// The "Available" column (KiB) of `df -Pk`'s one data line: POSIX fixes the columns
/// (file system, blocks, used, available, capacity, mounted on) and one line per file system.
fn available_kib(df_output: &str) -> Option<u64> {
    let mut lines = df_output.lines();
    let header = lines.next()?;
    if header.split_whitespace().nth(3) != Some("Available") {
        return None;
    }
    lines.next()?.split_whitespace().nth(3)?.parse().ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn available_space_is_read_from_posix_df() {
        let df = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n\
                  /dev/vda         264092512 91637276   3620432      97% /\n";
        assert_eq!(available_kib(df), Some(3_620_432));
    }

    #[test]
    fn anything_else_from_df_is_no_answer() {
        assert_eq!(available_kib(""), None);
        assert_eq!(
            available_kib("Filesystem 1K-blocks Used Avail\n/dev/x 1 2 3\n"),
            None
        );
        assert_eq!(
            available_kib("Filesystem 1024-blocks Used Available Capacity Mounted on\n"),
            None
        );
        assert_eq!(
            available_kib(
                "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/x 1 2 lots 9% /\n"
            ),
            None
        );
    }

    #[test]
    fn low_free_space_is_a_warning_that_names_it() {
        let root = Path::new("/check/work/main");
        let warning = disk_warning(root, Some(3_535)).expect("3.5 GB is too little");
        assert!(warning.contains("3535 MiB free on the file system of /check/work/main"));
        assert!(warning.contains("No space left on device"));
        assert_eq!(disk_warning(root, Some(DISK_NEEDED_MB)), None);
        assert_eq!(
            disk_warning(root, None),
            None,
            "no answer from df, no warning"
        );
    }

    #[test]
    fn this_machine_reports_free_space() {
        // `df` is part of every machine CI runs on (coreutils); if it ever is not, the warning
        // is skipped, which this test would show.
        assert!(free_megabytes(Path::new(".")).is_some_and(|free| free > 0));
    }
}
