//! DSW and LangStudio (both forms) driven over loopback by the generated clients, signed
//! by the shared runtime as the official SDKs sign: every operation, the state machines,
//! pagination, the error shapes and the authentication failures.

mod emulator_support;

use emulator_support::*;
use pai_langstudio::types as ls;
use snapshot_emulator::Timing;
use snapshots_runtime::auth::{acs3, AccessKey};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(3600);

fn slow() -> Timing {
    Timing {
        dsw_push: LONG,
        langstudio_create: LONG,
    }
}

#[tokio::test]
async fn dsw_every_operation() {
    let emulator = emulator(slow()).await;
    let dsw = dsw(&emulator);
    let label = pai_dsw::types::Label::builder()
        .key(Some("team".to_owned()))
        .value(Some("ml".to_owned()));
    let body = dsw_body("env-v1")
        .labels(vec![
            pai_dsw::types::Label::try_from(label).expect("a label")
        ])
        .exclude_paths(vec!["/tmp".to_owned()]);
    let created = dsw
        .create_instance_snapshot()
        .instance_id(INSTANCE)
        .body(body)
        .send()
        .await
        .expect("created");
    let request_header = created
        .headers()
        .get("x-acs-request-id")
        .expect("request id header")
        .to_str()
        .expect("text")
        .to_owned();
    let created = created.into_inner();
    assert_eq!(created.request_id.as_deref(), Some(request_header.as_str()));
    assert_eq!(created.success, Some(true));
    assert_eq!(created.instance_id.as_deref(), Some(INSTANCE));
    let id = created.snapshot_id.expect("id");
    assert!(id.starts_with("snp-") && id.len() == 17, "{id}");

    let got = dsw
        .get_instance_snapshot()
        .instance_id(INSTANCE)
        .snapshot_id(&id)
        .send()
        .await
        .expect("got")
        .into_inner();
    assert_eq!(got.status.as_deref(), Some("Pushing"));
    assert_eq!(got.snapshot_name.as_deref(), Some("env-v1"));
    assert_eq!(
        got.image_url.as_deref(),
        Some("registry.example/ns/env:env-v1")
    );
    assert_eq!(got.labels[0].value.as_deref(), Some("ml"));
    assert_eq!(got.exclude_paths, ["/tmp"]);
    assert!(got.gmt_create_time.is_some_and(|t| t.ends_with('Z')));

    for name in ["env-v2", "env-v3"] {
        dsw.create_instance_snapshot()
            .instance_id(INSTANCE)
            .body(dsw_body(name))
            .send()
            .await
            .expect("created");
    }
    let page = dsw
        .list_instance_snapshot()
        .instance_id(INSTANCE)
        .page_size(2)
        .order("Asc")
        .sort_by("gmtCreate")
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(page.total_count, Some(3));
    let names: Vec<_> = page
        .snapshots
        .iter()
        .map(|s| s.snapshot_name.clone().expect("name"))
        .collect();
    assert_eq!(names, ["env-v1", "env-v2"]);
    let last = dsw
        .list_instance_snapshot()
        .instance_id(INSTANCE)
        .page_size(2)
        .page_number(std::num::NonZeroU64::new(2).expect("non-zero"))
        .order("Asc")
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(last.snapshots.len(), 1);
    assert_eq!(last.snapshots[0].snapshot_name.as_deref(), Some("env-v3"));

    let deleted = dsw
        .delete_instance_snapshot()
        .instance_id(INSTANCE)
        .snapshot_id(&id)
        .send()
        .await
        .expect("deleted")
        .into_inner();
    assert_eq!(deleted.snapshot_id.as_deref(), Some(id.as_str()));
    let (status, error) = dsw_error(
        dsw.get_instance_snapshot()
            .instance_id(INSTANCE)
            .snapshot_id(&id)
            .send()
            .await,
    );
    assert_eq!(status, 404);
    assert_eq!(error.code.as_deref(), Some("InstanceSnapshotNotFound"));
    assert_eq!(error.success, Some(false));
    assert!(error.request_id.is_some() && error.host_id.is_some() && error.recommend.is_some());
    emulator.shutdown().await;
}

