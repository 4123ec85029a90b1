//! `snapctl emulator`: the emulator of the three APIs in the foreground, on loopback, until
//! Ctrl-C; prints the base URLs, the demo credentials and the environment that points
//! `snapctl` at it.

use std::io::Write;

use snapshot_emulator::{start, EmulatorConfig, RunningEmulator};

use crate::cli::EmulatorArgs;
use crate::Failure;

/// The Graph OLAP user the printed environment names (an analyst of the emulator's demo
/// set-up, who owns the demo mapping 1).
pub const DEMO_USER: &str = "demo";

/// How long `snapctl emulator` waits for requests in flight after Ctrl-C.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Runs the emulator until Ctrl-C.
pub async fn run<W: Write>(args: &EmulatorArgs, out: &mut W) -> Result<(), Failure> {
    let emulator = start(EmulatorConfig::default(), args.addr)
        .await
        .map_err(Failure::Emulator)?;
    out.write_all(banner(&emulator).as_bytes())?;
    out.flush()?;
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Failure::Unexpected(format!("cannot wait for Ctrl-C: {e}")))?;
    writeln!(out, "stopping")?;
    // Requests in flight get a moment to finish; a client that keeps an idle connection
    // open does not hold the prompt back.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, emulator.shutdown()).await;
    Ok(())
}

/// What `snapctl emulator` prints: the URLs, what exists, the demo credentials (they open
/// only this emulator) as `export` lines for a shell, and an example.
pub fn banner(emulator: &RunningEmulator) -> String {
    let config = emulator.config();
    let creds = &config.credentials;
    let instance = config.dsw_instances.first().map_or("-", String::as_str);
    let workspace = config
        .langstudio_workspaces
        .first()
        .map_or("-", String::as_str);
    let users: Vec<&str> = config
        .graph_olap
        .users
        .iter()
        .map(|u| u.username.as_str())
        .collect();
    let mut text = String::new();
    text.push_str(&format!(
        "snapctl emulator listening on {} (Ctrl-C stops it)\n\n",
        emulator.base_url()
    ));
    text.push_str(&format!(
        "  official SDK endpoint   {}  (protocol HTTP; every API at its real paths)\n",
        emulator.endpoint()
    ));
    text.push_str(&format!(
        "  PAI-DSW                 {}  (instance {instance})\n",
        emulator.dsw_url()
    ));
    text.push_str(&format!(
        "  PAI LangStudio (ROA)    {}  (workspace {workspace})\n",
        emulator.langstudio_url()
    ));
    text.push_str(&format!(
        "  PAI LangStudio gateway  {}\n",
        emulator.langstudio_gateway_url()
    ));
    text.push_str(&format!(
        "  Graph OLAP              {}  (users {}; mapping 1)\n",
        emulator.graph_olap_url(),
        users.join(", ")
    ));
    text.push_str(&format!(
        "  fault injection         {}/_emulator/faults\n\n",
        emulator.base_url()
    ));
    text.push_str("Demo credentials and settings (they open only this emulator):\n\n");
    let exports = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", creds.access_key_id.clone()),
        (
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            creds.access_key_secret.clone(),
        ),
        ("DASHSCOPE_API_KEY", creds.dashscope_api_key.clone()),
        (
            "ALIBABA_CLOUD_BEARER_TOKEN",
            creds.alibaba_bearer_token.clone(),
        ),
        ("PAI_DSW_ENDPOINT", emulator.endpoint()),
        ("PAILANGSTUDIO_ENDPOINT", emulator.endpoint()),
        ("SNAPCTL_DSW_URL", emulator.dsw_url()),
        ("SNAPCTL_LANGSTUDIO_URL", emulator.langstudio_url()),
        (
            "SNAPCTL_LANGSTUDIO_GATEWAY_URL",
            emulator.langstudio_gateway_url(),
        ),
        ("SNAPCTL_GRAPH_OLAP_URL", emulator.graph_olap_url()),
        ("SNAPCTL_GRAPH_OLAP_USER", DEMO_USER.to_owned()),
    ];
    for (name, value) in exports {
        text.push_str(&format!("  export {name}={value}\n"));
    }
    text.push_str(&format!(
        "\nThen, for example:\n\n  snapctl dsw create --instance {instance} --name my-env-v1 \
         --image-url registry.example/ns/env:v1 --wait\n  snapctl langstudio list\n  \
         snapctl graph-olap create --name customers --mapping-id 1 --wait\n\n"
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_banner_names_every_url_and_the_credentials() {
        let emulator = start(
            EmulatorConfig::default(),
            "127.0.0.1:0".parse().expect("addr"),
        )
        .await
        .expect("started");
        let text = banner(&emulator);
        for url in [
            emulator.dsw_url(),
            emulator.langstudio_url(),
            emulator.langstudio_gateway_url(),
            emulator.graph_olap_url(),
        ] {
            assert!(text.contains(&url), "{url} not in\n{text}");
        }
        let creds = &emulator.config().credentials;
        assert!(text.contains(&format!(
            "export ALIBABA_CLOUD_ACCESS_KEY_SECRET={}",
            creds.access_key_secret
        )));
        assert!(text.contains("export SNAPCTL_GRAPH_OLAP_USER=demo"));
        // An official SDK takes `host:port`; every API answers at its real paths there.
        let endpoint = emulator.addr().to_string();
        assert!(text.contains(&format!("export PAI_DSW_ENDPOINT={endpoint}")));
        assert!(text.contains(&format!("export PAILANGSTUDIO_ENDPOINT={endpoint}")));
        assert!(text.contains(&format!("export SNAPCTL_DSW_URL=http://{endpoint}\n")));
        emulator.shutdown().await;
    }
}
