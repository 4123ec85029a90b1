//! `cargo run --release -p snapshot-bench`: calls per second and latency percentiles of the
//! `snapshots` facade against the emulator on loopback, next to raw `reqwest` doing the same
//! requests, with one task and with many concurrent tasks.
//!
//! Workloads (each a GET of one snapshot and the JSON decode of its body into the generated
//! type):
//!
//! | workload | facade | raw reqwest |
//! | --- | --- | --- |
//! | Graph OLAP `get_snapshot` | `X-Username`, rate limiter off, retries on | the same header |
//! | DSW `GetInstanceSnapshot` | V3-signed (`ACS3-HMAC-SHA256`), rate limiter off, retries on | Alibaba bearer headers, no signature: the raw client does not sign, so this row shows what signing plus the runtime cost |
//!
//! The emulator runs in the same process, on the same tokio runtime, so both sides share the
//! two cores with it in the same way. In the DSW rows the emulator also verifies the V3
//! signature (an HMAC and a canonical request on the server side), which the bearer requests
//! do not need: that server-side cost lands in the facade's figures. Figures are for
//! comparison on one machine, not absolute service latencies.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use snapshot_emulator::{start, EmulatorConfig, Timing};
use snapshots::auth::{AccessKey, Environment};
use snapshots::{Client, RateLimiter};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(
    name = "snapshot-bench",
    about = "Facade vs raw reqwest against the emulator"
)]
struct Options {
    /// Requests per measurement.
    #[arg(long, default_value_t = 4000)]
    requests: usize,
    /// Concurrent tasks in the concurrent measurement.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Requests sent before measuring (connections, caches).
    #[arg(long, default_value_t = 300)]
    warmup: usize,
}

/// Latencies of one measurement.
#[derive(Debug)]
struct Stats {
    calls_per_second: f64,
    p50: Duration,
    p90: Duration,
    p99: Duration,
}

impl Stats {
    fn from(mut latencies: Vec<Duration>, wall: Duration) -> Stats {
        latencies.sort_unstable();
        let at = |q: f64| {
            let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
            latencies.get(index).copied().unwrap_or_default()
        };
        Stats {
            calls_per_second: latencies.len() as f64 / wall.as_secs_f64(),
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
        }
    }
}

