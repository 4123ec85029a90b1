//! `cargo xtask fixture-api`: proves that adding an API is exactly "write the spec, add the
//! table entry, run `cargo xtask generate`".
//!
//! 1. copies the workspace's sources (not `target/`, not `.git/`) into a temporary folder;
//! 2. adds the fixture spec `xtask/fixtures/widgets.yaml` as `specs/widgets.yaml` and appends
//!    its one entry to `APIS` in `xtask/src/apis.rs` (the one table edit a user makes);
//! 3. runs `cargo xtask generate` there, then `cargo xtask generate --check`;
//! 4. adds the user's code, `xtask/fixtures/widgets_api.rs`, as an integration test of the
//!    facade (`crates/snapshots/tests/widgets_api.rs`; it uses only what was generated:
//!    `client.widgets()`, `ClientBuilder::widgets_url`, `snapshots::widgets`) and runs it
//!    against wiremock, with `CARGO_TARGET_DIR` set to this workspace's target folder so that
//!    the dependencies already built are reused (the copy's own crates are built apart, see
//!    [`ISOLATE`]).
//!
//! Any failing step fails the command with a message naming the step; the copy is then kept
//! for inspection. On success it is removed.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The fixture spec, relative to the workspace root.
const SPEC: &str = "xtask/fixtures/widgets.yaml";
/// Keeps the copy's workspace crates apart from this workspace's in the shared target
/// folder (see [`cargo`]): `debug` differs from the root manifest's `[profile.dev]`.
const ISOLATE: (&str, &str) = ("CARGO_PROFILE_DEV_DEBUG", "line-directives-only");
/// The user's test, relative to the workspace root.
const TEST: &str = "xtask/fixtures/widgets_api.rs";
/// The `APIS` entry a user appends for the fixture spec.
const ENTRY: &str = r#"    Api {
        crate_name: "widgets",
        spec: "specs/widgets.yaml",
        summary: "Typed client for the Widgets fixture API.",
    },
"#;

/// Runs the fixture check.
pub fn run(root: &Path) -> Result<()> {
    let target = target_dir(root);
    let copy = std::env::temp_dir().join(format!("snapshots-fixture-api-{}", std::process::id()));
    if copy.exists() {
        std::fs::remove_dir_all(&copy)
            .with_context(|| format!("removing an old copy at {}", copy.display()))?;
    }
    match check(root, &copy, &target) {
        Ok(()) => {
            std::fs::remove_dir_all(&copy).ok();
            eprintln!("==> fixture-api: a fourth API works through the facade with no hand edit");
            Ok(())
        }
        Err(e) => Err(e.context(format!(
            "fixture-api failed (the copy is kept at {})",
            copy.display()
        ))),
    }
}

fn check(root: &Path, copy: &Path, target: &Path) -> Result<()> {
    eprintln!(
        "==> fixture-api: copying the workspace to {}",
        copy.display()
    );
    copy_tree(root, copy, true).context("step `copy the workspace` failed")?;
    add_api(root, copy).context("step `add the spec and its table entry` failed")?;
    cargo(copy, target, "generate", &["xtask", "generate"])?;
    cargo(
        copy,
        target,
        "generate --check",
        &["xtask", "generate", "--check"],
    )?;
    std::fs::copy(
        root.join(TEST),
        copy.join("crates/snapshots/tests/widgets_api.rs"),
    )
    .context("step `add the user's test` failed")?;
    cargo(
        copy,
        target,
        "the user's test",
        &["test", "-p", "snapshots", "--test", "widgets_api"],
    )
}

/// The spec and the one table entry: what a user adds by hand.
fn add_api(root: &Path, copy: &Path) -> Result<()> {
    std::fs::copy(root.join(SPEC), copy.join("specs/widgets.yaml"))?;
    let table = copy.join("xtask/src/apis.rs");
    let text = std::fs::read_to_string(&table)?;
    std::fs::write(&table, with_entry(&text, ENTRY)?)?;
    Ok(())
}

/// `apis_rs` with `entry` appended as the last element of `APIS`.
fn with_entry(apis_rs: &str, entry: &str) -> Result<String> {
    let start = apis_rs
        .find("pub const APIS: &[Api] = &[")
        .context("xtask/src/apis.rs has no `pub const APIS: &[Api] = &[`")?;
    let end = start
        + apis_rs[start..]
            .find("\n];")
            .context("the APIS table has no closing `];` on a line of its own")?
        + 1;
    Ok(format!("{}{entry}{}", &apis_rs[..end], &apis_rs[end..]))
}

