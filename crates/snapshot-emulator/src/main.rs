//! `snapshot-emulator`: runs the local emulator of the DSW, LangStudio and Graph OLAP
//! snapshot APIs on loopback, prints its base URLs and the demo credentials, and serves
//! until Ctrl-C (or SIGTERM). `--seed FILE` starts it with a state (JSON or YAML, see
//! `snapshot_emulator::Seed`); `--state FILE` keeps its state across restarts: read at start
//! when the file exists, written at shutdown (atomically: a temporary file renamed over it;
//! at most 16 MiB).

use clap::Parser;
use snapshot_emulator::seed::MAX_SEED_BYTES;
use snapshot_emulator::{start, EmulatorConfig, RunningEmulator, Seed, Timing};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// A local, in-memory emulator of the PAI-DSW, PAI LangStudio and Graph OLAP snapshot APIs.
#[derive(Debug, Parser)]
#[command(name = "snapshot-emulator", version)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
    /// How long a DSW snapshot stays `Pushing`, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    dsw_push_ms: u64,
    /// How long a LangStudio snapshot stays `Creating`, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    langstudio_create_ms: u64,
    /// A DSW instance that exists (repeat for several; default dsw-demo0000000001).
    #[arg(long = "dsw-instance")]
    dsw_instances: Vec<String>,
    /// A LangStudio workspace that exists (repeat for several; default ws-demo0000000001).
    #[arg(long = "workspace")]
    workspaces: Vec<String>,
    /// Seed of the generator that fractional fault rules draw from.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// Cap the lifetime of issued temporary credentials (STS, IMDS, URI), in milliseconds.
    #[arg(long)]
    credentials_lifetime_ms: Option<u64>,
    /// IMDS hardened mode: metadata requests need an X-aliyun-ecs-metadata-token.
    #[arg(long)]
    imds_require_token: bool,
    /// The IMDSv2 token endpoint answers 404 (clients fall back to v1).
    #[arg(long)]
    imds_v2_disabled: bool,
    /// Graph OLAP: apply the seed's list filters (`created_after`, `created_before`,
    /// `mapping_version`, `sort_by=status`), which the real server ignores.
    #[arg(long)]
    seed_filters: bool,
    /// Start with this state: a JSON or YAML file of instances, workspaces, Graph OLAP
    /// users, existing snapshots and fault rules (see snapshot_emulator::Seed).
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Keep the state in FILE across restarts: read at start when it exists (instead of
    /// --seed), written at shutdown, atomically.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Start the output with the client environment as `NAME=value` lines and an empty line
    /// (for scripts), before the text for people.
    #[arg(long)]
    print_env: bool,
}

/// Reads a seed or state file: at most [`MAX_SEED_BYTES`], JSON or YAML.
fn read_seed(path: &Path) -> Result<Seed, String> {
    let fail = |why: String| format!("cannot read {}: {why}", path.display());
    let size = std::fs::metadata(path)
        .map_err(|e| fail(e.to_string()))?
        .len();
    if size > MAX_SEED_BYTES as u64 {
        return Err(fail(format!("{size} bytes, more than {MAX_SEED_BYTES}")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    Seed::from_text(&text).map_err(|e| fail(e.to_string()))
}

/// Writes the state to `path` atomically: a temporary file next to it, synced, renamed
/// over it. Refuses a state larger than [`MAX_SEED_BYTES`].
fn write_state(path: &Path, state: &Seed) -> Result<(), String> {
    let text = state.to_json();
    if text.len() > MAX_SEED_BYTES {
        return Err(format!(
            "the state is {} bytes, more than {MAX_SEED_BYTES}: not written",
            text.len()
        ));
    }
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(
        ".{}.{}.tmp",
        file_name.unwrap_or_else(|| "state".to_owned()),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        format!("cannot write {}: {e}", path.display())
    })
}

/// The seed to start with: the state file when it exists, else the seed file, else none.
fn initial_seed(seed: Option<&Path>, state: Option<&Path>) -> Result<Seed, String> {
    match (state, seed) {
        (Some(state), _) if state.exists() => read_seed(state),
        (_, Some(seed)) => read_seed(seed),
        _ => Ok(Seed::default()),
    }
}

/// Waits for Ctrl-C or, on Unix, SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("snapshot-emulator: cannot wait for Ctrl-C: {error}");
    }
}

