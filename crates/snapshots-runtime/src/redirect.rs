//! Redirects: none are followed by default; a client that opts in follows them within the
//! request's own origin only, re-authenticating each hop.
//!
//! Alibaba Cloud's and Graph OLAP's APIs never redirect, so a 3xx means a misconfigured base
//! URL or a hostile server. reqwest's own following strips only `Authorization` when the
//! host changes: the STS token, the Alibaba bearer token, `X-Username` and the body would
//! reach whatever host a `Location` names. So the runtime decides every hop itself
//! ([`next_hop`]), and the HTTP client it is given must not follow any
//! ([`http_client_builder`]).

use crate::failure::RedirectRefusal;
use http::Method;
use reqwest::Url;

/// Whether a client follows redirects.
///
/// ```
/// use snapshots_runtime::{RedirectPolicy, Runtime};
/// let runtime = Runtime::builder().redirects(RedirectPolicy::SameOrigin { max: 3 }).build();
/// assert_eq!(runtime.redirect_policy(), RedirectPolicy::SameOrigin { max: 3 });
/// assert_eq!(Runtime::builder().build().redirect_policy(), RedirectPolicy::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RedirectPolicy {
    /// A 3xx ends the call with [`crate::Failure::Redirect`] (the default).
    #[default]
    None,
    /// Follow at most `max` redirects in a row, each to the same scheme, host and port as
    /// the request: 307 and 308 keep the method and body; 301, 302 and 303 are followed only
    /// by GET and HEAD (anything else would become a GET). Every hop is authenticated afresh
    /// (a new signature covers the new path); any other redirect ends the call with
    /// [`crate::Failure::Redirect`], and nothing is sent to its target.
    SameOrigin {
        /// The most redirects followed in a row.
        max: u32,
    },
}

/// A `reqwest::ClientBuilder` the runtime can send with: it follows no redirects (the
/// runtime decides those), has the facade's connect (5 s) and read (10 s) timeouts, and the
/// TLS stack of the crate's features (with rustls: the process's one configuration, whose
/// root certificates are loaded by the first https handshake, not by each client).
///
/// ```
/// let client = snapshots_runtime::http_client_builder().build().unwrap();
/// # let _ = client;
/// ```
pub fn http_client_builder() -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(5))
        .read_timeout(std::time::Duration::from_secs(10));
    crate::tls::configure(builder)
}

/// Where a redirect answering `method` to `from` leads, if `policy` follows it after `hops`
/// redirects already followed; why not otherwise.
pub(crate) fn next_hop(
    policy: RedirectPolicy,
    status: u16,
    method: &Method,
    from: &Url,
    location: Option<&str>,
    hops: u32,
) -> Result<Url, RedirectRefusal> {
    let RedirectPolicy::SameOrigin { max } = policy else {
        return Err(RedirectRefusal::NotFollowing);
    };
    let target = location
        .and_then(|l| from.join(l).ok())
        .ok_or(RedirectRefusal::BadLocation)?;
    if target.origin() != from.origin() || !target.origin().is_tuple() {
        return Err(RedirectRefusal::CrossOrigin);
    }
    let keeps_method = match status {
        307 | 308 => true,
        301..=303 => false,
        // 300, 304, 305, 306 and unknown 3xx are not redirects to follow.
        _ => return Err(RedirectRefusal::NotFollowing),
    };
    if !keeps_method && !matches!(*method, Method::GET | Method::HEAD) {
        return Err(RedirectRefusal::MethodChange);
    }
    if hops >= max {
        return Err(RedirectRefusal::TooMany);
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FOLLOW: RedirectPolicy = RedirectPolicy::SameOrigin { max: 5 };

    fn hop(status: u16, method: Method, location: &str) -> Result<Url, RedirectRefusal> {
        let from = Url::parse("https://pai-dsw.cn-hangzhou.aliyuncs.com/api/v2/x?a=1").unwrap();
        next_hop(FOLLOW, status, &method, &from, Some(location), 0)
    }

    #[test]
    fn the_default_follows_nothing() {
        let from = Url::parse("https://a.example/x").unwrap();
        for status in [301, 302, 303, 307, 308] {
            assert_eq!(
                next_hop(
                    RedirectPolicy::None,
                    status,
                    &Method::GET,
                    &from,
                    Some("/y"),
                    0
                ),
                Err(RedirectRefusal::NotFollowing)
            );
        }
    }

    #[test]
    fn only_the_same_origin() {
        assert_eq!(
            hop(307, Method::GET, "/api/v2/y").unwrap().as_str(),
            "https://pai-dsw.cn-hangzhou.aliyuncs.com/api/v2/y"
        );
        for other in [
            "http://pai-dsw.cn-hangzhou.aliyuncs.com/api/v2/y",
            "https://pai-dsw.cn-hangzhou.aliyuncs.com:8443/y",
            "https://evil.example/y",
            "//evil.example/y",
            "data:text/plain,x",
        ] {
            assert_eq!(
                hop(307, Method::GET, other),
                Err(RedirectRefusal::CrossOrigin),
                "{other}"
            );
        }
        assert_eq!(
            hop(307, Method::GET, "http://[::1"),
            Err(RedirectRefusal::BadLocation)
        );
    }

    #[test]
    fn no_method_change() {
        for status in [301, 302, 303] {
            assert_eq!(
                hop(status, Method::POST, "/y"),
                Err(RedirectRefusal::MethodChange)
            );
            assert!(hop(status, Method::GET, "/y").is_ok());
        }
        for status in [307, 308] {
            assert!(hop(status, Method::POST, "/y").is_ok());
            assert!(hop(status, Method::DELETE, "/y").is_ok());
        }
        assert_eq!(
            hop(304, Method::GET, "/y"),
            Err(RedirectRefusal::NotFollowing)
        );
    }

    #[test]
    fn at_most_max_hops() {
        let from = Url::parse("https://a.example/x").unwrap();
        assert!(next_hop(FOLLOW, 307, &Method::GET, &from, Some("/y"), 4).is_ok());
        assert_eq!(
            next_hop(FOLLOW, 307, &Method::GET, &from, Some("/y"), 5),
            Err(RedirectRefusal::TooMany)
        );
    }

    proptest! {
        /// Whatever the Location, a followed hop keeps the scheme, host and port.
        #[test]
        fn a_followed_hop_never_leaves_the_origin(location in "\\PC{0,40}", status in 300u16..400) {
            let from = Url::parse("https://a.example:8443/x/y").unwrap();
            if let Ok(target) = next_hop(FOLLOW, status, &Method::GET, &from, Some(&location), 0) {
                prop_assert_eq!(target.origin(), from.origin());
            }
        }
    }
}