/// Copies `from` into `to`, files and folders, except `.git` and, at the top, `target`.
fn copy_tree(from: &Path, to: &Path, top: bool) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".git" || (top && name == "target") {
            continue;
        }
        let kind = entry.file_type()?;
        let dest = to.join(&name);
        if kind.is_dir() {
            copy_tree(&entry.path(), &dest, false)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &dest)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// This workspace's target folder: `CARGO_TARGET_DIR` (relative to the root) or `target/`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

fn cargo(dir: &Path, target: &Path, step: &str, args: &[&str]) -> Result<()> {
    eprintln!("==> fixture-api: {step}: cargo {}", args.join(" "));
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        // The copy's workspace crates get the same unit hashes as this workspace's (cargo
        // hashes path packages relative to the workspace root) and newer sources, so they
        // would overwrite this workspace's artifacts (its `xtask` binary among them) and be
        // taken as fresh here afterwards. Another debuginfo level for the workspace crates
        // only (the dependencies keep `[profile.dev.package."*"]`) gives them their own
        // artifacts, while the dependencies' stay shared.
        .env(ISOLATE.0, ISOLATE.1)
        .status()
        .with_context(|| format!("step `{step}`: cargo did not start"))?;
    if !status.success() {
        bail!("step `{step}` failed ({status}): cargo {}", args.join(" "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_entry_goes_last_in_the_table() {
        let root = crate::spec::workspace_root();
        let text = std::fs::read_to_string(root.join("xtask/src/apis.rs")).unwrap();
        let out = with_entry(&text, ENTRY).unwrap();
        let table = &out[out.find("pub const APIS").unwrap()..];
        let table = &table[..table.find("\n];").unwrap()];
        assert!(table.ends_with(ENTRY.trim_end()), "{table}");
        assert!(with_entry("no table", ENTRY).is_err());
    }

    /// The isolating profile setting must differ from the workspace's, or the copy would
    /// overwrite this workspace's artifacts.
    #[test]
    fn the_copy_builds_apart() {
        let root = crate::spec::workspace_root();
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let dev = &manifest[manifest.find("[profile.dev]").unwrap()..];
        let dev = &dev[..dev.find("\n[").unwrap_or(dev.len())];
        assert!(!dev.contains(ISOLATE.1), "{dev}");
    }

    #[test]
    fn the_fixture_spec_is_a_valid_api() {
        let root = crate::spec::workspace_root();
        let spec = crate::spec::Spec::load(&root.join(SPEC)).unwrap();
        let problems = crate::lint::lint(&spec, &root.join("xtask/fixtures/no-examples"));
        assert!(problems.is_empty(), "{problems:?}");
        let profiles = crate::glue::profiles::read(&spec.raw).unwrap();
        assert_eq!(profiles[0].accessor, "widgets");
    }

    #[test]
    fn the_copy_leaves_out_target_and_git() {
        let base = std::env::temp_dir().join(format!("fixture-copy-test-{}", std::process::id()));
        let (from, to) = (base.join("from"), base.join("to"));
        for dir in ["target/debug", ".git", "crates/a/target", "crates/a/src"] {
            std::fs::create_dir_all(from.join(dir)).unwrap();
        }
        std::fs::write(from.join("crates/a/src/lib.rs"), "//! a").unwrap();
        std::fs::write(from.join("target/debug/big"), "x").unwrap();
        copy_tree(&from, &to, true).unwrap();
        assert!(to.join("crates/a/src/lib.rs").exists());
        assert!(
            to.join("crates/a/target").exists(),
            "only the top target is left out"
        );
        assert!(!to.join("target").exists() && !to.join(".git").exists());
        std::fs::remove_dir_all(&base).unwrap();
    }

    proptest! {
        /// Whatever the table holds, the entry lands just before its closing line and the
        /// rest of the file is kept.
        #[test]
        fn the_rest_of_the_file_is_kept(before in "[a-z \n]{0,30}", rows in "[a-z ,\n]{0,30}", after in "[a-z \n]{0,30}") {
            let text = format!("{before}pub const APIS: &[Api] = &[{rows}\n];{after}");
            let out = with_entry(&text, "X\n").unwrap();
            prop_assert_eq!(out, format!("{before}pub const APIS: &[Api] = &[{rows}\nX\n];{after}"));
        }
    }
}
