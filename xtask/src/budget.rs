//! `cargo xtask compile-budget`: what the SDK costs a user to compile. Builds the minimal
//! downstream binary `xtask/fixtures/downstream-min` (its own workspace, the facade with its
//! default features) cold, in an empty target directory, without incremental compilation (as
//! Cargo compiles a git or registry dependency), and reports its wall time, the
//! slowest units of `cargo build --timings`, the time of the SDK's own crates, the machine's
//! load, and the binary's size (release: stripped). Then it builds the floor under it,
//! `xtask/fixtures/downstream-floor` (the same two calls with reqwest alone, on the same TLS
//! stack), the same way, and reports what the SDK adds: the difference of two builds made on
//! the same machine minutes apart, which moves less with the machine than either figure. A
//! report, never a timed assertion: the figures depend on the machine and on whatever else it
//! is doing.
//!
//! It also checks the fixture's dependency tree, which does not depend on the machine: no crate
//! in two versions, none of the crates the default features keep out of a user's build
//! ([`KEPT_OUT`]). A crate that comes back fails the step, with the reason it was removed.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The fixture, relative to the workspace root.
const FIXTURE: &str = "xtask/fixtures/downstream-min";
/// The floor under it (reqwest alone), relative to the workspace root.
const FLOOR: &str = "xtask/fixtures/downstream-floor";
/// How many of the slowest units are listed.
const TOP: usize = 8;
/// The SDK's own crates, whose compile time is reported together.
const OURS: [&str; 5] = [
    "snapshots",
    "snapshots-runtime",
    "pai-dsw",
    "pai-langstudio",
    "graph-olap",
];

/// Crates the default features keep out of a user's build, and why; the fixture's tree must
/// not hold any of them (prefix match: `icu_` covers the ICU4X family).
const KEPT_OUT: [(&str, &str); 8] = [
    (
        "aws-lc",
        "the default crypto provider is ring (feature rustls-aws-lc opts in)",
    ),
    (
        "icu_",
        "IDNA uses the unicode-rs tables (feature idna-unicode-rs)",
    ),
    (
        "regress",
        "spec patterns run on regex-lite (snapshots_runtime::pattern)",
    ),
    (
        "rand",
        "nonces come from ring, jitter from std (snapshots_runtime::crypto)",
    ),
    ("sha2", "hashes come from ring (snapshots_runtime::crypto)"),
    ("hmac", "MACs come from ring (snapshots_runtime::crypto)"),
    ("rust-ini", "INI files are read with configparser"),
    (
        "iana-time-zone",
        "chrono without `clock`: only Utc::now is used",
    ),
];

/// A cargo profile the budget can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// `cargo build` (the dev profile).
    Debug,
    /// `cargo build --release`, stripped.
    Release,
}

impl Profile {
    fn dir(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        }
    }
}

/// One unit of `cargo build --timings`: its label and seconds.
#[derive(Debug, Clone, PartialEq)]
struct Unit {
    label: String,
    seconds: f64,
}

/// Builds the fixture and its floor cold for each of `profiles` and prints the reports.
pub fn run(root: &Path, profiles: &[Profile]) -> Result<()> {
    println!("{}", dependency_policy(root)?);
    for &profile in profiles {
        let sdk = build(root, FIXTURE, profile)?;
        println!("{}", render(profile, &sdk));
        let floor = build(root, FLOOR, profile)?;
        println!("{}", render_floor(profile, &sdk, &floor));
    }
    Ok(())
}

/// What one cold build took and made.
#[derive(Debug, Clone, PartialEq)]
struct Build {
    timing: Timing,
    units: Vec<Unit>,
    binary: PathBuf,
    /// The binary's size in bytes.
    size: u64,
}

/// One cold build of `fixture` (a path relative to `root`) in its own empty target directory.
fn build(root: &Path, fixture: &str, profile: Profile) -> Result<Build> {
    let name = fixture.rsplit('/').next().unwrap_or(fixture);
    let target = root
        .join("target/compile-budget")
        .join(format!("{name}-{}", profile.dir()));
    if target.exists() {
        std::fs::remove_dir_all(&target)
            .with_context(|| format!("emptying {}", target.display()))?;
    }
    let mut command = cold_build(&root.join(fixture).join("Cargo.toml"), &target);
    if profile == Profile::Release {
        command
            .arg("--release")
            .env("CARGO_PROFILE_RELEASE_STRIP", "true");
    }
    eprintln!(
        "==> compile-budget {}: cold build of {fixture}",
        profile.dir()
    );
    let load_before = load_average();
    let cpu_before = children_cpu_seconds();
    let started = Instant::now();
    let status = command.status().context("running cargo build")?;
    let timing = Timing {
        wall: started.elapsed().as_secs_f64(),
        cpu: children_cpu_seconds()
            .zip(cpu_before)
            .map(|(after, before)| after - before),
        load: (load_before, load_average()),
    };
    if !status.success() {
        bail!(
            "the cold {} build of {fixture} failed ({status})",
            profile.dir()
        );
    }
    let html = std::fs::read_to_string(target.join("cargo-timings/cargo-timing.html"))
        .context("reading the --timings report")?;
    let binary = target.join(profile.dir()).join(name);
    let size = std::fs::metadata(&binary)
        .with_context(|| format!("reading {}", binary.display()))?
        .len();
    Ok(Build {
        timing,
        units: units(&html)?,
        binary,
        size,
    })
}

