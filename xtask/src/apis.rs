//! The one table of APIs: each entry names a spec and the crate generated from it.
//!
//! Adding an API is one spec file under `specs/` plus one entry here; `cargo xtask generate`
//! then writes the whole crate (`Cargo.toml`, `src/lib.rs`, `src/generated.rs`).

/// One API of the workspace.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    /// Crate (package) name; the crate lives in `crates/<name>`.
    pub crate_name: &'static str,
    /// The hand-written OpenAPI 3.0 document, relative to the workspace root.
    pub spec: &'static str,
    /// One line for the crate's `description` in `Cargo.toml`.
    pub summary: &'static str,
}

/// Every API the workspace generates a client for.
pub const APIS: &[Api] = &[
    Api {
        crate_name: "pai-langstudio",
        spec: "specs/pai-langstudio-2024-07-10.yaml",
        summary:
            "Typed client for the PAI LangStudio (2024-07-10) snapshot API (ROA and gateway transport profiles).",
    },
    Api {
        crate_name: "pai-dsw",
        spec: "specs/pai-dsw-2022-01-01.yaml",
        summary: "Typed client for the PAI-DSW (2022-01-01) instance snapshot API.",
    },
    Api {
        crate_name: "graph-olap",
        spec: "specs/graph-olap-control-plane.yaml",
        summary: "Typed client for the Graph OLAP control-plane snapshot and instance API.",
    },
];

impl Api {
    /// The crate's folder, relative to the workspace root.
    pub fn crate_dir(&self) -> String {
        format!("crates/{}", self.crate_name)
    }

    /// The crate's name as a Rust path segment (`pai-dsw` -> `pai_dsw`).
    pub fn lib_name(&self) -> String {
        self.crate_name.replace('-', "_")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_specs_are_unique() {
        let names: HashSet<_> = APIS.iter().map(|a| a.crate_name).collect();
        let specs: HashSet<_> = APIS.iter().map(|a| a.spec).collect();
        assert_eq!(names.len(), APIS.len());
        assert_eq!(specs.len(), APIS.len());
    }

    #[test]
    fn lib_name_is_a_rust_identifier() {
        for api in APIS {
            let lib = api.lib_name();
            assert!(
                lib.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{lib}"
            );
        }
    }
}
