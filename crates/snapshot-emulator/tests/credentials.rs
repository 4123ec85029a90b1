//! The credential services over loopback, called the way `alibabacloud-credentials` 1.0.12
//! calls them: STS `AssumeRole` (V1-signed) and `AssumeRoleWithOIDC`, the ECS metadata
//! service (v2 and v1), the credentials URI; the temporary credentials they issue open DSW
//! and LangStudio until they expire; counters; faults on these routes.

mod emulator_support;

use emulator_support::*;
use serde_json::Value;
use snapshot_emulator::credentials::{rpc_v1_signature, DEMO_OIDC_TOKEN};
use snapshot_emulator::{
    start, CredentialRequests, CredentialServices, EmulatorConfig, FaultRule, RunningEmulator,
    Timing,
};
use snapshots_runtime::auth::AccessKey;
use snapshots_runtime::Credentials;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const ROLE: &str = "acs:ram::1000000000000001:role/emulator-role";
const PROVIDER: &str = "acs:ram::1000000000000001:oidc-provider/emulator-provider";

async fn emulator_with(services: CredentialServices) -> RunningEmulator {
    let config = EmulatorConfig {
        timing: Timing::instant(),
        credential_services: services,
        ..EmulatorConfig::default()
    };
    start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the emulator starts")
}

