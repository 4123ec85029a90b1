//! Peak memory of `snapctl graph-olap list` over a large listing: a loopback server pages
//! through `--items` synthetic Graph OLAP snapshots (computed per request, shaped like the
//! recorded ones, `null`s included: the server holds nothing), and `snapctl` lists them all
//! with `--output json` and with `--output table` under `/usr/bin/time -v`; the binary prints
//! each run's wall time, peak resident set and the size of what it printed.
//!
//! ```text
//! cargo build --release -p snapctl -p snapshot-bench
//! target/release/list-memory --snapctl target/release/snapctl --items 100000
//! ```

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use axum::extract::State;
use axum::http::Uri;
use axum::routing::get;
use axum::{Json, Router};
use clap::Parser;
use serde_json::{json, Value};

/// Options of `list-memory`.
#[derive(Debug, Parser)]
#[command(about = "Peak memory of `snapctl graph-olap list` over a large loopback listing")]
struct Options {
    /// The snapctl binary to measure.
    #[arg(long, default_value = "target/release/snapctl")]
    snapctl: String,
    /// How many snapshots the server lists.
    #[arg(long, default_value_t = 100_000)]
    items: u64,
}

/// The value of the query parameter `name` of `uri`, as a number.
fn parameter(uri: &Uri, name: &str) -> Option<u64> {
    uri.query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| value.parse().ok())
}

/// Snapshot `id`, as the control plane writes one (nulls and all).
fn snapshot(id: u64) -> Value {
    json!({
        "id": id, "mapping_id": 1, "mapping_version": 1, "owner_username": "bench",
        "name": format!("snapshot-{id:07}"), "description": null, "gcs_path": null,
        "size_bytes": null, "node_counts": null, "edge_counts": null, "progress": null,
        "status": "ready", "error_message": null, "created_at": "2026-11-23T16:53:15Z",
        "updated_at": "2026-11-23T16:53:15Z", "ttl": null, "inactivity_timeout": null,
        "last_used_at": null
    })
}

async fn list(State(total): State<u64>, uri: Uri) -> Json<Value> {
    let offset = parameter(&uri, "offset").unwrap_or(0);
    let limit = parameter(&uri, "limit").unwrap_or(50).min(100);
    let end = offset.saturating_add(limit).min(total);
    let data: Vec<Value> = (offset..end.max(offset)).map(|i| snapshot(i + 1)).collect();
    Json(json!({
        "data": data,
        "meta": {"request_id": null, "total": total, "offset": offset, "limit": limit}
    }))
}

/// One measured run of snapctl: its wall time, peak RSS in KiB and stdout size in bytes.
fn measure(snapctl: &str, url: &str, format: &str) -> Result<(f64, u64, u64)> {
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .args(["-v", snapctl, "--output", format, "--rate-limit", "0"])
        .args(["--graph-olap-url", url, "--graph-olap-user", "bench"])
        .args(["graph-olap", "list"])
        .stdin(Stdio::null())
        .output()
        .context("run /usr/bin/time -v snapctl")?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("snapctl -o {format} failed: {stderr}");
    }
    let peak = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .context("no peak RSS in the output of /usr/bin/time -v")?;
    Ok((seconds, peak, output.stdout.len() as u64))
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = Options::parse();
    let app = Router::new()
        .route("/api/snapshots", get(list))
        .with_state(options.items);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!(
        "snapctl graph-olap list of {} snapshots from {url}",
        options.items
    );
    for format in ["json", "table"] {
        let snapctl = options.snapctl.clone();
        let url = url.clone();
        let format_owned = format.to_owned();
        let (seconds, peak, bytes) =
            tokio::task::spawn_blocking(move || measure(&snapctl, &url, &format_owned)).await??;
        println!(
            "  -o {format:<5}  {seconds:6.1} s  peak RSS {:6.1} MiB  stdout {:6.1} MiB",
            peak as f64 / 1024.0,
            bytes as f64 / (1024.0 * 1024.0)
        );
    }
    Ok(())
}
