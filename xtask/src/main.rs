//! `cargo xtask`: the workspace's automation, in Rust so that it needs nothing but cargo.
//!
//! - `cargo xtask generate` lints every spec and (re)writes the generated crates;
//! - `cargo xtask generate --check` fails with a diff when a generated file is stale;
//! - `cargo xtask lint` only lints the specs;
//! - `cargo xtask fixture-api` adds a fourth API to a copy of the workspace as a user would
//!   (a spec, one table entry, `generate`) and runs a test of it through the facade;
//! - `cargo xtask conformance` checks the emulator against the specs with schemathesis;
//! - `cargo xtask ci` runs fmt, the generation check, clippy, the tests, the fixture API and
//!   the conformance check.

mod apis;
mod budget;
mod ci;
mod conformance;
mod fixture;
mod generate;
mod glue;
mod hooks;
mod lint;
mod profiles;
mod python;
mod spec;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use std::path::Path;

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    about = "Generation and checks for the snapshot SDK workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Lint the specs and write the generated crates.
    Generate {
        /// Write nothing; fail with a diff when anything checked in is stale.
        #[arg(long)]
        check: bool,
    },
    /// Lint the specs only.
    Lint,
    /// Check the emulator against the specs with schemathesis (installed on first use).
    Conformance,
    /// Add a fourth API (xtask/fixtures/widgets.yaml) to a copy of the workspace the way a
    /// user would, generate, and run a test of it through the facade.
    FixtureApi,
    /// Run every CI check: fmt, generate --check, clippy, tests, the fixture API,
    /// conformance.
    Ci,
    /// Build a minimal downstream binary (xtask/fixtures/downstream-min) cold and report its
    /// compile time, slowest units and binary size (a report, not an assertion).
    CompileBudget {
        /// The profiles to build, in order (default: debug, then release).
        #[arg(long, value_enum, num_args = 1.., default_values_t = [budget::Profile::Debug, budget::Profile::Release])]
        profile: Vec<budget::Profile>,
    },
}

fn main() {
    let cli = Cli::parse();
    let root = spec::workspace_root();
    let result = match cli.command {
        Cmd::Generate { check: false } => generate_all(&root),
        Cmd::Generate { check: true } => check(&root),
        Cmd::Lint => lint_all(&root),
        Cmd::Conformance => conformance::run(&root),
        Cmd::FixtureApi => fixture::run(&root),
        Cmd::Ci => ci::run(&root),
        Cmd::CompileBudget { profile } => budget::run(&root, &profile),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn generate_all(root: &Path) -> Result<()> {
    tests_registered(root)?;
    for api in apis::APIS {
        let files = generate::render(root, api)?;
        let written = generate::write(root, &files)?;
        if written.is_empty() {
            eprintln!("{}: up to date", api.crate_name);
        }
        for path in written {
            eprintln!("{}: wrote {path}", api.crate_name);
        }
    }
    for path in generate::write(root, &glue::facade::render(root)?)? {
        eprintln!("snapshots: wrote {path}");
    }
    Ok(())
}

/// `generate --check`: renders in memory and compares with what is checked in.
fn check(root: &Path) -> Result<()> {
    tests_registered(root)?;
    let mut report = String::new();
    for api in apis::APIS {
        report.push_str(&generate::stale(root, &generate::render(root, api)?));
    }
    report.push_str(&generate::stale(root, &glue::facade::render(root)?));
    if !report.is_empty() {
        bail!("generated code is stale; run `cargo xtask generate`:\n{report}");
    }
    eprintln!("generated code is up to date ({} APIs)", apis::APIS.len());
    Ok(())
}

fn lint_all(root: &Path) -> Result<()> {
    tests_registered(root)?;
    let mut failed = 0;
    for api in apis::APIS {
        let spec = spec::Spec::load(&root.join(api.spec))?;
        let mut problems = lint::lint(&spec, &root.join("specs/examples").join(api.crate_name));
        problems.extend(profiles::lint(&spec.raw));
        for p in &problems {
            eprintln!("{}: {p}", api.spec);
        }
        if problems.is_empty() {
            eprintln!("{}: clean", api.spec);
        }
        failed += problems.len();
    }
    if failed > 0 {
        bail!("{failed} problem(s) in the specs");
    }
    Ok(())
}

/// Fails when a `tests/*.rs` file is not registered in `tests/Cargo.toml` (see
/// [`lint::tests_registered`]).
fn tests_registered(root: &Path) -> Result<()> {
    let problems = lint::tests_registered::unregistered(root)?;
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(())
}
