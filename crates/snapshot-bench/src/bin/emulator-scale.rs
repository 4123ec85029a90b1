//! `cargo run --release -p snapshot-bench --bin emulator-scale`: how the Graph OLAP
//! emulator's store scales, driven in process through
//! [`snapshot_emulator::graph_olap::StoreProbe`] (query parsing, store, response body; no
//! HTTP, so the figures are the store's own cost).
//!
//! It creates `--snapshots` snapshots (default 1,000,000) on a simulated clock stepping
//! `--step-us` per request (default 100 us: 10,000 requests/s, so with the default timing
//! about 50,000 exports are in flight at any time), and prints:
//! - memory per snapshot: the growth of resident memory (`/proc/self/statm`) over the count;
//! - list page time at that size: first page, a middle page, a filtered page, other orders
//!   (median and maximum of `--repeat` runs);
//! - creates/s on an idle store (holding only the 6 s of snapshots it takes for exports to
//!   finish as fast as they start) and with every snapshot held (loaded): the medians of
//!   batches taken in turns on the two stores.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use clap::Parser;
use snapshot_emulator::graph_olap::{Config, StoreProbe};

/// Resident memory of this process in bytes (`/proc/self/statm`, 4 KiB pages).
fn resident() -> Result<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").context("reading /proc/self/statm")?;
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .context("statm without a resident count")?;
    Ok(pages * 4096)
}

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "Scale figures of the Graph OLAP emulator store")]
struct Args {
    /// Snapshots to hold.
    #[arg(long, default_value_t = 1_000_000)]
    snapshots: usize,
    /// Simulated time between requests, in microseconds.
    #[arg(long, default_value_t = 100)]
    step_us: u64,
    /// Creates timed for each creates/s figure.
    #[arg(long, default_value_t = 20_000)]
    creates: usize,
    /// Runs of each list query.
    #[arg(long, default_value_t = 101)]
    repeat: usize,
}

/// Creates `n` snapshots; the rate per second.
fn creates(probe: &mut StoreProbe, n: usize, from: usize) -> Result<f64> {
    let start = Instant::now();
    for i in from..from + n {
        ensure!(
            probe.create(&format!("snapshot-{i:07}")),
            "create {i} refused"
        );
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// Median and maximum time of `repeat` runs of one list query.
fn list_time(probe: &mut StoreProbe, query: &str, repeat: usize) -> Result<(Duration, Duration)> {
    let mut times = Vec::with_capacity(repeat);
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let body = probe.list(query);
        times.push(start.elapsed());
        ensure!(
            body.is_some_and(|b| b.contains("\"data\":[{")),
            "{query}: no page"
        );
    }
    times.sort();
    Ok((times[times.len() / 2], times[times.len() - 1]))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let step = Duration::from_micros(args.step_us);
    // Idle: a store holding only what it takes for exports to finish as fast as they start
    // (the export time of the default timing, 5 s, plus one, at the step's request rate).
    let warmup = usize::try_from(6_000_000 / args.step_us.max(1)).unwrap_or(usize::MAX);
    let mut idle = StoreProbe::new(&Config::default(), step);
    creates(&mut idle, warmup, 0)?;

    let before = resident()?;
    let mut probe = StoreProbe::new(&Config::default(), step);
    let fill = Instant::now();
    creates(&mut probe, args.snapshots, 0)?;
    let fill = fill.elapsed();
    let held = resident()?.saturating_sub(before);
    println!(
        "held {} snapshots: {:.1} MB more resident memory, {} bytes per snapshot (filled in {:.1} s)",
        args.snapshots,
        held as f64 / 1e6,
        held / args.snapshots.max(1) as u64,
        fill.as_secs_f64()
    );

    let middle = args.snapshots / 2;
    let queries = [
        ("first page (limit=50)", "limit=50".to_owned()),
        ("middle page", format!("limit=50&offset={middle}")),
        (
            "last page, ascending",
            format!(
                "limit=50&sort_order=asc&offset={}",
                args.snapshots.saturating_sub(50)
            ),
        ),
        (
            "status=ready, first page",
            "limit=50&status=ready".to_owned(),
        ),
        (
            "status=ready, middle page",
            format!("limit=50&status=ready&offset={}", middle / 2),
        ),
        (
            "owner=demo, middle page",
            format!("limit=50&owner=demo&offset={middle}"),
        ),
        (
            "sort_by=name, middle page",
            format!("limit=50&sort_by=name&offset={middle}"),
        ),
        (
            "sort_by=updated_at, first page",
            "limit=50&sort_by=updated_at".to_owned(),
        ),
        (
            "sort_by=size_bytes, middle page",
            format!("limit=50&sort_by=size_bytes&offset={middle}"),
        ),
    ];
    println!(
        "list page at {} snapshots (median / max of {}):",
        args.snapshots, args.repeat
    );
    for (label, query) in &queries {
        let (median, max) = list_time(&mut probe, query, args.repeat)?;
        println!(
            "  {label:<34} {:>8.3} ms / {:>8.3} ms   ?{query}",
            median.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3
        );
    }

    // Idle and loaded batches in turns, so a change in the shared machine's load falls on
    // both; the medians of the rounds.
    let batch = (args.creates / ROUNDS).max(1);
    let (mut idle_rates, mut loaded_rates) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        idle_rates.push(creates(&mut idle, batch, warmup + round * batch)?);
        loaded_rates.push(creates(&mut probe, batch, args.snapshots + round * batch)?);
    }
    let (idle_rate, loaded_rate) = (median(&mut idle_rates), median(&mut loaded_rates));
    println!(
        "creates/s, median of {ROUNDS} alternating batches of {batch}: idle ({warmup} held) {idle_rate:.0}, loaded ({} held) {loaded_rate:.0}: loaded/idle {:.2} ({:+.1} %)",
        args.snapshots,
        loaded_rate / idle_rate,
        (loaded_rate / idle_rate - 1.0) * 100.0
    );
    Ok(())
}

/// Alternating idle and loaded create batches.
const ROUNDS: usize = 7;

/// The median of `rates`.
fn median(rates: &mut [f64]) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates.get(rates.len() / 2).copied().unwrap_or(0.0)
}
