//! The client's slots: one per (API, profile) of the generated `APIS` table, built by one
//! mechanism that reads the profile (default base URL and region, which credentials its
//! auth scheme takes, its transport). Nothing here names an API.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;

use snapshots_runtime::auth::CredentialsError;
use snapshots_runtime::profile::REGION_PLACEHOLDER;
use snapshots_runtime::{
    AuthScheme, Credentials, Profile, RateLimiter, RedirectPolicy, RetryConfig, Runtime,
};

use super::{base_url, redact_url};
use crate::error::Error;

/// A generated client, type-erased: the generated accessor downcasts it back.
pub(crate) type AnyClient = Box<dyn Any + Send + Sync>;

/// One generated API, as the facade's generated module lists it.
pub(crate) struct ApiEntry {
    /// The generated crate's name.
    pub(crate) crate_name: &'static str,
    /// The crate's `PROFILES`, the first the default.
    pub(crate) profiles: &'static [Profile],
    /// The crate's `connect`: its client at a base URL, on a runtime.
    pub(crate) connect: fn(&str, reqwest::Client, Runtime) -> AnyClient,
}

/// One (API, profile): its generated client, or why there is none.
pub(crate) struct Slot {
    pub(crate) crate_name: &'static str,
    pub(crate) profile: &'static Profile,
    pub(crate) base_url: Option<String>,
    pub(crate) client: Result<Connected, Unavailable>,
}

/// A generated client and the credentials its runtime uses.
pub(crate) struct Connected {
    pub(crate) client: AnyClient,
    pub(crate) credentials: Credentials,
}

/// Why a slot has no client: reported by its accessor, every time it is called.
#[derive(Debug, Clone)]
pub(crate) enum Unavailable {
    Credentials(CredentialsError),
    Config(String),
}

impl Unavailable {
    pub(crate) fn to_error(&self) -> Error {
        match self {
            Unavailable::Credentials(e) => Error::Credentials(e.clone()),
            Unavailable::Config(message) => Error::Config(message.clone()),
        }
    }
}

/// The credentials of each auth scheme, resolved once per build and shared by every
/// profile of that scheme (one cache for all the APIs that sign with Alibaba Cloud keys).
pub(crate) struct SchemeCredentials {
    pub(crate) alibaba: Result<Credentials, Unavailable>,
    pub(crate) dashscope: Result<Credentials, Unavailable>,
    pub(crate) identity: Result<Credentials, Unavailable>,
}

impl SchemeCredentials {
    fn for_scheme(&self, scheme: AuthScheme) -> Result<Credentials, Unavailable> {
        match scheme {
            AuthScheme::AlibabaAcs3 => self.alibaba.clone(),
            AuthScheme::DashscopeBearer => self.dashscope.clone(),
            AuthScheme::GraphOlapIdentity => self.identity.clone(),
            other => Err(Unavailable::Config(format!(
                "the auth scheme {:?} is not supported by this version of the SDK",
                other.as_str()
            ))),
        }
    }
}

/// What every slot's runtime shares: the HTTP client, the rate limiter, the retry policy.
pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    pub(crate) retry: RetryConfig,
    pub(crate) limiter: RateLimiter,
    pub(crate) max_body: usize,
    pub(crate) redirects: RedirectPolicy,
}

impl Shared {
    fn runtime(&self, credentials: Credentials, profile: &Profile) -> Runtime {
        Runtime::builder()
            .transport(profile.transport)
            .credentials(credentials)
            .retry(self.retry.clone())
            .rate_limit(self.limiter.clone())
            .max_response_body(self.max_body)
            .redirects(self.redirects)
            .build()
    }
}

/// Every (API, profile) of `apis`, in order.
pub(crate) fn profiles(
    apis: &'static [ApiEntry],
) -> impl Iterator<Item = (&'static ApiEntry, &'static Profile)> {
    apis.iter()
        .flat_map(|api| api.profiles.iter().map(move |p| (api, p)))
}