fn nonce() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "nonce-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn timestamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The query of an `AssumeRole` call as `RamRoleArnCredentialsProvider` builds it, signed.
fn assume_role_params(
    key: (&str, &str),
    token: Option<&str>,
    overrides: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("Action", "AssumeRole"),
        ("Format", "JSON"),
        ("Version", "2015-04-01"),
        ("DurationSeconds", "3600"),
        ("RoleArn", ROLE),
        ("RoleSessionName", "credentials-python-1700000000"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", &timestamp()),
        ("SignatureNonce", &nonce()),
        ("AccessKeyId", key.0),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(token) = token {
        params.push(("SecurityToken".into(), token.into()));
    }
    for (k, v) in overrides {
        params.retain(|(name, _)| name != k);
        if !v.is_empty() {
            params.push((k.to_string(), v.to_string()));
        }
    }
    let signature = rpc_v1_signature(
        "GET",
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        key.1,
    );
    params.push(("Signature".into(), signature));
    params
}

fn demo_key(emulator: &RunningEmulator) -> (String, String) {
    let c = &emulator.config().credentials;
    (c.access_key_id.clone(), c.access_key_secret.clone())
}

/// Status and JSON body of a `GET` with this query.
async fn get(url: &str, params: &[(String, String)]) -> (u16, Value) {
    let response = http().get(url).query(params).send().await.expect("sent");
    let status = response.status().as_u16();
    let header_id = response
        .headers()
        .get("x-acs-request-id")
        .map(|v| v.to_str().expect("text").to_owned());
    let body: Value = response.json().await.expect("json");
    if let Some(id) = header_id {
        assert_eq!(body["RequestId"], id.as_str(), "{body}");
    }
    (status, body)
}

async fn assume_role(emulator: &RunningEmulator) -> Issued {
    let (id, secret) = demo_key(emulator);
    let (status, body) = get(
        &emulator.sts_url(),
        &assume_role_params((&id, &secret), None, &[]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    Issued::from(&body["Credentials"])
}

#[derive(Debug, Clone)]
struct Issued {
    id: String,
    secret: String,
    token: String,
    expiration: String,
}

impl From<&Value> for Issued {
    fn from(c: &Value) -> Self {
        let s = |k: &str| {
            c[k].as_str()
                .unwrap_or_else(|| panic!("{k} in {c}"))
                .to_owned()
        };
        Self {
            id: s("AccessKeyId"),
            secret: s("AccessKeySecret"),
            token: s("SecurityToken"),
            expiration: s("Expiration"),
        }
    }
}

impl Issued {
    fn credentials(&self) -> Credentials {
        Credentials::AccessKey(
            AccessKey::new(self.id.clone(), self.secret.clone())
                .with_security_token(self.token.clone()),
        )
    }
}

/// Lists DSW snapshots with these credentials: `Ok(())` or the error's status and code.
async fn dsw_list(
    emulator: &RunningEmulator,
    credentials: Credentials,
) -> Result<(), (u16, String)> {
    match dsw_with(emulator, runtime(credentials))
        .list_instance_snapshot()
        .instance_id(INSTANCE)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let (status, error) = dsw_error::<()>(Err(e));
            Err((status, error.code.unwrap_or_default()))
        }
    }
}

async fn langstudio_list(emulator: &RunningEmulator, credentials: Credentials) -> bool {
    langstudio_with(emulator, runtime(credentials))
        .list_snapshots()
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn assume_role_issues_keys_that_open_dsw_and_langstudio() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let (id, secret) = demo_key(&emulator);
    let (status, body) = get(
        &emulator.sts_url(),
        &assume_role_params((&id, &secret), None, &[("DurationSeconds", "900")]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["AssumedRoleUser"]["Arn"],
        format!("{ROLE}/credentials-python-1700000000")
    );
    assert!(body["AssumedRoleUser"]["AssumedRoleId"]
        .as_str()
        .expect("id")
        .ends_with(":credentials-python-1700000000"));
    let issued = Issued::from(&body["Credentials"]);
    assert!(issued.id.starts_with("STS."));
    assert!(issued.token.len() > 500);
    let expiration =
        chrono::NaiveDateTime::parse_from_str(&issued.expiration, "%Y-%m-%dT%H:%M:%SZ")
            .expect("the library's format")
            .and_utc();
    let left = expiration - chrono::Utc::now();
    assert!(
        left <= chrono::TimeDelta::seconds(900) && left > chrono::TimeDelta::seconds(890),
        "{left}"
    );

    assert_eq!(dsw_list(&emulator, issued.credentials()).await, Ok(()));
    assert!(langstudio_list(&emulator, issued.credentials()).await);
    // The issued key needs its own token.
    let bare = Credentials::AccessKey(AccessKey::new(issued.id.clone(), issued.secret.clone()));
    assert_eq!(
        dsw_list(&emulator, bare).await,
        Err((400, "MissingSecurityToken".into()))
    );
    let other = assume_role(&emulator).await;
    let crossed = Credentials::AccessKey(
        AccessKey::new(issued.id.clone(), issued.secret.clone()).with_security_token(other.token),
    );
    assert_eq!(
        dsw_list(&emulator, crossed).await,
        Err((400, "InvalidSecurityToken.MismatchWithAccessKey".into()))
    );
    let requests = emulator.credential_requests();
    assert_eq!((requests.assume_role, requests.issued), (2, 2));
}

#[tokio::test]
async fn assume_role_refusals() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let (id, secret) = demo_key(&emulator);
    let url = emulator.sts_url();
    let code =
        |(status, body): (u16, Value)| (status, body["Code"].as_str().unwrap_or("").to_owned());
    let signed = |overrides: &[(&str, &str)]| assume_role_params((&id, &secret), None, overrides);
    let unsigned = || {
        let mut params = signed(&[]);
        params.retain(|(k, _)| k != "Signature");
        params
    };
    type Case = (Vec<(String, String)>, u16, &'static str);
    let cases: Vec<Case> = vec![
        (
            assume_role_params((&id, "wrong"), None, &[]),
            400,
            "SignatureDoesNotMatch",
        ),
        (
            assume_role_params(("LTAIunknown", &secret), None, &[]),
            404,
            "InvalidAccessKeyId.NotFound",
        ),
        (
            signed(&[("RoleArn", "acs:ram::1000000000000001:role/other")]),
            404,
            "EntityNotExist.Role",
        ),
        (
            signed(&[("RoleArn", "arn:aws:iam::1:role/x")]),
            400,
            "InvalidParameter.RoleArn",
        ),
        (signed(&[("RoleArn", "")]), 400, "MissingRoleArn"),
        (
            signed(&[("RoleSessionName", "")]),
            400,
            "MissingRoleSessionName",
        ),
        (
            signed(&[("RoleSessionName", "a b")]),
            400,
            "InvalidParameter.RoleSessionName",
        ),
        (
            signed(&[("DurationSeconds", "899")]),
            400,
            "InvalidParameter.DurationSeconds",
        ),
        (
            signed(&[("DurationSeconds", "3601")]),
            400,
            "InvalidParameter.DurationSeconds",
        ),
        (
            signed(&[("DurationSeconds", "soon")]),
            400,
            "InvalidParameter.DurationSeconds",
        ),
        (
            signed(&[("Policy", "not json")]),
            400,
            "InvalidParameter.PolicyGrammar",
        ),
        (
            signed(&[("Timestamp", "2020-01-01T00:00:00Z")]),
            400,
            "InvalidTimeStamp.Expired",
        ),
        (
            signed(&[("Timestamp", "yesterday")]),
            400,
            "InvalidTimeStamp.Format",
        ),
        (
            signed(&[("SignatureMethod", "HMAC-SHA256")]),
            400,
            "InvalidSignatureMethod",
        ),
        (unsigned(), 400, "MissingSignature"),
        (
            signed(&[("SecurityToken", "CAISnot-for-a-long-term-key")]),
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
        ),
        (signed(&[("Version", "2019-01-01")]), 400, "InvalidVersion"),
        (
            signed(&[("Action", "GetCallerIdentity")]),
            404,
            "InvalidAction.NotFound",
        ),
        (vec![], 400, "MissingAction"),
    ];
    for (params, status, expected) in cases {
        assert_eq!(
            code(get(&url, &params).await),
            (status, expected.to_owned()),
            "{params:?}"
        );
    }
    // A tampered parameter breaks the signature.
    let mut params = signed(&[]);
    for (k, v) in &mut params {
        if k == "RoleSessionName" {
            *v = "someone-else".into();
        }
    }
    assert_eq!(
        code(get(&url, &params).await),
        (400, "SignatureDoesNotMatch".into())
    );
    // A replayed request is refused for its nonce; the rejected ones above burnt none.
    let params = signed(&[]);
    assert_eq!(get(&url, &params).await.0, 200);
    assert_eq!(
        code(get(&url, &params).await),
        (400, "SignatureNonceUsed".into())
    );
    // Error bodies have the Alibaba shape.
    let (_, body) = get(&url, &signed(&[("RoleArn", "x")])).await;
    let mut keys: Vec<_> = body.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["Code", "HostId", "Message", "Recommend", "RequestId"]
    );
    // Counted: every AssumeRole request (16 of the cases, then 4 more); not the ones
    // refused before their action was known (no Action, a wrong Version, another action).
    assert_eq!(emulator.credential_requests().assume_role, 20);
    assert_eq!(emulator.credential_requests().issued, 1);
}

#[tokio::test]
async fn sts_is_served_at_the_root_with_spaces_in_the_policy_and_as_a_form_post() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let (id, secret) = demo_key(&emulator);
    let policy = r#"{"Version": "1", "Statement": [{"Action": ["*"], "Effect": "Allow", "Resource": ["*"]}]}"#;
    for url in [emulator.base_url(), format!("{}/", emulator.sts_url())] {
        let params = assume_role_params((&id, &secret), None, &[("Policy", policy)]);
        let (status, body) = get(&url, &params).await;
        assert_eq!(status, 200, "{url}: {body}");
    }
    // A POST with a form body is signed over POST.
    let mut params = assume_role_params((&id, &secret), None, &[]);
    params.retain(|(k, _)| k != "Signature");
    let signature = rpc_v1_signature(
        "POST",
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &secret,
    );
    params.push(("Signature".into(), signature));
    let response = http()
        .post(emulator.sts_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            params
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        percent_encoding::utf8_percent_encode(
                            k,
                            percent_encoding::NON_ALPHANUMERIC
                        ),
                        percent_encoding::utf8_percent_encode(
                            v,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    )
                })
                .collect::<Vec<_>>()
                .join("&"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn chained_assume_role_with_an_issued_key() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let first = assume_role(&emulator).await;
    let (status, body) = get(
        &emulator.sts_url(),
        &assume_role_params((&first.id, &first.secret), Some(&first.token), &[]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let second = Issued::from(&body["Credentials"]);
    assert_ne!(second.id, first.id);
    assert_eq!(dsw_list(&emulator, second.credentials()).await, Ok(()));
    // Without its token, or with another one.
    let (status, body) = get(
        &emulator.sts_url(),
        &assume_role_params((&first.id, &first.secret), None, &[]),
    )
    .await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("MissingSecurityToken"))
    );
    let (status, body) = get(
        &emulator.sts_url(),
        &assume_role_params((&first.id, &first.secret), Some(&second.token), &[]),
    )
    .await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("InvalidSecurityToken.MismatchWithAccessKey"))
    );
}

