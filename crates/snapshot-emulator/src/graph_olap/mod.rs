//! Graph OLAP control plane emulation, nested under `/graph-olap`.
//!
//! PLACEHOLDER, OWNED BY THE GRAPH OLAP HELPER: this file only exists so that the crate
//! compiles until that helper commits this folder; they overwrite it. The contract:
//! `pub struct Config` (`Debug + Clone`; its `Default` holds the demo users) and
//! `pub fn router(config: Config) -> axum::Router`, which serves the `/api/...` paths.

/// Configuration of the Graph OLAP emulation (placeholder).
#[derive(Debug, Clone, Default)]
pub struct Config {}

/// The Graph OLAP routes, to be nested under `/graph-olap` (placeholder: no routes yet).
pub fn router(config: Config) -> axum::Router {
    let _ = config;
    axum::Router::new()
}