/// The base URL of each profile of `apis`, in order: the one set on the builder (checked),
/// else the profile's default in `region`, else `None`. An override for an accessor that no
/// profile has is an error, so that a typo cannot silently leave the default in place.
pub(crate) fn base_urls(
    apis: &'static [ApiEntry],
    overrides: &BTreeMap<String, String>,
    region: &str,
) -> Result<Vec<Option<String>>, Error> {
    if let Some(unknown) = overrides
        .keys()
        .find(|a| !profiles(apis).any(|(_, p)| p.accessor == a.as_str()))
    {
        let known: Vec<&str> = profiles(apis).map(|(_, p)| p.accessor).collect();
        return Err(Error::Config(format!(
            "no API has the accessor {unknown:?} (known: {})",
            known.join(", ")
        )));
    }
    profiles(apis)
        .map(|(_, p)| match overrides.get(p.accessor) {
            Some(url) => base_url(p.title, url.clone()).map(Some),
            None => p
                .default_base_url(region)
                .map(|url| base_url(p.title, url))
                .transpose(),
        })
        .collect()
}

/// Adds to `overrides`, for every profile of `apis` it does not name, the base URL at
/// `origin`: the origin followed by the path of the profile's default base URL (nothing for
/// a profile without one). An origin with a path, query or credentials is an error.
pub(crate) fn at_origin(
    apis: &'static [ApiEntry],
    origin: &str,
    overrides: &mut BTreeMap<String, String>,
) -> Result<(), Error> {
    let checked = base_url("origin", origin.to_owned())?;
    let has_path = reqwest::Url::parse(&checked).is_ok_and(|u| u.path() != "/");
    if has_path {
        return Err(Error::Config(format!(
            "invalid origin {:?}: an origin takes no path (each API keeps its own)",
            redact_url(&checked)
        )));
    }
    for (_, profile) in profiles(apis) {
        if overrides.contains_key(profile.accessor) {
            continue;
        }
        let path = default_path(profile.base_url);
        overrides.insert(profile.accessor.to_owned(), format!("{checked}{path}"));
    }
    Ok(())
}

