//! Every variant of `snapshots::Error`, produced from a real HTTP exchange (wiremock on
//! loopback) through the generated clients and the facade, or from a real builder refusal.

mod support;

use std::time::Duration;

use graph_olap::types::{ErrorCode, ErrorCodeValue};
use serde_json::json;
use snapshots::error::MAX_SNIPPET_CHARS;
use snapshots::Error;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn serving(body: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(body)
        .mount(&server)
        .await;
    server
}

fn json_response(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

async fn dsw_get(client: &snapshots::Client) -> Result<(), Error> {
    client
        .dsw()?
        .get_instance_snapshot()
        .instance_id("dsw-730xxxxxxxxxx")
        .snapshot_id("snp-05cexxxxxxxxx")
        .send()
        .await?;
    Ok(())
}

async fn olap_get(client: &snapshots::Client) -> Result<(), Error> {
    client
        .graph_olap()?
        .get_snapshot()
        .snapshot_id(7)
        .send()
        .await?;
    Ok(())
}

fn service(error: Error) -> Box<snapshots::ServiceError> {
    match error {
        Error::Service(e) => e,
        other => panic!("expected a service error, got {other:?}"),
    }
}

#[tokio::test]
async fn alibaba_error_body_becomes_a_service_error() {
    let body = json!({
        "RequestId": "5A3B2C1D-0000-4EEE-8FFF-123456789ABC",
        "HostId": "pai-dsw.cn-hangzhou.aliyuncs.com",
        "Code": "InvalidInstance.NotFound",
        "Message": "The instance does not exist.",
        "Recommend": "https://api.aliyun.com/troubleshoot?q=InvalidInstance.NotFound",
        "HttpStatusCode": 404,
        "Success": false
    });
    let server = serving(json_response(404, body)).await;
    let error = dsw_get(&support::client(&server)).await.unwrap_err();

    assert_eq!(error.status(), Some(404));
    assert_eq!(error.code(), Some("InvalidInstance.NotFound"));
    assert_eq!(
        error.request_id(),
        Some("5A3B2C1D-0000-4EEE-8FFF-123456789ABC")
    );
    let text = error.to_string();
    for part in [
        "PAI-DSW",
        "404",
        "InvalidInstance.NotFound",
        "The instance does not exist.",
        "5A3B2C1D-0000-4EEE-8FFF-123456789ABC",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    let e = service(error);
    assert_eq!(e.api, "PAI-DSW");
    assert_eq!(e.host_id(), Some("pai-dsw.cn-hangzhou.aliyuncs.com"));
    assert_eq!(
        e.recommend(),
        Some("https://api.aliyun.com/troubleshoot?q=InvalidInstance.NotFound")
    );
    assert!(e.graph_olap_code().is_none());
    assert!(!e.is_unread());
}

#[tokio::test]
async fn alibaba_request_id_falls_back_to_the_header() {
    let response = json_response(
        400,
        json!({"Code": "InvalidParameter", "Message": "WorkspaceId is mandatory"}),
    )
    .insert_header("x-acs-request-id", "HEADER-REQUEST-ID");
    let server = serving(response).await;
    let client = support::client(&server);
    let error: Error = client
        .langstudio()
        .unwrap()
        .get_snapshot()
        .snapshot_id("snap-1")
        .workspace_id("478")
        .send()
        .await
        .unwrap_err()
        .into();
    assert_eq!(error.request_id(), Some("HEADER-REQUEST-ID"));
    assert_eq!(error.code(), Some("InvalidParameter"));
    assert_eq!(service(error).api, "PAI LangStudio");
}

#[tokio::test]
async fn graph_olap_error_envelope() {
    let body = json!({
        "error": {
            "code": "RESOURCE_NOT_FOUND",
            "message": "Snapshot 7 not found",
            "details": {"resource_type": "Snapshot", "resource_id": 7}
        },
        "meta": {"request_id": "b3959cc4-334e-49db-934b-f0b3d4af7102"}
    });
    let response =
        json_response(404, body).insert_header("x-request-id", "header-id-is-not-preferred");
    let server = serving(response).await;
    let error = olap_get(&support::client(&server)).await.unwrap_err();

    assert_eq!(error.status(), Some(404));
    assert_eq!(error.code(), Some("RESOURCE_NOT_FOUND"));
    assert_eq!(
        error.request_id(),
        Some("b3959cc4-334e-49db-934b-f0b3d4af7102")
    );
    let text = error.to_string();
    for part in [
        "Graph OLAP",
        "404",
        "RESOURCE_NOT_FOUND",
        "Snapshot 7 not found",
        "b3959cc4",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    let e = service(error);
    assert_eq!(
        e.graph_olap_code(),
        Some(ErrorCodeValue::ErrorCode(ErrorCode::ResourceNotFound))
    );
    assert_eq!(
        e.graph_olap_details().unwrap()["resource_type"],
        json!("Snapshot")
    );
    assert!(e.is_not_found());
    assert_eq!(e.details().unwrap()["resource_id"], json!(7));
}

#[tokio::test]
async fn graph_olap_unknown_codes_are_kept_as_text() {
    let body =
        json!({"error": {"code": "SOMETHING_NEW", "message": "new"}, "meta": {"request_id": null}});
    let response = json_response(422, body).insert_header("x-request-id", "from-header");
    let server = serving(response).await;
    let error = olap_get(&support::client(&server)).await.unwrap_err();
    assert_eq!(error.code(), Some("SOMETHING_NEW"));
    assert_eq!(error.request_id(), Some("from-header"));
    assert_eq!(
        service(error).graph_olap_code(),
        Some(ErrorCodeValue::String("SOMETHING_NEW".into()))
    );
}

#[tokio::test]
async fn graph_olap_detail_object() {
    let body =
        json!({"detail": {"code": "UNAUTHORIZED", "message": "X-Username header required."}});
    let response = json_response(401, body)
        .insert_header("x-request-id", "fe63a692-846e-4ef6-bc4b-1a969b3bff0e");
    let server = serving(response).await;
    let error = olap_get(&support::client(&server)).await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.code(), Some("UNAUTHORIZED"));
    assert_eq!(
        error.request_id(),
        Some("fe63a692-846e-4ef6-bc4b-1a969b3bff0e")
    );
    assert!(error.to_string().contains("X-Username header required."));
    let e = service(error);
    assert_eq!(
        e.graph_olap_code(),
        Some(ErrorCodeValue::ErrorCode(ErrorCode::Unauthorized))
    );
    assert!(e.is_auth_failure());
    assert!(e.details().is_none(), "a detail object has no details");
}

#[tokio::test]
async fn graph_olap_detail_text() {
    let response = json_response(403, json!({"detail": "Admin or Ops role required"}))
        .insert_header("x-request-id", "531f64e0-2cb2-4e21-9875-91d0a6f4d54d");
    let server = serving(response).await;
    let error = olap_get(&support::client(&server)).await.unwrap_err();
    assert_eq!(error.status(), Some(403));
    assert_eq!(error.code(), None);
    assert_eq!(
        error.request_id(),
        Some("531f64e0-2cb2-4e21-9875-91d0a6f4d54d")
    );
    let e = service(error);
    assert_eq!(e.message.as_deref(), Some("Admin or Ops role required"));
    assert_eq!(e.graph_olap_code(), None);
    assert!(e.details().is_none());
    assert!(e.is_auth_failure());
}

#[tokio::test]
async fn a_5xx_with_an_empty_body_is_a_decode_error() {
    let server = serving(ResponseTemplate::new(503)).await;
    let error = dsw_get(&support::client(&server)).await.unwrap_err();
    match &error {
        Error::Decode {
            snippet, source, ..
        } => {
            assert_eq!(snippet, "");
            assert!(source.is_some());
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    // The status survives a body that does not decode (it was lost before: issue 8, item 6).
    assert_eq!(error.status(), Some(503));
    assert!(error.to_string().contains("HTTP 503"), "{error}");
    assert!(error.to_string().contains("empty body"), "{error}");
}

#[tokio::test]
async fn a_long_undecodable_body_is_quoted_in_at_most_512_characters() {
    let body = format!("<html>{}</html>", "é".repeat(5000));
    let server = serving(ResponseTemplate::new(502).set_body_raw(body.clone(), "text/html")).await;
    let error = dsw_get(&support::client(&server)).await.unwrap_err();
    let Error::Decode { snippet, .. } = &error else {
        panic!("expected Decode, got {error:?}");
    };
    assert_eq!(snippet.chars().count(), MAX_SNIPPET_CHARS);
    assert!(body.starts_with(snippet.as_str()));
    assert_eq!(error.status(), Some(502));
}

#[tokio::test]
async fn an_undocumented_status_keeps_its_status_and_request_id() {
    // Graph OLAP documents no 503 for get_snapshot.
    let body = json!({"error": {"code": "SERVICE_UNAVAILABLE", "message": "maintenance"}, "meta": {"request_id": "rid-503"}});
    let response = json_response(503, body).insert_header("x-request-id", "hdr-503");
    let server = serving(response).await;
    let client = support::client(&server);
    let olap = client.graph_olap().unwrap();

    // `From` cannot read the body: status and header request id only.
    let error: Error = olap
        .get_snapshot()
        .snapshot_id(7)
        .send()
        .await
        .unwrap_err()
        .into();
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.request_id(), Some("hdr-503"));
    assert_eq!(error.code(), None);
    assert!(service(error).is_unread());

    // `from_response` reads it.
    let error =
        Error::from_response(olap.get_snapshot().snapshot_id(7).send().await.unwrap_err()).await;
    assert_eq!(error.code(), Some("SERVICE_UNAVAILABLE"));
    assert_eq!(error.request_id(), Some("rid-503"));
}

#[tokio::test]
async fn an_undocumented_status_with_a_foreign_body_is_a_decode_error() {
    let response = ResponseTemplate::new(503)
        .set_body_raw("<html>Service Unavailable</html>", "text/html")
        .insert_header("x-request-id", "proxy-rid");
    let server = serving(response).await;
    let client = support::client(&server);
    let result = client
        .graph_olap()
        .unwrap()
        .get_snapshot()
        .snapshot_id(7)
        .send()
        .await;
    let error = Error::from_response(result.unwrap_err()).await;
    match &error {
        Error::Decode {
            status,
            request_id,
            snippet,
            ..
        } => {
            assert_eq!(*status, Some(503));
            assert_eq!(request_id.as_deref(), Some("proxy-rid"));
            assert_eq!(snippet, "<html>Service Unavailable</html>");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.request_id(), Some("proxy-rid"));
}

#[tokio::test]
async fn a_slow_response_is_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({}))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let client = support::builder(&server)
        .read_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = dsw_get(&client).await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { .. }),
        "expected Timeout, got {error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(
        error.to_string().starts_with("request timed out"),
        "{error}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    // A port that was just free: nothing listens on it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = snapshots::Client::builder()
        .environment(support::empty_env())
        .access_key(snapshots::auth::AccessKey::new("id", "secret"))
        .dsw_url(format!("http://127.0.0.1:{port}"))
        .retry(snapshots::RetryConfig::disabled())
        .build()
        .unwrap();
    let error = dsw_get(&client).await.unwrap_err();
    match &error {
        Error::Transport { source } => {
            let reqwest_error = source
                .downcast_ref::<reqwest::Error>()
                .expect("a reqwest error");
            assert!(reqwest_error.is_connect(), "{reqwest_error:?}");
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert!(std::error::Error::source(&error).is_some());
}

#[tokio::test]
async fn builder_refusals_are_validation_errors() {
    let server = MockServer::start().await;
    let client = support::client(&server);
    let dsw = client.dsw().unwrap();

    // A missing required parameter.
    let error: Error = dsw
        .get_instance_snapshot()
        .snapshot_id("snp-1")
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(
        matches!(&error, Error::Validation { field, rule } if field == "instance_id" && rule.contains("required")),
        "{error:?}"
    );

    // A name that breaks the seed's rule, given to the body builder.
    let error: Error = dsw
        .create_instance_snapshot()
        .instance_id("dsw-1")
        .body_map(|body| {
            body.snapshot_name("Not_A_Tag")
                .image_url("registry.example.com/ns/repo:tag")
        })
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(
        matches!(&error, Error::Validation { field, rule } if field == "snapshot_name" && rule.contains("lowercase")),
        "{error:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn missing_credentials_are_a_credentials_error_listing_the_sources() {
    let server = MockServer::start().await;
    let client = snapshots::Client::builder()
        .environment(support::empty_env())
        .graph_olap_url(server.uri())
        .build()
        .unwrap();
    let error = dsw_get(&client).await.unwrap_err();
    let Error::Credentials(snapshots::auth::CredentialsError::NotFound { tried }) = &error else {
        panic!("expected Credentials, got {error:?}");
    };
    assert!(tried.iter().any(|t| t.contains("environment")), "{tried:?}");
    assert!(error.to_string().contains("tried"), "{error}");
    assert_eq!(error.status(), None);
    assert_eq!(error.request_id(), None);
}

#[test]
fn a_missing_graph_olap_url_is_a_config_error() {
    let client = snapshots::Client::builder()
        .environment(support::empty_env())
        .graph_olap_username("alice")
        .build()
        .unwrap();
    let error = client.graph_olap().unwrap_err();
    assert!(
        matches!(&error, Error::Config(message) if message.contains("graph_olap_url")),
        "{error:?}"
    );
}

#[tokio::test]
async fn routes_are_what_the_generated_clients_send() {
    // Sanity check that the mocks above are hit on the documented paths.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/snapshots/7"))
        .respond_with(json_response(404, json!({"detail": "Not Found"})))
        .expect(1)
        .mount(&server)
        .await;
    let error = olap_get(&support::client(&server)).await.unwrap_err();
    assert_eq!(error.status(), Some(404));
}
