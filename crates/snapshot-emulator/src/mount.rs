//! Where each API is served on the emulator's one port, and the dispatcher that sends every
//! request to its API's routes.
//!
//! Each API answers at the **real paths** of its service, at the root: DSW
//! `/api/v2/instances/...`, LangStudio ROA `/api/v1/langstudio/snapshots...`, the LangStudio
//! gateway `/api/PAILangStudio/2024-07-10/{Action}` (the path of its profile's base URL),
//! Graph OLAP `/api/...` (every other `/api/` path). The real paths are disjoint; the one
//! ambiguity is an *unknown* `/api/...` path, which the real services tell apart by host:
//! here a request that names an Alibaba API's version in `x-acs-version` (`2022-01-01` DSW,
//! `2024-07-10` LangStudio) is that API's (and answered with its `InvalidApi.NotFound`),
//! any other is Graph OLAP's. An official SDK configured with the
//! emulator's `host:port` as its endpoint therefore reaches the right API and signs the path
//! the emulator verifies.
//!
//! Each API also answers under a **compatibility prefix** (`/dsw`, `/langstudio`,
//! `/langstudio-gateway`, `/graph-olap`): the form earlier versions served, which saved
//! settings (`SNAPCTL_DSW_URL=http://127.0.0.1:8787/dsw`) and scripts still name. It is the
//! same mechanism, not a second set of routes: the dispatcher strips the prefix and hands the
//! request to the same routes, and the signature is verified over the path *as sent* (so a
//! client that signed `/dsw/api/v2/...` is checked over that, and an official SDK that signed
//! `/api/v2/...` over that).
//!
//! Fault rules may name either form ([`alias`]): `/dsw/**` and `/api/v2/instances/**` fire
//! on the same requests, whichever form the client uses.

use crate::error::Api;
use axum::extract::{OriginalUri, Request};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::convert::Infallible;
use tower::ServiceExt;

/// The path of the LangStudio gateway's base URL (its `x-profiles` entry): the gateway's
/// actions are `{GATEWAY_ROOT}/{Action}`.
pub(crate) const GATEWAY_ROOT: &str = "/api/PAILangStudio/2024-07-10";

/// The real path roots, tried in order: the first whose root the path starts with (on a
/// segment boundary) names the API. Graph OLAP's `/api` comes last: it owns every other
/// `/api/` path (so that an unknown one is answered in its error shape). A test checks that
/// every operation of every generated client is routed to its own API.
const ROOTS: [(&str, Api, bool); 4] = [
    ("/api/v2/instances", Api::Dsw, false),
    ("/api/v1/langstudio", Api::LangStudio, false),
    (GATEWAY_ROOT, Api::LangStudioGateway, true),
    ("/api", Api::GraphOlap, false),
];

/// The compatibility prefixes (the first path segment).
const PREFIXES: [(&str, Api); 4] = [
    ("/dsw", Api::Dsw),
    ("/langstudio", Api::LangStudio),
    ("/langstudio-gateway", Api::LangStudioGateway),
    ("/graph-olap", Api::GraphOlap),
];

/// Where a request path lands: the API, and how many leading bytes the dispatcher strips
/// before the API's routes see it (a compatibility prefix, or the gateway's root, whose
/// routes are `/{Action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Located {
    pub(crate) api: Api,
    pub(crate) strip: usize,
    /// Whether the path came with a compatibility prefix.
    pub(crate) prefixed: bool,
}

/// Whether `path` is `root` or below it (segment boundary).
fn under(path: &str, root: &str) -> bool {
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The API a request path belongs to (see the module documentation).
pub(crate) fn locate(path: &str) -> Option<Located> {
    if let Some((prefix, api)) = PREFIXES.iter().find(|(p, _)| under(path, p)) {
        return Some(Located {
            api: *api,
            strip: prefix.len(),
            prefixed: true,
        });
    }
    ROOTS
        .iter()
        .find(|(root, _, _)| under(path, root))
        .map(|(root, api, strip_root)| Located {
            api: *api,
            strip: if *strip_root { root.len() } else { 0 },
            prefixed: false,
        })
}

/// The root that `api`'s routes are relative to, when it is not `/`.
fn real_root(api: Api) -> Option<&'static str> {
    (api == Api::LangStudioGateway).then_some(GATEWAY_ROOT)
}