#[tokio::test]
async fn dsw_final_states_and_rules() {
    let emulator = emulator(Timing::instant()).await;
    let dsw = dsw(&emulator);
    let create = |name: &'static str| {
        dsw.create_instance_snapshot()
            .instance_id(INSTANCE)
            .body(dsw_body(name))
            .send()
    };
    let ok = create("good")
        .await
        .expect("created")
        .into_inner()
        .snapshot_id
        .expect("id");
    let bad = create("will-fail")
        .await
        .expect("created")
        .into_inner()
        .snapshot_id
        .expect("id");
    let get = |id: String| {
        dsw.get_instance_snapshot()
            .instance_id(INSTANCE)
            .snapshot_id(id)
            .send()
    };
    let saved = get(ok).await.expect("got").into_inner();
    assert_eq!(saved.status.as_deref(), Some("Saved"));
    assert!(saved.image_id.is_some_and(|i| i.starts_with("image-")));
    let failed = get(bad).await.expect("got").into_inner();
    assert_eq!(failed.status.as_deref(), Some("Failed"));
    assert!(failed.reason_code.is_some() && failed.reason_message.is_some());

    let (status, error) = dsw_error(create("good").await);
    assert_eq!(
        (status, error.code.as_deref()),
        (400, Some("ValidationError"))
    );
    let (status, error) = dsw_error(
        dsw.create_instance_snapshot()
            .instance_id("dsw-unknown")
            .body(dsw_body("x"))
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_deref()),
        (404, Some("InstanceNotFound"))
    );
    let (status, _) = dsw_error(
        dsw.list_instance_snapshot()
            .instance_id(INSTANCE)
            .page_size(1000)
            .send()
            .await,
    );
    assert_eq!(status, 400);
}

#[tokio::test]
async fn dsw_name_rule_is_enforced_by_the_server_too() {
    let emulator = emulator(Timing::instant()).await;
    // A raw, correctly signed request with a name the generated type would refuse.
    let body = r#"{"SnapshotName":"Bad_Name","ImageUrl":"r/x:1"}"#;
    let response = signed_send(
        &emulator,
        reqwest::Method::POST,
        &format!(
            "{}/api/v2/instances/{INSTANCE}/snapshots",
            emulator.dsw_url()
        ),
        Some(body),
        "CreateInstanceSnapshot",
        "2022-01-01",
        &acs3::new_nonce().unwrap(),
        chrono::Utc::now(),
    )
    .await;
    assert_eq!(response.status(), 400);
    let json: serde_json::Value = response.json().await.expect("json");
    assert_eq!(json["Code"], "ValidationError");
    assert!(json["Message"]
        .as_str()
        .expect("message")
        .contains("SnapshotName"));
}

#[tokio::test]
async fn dsw_accepts_the_alibaba_bearer_token() {
    let emulator = emulator(Timing::instant()).await;
    let dsw = dsw_with(&emulator, runtime(alibaba_bearer(&emulator)));
    let listed = dsw
        .list_instance_snapshot()
        .instance_id(INSTANCE)
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.total_count, Some(0));
    let wrong = dsw_with(
        &emulator,
        runtime(snapshots_runtime::Credentials::AlibabaBearer("nope".into())),
    );
    let (status, error) = dsw_error(
        wrong
            .list_instance_snapshot()
            .instance_id(INSTANCE)
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_deref()),
        (403, Some("InvalidBearerToken"))
    );
}

