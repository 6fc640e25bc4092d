//! The HTTP skeleton end to end against `wrangler dev`: health, the OpenAPI document, the error
//! envelope for unknown routes and bad bodies, security headers and CORS.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// This binary's server: the panic probe is armed (inert without `?panic=1`).
fn app() -> TestApp {
    TestApp::with(&[("TEST_FAULTS", "panic")])
}

/// The panic test resets the Worker's wasm instance, failing whatever else is in flight on it:
/// it takes this gate exclusively, every other test shares it.
static GATE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

const REGISTER: &str = "/api/v1/auth/register";

async fn error_code(resp: reqwest::Response) -> (StatusCode, String, Value) {
    let status = resp.status();
    let request_id = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body: Value = resp.json().await.expect("error bodies are JSON");
    assert_eq!(body["error"]["request_id"].as_str(), request_id.as_deref(), "envelope request_id = header");
    assert!(body["error"]["message"].is_string());
    (status, body["error"]["code"].as_str().unwrap_or_default().to_owned(), body)
}

#[tokio::test]
async fn health_reports_ok_storage_and_the_builtin_provider() {
    let _gate = GATE.read().await;
    let resp = app().request(Method::GET, "/health", "").send().await.expect("send");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["ai_provider"], "builtin");
    assert_eq!(body["storage"]["d1"], "ok");
    assert_eq!(body["storage"]["r2"], "ok");
    assert_eq!(body["storage"]["durable_objects"], "ok");
}

#[tokio::test]
async fn the_openapi_document_is_served() {
    let _gate = GATE.read().await;
    let resp = app().request(Method::GET, "/api/v1/openapi.json", "").send().await.expect("send");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert!(body["paths"]["/health"].is_object());
}

#[tokio::test]
async fn unknown_routes_are_404_with_or_without_a_token() {
    let _gate = GATE.read().await;
    for auth in [None, Some("Bearer not-a-token")] {
        let mut req = app().request(Method::GET, "/api/v1/nothing-here", "");
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let (status, code, _) = error_code(req.send().await.expect("send")).await;
        assert_eq!((status.as_u16(), code.as_str()), (404, "NOT_FOUND"));
    }
}

/// The question bank is a static asset the wasm reads through its binding; its rubrics (what an
/// answer is scored on) must never be downloadable, however the path is spelt.
#[tokio::test]
async fn the_question_banks_rubrics_are_never_served() {
    let _gate = GATE.read().await;
    assert!(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/dist/_internal/bank/react.json").is_file(),
        "scripts/build-web deploys the bank with the assets"
    );
    for path in [
        "/_internal/bank/react.json",
        "/_internal/bank/python.json",
        "/_internal/bank/",
        "/_internal/bank/react",
        "/_internal/./bank/react.json",
        "/_INTERNAL/bank/react.json",
        "/%5Finternal/bank/react.json",
    ] {
        let resp = app().request(Method::GET, path, "").send().await.expect("send");
        let status = resp.status();
        let body = resp.text().await.expect("body");
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("synonyms"), "{path} leaked the rubric");
    }
}

#[tokio::test]
async fn a_known_path_with_the_wrong_method_is_405() {
    let _gate = GATE.read().await;
    let (status, code, _) =
        error_code(app().request(Method::DELETE, "/health", "").send().await.expect("send")).await;
    assert_eq!((status.as_u16(), code.as_str()), (405, "METHOD_NOT_ALLOWED"));
}