/// [`locate`], with an unknown `/api/...` path given to the Alibaba API whose version the
/// request names in `x-acs-version` (see the module documentation).
pub(crate) fn locate_request(path: &str, acs_version: Option<&str>) -> Option<Located> {
    let located = locate(path)?;
    if located.api != Api::GraphOlap || located.prefixed {
        return Some(located);
    }
    let api = match acs_version {
        Some(crate::dsw::VERSION) => Api::Dsw,
        Some(crate::langstudio::VERSION) => Api::LangStudio,
        _ => return Some(located),
    };
    Some(Located { api, ..located })
}

/// The same request path in the other form: a prefixed path as the real one, a real path as
/// the prefixed one; `None` for a path of no API, or a prefixed path whose real form would
/// belong to another API (`/dsw/api/snapshots`). Fault rules match either form.
pub(crate) fn alias(path: &str) -> Option<String> {
    let located = locate(path)?;
    let rest = &path[located.strip..];
    let (prefix, _) = PREFIXES.iter().find(|(_, api)| *api == located.api)?;
    let root = real_root(located.api).unwrap_or("");
    let other = if located.prefixed {
        format!("{root}{rest}")
    } else {
        format!("{prefix}{rest}")
    };
    (locate(&other).map(|l| l.api) == Some(located.api)).then_some(other)
}

/// The routes of each API, relative to the path the dispatcher leaves.
#[derive(Debug, Clone)]
pub(crate) struct Apis {
    pub(crate) dsw: Router,
    pub(crate) langstudio: Router,
    pub(crate) gateway: Router,
    pub(crate) graph_olap: Router,
}

impl Apis {
    fn routes(&self, api: Api) -> Option<&Router> {
        match api {
            Api::Dsw => Some(&self.dsw),
            Api::LangStudio => Some(&self.langstudio),
            Api::LangStudioGateway => Some(&self.gateway),
            Api::GraphOlap => Some(&self.graph_olap),
            Api::Sts => None,
        }
    }

    /// Sends `request` to its API's routes (the path stripped as [`locate`] says; the
    /// original URI kept for the signature check), or answers `404` for a path of no API.
    pub(crate) async fn dispatch(self, mut request: Request) -> Result<Response, Infallible> {
        let path = request.uri().path().to_owned();
        let version = request
            .headers()
            .get(snapshots_runtime::auth::acs3::X_ACS_VERSION)
            .and_then(|v| v.to_str().ok());
        let Some(located) = locate_request(&path, version) else {
            return Ok(axum::http::StatusCode::NOT_FOUND.into_response());
        };
        let Some(routes) = self.routes(located.api).cloned() else {
            return Ok(axum::http::StatusCode::NOT_FOUND.into_response());
        };
        if request.extensions().get::<OriginalUri>().is_none() {
            let original = OriginalUri(request.uri().clone());
            request.extensions_mut().insert(original);
        }
        if located.strip > 0 {
            match stripped(request.uri(), located.strip) {
                Some(uri) => *request.uri_mut() = uri,
                None => return Ok(axum::http::StatusCode::NOT_FOUND.into_response()),
            }
        }
        routes.oneshot(request).await
    }
}

