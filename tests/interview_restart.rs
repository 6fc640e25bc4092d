//! Interviews across a hard kill of the server (docs/data.md: the interview's Durable Object
//! storage is the source of truth, and its outbox makes D1 converge), plus the per-interview
//! answer rate limit at its default settings (docs/interviews.md#a-turn).
//!
//! A restart takes the whole server of this binary down, so the tests here run one at a time.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{client, d1_query, server, unique, unique_ip, Server};
use serde_json::{json, Value};

const PASSWORD: &str = "Correct-Horse-9";

/// One test at a time: a restart must not pull the server from under another test.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The default configuration: `ANSWER_RATE_BURST` 5, `ANSWER_RATE_PER_MINUTE` 20.
fn srv() -> &'static Server {
    server()
}

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn get(token: &str, path: &str) -> (u16, Value) {
    send(client().get(srv().url(path)).bearer_auth(token)).await
}

async fn register() -> String {
    let (status, body) = send(client().post(srv().url("/api/v1/auth/register")).header("CF-Connecting-IP", unique_ip()).json(
        &json!({"email": format!("cand-{}@example.com", unique()), "password": PASSWORD, "full_name": "Riley Restart"}),
    ))
    .await;
    assert_eq!(status, 201, "register: {body}");
    body["token"].as_str().expect("token").to_owned()
}

async fn start(token: &str) -> String {
    let (status, body) = send(
        client()
            .post(srv().url("/api/v1/interviews/start"))
            .bearer_auth(token)
            .json(&json!({"role_type": "python"})),
    )
    .await;
    assert_eq!(status, 201, "start: {body}");
    let id = body["id"].as_str().expect("id").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    id
}

async fn answer(token: &str, id: &str, text: &str) -> reqwest::Response {
    client()
        .post(srv().url(&format!("/api/v1/interviews/{id}/messages")))
        .bearer_auth(token)
        .json(&json!({ "message_text": text }))
        .send()
        .await
        .expect("send")
}

async fn answer_ok(token: &str, id: &str, text: &str) -> Value {
    let (status, body) = send(
        client()
            .post(srv().url(&format!("/api/v1/interviews/{id}/messages")))
            .bearer_auth(token)
            .json(&json!({ "message_text": text })),
    )
    .await;
    assert_eq!(status, 200, "answer: {body}");
    body
}

async fn messages(token: &str, id: &str) -> Vec<Value> {
    let (status, body) = get(token, &format!("/api/v1/interviews/{id}/messages?limit=100")).await;
    assert_eq!(status, 200, "messages: {body}");
    body["messages"].as_array().expect("messages").clone()
}

async fn status_of(token: &str, id: &str) -> Value {
    let (status, body) = get(token, &format!("/api/v1/interviews/{id}/status")).await;
    assert_eq!(status, 200, "status: {body}");
    body
}

#[tokio::test]
async fn an_interview_survives_a_hard_kill_and_continues() {
    let _serial = SERIAL.lock().await;
    let token = register().await;
    let id = start(&token).await;
    let mut last = Value::Null;
    for text in [
        "I use Python for data pipelines and small web services.",
        "I like its readability and the standard library; packaging tripped me up.",
        "A list is mutable and a tuple is immutable, so tuples can be dictionary keys.",
    ] {
        last = answer_ok(&token, &id, text).await;
    }
    assert_eq!(last["question_number"], 4);
    let log_before = messages(&token, &id).await;
    assert_eq!(log_before.len(), 7);
    let status_before = status_of(&token, &id).await;
    let (_, latest_before) = get(&token, &format!("/api/v1/interviews/{id}/messages/latest")).await;

    srv().restart(9);

    assert_eq!(messages(&token, &id).await, log_before, "every message survives the kill");
    let status_after = status_of(&token, &id).await;
    for key in ["status", "questions_asked", "current_difficulty", "pending_ai_response", "last_message"] {
        assert_eq!(status_after[key], status_before[key], "{key} after the restart");
    }
    assert_eq!(status_after["questions_asked"], 3);
    assert_eq!(status_after["status"], "in_progress");
    let (status, latest_after) = get(&token, &format!("/api/v1/interviews/{id}/messages/latest")).await;
    assert_eq!(status, 200);
    assert_eq!(latest_after, latest_before, "the question to replay on resume is unchanged");

    // The interview carries on where it stopped.
    let next = answer_ok(&token, &id, "Dictionaries are hash tables, so lookups are O(1) on average.").await;
    assert_eq!(next["question_number"], 5);
    assert_eq!(next["session_state"]["questions_asked"], 4);
    let log = messages(&token, &id).await;
    assert_eq!(log.len(), 9);
    assert_eq!(&log[..7], &log_before[..]);
    for (i, m) in log.iter().enumerate() {
        assert_eq!(m["sequence_number"], i as u64 + 1);
    }

    // D1 converges to the whole log, including what was written just before the kill.
    let expected: Vec<Value> = log.iter().map(|m| json!([m["id"], m["sequence_number"]])).collect();
    let sql = format!(
        "SELECT id, sequence_number FROM interview_messages WHERE interview_id = '{id}' ORDER BY sequence_number"
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let rows: Vec<Value> =
            d1_query(srv(), &sql).iter().map(|r| json!([r["id"], r["sequence_number"]])).collect();
        if rows == expected {
            break;
        }
        assert!(Instant::now() < deadline, "D1 has {} of {} messages", rows.len(), expected.len());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn answers_beyond_the_burst_are_rate_limited() {
    let _serial = SERIAL.lock().await;
    let token = register().await;
    let id = start(&token).await;
    for i in 0..5 {
        answer_ok(&token, &id, &format!("Answer {i}: generators produce values lazily with yield.")).await;
    }
    let resp = answer(&token, &id, "A sixth answer straight away.").await;
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3).contains(&retry), "one answer per 3 s after the burst: Retry-After {retry}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    assert_eq!(messages(&token, &id).await.len(), 11, "the refused answer is not stored");

    tokio::time::sleep(Duration::from_secs(retry)).await;
    let turn = answer_ok(&token, &id, "After waiting, the answer is accepted.").await;
    assert_eq!(turn["question_number"], 7);

    // Another interview has its own allowance.
    let other = start(&token).await;
    answer_ok(&token, &other, "A fresh interview starts with a full burst.").await;
}