#[tokio::test]
async fn langstudio_both_forms_share_one_store() {
    let emulator = emulator(Timing::instant()).await;
    let roa = langstudio(&emulator);
    let gw = gateway(&emulator);
    let id = roa
        .create_snapshot()
        .body(langstudio_body("from_roa"))
        .send()
        .await
        .expect("created")
        .into_inner()
        .snapshot_id
        .expect("id");
    assert!(id.starts_with("snap-"));
    let gw_id = gw
        .create_snapshot()
        .body(
            ls::CreateSnapshotRequest::builder()
                .snapshot_name(Some(
                    "from_gateway".parse::<ls::SnapshotName>().expect("name"),
                ))
                .source_storage_path(Some("oss://bucket/flows/a".to_owned()))
                .workspace_id(Some(WORKSPACE.to_owned()))
                .accessibility(Some(ls::Accessibility::Public))
                .creation_type(Some(ls::CreationType::EvaluationAutoCreated)),
        )
        .send()
        .await
        .expect("created")
        .into_inner()
        .snapshot_id
        .expect("id");

    let seen = gw
        .get_snapshot()
        .snapshot_id(&id)
        .workspace_id(WORKSPACE)
        .send()
        .await
        .expect("got")
        .into_inner();
    assert_eq!(seen.snapshot_name.as_deref(), Some("from_roa"));
    assert_eq!(seen.snapshot_status.as_deref(), Some("Success"));
    assert_eq!(seen.workspace_id.as_deref(), Some(WORKSPACE));
    assert_eq!(
        seen.creator.as_deref(),
        Some(emulator.config().account_id.as_str())
    );

    gw.update_snapshot()
        .snapshot_id(&id)
        .body(
            ls::UpdateSnapshotRequest::builder()
                .description(Some("updated through the gateway".to_owned()))
                .snapshot_name(Some("renamed".parse::<ls::SnapshotName>().expect("name"))),
        )
        .send()
        .await
        .expect("updated");
    roa.update_snapshot()
        .snapshot_id(&gw_id)
        .body(
            ls::UpdateSnapshotRequest::builder()
                .description(Some("updated through ROA".to_owned()))
                .workspace_id(Some(WORKSPACE.to_owned())),
        )
        .send()
        .await
        .expect("updated");
    let renamed = roa
        .get_snapshot()
        .snapshot_id(&id)
        .send()
        .await
        .expect("got")
        .into_inner();
    assert_eq!(renamed.snapshot_name.as_deref(), Some("renamed"));
    assert_eq!(
        renamed.description.as_deref(),
        Some("updated through the gateway")
    );

    let public = roa
        .list_snapshots()
        .accessibility(ls::Accessibility::Public)
        .creation_type("EvaluationAutoCreated,DeploymentAutoCreated")
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(public.total_count, Some(1));
    assert_eq!(
        public.snapshots[0].snapshot_id.as_deref(),
        Some(gw_id.as_str())
    );
    assert_eq!(
        public.snapshots[0].description.as_deref(),
        Some("updated through ROA")
    );

    roa.delete_snapshot()
        .snapshot_id(&gw_id)
        .send()
        .await
        .expect("deleted");
    gw.delete_snapshot()
        .snapshot_id(&id)
        .send()
        .await
        .expect("deleted");
    let (status, error) = langstudio_error(roa.get_snapshot().snapshot_id(&id).send().await);
    assert_eq!(
        (status, error.code.as_deref()),
        (404, Some("SnapshotNotFound"))
    );
    let (status, error) = langstudio_error(gw.get_snapshot().snapshot_id(&gw_id).send().await);
    assert_eq!(
        (status, error.code.as_deref()),
        (404, Some("SnapshotNotFound"))
    );
    assert!(error.request_id.is_some() && error.host_id.is_some() && error.recommend.is_some());
}

#[tokio::test]
async fn langstudio_pagination_walks_with_tokens_and_pages() {
    let emulator = emulator(slow()).await;
    let roa = langstudio(&emulator);
    let gw = gateway(&emulator);
    let mut ids = Vec::new();
    for i in 0..23 {
        let id = roa
            .create_snapshot()
            .body(langstudio_body(&format!("s{i:02}")))
            .send()
            .await
            .expect("created")
            .into_inner()
            .snapshot_id
            .expect("id");
        ids.push(id);
    }
    // Oldest first, by tokens, through the gateway.
    let mut walked = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut call = gw
            .list_snapshots()
            .max_results(5)
            .order(ls::Order::Asc)
            .snapshot_status("Creating");
        if let Some(token) = &token {
            call = call.next_token(token.clone());
        }
        let page = call.send().await.expect("listed").into_inner();
        assert_eq!(page.total_count, Some(23));
        assert_eq!(page.max_results, Some(5));
        walked.extend(
            page.snapshots
                .into_iter()
                .map(|s| s.snapshot_id.expect("id")),
        );
        match page.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(walked, ids);
    // Newest first, by page numbers, through ROA.
    let page3 = roa
        .list_snapshots()
        .page_size(10)
        .page_number(3)
        .send()
        .await
        .expect("listed")
        .into_inner();
    let newest_first: Vec<_> = ids.iter().rev().cloned().collect();
    let got: Vec<_> = page3
        .snapshots
        .into_iter()
        .map(|s| s.snapshot_id.expect("id"))
        .collect();
    assert_eq!(got, newest_first[20..]);
    assert_eq!(page3.next_token, None);
    // A token is refused with other filters, or altered.
    let first = roa
        .list_snapshots()
        .max_results(5)
        .send()
        .await
        .expect("listed")
        .into_inner();
    let token = first.next_token.expect("more pages");
    let (status, error) = langstudio_error(
        roa.list_snapshots()
            .max_results(5)
            .order(ls::Order::Asc)
            .next_token(token.clone())
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_deref()),
        (400, Some("InvalidNextToken"))
    );
    let (status, _) = langstudio_error(
        roa.list_snapshots()
            .next_token(format!("{token}ff"))
            .send()
            .await,
    );
    assert_eq!(status, 400);
}