/// Runs `requests` calls over `tasks` concurrent tasks and times each.
async fn measure<F, Fut>(requests: usize, tasks: usize, call: F) -> Result<Stats>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    let tasks = tasks.max(1);
    let per_task = requests.div_ceil(tasks);
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_task);
                for _ in 0..per_task {
                    let t = Instant::now();
                    call().await?;
                    latencies.push(t.elapsed());
                }
                Ok::<_, anyhow::Error>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(per_task * tasks);
    for handle in handles {
        latencies.extend(handle.await??);
    }
    Ok(Stats::from(latencies, started.elapsed()))
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn row(workload: &str, client: &str, tasks: usize, stats: &Stats) {
    println!(
        "| {workload} | {client} | {tasks} | {:.0} | {} | {} | {} |",
        stats.calls_per_second,
        micros(stats.p50),
        micros(stats.p90),
        micros(stats.p99)
    );
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = Options::parse();
    let config = EmulatorConfig {
        timing: Timing::instant(),
        ..EmulatorConfig::default()
    };
    let creds = config.credentials.clone();
    let instance = config.dsw_instances[0].clone();
    let emulator = start(config, "127.0.0.1:0".parse()?).await?;

    let client = Client::builder()
        .environment(Environment::default())
        .access_key(AccessKey::new(
            creds.access_key_id.clone(),
            creds.access_key_secret.clone(),
        ))
        .graph_olap_username("demo")
        .dsw_url(emulator.dsw_url())
        .graph_olap_url(emulator.graph_olap_url())
        .rate_limit(RateLimiter::unlimited())
        .build()?;
    let client = Arc::new(client);
    snapshots::install_crypto_provider();
    let raw = reqwest::Client::new();

    // One snapshot of each API to read.
    let name = snapshots::validate::graph_olap_snapshot_name("bench")?;
    let olap_id = client
        .graph_olap()?
        .create_snapshot()
        .body_map(|b| b.name(name).mapping_id(1))
        .send()
        .await?
        .into_inner()
        .data
        .id;
    let name = snapshots::validate::dsw_snapshot_name("bench")?;
    let dsw_id = client
        .dsw()?
        .create_instance_snapshot()
        .instance_id(&instance)
        .body_map(|b| {
            b.snapshot_name(name)
                .image_url("registry.example/ns/env:bench".to_owned())
        })
        .send()
        .await?
        .into_inner()
        .snapshot_id
        .context("the emulator gave no snapshot id")?;

    let olap_facade = {
        let (client, id) = (client.clone(), olap_id.clone());
        move || {
            let (client, id) = (client.clone(), id.clone());
            async move {
                let response = client
                    .graph_olap()?
                    .get_snapshot()
                    .snapshot_id(id)
                    .send()
                    .await?;
                std::hint::black_box(response.into_inner());
                Ok(())
            }
        }
    };
    let olap_raw = {
        let url = format!("{}/api/snapshots/{olap_id}", emulator.graph_olap_url());
        let raw = raw.clone();
        move || {
            let (raw, url) = (raw.clone(), url.clone());
            async move {
                let body: graph_olap::types::SnapshotEnvelope = raw
                    .get(url)
                    .header("X-Username", "demo")
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                std::hint::black_box(body);
                Ok(())
            }
        }
    };
    let dsw_facade = {
        let (client, instance, id) = (client.clone(), instance.clone(), dsw_id.clone());
        move || {
            let (client, instance, id) = (client.clone(), instance.clone(), id.clone());
            async move {
                let response = client
                    .dsw()?
                    .get_instance_snapshot()
                    .instance_id(instance)
                    .snapshot_id(id)
                    .send()
                    .await?;
                std::hint::black_box(response.into_inner());
                Ok(())
            }
        }
    };
    let dsw_raw = {
        let url = format!(
            "{}/api/v2/instances/{instance}/snapshots/{dsw_id}",
            emulator.dsw_url()
        );
        let (raw, token) = (raw.clone(), creds.alibaba_bearer_token.clone());
        move || {
            let (raw, url, token) = (raw.clone(), url.clone(), token.clone());
            async move {
                let body: pai_dsw::types::GetInstanceSnapshotResponse = raw
                    .get(url)
                    .header("x-acs-bearer-token", token)
                    .header("x-acs-signature-type", "BEARERTOKEN")
                    .header("x-acs-action", "GetInstanceSnapshot")
                    .header("x-acs-version", "2022-01-01")
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                std::hint::black_box(body);
                Ok(())
            }
        }
    };

    println!(
        "{} requests per measurement after {} warm-up requests; emulator in-process on {}",
        options.requests,
        options.warmup,
        emulator.addr()
    );
    println!();
    println!("| workload | client | tasks | calls/s | p50 | p90 | p99 |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for tasks in [1, options.concurrency] {
        measure(options.warmup, tasks, olap_raw.clone()).await?;
        measure(options.warmup, tasks, olap_facade.clone()).await?;
        let raw_stats = measure(options.requests, tasks, olap_raw.clone()).await?;
        let facade_stats = measure(options.requests, tasks, olap_facade.clone()).await?;
        row("Graph OLAP get_snapshot", "raw reqwest", tasks, &raw_stats);
        row(
            "Graph OLAP get_snapshot",
            "snapshots facade",
            tasks,
            &facade_stats,
        );

        measure(options.warmup, tasks, dsw_raw.clone()).await?;
        measure(options.warmup, tasks, dsw_facade.clone()).await?;
        let raw_stats = measure(options.requests, tasks, dsw_raw.clone()).await?;
        let facade_stats = measure(options.requests, tasks, dsw_facade.clone()).await?;
        row(
            "DSW GetInstanceSnapshot",
            "raw reqwest (bearer, unsigned)",
            tasks,
            &raw_stats,
        );
        row(
            "DSW GetInstanceSnapshot",
            "snapshots facade (V3-signed)",
            tasks,
            &facade_stats,
        );
    }
    emulator.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_sorted_latencies() {
        let latencies = (1..=100).rev().map(Duration::from_millis).collect();
        let stats = Stats::from(latencies, Duration::from_secs(2));
        assert_eq!(stats.p50, Duration::from_millis(51));
        assert_eq!(stats.p90, Duration::from_millis(90));
        assert_eq!(stats.p99, Duration::from_millis(99));
        assert_eq!(stats.calls_per_second, 50.0);
    }
}
