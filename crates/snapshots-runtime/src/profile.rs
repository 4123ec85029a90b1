//! [`Profile`]: one way a client reaches an API, as the spec's `x-profiles` describes it
//! (see `specs/EXTENSIONS.md`). Each generated crate has a `PROFILES` table of them, written
//! by `cargo xtask generate`; the facade builds one client per profile from it.

use crate::transport::Transport;

/// Which credentials a profile authenticates its requests with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthScheme {
    /// `alibaba-acs3`: the `ACS3-HMAC-SHA256` signature with an Alibaba Cloud access key (or
    /// the credentials of a provider), or an Alibaba bearer token.
    AlibabaAcs3,
    /// `dashscope-bearer`: `Authorization: Bearer` with a DashScope API key.
    DashscopeBearer,
    /// `graph-olap-identity`: the `X-Username` header, or a bearer token.
    GraphOlapIdentity,
}

impl AuthScheme {
    /// The name the specs use (`alibaba-acs3`, `dashscope-bearer`, `graph-olap-identity`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthScheme::AlibabaAcs3 => "alibaba-acs3",
            AuthScheme::DashscopeBearer => "dashscope-bearer",
            AuthScheme::GraphOlapIdentity => "graph-olap-identity",
        }
    }
}

/// The placeholder of a profile's base URL that the client's region replaces.
pub const REGION_PLACEHOLDER: &str = "{region}";

/// One transport profile of an API (one entry of the spec's `x-profiles`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// The profile's name in the spec (`default`, `roa`, `gateway`).
    pub name: &'static str,
    /// The facade's accessor method for this profile (`dsw`, `langstudio_gateway`).
    pub accessor: &'static str,
    /// The API as people call it, for errors and `Debug`.
    pub title: &'static str,
    /// The default base URL, with [`REGION_PLACEHOLDER`] where the region goes; `None`
    /// when the API has no public endpoint.
    pub base_url: Option<&'static str>,
    /// Which credentials authenticate the requests.
    pub auth: AuthScheme,
    /// How the requests are put on the wire.
    pub transport: Transport,
}

impl Profile {
    /// The default base URL in `region`, or `None` when the profile has none.
    ///
    /// ```
    /// use snapshots_runtime::{AuthScheme, Profile, Transport};
    /// let p = Profile {
    ///     name: "default",
    ///     accessor: "dsw",
    ///     title: "PAI-DSW",
    ///     base_url: Some("https://pai-dsw.{region}.aliyuncs.com"),
    ///     auth: AuthScheme::AlibabaAcs3,
    ///     transport: Transport::Rest,
    /// };
    /// assert_eq!(p.default_base_url("cn-shanghai").as_deref(), Some("https://pai-dsw.cn-shanghai.aliyuncs.com"));
    /// ```
    pub fn default_base_url(&self, region: &str) -> Option<String> {
        self.base_url
            .map(|url| url.replace(REGION_PLACEHOLDER, region))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn profile(base_url: Option<&'static str>) -> Profile {
        Profile {
            name: "default",
            accessor: "x",
            title: "X",
            base_url,
            auth: AuthScheme::GraphOlapIdentity,
            transport: Transport::Rest,
        }
    }

    #[test]
    fn no_base_url_stays_none() {
        assert_eq!(profile(None).default_base_url("cn-hangzhou"), None);
    }

    #[test]
    fn scheme_names_are_the_specs() {
        assert_eq!(AuthScheme::AlibabaAcs3.as_str(), "alibaba-acs3");
        assert_eq!(AuthScheme::DashscopeBearer.as_str(), "dashscope-bearer");
        assert_eq!(
            AuthScheme::GraphOlapIdentity.as_str(),
            "graph-olap-identity"
        );
    }

    proptest! {
        /// The region replaces the placeholder, and nothing else of the URL changes.
        #[test]
        fn the_region_fills_the_placeholder(region in "[a-z][a-z0-9-]{0,20}") {
            let url = profile(Some("https://svc.{region}.example.com/api")).default_base_url(&region);
            prop_assert_eq!(url, Some(format!("https://svc.{region}.example.com/api")));
            let fixed = profile(Some("https://api.example.com/v1")).default_base_url(&region);
            prop_assert_eq!(fixed.as_deref(), Some("https://api.example.com/v1"));
        }
    }
}
