//! Loading a spec: the YAML file as a raw JSON value, checked to be a structurally valid
//! `openapiv3::OpenAPI` document (the lints read the raw value; progenitor is given a typed
//! copy of its progenitor view, see `generate::progenitor_view`).

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// One spec file.
#[derive(Debug)]
pub struct Spec {
    /// Path of the spec file.
    pub path: PathBuf,
    /// The document as a JSON value, as written.
    pub raw: serde_json::Value,
}

impl Spec {
    /// Reads and parses the spec at `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let raw: serde_json::Value = serde_yaml::from_str(&text)
            .with_context(|| format!("{}: not valid YAML", path.display()))?;
        serde_json::from_value::<openapiv3::OpenAPI>(raw.clone())
            .with_context(|| format!("{}: not a valid OpenAPI 3.0 document", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            raw,
        })
    }

    /// The folder that relative `externalValue`s are resolved against.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }
}

/// The workspace root (the parent of the xtask crate).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}