/// `cargo build --locked --timings` of `manifest` into `target`, as a user's build gets it.
fn cold_build(manifest: &Path, target: &Path) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .args(["build", "--locked", "--timings", "--manifest-path"])
        .arg(manifest)
        .env("CARGO_TARGET_DIR", target)
        // What a user's build gets: no settings inherited from this workspace's session, and
        // the SDK compiled as a git (or registry) dependency is: Cargo compiles only workspace
        // members and path dependencies incrementally, and the fixture reaches the SDK by
        // path, which in a cold debug build costs its crates about a third more (README,
        // "Figures"). The fixture's own one-file binary is all this changes besides.
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS");
    command
}

/// Checks the fixture's tree (normal dependencies, this platform) against the policy: no
/// crate in two versions, none of [`KEPT_OUT`]. Returns the line of the report.
fn dependency_policy(root: &Path) -> Result<String> {
    let manifest = root.join(FIXTURE).join("Cargo.toml");
    let crates = distinct_crates(&cargo_tree(&manifest, &[])?);
    let problems = policy_problems(&crates);
    if !problems.is_empty() {
        bail!(
            "the dependency tree of {FIXTURE} breaks the policy:\n  {}",
            problems.join("\n  ")
        );
    }
    // The lock pins idna_adapter whatever the features say; the pin that reaches a user
    // without this lock is the runtime's dependency, which only the default features add.
    let pinned_by = cargo_tree(&manifest, &["-i", "idna_adapter", "--depth", "1"])?;
    if !pinned_by
        .lines()
        .any(|l| l.starts_with("snapshots-runtime "))
    {
        bail!("idna_adapter in {FIXTURE} is not pinned by snapshots-runtime: the default features no longer reach `idna-unicode-rs` (without it, a user's build compiles ICU4X)");
    }
    Ok(format!(
        "dependencies of {FIXTURE}: {} crates, none in two versions, none of {}; \
         idna_adapter pinned by snapshots-runtime",
        crates.len(),
        KEPT_OUT.map(|(name, _)| name).join(", ")
    ))
}

/// `cargo tree --locked -e normal --prefix none` of `manifest`, with `extra` arguments.
fn cargo_tree(manifest: &Path, extra: &[&str]) -> Result<String> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["tree", "--locked", "-e", "normal", "--prefix", "none"])
        .args(extra)
        .arg("--manifest-path")
        .arg(manifest)
        .output()
        .context("running cargo tree")?;
    if !output.status.success() {
        bail!(
            "cargo tree of {FIXTURE} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The distinct `(name, version)` pairs of `cargo tree --prefix none` output.
fn distinct_crates(tree: &str) -> Vec<(String, String)> {
    let mut crates: Vec<(String, String)> = tree
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some((words.next()?.to_owned(), words.next()?.to_owned()))
        })
        .collect();
    crates.sort_unstable();
    crates.dedup();
    crates
}

/// What breaks the policy in sorted, distinct `crates`.
fn policy_problems(crates: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for pair in crates.windows(2) {
        if pair[0].0 == pair[1].0 {
            let (name, (a, b)) = (&pair[0].0, (&pair[0].1, &pair[1].1));
            problems.push(format!("{name} is compiled in two versions ({a}, {b})"));
        }
    }
    for (name, version) in crates {
        let kept_out = KEPT_OUT
            .iter()
            .find(|(prefix, _)| match prefix.strip_suffix('_') {
                Some(family) => name.starts_with(prefix) || name == family,
                None => name == prefix || name.starts_with(&format!("{prefix}-")),
            });
        if let Some((_, why)) = kept_out {
            problems.push(format!("{name} {version} is in the tree, but {why}"));
        }
    }
    problems
}

/// How long a build took, and how busy the machine was.
#[derive(Debug, Clone, PartialEq)]
struct Timing {
    /// Seconds from start to end.
    wall: f64,
    /// User + system CPU seconds of the build's processes (less sensitive to other load
    /// than the wall time), when `/proc` tells.
    cpu: Option<f64>,
    /// The 1-minute load average before and after.
    load: (Option<String>, Option<String>),
}