fn oidc_params(provider: &str, token: &str) -> Vec<(String, String)> {
    [
        ("Action", "AssumeRoleWithOIDC"),
        ("Format", "JSON"),
        ("Version", "2015-04-01"),
        ("DurationSeconds", "3600"),
        ("RoleArn", ROLE),
        ("OIDCProviderArn", provider),
        ("OIDCToken", token),
        ("RoleSessionName", "credentials-python-1700000000"),
        ("Timestamp", &timestamp()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[tokio::test]
async fn assume_role_with_oidc() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let url = emulator.sts_url();
    // Unsigned, with the token as read from a file (final newline included).
    let (status, body) = get(
        &url,
        &oidc_params(PROVIDER, &format!("{DEMO_OIDC_TOKEN}\n")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["OIDCTokenInfo"].is_object());
    let issued = Issued::from(&body["Credentials"]);
    assert_eq!(dsw_list(&emulator, issued.credentials()).await, Ok(()));

    let code =
        |(status, body): (u16, Value)| (status, body["Code"].as_str().unwrap_or("").to_owned());
    assert_eq!(
        code(get(&url, &oidc_params(PROVIDER, "eyJhbGciOiJub25lIn0.e30.x")).await),
        (401, "AuthenticationFail.OIDCToken.Invalid".into())
    );
    assert_eq!(
        code(get(&url, &oidc_params(PROVIDER, "")).await),
        (401, "AuthenticationFail.OIDCToken.Invalid".into())
    );
    assert_eq!(
        code(
            get(
                &url,
                &oidc_params(
                    "acs:ram::1000000000000001:oidc-provider/other",
                    DEMO_OIDC_TOKEN
                )
            )
            .await
        ),
        (401, "AuthenticationFail.NoPermission".into())
    );
    let mut params = oidc_params(PROVIDER, DEMO_OIDC_TOKEN);
    params.retain(|(k, _)| k != "RoleArn");
    params.push((
        "RoleArn".into(),
        "acs:ram::1000000000000001:role/nobody".into(),
    ));
    assert_eq!(
        code(get(&url, &params).await),
        (404, "EntityNotExist.Role".into())
    );
    let requests = emulator.credential_requests();
    assert_eq!(
        (
            requests.assume_role_with_oidc,
            requests.assume_role,
            requests.issued
        ),
        (5, 0, 1)
    );
}

const CREDS_PATH: &str = "/latest/meta-data/ram/security-credentials/";

/// `PUT /latest/api/token` as the library sends it: status and body.
async fn imds_token(emulator: &RunningEmulator) -> (u16, String) {
    let response = http()
        .put(format!("{}/latest/api/token", emulator.imds_url()))
        .header("X-aliyun-ecs-metadata-token-ttl-seconds", "21600")
        .send()
        .await
        .expect("sent");
    (
        response.status().as_u16(),
        response.text().await.expect("text"),
    )
}

async fn imds_get(emulator: &RunningEmulator, path: &str, token: Option<&str>) -> (u16, String) {
    let mut request = http().get(format!("{}{CREDS_PATH}{path}", emulator.imds_url()));
    if let Some(token) = token {
        request = request.header("X-aliyun-ecs-metadata-token", token);
    }
    let response = request.send().await.expect("sent");
    (
        response.status().as_u16(),
        response.text().await.expect("text"),
    )
}

#[tokio::test]
async fn imds_v2_flow_as_the_library_runs_it() {
    let emulator = emulator_with(CredentialServices {
        imds_require_token: true,
        ..CredentialServices::default()
    })
    .await;
    // _get_role_name: token, then the role name; _refresh_credentials: token, then credentials.
    let (status, token) = imds_token(&emulator).await;
    assert_eq!(status, 200);
    assert_eq!(
        imds_get(&emulator, "", Some(&token)).await,
        (200, "emulator-role".into())
    );
    let (_, token) = imds_token(&emulator).await;
    let (status, body) = imds_get(&emulator, "emulator-role", Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["Code"], "Success");
    assert!(body["LastUpdated"].is_string());
    let issued = Issued::from(&body);
    assert_eq!(dsw_list(&emulator, issued.credentials()).await, Ok(()));

    // Hardened mode: no token, or a wrong one, is 401; an unknown role 404.
    assert_eq!(imds_get(&emulator, "", None).await.0, 401);
    assert_eq!(imds_get(&emulator, "emulator-role", None).await.0, 401);
    assert_eq!(
        imds_get(&emulator, "emulator-role", Some("forged")).await.0,
        401
    );
    assert_eq!(imds_get(&emulator, "other-role", Some(&token)).await.0, 404);
    // A token PUT without a TTL is 400.
    let response = http()
        .put(format!("{}/latest/api/token", emulator.imds_url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);

    assert_eq!(
        emulator.credential_requests(),
        CredentialRequests {
            imds_token: 3,
            imds_role_name: 2,
            imds_credentials: 4,
            issued: 1,
            ..CredentialRequests::default()
        }
    );
}

#[tokio::test]
async fn imds_v1_when_the_token_endpoint_is_off() {
    let emulator = emulator_with(CredentialServices {
        imds_v2_disabled: true,
        ..CredentialServices::default()
    })
    .await;
    assert_eq!(imds_token(&emulator).await.0, 404);
    // The library then falls back to v1: no token header.
    assert_eq!(
        imds_get(&emulator, "", None).await,
        (200, "emulator-role".into())
    );
    let (status, body) = imds_get(&emulator, "emulator-role", None).await;
    assert_eq!(status, 200);
    let issued = Issued::from(&serde_json::from_str::<Value>(&body).expect("json"));
    assert_eq!(dsw_list(&emulator, issued.credentials()).await, Ok(()));
    // In normal mode v1 works with the token endpoint on too.
    let emulator = emulator_with(CredentialServices::default()).await;
    assert_eq!(imds_get(&emulator, "emulator-role", None).await.0, 200);
}

#[tokio::test]
async fn credentials_uri() {
    let emulator = emulator_with(CredentialServices::default()).await;
    for url in [
        emulator.credentials_uri(),
        format!("{}/role/app?token=x", emulator.credentials_uri()),
    ] {
        let response = http().get(&url).send().await.expect("sent");
        assert_eq!(response.status(), 200, "{url}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["Code"], "Success");
        let issued = Issued::from(&body);
        assert_eq!(dsw_list(&emulator, issued.credentials()).await, Ok(()));
    }
    let requests = emulator.credential_requests();
    assert_eq!((requests.uri, requests.issued), (2, 2));
}

#[tokio::test]
async fn issued_credentials_expire() {
    let emulator = emulator_with(CredentialServices {
        credentials_lifetime: Some(Duration::from_millis(1200)),
        ..CredentialServices::default()
    })
    .await;
    let issued = assume_role(&emulator).await;
    let from_uri = Issued::from(
        &http()
            .get(emulator.credentials_uri())
            .send()
            .await
            .expect("sent")
            .json::<Value>()
            .await
            .expect("json"),
    );
    // The Expiration on the wire is at most the cap away (rounded down to the second).
    let expiration =
        chrono::NaiveDateTime::parse_from_str(&issued.expiration, "%Y-%m-%dT%H:%M:%SZ")
            .expect("format")
            .and_utc();
    assert!(expiration - chrono::Utc::now() <= chrono::TimeDelta::milliseconds(1200));
    assert_eq!(dsw_list(&emulator, issued.credentials()).await, Ok(()));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for key in [&issued, &from_uri] {
        assert_eq!(
            dsw_list(&emulator, key.credentials()).await,
            Err((400, "InvalidSecurityToken.Expired".into()))
        );
    }
    assert!(!langstudio_list(&emulator, issued.credentials()).await);
    // Nor can an expired key assume a role.
    let (status, body) = get(
        &emulator.sts_url(),
        &assume_role_params((&issued.id, &issued.secret), Some(&issued.token), &[]),
    )
    .await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("InvalidSecurityToken.Expired"))
    );
    // A refresh gives working credentials again: exactly one more issued.
    let before = emulator.credential_requests();
    let fresh = assume_role(&emulator).await;
    assert_eq!(dsw_list(&emulator, fresh.credentials()).await, Ok(()));
    let after = emulator.credential_requests();
    assert_eq!(
        (
            after.assume_role - before.assume_role,
            after.issued - before.issued
        ),
        (1, 1)
    );
}

#[tokio::test]
async fn faults_apply_to_the_credential_services() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let (id, secret) = demo_key(&emulator);
    let faults = emulator.faults();
    faults
        .add(FaultRule::server_error(503).path("/sts").times(1))
        .expect("valid");
    let (status, body) = get(
        &emulator.sts_url(),
        &assume_role_params((&id, &secret), None, &[]),
    )
    .await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (503, Some("ServiceUnavailable"))
    );
    // The fault answered before the handler: not counted, nothing issued; the next succeeds.
    assert_eq!(
        emulator.credential_requests(),
        CredentialRequests::default()
    );
    assert_eq!(
        get(
            &emulator.sts_url(),
            &assume_role_params((&id, &secret), None, &[])
        )
        .await
        .0,
        200
    );

    faults
        .add(FaultRule::drop_connection().path("/imds/**").times(1))
        .expect("valid");
    let dropped = http()
        .put(format!("{}/latest/api/token", emulator.imds_url()))
        .header("X-aliyun-ecs-metadata-token-ttl-seconds", "60")
        .send()
        .await;
    assert!(dropped.is_err(), "{dropped:?}");
    assert_eq!(imds_token(&emulator).await.0, 200);

    faults
        .add(
            FaultRule::latency(Duration::from_millis(300))
                .path("/credentials-uri")
                .times(1),
        )
        .expect("valid");
    faults
        .add(
            FaultRule::server_error(500)
                .path("/credentials-uri")
                .times(1)
                .after_handler(),
        )
        .expect("valid");
    let started = std::time::Instant::now();
    let response = http()
        .get(emulator.credentials_uri())
        .send()
        .await
        .expect("sent");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status(), 500);
    // After the handler: counted and issued, but the client saw a 500.
    let requests = emulator.credential_requests();
    assert_eq!(
        (requests.uri, requests.issued, requests.imds_token),
        (1, 2, 1)
    );
}