#[tokio::test]
async fn malformed_json_is_400() {
    let _gate = GATE.read().await;
    let resp = app()
        .request(Method::POST, REGISTER, "")
        .header("Content-Type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .expect("send");
    let (status, code, _) = error_code(resp).await;
    assert_eq!((status.as_u16(), code.as_str()), (400, "MALFORMED_JSON"));
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let _gate = GATE.read().await;
    let big = format!("{{\"email\": \"{}\"}}", "a".repeat(70 * 1024));
    let resp = app()
        .request(Method::POST, REGISTER, "")
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await
        .expect("send");
    let (status, code, _) = error_code(resp).await;
    assert_eq!((status.as_u16(), code.as_str()), (413, "PAYLOAD_TOO_LARGE"));
}

#[tokio::test]
async fn a_wrong_content_type_is_415() {
    let _gate = GATE.read().await;
    for ct in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let mut req = app().request(Method::POST, REGISTER, "").body("{}");
        if let Some(ct) = ct {
            req = req.header("Content-Type", ct);
        }
        let (status, code, _) = error_code(req.send().await.expect("send")).await;
        assert_eq!((status.as_u16(), code.as_str()), (415, "UNSUPPORTED_MEDIA_TYPE"), "{ct:?}");
    }
}

#[tokio::test]
async fn every_response_carries_the_request_id_and_security_headers() {
    let _gate = GATE.read().await;
    let requests = [
        app().request(Method::GET, "/health", ""),
        app().request(Method::GET, "/nope", ""),
        app().request(Method::POST, REGISTER, "").body("x"),
        app().request(Method::GET, "/api/v1/auth/me", ""),
    ];
    for req in requests {
        let resp = req.send().await.expect("send");
        let h = resp.headers();
        let rid = h.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert_eq!(rid.len(), 36, "X-Request-Id is a UUID");
        assert_eq!(h.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]));
        assert_eq!(h.get("x-frame-options").map(|v| v.as_bytes()), Some(&b"DENY"[..]));
        assert_eq!(h.get("referrer-policy").map(|v| v.as_bytes()), Some(&b"no-referrer"[..]));
    }
}

#[tokio::test]
async fn cors_grants_allowed_origins_only() {
    let _gate = GATE.read().await;
    let allowed = "http://127.0.0.1:8787";
    let resp = app()
        .request(Method::OPTIONS, REGISTER, "")
        .header("Origin", allowed)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 204);
    assert_eq!(
        resp.headers().get("access-control-allow-origin").map(|v| v.as_bytes()),
        Some(allowed.as_bytes())
    );
    let methods =
        resp.headers().get("access-control-allow-methods").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(methods.contains("POST"));

    for origin in ["http://evil.example", "http://127.0.0.1:8787.evil.example"] {
        for req in [app().request(Method::OPTIONS, REGISTER, ""), app().request(Method::GET, "/health", "")] {
            let resp = req.header("Origin", origin).send().await.expect("send");
            assert!(resp.headers().get("access-control-allow-origin").is_none(), "{origin} got a grant");
        }
    }
}

#[tokio::test]
async fn request_logs_are_json_lines_without_query_strings() {
    let _gate = GATE.read().await;
    let resp = app().request(Method::GET, "/health?secret=do-not-log", "").send().await.expect("send");
    let rid = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    // The log line is written after the response; give the pump a moment.
    let mut found = None;
    for _ in 0..50 {
        found = app().server.logs().lines().find(|l| l.contains(&rid)).map(str::to_owned);
        if found.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let line = found.expect("a log line with the request id");
    let json_part = &line[line.find('{').expect("json")..];
    let v: Value = serde_json::from_str(json_part).expect("log line is JSON");
    assert_eq!(v["route"], "/health");
    assert_eq!(v["status"], 200);
    // Our own JSON lines never carry the query (wrangler's dev banner lines are not ours).
    assert!(!app()
        .server
        .logs()
        .lines()
        .filter(|l| l.contains("\"event\""))
        .any(|l| l.contains("do-not-log")));
}

#[tokio::test]
async fn a_rust_panic_answers_the_500_envelope_and_the_next_request_works() {
    let _gate = GATE.write().await;
    // The shared server runs with TEST_FAULTS=panic, which arms `GET /health?panic=1` only.
    let resp = app().request(Method::GET, "/health?panic=1", "").send().await.expect("send");
    let (status, code, _) = error_code(resp).await;
    assert_eq!((status.as_u16(), code.as_str()), (500, "INTERNAL"));
    let resp = app().request(Method::GET, "/health", "").send().await.expect("send");
    assert_eq!(resp.status(), 200, "a fresh instance serves the next request");
}
