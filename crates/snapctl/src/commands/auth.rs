//! `snapctl auth`: which Alibaba Cloud credentials the other commands would sign with.

use std::io::Write;

use serde::Serialize;

use crate::output::Printer;
use crate::Failure;

/// What `snapctl auth` prints: never a secret.
#[derive(Debug, Serialize)]
struct Identity {
    provider: String,
    access_key_id: Option<String>,
    temporary: bool,
    expiration: Option<String>,
}

/// Fetches the current credentials (as a call would, through the chain and its cache) and
/// prints where they came from.
pub async fn run<W: Write>(
    client: &snapshots::Client,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let identity = client.alibaba_identity().await?;
    let shown = Identity {
        provider: identity.provider,
        access_key_id: identity.access_key_id,
        temporary: identity.temporary,
        expiration: identity.expiration.map(|at| {
            chrono::DateTime::<chrono::Utc>::from(at)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        }),
    };
    printer.resource(&shown)?;
    Ok(())
}
