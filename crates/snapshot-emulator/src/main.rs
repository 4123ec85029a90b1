//! `snapshot-emulator`: runs the local emulator of the DSW, LangStudio and Graph OLAP
//! snapshot APIs on loopback, prints its base URLs and the demo credentials, and serves
//! until Ctrl-C.

use clap::Parser;
use snapshot_emulator::{start, EmulatorConfig, RunningEmulator, Timing};
use std::io::Write as _;
use std::net::SocketAddr;
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
    /// Start the output with the client environment as `NAME=value` lines and an empty line
    /// (for scripts), before the text for people.
    #[arg(long)]
    print_env: bool,
}

impl Args {
    fn config(self) -> EmulatorConfig {
        let mut config = EmulatorConfig {
            timing: Timing {
                dsw_push: Duration::from_millis(self.dsw_push_ms),
                langstudio_create: Duration::from_millis(self.langstudio_create_ms),
            },
            fault_seed: self.fault_seed,
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

/// Writes the start-up text in one write: a script that reads only the environment block
/// and closes the pipe must not make a later line fail.
fn write_banner(emulator: &RunningEmulator, print_env: bool) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let config = emulator.config();
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
    let lines = [
        ("PAI-DSW", emulator.dsw_url()),
        ("PAI LangStudio (ROA)", emulator.langstudio_url()),
        ("PAI LangStudio gateway", emulator.langstudio_gateway_url()),
        ("Graph OLAP", emulator.graph_olap_url()),
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
    ];
    for (what, value) in lines {
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
    let emulator = match start(args.config(), addr).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("snapshot-emulator: cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = write_banner(&emulator, print_env) {
        eprintln!("snapshot-emulator: cannot write to stdout: {error}");
    }
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("snapshot-emulator: cannot wait for Ctrl-C: {error}");
    }
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