impl Args {
    fn config(self, seed: Seed) -> EmulatorConfig {
        let mut config = EmulatorConfig {
            timing: Timing {
                dsw_push: Duration::from_millis(self.dsw_push_ms),
                langstudio_create: Duration::from_millis(self.langstudio_create_ms),
            },
            fault_seed: self.fault_seed,
            seed,
            ..EmulatorConfig::default()
        };
        config.graph_olap.seed_filters = self.seed_filters;
        let services = &mut config.credential_services;
        services.credentials_lifetime = self.credentials_lifetime_ms.map(Duration::from_millis);
        services.imds_require_token = self.imds_require_token;
        services.imds_v2_disabled = self.imds_v2_disabled;
        if !self.dsw_instances.is_empty() {
            config.dsw_instances = self.dsw_instances;
        }
        if !self.workspaces.is_empty() {
            config.langstudio_workspaces = self.workspaces;
        }
        config
    }
}

/// The banner's table: what is served where, and what exists.
fn settings(emulator: &RunningEmulator) -> Vec<(&'static str, String)> {
    let base = emulator.base_url();
    let config = emulator.config();
    vec![
        (
            "SDK endpoint",
            format!("{} (protocol HTTP)", emulator.endpoint()),
        ),
        (
            "PAI-DSW",
            format!("{}/api/v2/instances/...", emulator.dsw_url()),
        ),
        (
            "PAI LangStudio (ROA)",
            format!("{}/api/v1/langstudio/snapshots", emulator.langstudio_url()),
        ),
        (
            "PAI LangStudio gateway",
            format!("{}/{{Action}}", emulator.langstudio_gateway_url()),
        ),
        (
            "Graph OLAP",
            format!("{}/api/...", emulator.graph_olap_url()),
        ),
        ("health", format!("{base}/healthz")),
        ("STS (AssumeRole, OIDC)", emulator.sts_url()),
        ("ECS metadata (IMDS)", emulator.imds_url()),
        ("credentials URI", emulator.credentials_uri()),
        (
            "assumable role",
            config.credential_services.assumable_roles.join(", "),
        ),
        (
            "OIDC provider",
            config.credential_services.oidc_provider_arn.clone(),
        ),
        ("fault injection", format!("{base}/_emulator/faults")),
        ("DSW instances", config.dsw_instances.join(", ")),
        (
            "LangStudio workspaces",
            config.langstudio_workspaces.join(", "),
        ),
    ]
}

/// Writes the start-up text in one write: a script that reads only the environment block
/// and closes the pipe must not make a later line fail.
fn write_banner(emulator: &RunningEmulator, print_env: bool) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let base = emulator.base_url();
    let mut text = String::new();
    // The demo credentials only open this emulator; printing them is the point.
    if print_env {
        for (name, value) in emulator.env() {
            let _ = writeln!(text, "{name}={value}");
        }
        text.push('\n');
    }
    let _ = writeln!(text, "snapshot-emulator listening on {base}\n");
    for (what, value) in settings(emulator) {
        let _ = writeln!(text, "  {what:<23}{value}");
    }
    let _ = writeln!(text, "\nDemo credentials (they only open this emulator):\n");
    for (name, value) in emulator.env() {
        let _ = writeln!(text, "  export {name}={value}");
    }
    let _ = writeln!(text, "\nPress Ctrl-C to stop.");
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let addr = args.addr;
    let print_env = args.print_env;
    let state_file = args.state.clone();
    let seed = match initial_seed(args.seed.as_deref(), state_file.as_deref()) {
        Ok(seed) => seed,
        Err(error) => {
            eprintln!("snapshot-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    let emulator = match start(args.config(seed), addr).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("snapshot-emulator: cannot start on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = write_banner(&emulator, print_env) {
        eprintln!("snapshot-emulator: cannot write to stdout: {error}");
    }
    stopped().await;
    let state = emulator.state();
    emulator.shutdown().await;
    if let Some(path) = state_file {
        if let Err(error) = write_state(&path, &state) {
            eprintln!("snapshot-emulator: {error}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
