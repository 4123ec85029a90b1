//! Builds the [`snapshots::Client`] of a command from the global options and the
//! environment.
//!
//! Credentials come from the facade's chain (see [`snapshots::ClientBuilder`]) plus two
//! variables of `snapctl`'s own for secrets that have no standard variable:
//! [`ENV_ALIBABA_BEARER_TOKEN`] and [`ENV_GRAPH_OLAP_TOKEN`]. Secrets are never taken from
//! the command line, where other users of the machine could read them.

use snapshots::{Client, ClientBuilder, RateLimiter, RetryConfig};

use crate::cli::GlobalArgs;

/// An Alibaba Cloud bearer token for PAI-DSW and LangStudio ROA, used when no access key
/// is found.
pub const ENV_ALIBABA_BEARER_TOKEN: &str = "SNAPCTL_ALIBABA_BEARER_TOKEN";

/// A bearer token for Graph OLAP (takes precedence over `--graph-olap-user`).
pub const ENV_GRAPH_OLAP_TOKEN: &str = "SNAPCTL_GRAPH_OLAP_TOKEN";

/// The client builder for `global`, reading the two token variables from `env` (a lookup
/// function, so that tests need not touch the process environment).
///
/// ```
/// use clap::Parser;
/// use snapctl::cli::Cli;
///
/// let cli = Cli::parse_from(["snapctl", "--graph-olap-url", "http://127.0.0.1:9", "--graph-olap-user", "alice", "graph-olap", "get", "1"]);
/// let client = snapctl::client::builder(&cli.global, |_| None).build().unwrap();
/// assert!(client.graph_olap().is_ok());
/// ```
pub fn builder(global: &GlobalArgs, env: impl Fn(&str) -> Option<String>) -> ClientBuilder {
    let mut builder = Client::builder();
    if let Some(region) = &global.region {
        builder = builder.region(region.clone());
    }
    if let Some(url) = &global.dsw_url {
        builder = builder.dsw_url(url.clone());
    }
    if let Some(url) = &global.langstudio_url {
        builder = builder.langstudio_url(url.clone());
    }
    if let Some(url) = &global.langstudio_gateway_url {
        builder = builder.langstudio_gateway_url(url.clone());
    }
    if let Some(url) = &global.graph_olap_url {
        builder = builder.graph_olap_url(url.clone());
    }
    if let Some(user) = &global.graph_olap_user {
        builder = builder.graph_olap_username(user.clone());
    }
    if let Some(token) = env(ENV_GRAPH_OLAP_TOKEN).filter(|t| !t.is_empty()) {
        builder = builder.graph_olap_token(token);
    }
    if let Some(token) = env(ENV_ALIBABA_BEARER_TOKEN).filter(|t| !t.is_empty()) {
        builder = builder.alibaba_bearer_token(token);
    }
    if global.no_retry {
        builder = builder.retry(RetryConfig::disabled());
    }
    match global.rate_limit {
        Some(0) => builder = builder.rate_limit(RateLimiter::unlimited()),
        Some(per_second) => builder = builder.rate_limit(RateLimiter::per_second(per_second)),
        None => {}
    }
    builder
}

/// The client of a command: [`builder`] over the process environment.
pub fn from_args(global: &GlobalArgs) -> Result<Client, snapshots::Error> {
    builder(global, |name| std::env::var(name).ok()).build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn global(args: &[&str]) -> GlobalArgs {
        let mut all = vec!["snapctl"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["graph-olap", "get", "1"]);
        Cli::parse_from(all).global
    }

    #[test]
    fn graph_olap_needs_a_url_and_an_identity() {
        let client = builder(&global(&[]), |_| None).build().expect("builds");
        let error = client.graph_olap().expect_err("no URL");
        assert!(matches!(error, snapshots::Error::Config(_)), "{error}");

        let client = builder(&global(&["--graph-olap-url", "http://127.0.0.1:9"]), |_| {
            None
        })
        .build()
        .expect("builds");
        let error = client.graph_olap().expect_err("no identity");
        assert!(matches!(error, snapshots::Error::Credentials(_)), "{error}");

        let client = builder(
            &global(&["--graph-olap-url", "http://127.0.0.1:9"]),
            |name| (name == ENV_GRAPH_OLAP_TOKEN).then(|| "token-1".to_owned()),
        )
        .build()
        .expect("builds");
        assert!(client.graph_olap().is_ok());
        assert!(!format!("{client:?}").contains("token-1"));
    }

    #[test]
    fn retries_and_rate_limit() {
        let client = builder(&global(&["--no-retry", "--rate-limit", "0"]), |_| None)
            .build()
            .expect("builds");
        assert_eq!(client.retry_config(), &RetryConfig::disabled());
        assert!(client.rate_limiter().is_unlimited());

        let client = builder(&global(&["--rate-limit", "3"]), |_| None)
            .build()
            .expect("builds");
        assert_eq!(client.rate_limiter().requests_per_second(), Some(3));
    }

    #[test]
    fn bad_urls_and_regions_are_configuration_errors() {
        for args in [
            &["--region", "CN_HANGZHOU"][..],
            &["--dsw-url", "not a url"][..],
        ] {
            let error = builder(&global(args), |_| None)
                .build()
                .expect_err("refused");
            assert!(
                matches!(error, snapshots::Error::Config(_)),
                "{args:?}: {error}"
            );
        }
    }
}