/// The path of a default base URL, without a trailing slash (empty for none).
fn default_path(base_url: Option<&str>) -> String {
    base_url
        .and_then(|url| reqwest::Url::parse(&url.replace(REGION_PLACEHOLDER, "r")).ok())
        .map(|url| url.path().trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

/// One slot per profile of `apis`; `urls` is [`base_urls`]'s answer.
pub(crate) fn build(
    apis: &'static [ApiEntry],
    urls: Vec<Option<String>>,
    credentials: &SchemeCredentials,
    shared: &Shared,
) -> Vec<Slot> {
    profiles(apis)
        .zip(urls)
        .map(|((api, profile), base_url)| {
            let client = match &base_url {
                None => Err(Unavailable::Config(format!(
                    "no {} base URL: the API has no public endpoint; set \
                     ClientBuilder::{}_url",
                    profile.title, profile.accessor
                ))),
                Some(url) => credentials.for_scheme(profile.auth).map(|creds| Connected {
                    client: (api.connect)(
                        url,
                        shared.http.clone(),
                        shared.runtime(creds.clone(), profile),
                    ),
                    credentials: creds,
                }),
            };
            Slot {
                crate_name: api.crate_name,
                profile,
                base_url,
                client,
            }
        })
        .collect()
}

impl Slot {
    /// The slot's client as the generated type `C`.
    pub(crate) fn get<C: Any>(&self) -> Result<&C, Error> {
        let connected = self.client.as_ref().map_err(Unavailable::to_error)?;
        connected.client.downcast_ref::<C>().ok_or_else(|| {
            Error::Config(format!(
                "the {} client is not a {}",
                self.profile.title,
                std::any::type_name::<C>()
            ))
        })
    }
}

/// The API, profile, base URL and credentials of a slot (their `Debug` redacts every
/// secret).
impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Api");
        s.field("title", &self.profile.title)
            .field("crate", &self.crate_name)
            .field("profile", &self.profile.name)
            .field("auth", &self.profile.auth.as_str())
            .field("transport", &self.profile.transport.as_profile())
            .field("base_url", &self.base_url.as_deref().map(redact_url));
        match &self.client {
            Ok(connected) => s.field("credentials", &connected.credentials),
            Err(why) => s.field("unavailable", why),
        };
        s.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use snapshots_runtime::Transport;

    static PROFILES: [Profile; 2] = [
        Profile {
            name: "default",
            accessor: "regional",
            title: "Regional",
            base_url: Some("https://svc.{region}.example.com"),
            auth: AuthScheme::DashscopeBearer,
            transport: Transport::Rest,
        },
        Profile {
            name: "private",
            accessor: "private",
            title: "Private",
            base_url: None,
            auth: AuthScheme::GraphOlapIdentity,
            transport: Transport::ActionPath,
        },
    ];

    static APIS: [ApiEntry; 1] = [ApiEntry {
        crate_name: "fixture",
        profiles: &PROFILES,
        connect: |url, _, _| Box::new(url.to_owned()),
    }];

    fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, u)| ((*a).to_owned(), (*u).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_follow_the_region_and_overrides_win() {
        let urls = base_urls(&APIS, &overrides(&[]), "cn-x").unwrap();
        assert_eq!(
            urls,
            [Some("https://svc.cn-x.example.com".to_owned()), None]
        );
        let urls = base_urls(&APIS, &overrides(&[("private", "http://h:1/")]), "r").unwrap();
        assert_eq!(urls[1].as_deref(), Some("http://h:1"));
    }

    #[test]
    fn an_origin_keeps_each_profiles_path_and_yields_to_overrides() {
        let mut urls = overrides(&[("private", "http://p:2")]);
        at_origin(&APIS, "http://127.0.0.1:9/", &mut urls).unwrap();
        assert_eq!(urls["regional"], "http://127.0.0.1:9");
        assert_eq!(urls["private"], "http://p:2");
        for bad in ["http://h:1/x", "ftp://h", "http://u:p@h"] {
            assert!(at_origin(&APIS, bad, &mut overrides(&[])).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// The origin's URL is the origin followed by the default's path, whatever it is.
        #[test]
        fn an_origin_is_followed_by_the_default_path(path in "(/[a-zA-Z0-9-]{1,8}){0,3}", slash: bool) {
            let url = format!("https://svc.{{region}}.example.com{path}{}", if slash { "/" } else { "" });
            proptest::prop_assert_eq!(default_path(Some(&url)), path);
            proptest::prop_assert_eq!(default_path(None), "");
        }
    }

    #[test]
    fn an_unknown_accessor_or_a_bad_url_fails() {
        for pairs in [[("regionl", "http://h")], [("private", "ftp://h")]] {
            let result = base_urls(&APIS, &overrides(&pairs), "r");
            assert!(matches!(result, Err(Error::Config(_))), "{result:?}");
        }
    }

    #[test]
    fn slots_take_their_schemes_credentials_and_report_a_missing_url() {
        let creds = SchemeCredentials {
            alibaba: Err(Unavailable::Config("none".into())),
            dashscope: Ok(Credentials::Bearer("sk".into())),
            identity: Ok(Credentials::Bearer("t".into())),
        };
        let shared = Shared {
            http: snapshots_runtime::http_client_builder().build().unwrap(),
            retry: RetryConfig::default(),
            limiter: RateLimiter::default(),
            max_body: 1024,
            redirects: RedirectPolicy::None,
        };
        let urls = base_urls(&APIS, &overrides(&[]), "r").unwrap();
        let slots = build(&APIS, urls, &creds, &shared);
        assert_eq!(
            slots[0].get::<String>().unwrap(),
            "https://svc.r.example.com"
        );
        assert!(matches!(slots[0].get::<u8>(), Err(Error::Config(_))));
        let missing = slots[1].get::<String>().unwrap_err().to_string();
        assert!(missing.contains("ClientBuilder::private_url"), "{missing}");
        assert!(!format!("{:?}", slots[0]).contains("\"sk\""));
    }
}