/// The text of the fixture's report.
fn render(profile: Profile, build: &Build) -> String {
    let units = &build.units;
    let mut sorted = units.to_vec();
    sorted.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    let sum: f64 = units.iter().map(|u| u.seconds).sum();
    let ours: f64 = units
        .iter()
        .filter(|u| OURS.iter().any(|o| u.label.split(' ').next() == Some(o)))
        .map(|u| u.seconds)
        .sum();
    let timing = &build.timing;
    let mut out = format!(
        "compile-budget {}: {:.1} s wall, {} s CPU (user + system), cold (empty target dir); \
         {} units, {sum:.1} s summed over units, the SDK's own crates {ours:.1} s; \
         load average before {}, after {}\n\
         binary {}: {:.2} MB{}\nslowest units:\n",
        profile.dir(),
        timing.wall,
        cpu_text(timing.cpu),
        units.len(),
        timing.load.0.as_deref().unwrap_or("?"),
        timing.load.1.as_deref().unwrap_or("?"),
        build.binary.display(),
        build.size as f64 / 1e6,
        stripped(profile),
    );
    for unit in sorted.iter().take(TOP) {
        out.push_str(&format!(
            "  {:>6.1} s  {:>4.1} %  {}\n",
            unit.seconds,
            100.0 * unit.seconds / sum.max(f64::MIN_POSITIVE),
            unit.label
        ));
    }
    out
}

/// The text of the floor's report: its own figures, then what the SDK adds to them.
fn render_floor(profile: Profile, sdk: &Build, floor: &Build) -> String {
    let cpu = sdk.timing.cpu.zip(floor.timing.cpu).map(|(a, b)| a - b);
    format!(
        "compile-budget {} floor (reqwest alone, {FLOOR}): {:.1} s wall, {} s CPU, \
         {} units; binary {:.2} MB{}\n\
         what the SDK adds to the floor: {:+.1} s wall, {} s CPU, {} units, {:+.2} MB",
        profile.dir(),
        floor.timing.wall,
        cpu_text(floor.timing.cpu),
        floor.units.len(),
        floor.size as f64 / 1e6,
        stripped(profile),
        sdk.timing.wall - floor.timing.wall,
        cpu.map_or("?".to_owned(), |c| format!("{c:+.1}")),
        sdk.units.len() as i64 - floor.units.len() as i64,
        (sdk.size as f64 - floor.size as f64) / 1e6,
    )
}

/// CPU seconds as text, `?` where `/proc` did not tell.
fn cpu_text(cpu: Option<f64>) -> String {
    cpu.map_or("?".to_owned(), |c| format!("{c:.1}"))
}

/// How the size of a `profile` binary is qualified.
fn stripped(profile: Profile) -> &'static str {
    match profile {
        Profile::Release => ", stripped",
        Profile::Debug => "",
    }
}

/// The units of a `cargo build --timings` HTML report (its `UNIT_DATA` array).
fn units(html: &str) -> Result<Vec<Unit>> {
    const START: &str = "const UNIT_DATA = ";
    let start = html
        .find(START)
        .map(|i| i + START.len())
        .context("the --timings report has no UNIT_DATA")?;
    let end = html[start..]
        .find("];")
        .map(|i| start + i + 1)
        .context("the --timings report's UNIT_DATA does not end")?;
    let data: Value =
        serde_json::from_str(&html[start..end]).context("the --timings UNIT_DATA is not JSON")?;
    let list = data.as_array().context("UNIT_DATA is not an array")?;
    list.iter()
        .map(|u| {
            let field = |k: &str| u.get(k).and_then(Value::as_str).unwrap_or("");
            let seconds = u.get("duration").and_then(Value::as_f64);
            let seconds = seconds.context("a unit without a duration")?;
            let label = format!("{} {}{}", field("name"), field("version"), field("target"));
            Ok(Unit { label, seconds })
        })
        .collect()
}

/// User + system CPU seconds of this process's waited-for children (`cutime` + `cstime`
/// of `/proc/self/stat`, at the usual 100 ticks per second; Linux only).
fn children_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces) start at `state`, field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |field: usize| fields.get(field - 3)?.parse::<f64>().ok();
    Some((ticks(16)? + ticks(17)?) / 100.0)
}

