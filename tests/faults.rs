//! Fault tests (bounded, loopback only): a SIGKILL of `wrangler dev` during a burst of answers
//! loses no acknowledged answer, and hostile bodies on every route answer a documented 4xx,
//! never a 5xx.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{client, server_with, Server};
use interview_edge::http::routes::{Route, ROUTES};
use serde_json::{json, Value};

fn srv() -> &'static Server {
    server_with(&[
        ("ANSWER_RATE_BURST", "100000"),
        ("ANSWER_RATE_PER_MINUTE", "1000000"),
        ("AUTH_IP_RATE_PER_MINUTE", "100000"),
        ("STARTS_PER_HOUR", "100000"),
        ("MAX_QUESTIONS", "20"),
    ])
}

/// The restart test kills the shared server: it runs alone.
static GATE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

async fn candidate() -> String {
    common::register_candidate(srv(), "Fault Tester").await.0
}

async fn start(token: &str) -> String {
    common::start_interview(srv(), token, "javascript").await
}

#[tokio::test]
async fn a_sigkill_during_a_burst_loses_no_acknowledged_answer() {
    let _gate = GATE.write().await;
    let token = candidate().await;
    let id = start(&token).await;
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    // A burst of answers in sequence (one interview answers one at a time), killed midway.
    let burst = {
        let (token, id, acknowledged) = (token.clone(), id.clone(), acknowledged.clone());
        tokio::spawn(async move {
            for i in 0..200 {
                let text = format!("Burst answer {i}: closures capture their scope.");
                let resp = client()
                    .post(srv().url(&format!("/api/v1/interviews/{id}/messages")))
                    .bearer_auth(&token)
                    .timeout(Duration::from_secs(5))
                    .json(&json!({ "message_text": text }))
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status() == 200 => {
                        let v: Value = r.json().await.unwrap_or(Value::Null);
                        if let Some(mid) = v["message_id"].as_str() {
                            acknowledged.lock().unwrap().push((mid.to_owned(), text));
                        }
                        if v["interview_complete"] == true {
                            break;
                        }
                    }
                    _ => break, // the server is gone
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(250)).await;
    srv().kill(9);
    let _ = burst.await;
    srv().restart(9);
    let acked = acknowledged.lock().unwrap().clone();
    assert!(!acked.is_empty(), "some answers were acknowledged before the kill");

    let v: Value = client()
        .get(srv().url(&format!("/api/v1/interviews/{id}/messages?limit=100")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let messages = v["messages"].as_array().unwrap();
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for m in messages {
        *by_id.entry(m["id"].as_str().unwrap()).or_default() += 1;
    }
    for (mid, text) in &acked {
        assert_eq!(
            by_id.get(mid.as_str()).copied(),
            Some(1),
            "acknowledged answer {mid} present exactly once"
        );
        assert!(messages.iter().any(|m| m["id"] == mid.as_str() && m["content_text"] == text.as_str()));
    }
    let seqs: Vec<u64> = messages.iter().map(|m| m["sequence_number"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "contiguous after the restart");
    // The interview continues (or was already complete).
    let status: Value = client()
        .get(srv().url(&format!("/api/v1/interviews/{id}/status")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    if status["status"] == "in_progress" {
        let resp = client()
            .post(srv().url(&format!("/api/v1/interviews/{id}/messages")))
            .bearer_auth(&token)
            .json(&json!({ "message_text": "After the restart." }))
            .send()
            .await
            .unwrap();
        // A turn left pending by the kill is finished by /retry first.
        if resp.status() == 409 {
            let r = client()
                .post(srv().url(&format!("/api/v1/interviews/{id}/messages/retry")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        } else {
            assert_eq!(resp.status(), 200);
        }
    }
}

/// Hostile bodies for a JSON route.
fn hostile_bodies() -> Vec<(&'static str, Option<&'static str>, Vec<u8>)> {
    let big = format!("{{\"x\": \"{}\"}}", "y".repeat(70 * 1024)).into_bytes();
    vec![
        ("malformed", Some("application/json"), b"{\"message_text\": ".to_vec()),
        ("not an object", Some("application/json"), b"[1, 2, 3]".to_vec()),
        (
            "wrong types",
            Some("application/json"),
            br#"{"message_text": 42, "role_type": [], "email": {}, "is_active": "yes", "consent": 1}"#
                .to_vec(),
        ),
        ("unknown fields", Some("application/json"), br#"{"definitely_not_a_field": true}"#.to_vec()),
        ("deeply nested", Some("application/json"), "[".repeat(5000).into_bytes()),
        ("oversized", Some("application/json"), big),
        ("wrong content type", Some("text/plain"), b"hello".to_vec()),
        ("no content type", None, b"{}".to_vec()),
        ("binary", Some("application/json"), vec![0xff, 0xfe, 0x00, 0x01]),
    ]
}

#[tokio::test]
async fn hostile_bodies_on_every_route_answer_4xx_never_5xx() {
    let _gate = GATE.read().await;
    let token = candidate().await;
    let interview = start(&token).await;
    let mut checked = 0;
    for route in ROUTES {
        let path = route.pattern.replace("{id}", &interview);
        for (name, content_type, body) in hostile_bodies() {
            // Logout and refresh take no body and would revoke the token the other routes use.
            let with_token = !matches!(route.route, Route::Logout | Route::Refresh);
            let auths = if with_token { vec![None, Some(token.as_str())] } else { vec![None] };
            for auth in auths {
                let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
                let mut req = client().request(method, srv().url(&path)).body(body.clone());
                if let Some(ct) = content_type {
                    req = req.header("Content-Type", ct);
                }
                if let Some(t) = auth {
                    req = req.bearer_auth(t);
                }
                let resp = req.send().await.unwrap();
                let status = resp.status().as_u16();
                assert!(
                    status < 500,
                    "{} {} ({name}, auth={}) answered {status}",
                    route.method,
                    path,
                    auth.is_some()
                );
                if status >= 400 {
                    let v: Value = resp.json().await.unwrap_or(Value::Null);
                    assert!(
                        v["error"]["code"].is_string(),
                        "{} {} ({name}) error envelope",
                        route.method,
                        path
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 100);
}
