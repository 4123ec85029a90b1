//! The workspace tests in `tests/` are one package (`contract-tests`) whose root *is* the
//! `tests/` folder, so cargo's automatic test discovery (which looks in `<root>/tests/`)
//! cannot find them: each `tests/*.rs` file is registered by hand in `tests/Cargo.toml`
//! (`[[test]]`, or the `[lib]`/`[[bin]]` it is). A file that is not registered is silently
//! never compiled; this lint makes that an error (`cargo xtask lint`, `generate`, `ci`).

use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::path::Path;

/// Every `tests/*.rs` file that `tests/Cargo.toml` does not name in a `path = "..."` line,
/// as readable problems; empty when every file is registered.
pub fn unregistered(root: &Path) -> Result<Vec<String>> {
    let dir = root.join("tests");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml"))
        .with_context(|| format!("reading {}", dir.join("Cargo.toml").display()))?;
    let registered = registered_paths(&manifest);
    let mut problems = Vec::new();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.ends_with(".rs"))
        .collect();
    files.sort();
    for file in files {
        if !registered.contains(&file) {
            let name = file.trim_end_matches(".rs");
            problems.push(format!(
                "tests/{file} is not registered in tests/Cargo.toml, so it is never compiled: add\n\n[[test]]\nname = \"{name}\"\npath = \"{file}\"\n"
            ));
        }
    }
    Ok(problems)
}

/// The values of every `path = "..."` line of a manifest (the `[lib]`, `[[bin]]` and
/// `[[test]]` targets of `tests/Cargo.toml`).
fn registered_paths(manifest: &str) -> BTreeSet<String> {
    manifest
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "path").then(|| value.trim().trim_matches('"').to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_path_of_every_target() {
        let manifest = "[lib]\npath = \"support.rs\"\n\n[[test]]\nname = \"a\"\npath = \"a.rs\"\n[dependencies]\nx = { path = \"../x\" }\n";
        let paths = registered_paths(manifest);
        assert!(paths.contains("support.rs"));
        assert!(paths.contains("a.rs"));
        assert!(!paths.contains("b.rs"));
    }

    #[test]
    fn finds_an_unregistered_file() {
        let dir = std::env::temp_dir().join(format!("xtask-tests-lint-{}", std::process::id()));
        let tests = dir.join("tests");
        std::fs::create_dir_all(&tests).expect("temp dir");
        std::fs::write(
            tests.join("Cargo.toml"),
            "[[test]]\nname = \"a\"\npath = \"a.rs\"\n",
        )
        .expect("manifest");
        std::fs::write(tests.join("a.rs"), "").expect("a");
        std::fs::write(tests.join("b.rs"), "").expect("b");
        let problems = unregistered(&dir).expect("lint runs");
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("tests/b.rs"), "{problems:?}");
    }

    /// The workspace itself registers every test file.
    #[test]
    fn the_workspace_registers_every_test_file() {
        let root = crate::spec::workspace_root();
        assert_eq!(
            unregistered(&root).expect("lint runs"),
            Vec::<String>::new()
        );
    }
}