/// The 1-minute load average, from `/proc/loadavg` (Linux only).
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn html(units: &[(&str, &str, f64)]) -> String {
        let data: Vec<Value> = units
            .iter()
            .map(|(name, target, d)| {
                serde_json::json!({"name": name, "version": "1.0.0", "target": target,
                    "duration": d, "sections": [["codegen", {"start": 0.0, "end": 1.0}]]})
            })
            .collect();
        let json = serde_json::to_string_pretty(&data).unwrap();
        format!("<script>\nDURATION = 1;\nconst UNIT_DATA = {json};\nconst CONCURRENCY_DATA = [];")
    }

    #[test]
    fn reads_the_units_of_a_timings_report() {
        let units = units(&html(&[
            ("ring", " build script (run)", 9.5),
            ("snapshots", "", 2.0),
        ]));
        let units = units.unwrap();
        assert_eq!(units[0].label, "ring 1.0.0 build script (run)");
        assert_eq!(units[1].seconds, 2.0);
        let timing = Timing {
            wall: 12.0,
            cpu: Some(20.5),
            load: (Some("0.5".into()), None),
        };
        let sdk = Build {
            timing,
            units,
            binary: PathBuf::from("x"),
            size: 5_300_000,
        };
        let report = render(Profile::Release, &sdk);
        assert!(report.contains("5.30 MB, stripped"), "{report}");
        assert!(report.contains("the SDK's own crates 2.0 s"), "{report}");
        assert!(report.contains("after ?"), "{report}");
        assert!(report.contains("20.5 s CPU"), "{report}");
        assert!(children_cpu_seconds().is_some_and(|c| c >= 0.0));
    }

    #[test]
    fn the_floor_report_gives_what_the_sdk_adds() {
        let build = |wall, cpu, units: usize, size| Build {
            timing: Timing {
                wall,
                cpu,
                load: (None, None),
            },
            units: vec![
                Unit {
                    label: "u".into(),
                    seconds: 1.0
                };
                units
            ],
            binary: PathBuf::from("x"),
            size,
        };
        let sdk = build(72.5, Some(130.0), 122, 5_300_000);
        let floor = build(55.0, Some(100.5), 99, 3_800_000);
        let report = render_floor(Profile::Release, &sdk, &floor);
        assert!(
            report.contains("55.0 s wall, 100.5 s CPU, 99 units; binary 3.80 MB, stripped"),
            "{report}"
        );
        assert!(
            report.contains("+17.5 s wall, +29.5 s CPU, 23 units, +1.50 MB"),
            "{report}"
        );
        let report = render_floor(Profile::Debug, &sdk, &build(55.0, None, 99, 3_800_000));
        assert!(
            report.contains("55.0 s wall, ? s CPU") && report.contains("s wall, ? s CPU, 23 units"),
            "{report}"
        );
        assert!(!report.contains("stripped"), "{report}");
    }

    #[test]
    fn the_dependency_policy_names_what_breaks_it() {
        let tree = "downstream-min v0.1.0 (/x)\nring v0.17.14\nicu_normalizer v2.1.1\n\
                    url v2.5.7\nring v0.17.14\nrand v0.8.5\nrand_core v0.6.4\n\
                    aws-lc-sys v0.30.0\nrandomize v1.0.0\nurl v2.5.8\n";
        let crates = distinct_crates(tree);
        assert_eq!(crates.len(), 9, "{crates:?}");
        let problems = policy_problems(&crates);
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].contains("url is compiled in two versions (v2.5.7, v2.5.8)"));
        assert!(problems
            .iter()
            .any(|p| p.contains("icu_normalizer v2.1.1") && p.contains("unicode-rs")));
        assert!(problems.iter().any(|p| p.starts_with("rand v0.8.5")));
        assert!(problems.iter().any(|p| p.starts_with("aws-lc-sys")));
        // Prefixes match whole names or a family: rand_core and randomize are not `rand`.
        assert!(!problems
            .iter()
            .any(|p| p.contains("rand_core") || p.contains("randomize")));
        assert!(policy_problems(&distinct_crates("ring v0.17.14\n")).is_empty());
    }

    #[test]
    fn a_report_without_units_is_an_error() {
        assert!(units("<html></html>").is_err());
        assert!(units("const UNIT_DATA = [{\"name\": 1}];").is_err());
    }

    proptest! {
        /// Every unit written is read back, with its duration, in order.
        #[test]
        fn units_round_trip(list in prop::collection::vec(("[a-z-]{1,12}", 0.0f64..500.0), 0..20)) {
            let input: Vec<(&str, &str, f64)> =
                list.iter().map(|(n, d)| (n.as_str(), "", *d)).collect();
            let read = units(&html(&input)).unwrap();
            prop_assert_eq!(read.len(), list.len());
            for (unit, (name, d)) in read.iter().zip(&list) {
                prop_assert_eq!(&unit.label, &format!("{name} 1.0.0"));
                prop_assert!((unit.seconds - d).abs() < 1e-9);
            }
        }

        /// Any text is either read or refused, never a panic.
        #[test]
        fn any_text_is_read_or_refused(text in ".{0,200}") {
            let _ = units(&format!("const UNIT_DATA = {text}"));
        }
    }
}
