//! API fuzzing: schemathesis (installed into `.venv` by `scripts/setup`) generates requests
//! from `docs/openapi.json` for every operation and checks, against a live `wrangler dev` with
//! an authenticated candidate, that no response is a 5xx and every response conforms to the
//! document (status code, content type, body schema). Bounded: a fixed seed and example count.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::{client, server_with, unique, unique_ip};
use serde_json::{json, Value};

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_nonconforming_response() {
    let root = env!("CARGO_MANIFEST_DIR");
    let binary = format!("{root}/.venv/bin/schemathesis");
    assert!(std::path::Path::new(&binary).exists(), "{binary} is missing: run `bash scripts/setup`");
    let srv = server_with(&[
        ("AUTH_IP_RATE_PER_MINUTE", "1000000"),
        ("STARTS_PER_HOUR", "1000000"),
        ("ANSWER_RATE_BURST", "1000000"),
        ("ANSWER_RATE_PER_MINUTE", "1000000"),
    ]);
    let resp = client()
        .post(srv.url("/api/v1/auth/register"))
        .header("CF-Connecting-IP", unique_ip())
        .json(&json!({"email": format!("fuzz-{}@example.com", unique()), "password": "Correct-Horse-9", "full_name": "Fuzz User"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let token = resp.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let examples = std::env::var("FUZZ_EXAMPLES").unwrap_or_else(|_| "10".to_owned());
    let output = Command::new(&binary)
        .current_dir(std::env::temp_dir())
        .args(["run", &srv.url("/api/v1/openapi.json"), "--url", &srv.base_url])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["-n", &examples, "--seed", "1", "--workers", "1", "--request-timeout", "30"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        // Logout and refresh would revoke the token the other operations use.
        .args(["--exclude-operation-id", "logout", "--exclude-operation-id", "refresh"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Tested:"), "schemathesis ran no operation:\n{stdout}");
}