/// `uri` without the first `strip` bytes of its path (`/` when nothing is left).
fn stripped(uri: &Uri, strip: usize) -> Option<Uri> {
    let path = uri.path().get(strip..)?;
    let path = if path.is_empty() { "/" } else { path };
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse().ok()?);
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A concrete path of an operation's template (`{X}` replaced by `x-1`).
    fn concrete(template: &str) -> String {
        let mut out = String::new();
        let mut in_param = false;
        for c in template.chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push_str("x-1");
                }
                '}' => in_param = false,
                c if !in_param => out.push(c),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn every_operation_of_every_client_reaches_its_own_api() {
        let tables = [
            (pai_dsw::OPERATIONS, Api::Dsw),
            (pai_langstudio::OPERATIONS, Api::LangStudio),
            (graph_olap::OPERATIONS, Api::GraphOlap),
        ];
        for (operations, api) in tables {
            for op in operations {
                let path = concrete(op.path);
                let located = locate(&path).unwrap_or_else(|| panic!("{path} is routed nowhere"));
                assert_eq!(located.api, api, "{path}");
                assert_eq!(located.strip, 0, "{path}");
            }
        }
        for op in pai_langstudio::OPERATIONS {
            let action = op.action.expect("every LangStudio operation has an action");
            let path = format!("{GATEWAY_ROOT}/{action}");
            let located = locate(&path).expect("routed");
            assert_eq!(located.api, Api::LangStudioGateway);
            assert_eq!(&path[located.strip..], format!("/{action}"));
        }
    }

    #[test]
    fn the_gateway_root_is_the_gateway_profiles_base_path() {
        let gateway = pai_langstudio::PROFILES
            .iter()
            .find(|p| p.transport == snapshots_runtime::Transport::ActionPath)
            .and_then(|p| p.base_url)
            .expect("the gateway profile has a base URL");
        let url = reqwest::Url::parse(gateway).expect("a URL");
        assert_eq!(url.path(), GATEWAY_ROOT);
    }

    #[test]
    fn prefixes_and_their_aliases() {
        let cases = [
            (
                "/dsw/api/v2/instances/a/snapshots",
                "/api/v2/instances/a/snapshots",
            ),
            (
                "/langstudio/api/v1/langstudio/snapshots",
                "/api/v1/langstudio/snapshots",
            ),
            (
                "/langstudio-gateway/GetSnapshot",
                "/api/PAILangStudio/2024-07-10/GetSnapshot",
            ),
            ("/graph-olap/api/snapshots/3", "/api/snapshots/3"),
        ];
        for (prefixed, real) in cases {
            assert_eq!(alias(prefixed).as_deref(), Some(real), "{prefixed}");
            assert_eq!(alias(real).as_deref(), Some(prefixed), "{real}");
            assert_eq!(locate(prefixed).map(|l| l.api), locate(real).map(|l| l.api));
        }
        for none in [
            "/",
            "/dswx/a",
            "/apix",
            "/sts",
            "/_emulator/health",
            "/imds/latest",
        ] {
            assert_eq!(locate(none), None, "{none}");
            assert_eq!(alias(none), None, "{none}");
        }
    }

    #[test]
    fn an_unknown_api_path_goes_to_the_alibaba_api_of_its_version() {
        let at = |version| locate_request("/api/v2/nothing", version).map(|l| l.api);
        assert_eq!(at(Some("2022-01-01")), Some(Api::Dsw));
        assert_eq!(at(Some("2024-07-10")), Some(Api::LangStudio));
        assert_eq!(at(Some("1999-01-01")), Some(Api::GraphOlap));
        assert_eq!(at(None), Some(Api::GraphOlap));
        let known = locate_request("/api/v1/langstudio/snapshots", Some("2022-01-01"));
        assert_eq!(known.map(|l| l.api), Some(Api::LangStudio));
    }

    proptest! {
        /// Every real path has a prefixed form; the two forms are each other's alias and
        /// name one API.
        #[test]
        fn alias_is_an_involution(tail in "(/[a-zA-Z0-9._~-]{0,8}){0,4}") {
            let roots = ["/dsw", "/langstudio", "/langstudio-gateway", "/graph-olap",
                         "/api/v2/instances", "/api/v1/langstudio", GATEWAY_ROOT, "/api"];
            for (i, root) in roots.into_iter().enumerate() {
                let path = format!("{root}{tail}");
                let other = alias(&path);
                if i >= 4 {
                    prop_assert!(other.is_some(), "{} has no prefixed form", path);
                }
                if let Some(other) = other {
                    prop_assert_eq!(alias(&other), Some(path.clone()));
                    prop_assert_eq!(locate(&other).map(|l| l.api), locate(&path).map(|l| l.api));
                }
            }
        }
    }
}