#[tokio::test]
async fn gateway_takes_only_the_dashscope_key() {
    let emulator = emulator(Timing::instant()).await;
    for credentials in [
        snapshots_runtime::Credentials::Bearer("sk-wrong".into()),
        access_key(&emulator),
        snapshots_runtime::Credentials::Anonymous,
    ] {
        let client = gateway_with(&emulator, credentials);
        let (status, error) = langstudio_error(client.list_snapshots().send().await);
        assert_eq!(
            (status, error.code.as_deref()),
            (403, Some("InvalidApiKey"))
        );
    }
    // And the ROA form does not take the DashScope key.
    let roa = langstudio_with(&emulator, runtime(dashscope(&emulator)));
    let (status, error) = langstudio_error(roa.list_snapshots().send().await);
    assert_eq!(
        (status, error.code.as_deref()),
        (400, Some("IncompleteSignature"))
    );
}

/// Sends a request signed by the runtime's signer with a chosen date and nonce.
#[allow(clippy::too_many_arguments)]
async fn signed_send(
    emulator: &snapshot_emulator::RunningEmulator,
    method: reqwest::Method,
    url: &str,
    body: Option<&str>,
    action: &str,
    version: &str,
    nonce: &str,
    date: chrono::DateTime<chrono::Utc>,
) -> reqwest::Response {
    let creds = &emulator.config().credentials;
    let key = AccessKey::new(creds.access_key_id.clone(), creds.access_key_secret.clone());
    let mut request = reqwest::Request::new(method, reqwest::Url::parse(url).expect("url"));
    if let Some(body) = body {
        request.headers_mut().insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        *request.body_mut() = Some(reqwest::Body::from(body.to_owned()));
    }
    acs3::sign(&mut request, &key, action, version, date, nonce).expect("signed");
    http().execute(request).await.expect("sent")
}

async fn code_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let header = response
        .headers()
        .get("x-acs-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let json: serde_json::Value = response.json().await.expect("json error body");
    assert_eq!(
        json["RequestId"].as_str(),
        header.as_deref(),
        "body and header ids agree"
    );
    (status, json["Code"].as_str().expect("code").to_owned())
}

