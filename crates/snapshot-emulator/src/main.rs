//! `snapshot-emulator`: runs the local emulator of the DSW, LangStudio and Graph OLAP
//! snapshot APIs on loopback, prints its base URLs and the demo credentials, and serves
//! until Ctrl-C.

use clap::Parser;
use snapshot_emulator::{start, EmulatorConfig, Timing};
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
        if !self.dsw_instances.is_empty() {
            config.dsw_instances = self.dsw_instances;
        }
        if !self.workspaces.is_empty() {
            config.langstudio_workspaces = self.workspaces;
        }
        config
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let addr = args.addr;
    let emulator = match start(args.config(), addr).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("snapshot-emulator: cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let config = emulator.config();
    let creds = &config.credentials;
    // The demo credentials only open this emulator; printing them is the point.
    println!("snapshot-emulator listening on {}", emulator.base_url());
    println!();
    println!("  PAI-DSW                {}", emulator.dsw_url());
    println!("  PAI LangStudio (ROA)   {}", emulator.langstudio_url());
    println!(
        "  PAI LangStudio gateway {}",
        emulator.langstudio_gateway_url()
    );
    println!("  Graph OLAP             {}", emulator.graph_olap_url());
    println!(
        "  fault injection        {}/_emulator/faults",
        emulator.base_url()
    );
    println!();
    println!(
        "  DSW instances          {}",
        config.dsw_instances.join(", ")
    );
    println!(
        "  LangStudio workspaces  {}",
        config.langstudio_workspaces.join(", ")
    );
    println!("  Alibaba bearer token   {}", creds.alibaba_bearer_token);
    println!();
    println!("Demo credentials (they only open this emulator):");
    println!();
    println!(
        "  export ALIBABA_CLOUD_ACCESS_KEY_ID={}",
        creds.access_key_id
    );
    println!(
        "  export ALIBABA_CLOUD_ACCESS_KEY_SECRET={}",
        creds.access_key_secret
    );
    println!("  export DASHSCOPE_API_KEY={}", creds.dashscope_api_key);
    println!();
    println!("Press Ctrl-C to stop.");
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("snapshot-emulator: cannot wait for Ctrl-C: {error}");
    }
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