#[tokio::test]
async fn signatures_are_checked_over_http() {
    let emulator = emulator(Timing::instant()).await;
    let url = format!(
        "{}/api/v2/instances/{INSTANCE}/snapshots",
        emulator.dsw_url()
    );
    let now = chrono::Utc::now();
    let send = |nonce: &str, date, action: &'static str, version: &'static str| {
        let (emulator, url, nonce) = (&emulator, url.clone(), nonce.to_owned());
        async move {
            signed_send(
                emulator,
                reqwest::Method::GET,
                &url,
                None,
                action,
                version,
                &nonce,
                date,
            )
            .await
        }
    };
    let nonce = acs3::new_nonce().unwrap();
    assert_eq!(
        send(&nonce, now, "ListInstanceSnapshot", "2022-01-01")
            .await
            .status(),
        200
    );
    assert_eq!(
        code_of(send(&nonce, now, "ListInstanceSnapshot", "2022-01-01").await).await,
        (400, "SignatureNonceUsed".into())
    );
    let stale = now - chrono::TimeDelta::minutes(16);
    assert_eq!(
        code_of(
            send(
                &acs3::new_nonce().unwrap(),
                stale,
                "ListInstanceSnapshot",
                "2022-01-01"
            )
            .await
        )
        .await,
        (400, "InvalidTimeStamp.Expired".into())
    );
    assert_eq!(
        code_of(
            send(
                &acs3::new_nonce().unwrap(),
                now,
                "GetInstanceSnapshot",
                "2022-01-01"
            )
            .await
        )
        .await,
        (404, "InvalidApi.NotFound".into())
    );
    assert_eq!(
        code_of(
            send(
                &acs3::new_nonce().unwrap(),
                now,
                "ListInstanceSnapshot",
                "2024-07-10"
            )
            .await
        )
        .await,
        (400, "InvalidVersion".into())
    );

    // The signature covers the path as sent: signed for the real path and sent under the
    // compatibility prefix `/dsw`, it does not match; signed and sent with the prefix, it does.
    let creds = &emulator.config().credentials;
    let key = AccessKey::new(creds.access_key_id.clone(), creds.access_key_secret.clone());
    let prefixed = format!(
        "{}/dsw/api/v2/instances/{INSTANCE}/snapshots",
        emulator.base_url()
    );
    for (signed_for, expected) in [(&url, 400), (&prefixed, 200)] {
        let mut request = reqwest::Request::new(
            reqwest::Method::GET,
            reqwest::Url::parse(signed_for).expect("url"),
        );
        acs3::sign(
            &mut request,
            &key,
            "ListInstanceSnapshot",
            "2022-01-01",
            now,
            &acs3::new_nonce().unwrap(),
        )
        .expect("signed");
        *request.url_mut() = reqwest::Url::parse(&prefixed).expect("url");
        let response = http().execute(request).await.expect("sent");
        assert_eq!(
            response.status().as_u16(),
            expected,
            "signed for {signed_for}"
        );
        if expected == 400 {
            assert_eq!(
                code_of(response).await,
                (400, "SignatureDoesNotMatch".into())
            );
        }
    }

    // Wrong secret and unknown key, through the generated client.
    let wrong_secret = dsw_with(
        &emulator,
        runtime(AccessKey::new(creds.access_key_id.clone(), "not-the-secret").into()),
    );
    let (status, error) = dsw_error(
        wrong_secret
            .list_instance_snapshot()
            .instance_id(INSTANCE)
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_deref()),
        (400, Some("SignatureDoesNotMatch"))
    );
    let unknown = dsw_with(
        &emulator,
        runtime(AccessKey::new("LTAIunknown", "x").into()),
    );
    let (status, error) = dsw_error(
        unknown
            .list_instance_snapshot()
            .instance_id(INSTANCE)
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_deref()),
        (404, Some("InvalidAccessKeyId.NotFound"))
    );

    // An unsigned request, and an unknown route (signed).
    let response = http().get(&url).send().await.expect("sent");
    assert_eq!(code_of(response).await, (400, "IncompleteSignature".into()));
    let response = signed_send(
        &emulator,
        reqwest::Method::GET,
        &format!("{}/api/v2/nothing", emulator.dsw_url()),
        None,
        "ListInstanceSnapshot",
        "2022-01-01",
        &acs3::new_nonce().unwrap(),
        now,
    )
    .await;
    assert_eq!(code_of(response).await, (404, "InvalidApi.NotFound".into()));
}

#[tokio::test]
async fn sts_credentials_need_their_token() {
    let config = snapshot_emulator::EmulatorConfig {
        credentials: snapshot_emulator::DemoCredentials {
            security_token: Some("sts-token-1".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let emulator = snapshot_emulator::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("started");
    let creds = emulator.config().credentials.clone();
    let key = AccessKey::new(creds.access_key_id.clone(), creds.access_key_secret.clone());
    let without = dsw_with(&emulator, runtime(key.clone().into()));
    let (status, error) = dsw_error(
        without
            .list_instance_snapshot()
            .instance_id(INSTANCE)
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_deref()),
        (400, Some("MissingSecurityToken"))
    );
    let with = dsw_with(
        &emulator,
        runtime(key.with_security_token("sts-token-1").into()),
    );
    with.list_instance_snapshot()
        .instance_id(INSTANCE)
        .send()
        .await
        .expect("listed with the token");
}
