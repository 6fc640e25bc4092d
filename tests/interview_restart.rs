//! Interviews across a hard kill of the server (docs/data.md: the interview's Durable Object
//! storage is the source of truth, and its outbox makes D1 converge), plus the per-interview
//! answer rate limit at its default settings (docs/interviews.md#a-turn).
//!
//! A restart takes the whole server of this binary down, so the tests here run one at a time.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{d1_query, TestApp};
use serde_json::{json, Value};

/// One test at a time: a restart must not pull the server from under another test.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// The tests use the default configuration (`TestApp::new()`): `ANSWER_RATE_BURST` 5,
// `ANSWER_RATE_PER_MINUTE` 20.

#[tokio::test]
async fn an_interview_survives_a_hard_kill_and_continues() {
    let _serial = SERIAL.lock().await;
    let app = TestApp::new();
    let token = app.candidate().await;
    let id = app.start_id(&token, "python").await;
    let mut last = Value::Null;
    for text in [
        "I use Python for data pipelines and small web services.",
        "I like its readability and the standard library; packaging tripped me up.",
        "A list is mutable and a tuple is immutable, so tuples can be dictionary keys.",
    ] {
        last = app.answer_ok(&token, &id, text).await;
    }
    assert_eq!(last["question_number"], 4);
    let log_before = app.messages(&token, &id).await;
    assert_eq!(log_before.len(), 7);
    let status_before = app.interview(&token, &id, "/status").await;
    let (_, latest_before) = app.get(&token, &format!("/api/v1/interviews/{id}/messages/latest")).await;

    app.server.restart(9);

    assert_eq!(app.messages(&token, &id).await, log_before, "every message survives the kill");
    let status_after = app.interview(&token, &id, "/status").await;
    for key in ["status", "questions_asked", "current_difficulty", "pending_ai_response", "last_message"] {
        assert_eq!(status_after[key], status_before[key], "{key} after the restart");
    }
    assert_eq!(status_after["questions_asked"], 3);
    assert_eq!(status_after["status"], "in_progress");
    let (status, latest_after) = app.get(&token, &format!("/api/v1/interviews/{id}/messages/latest")).await;
    assert_eq!(status, 200);
    assert_eq!(latest_after, latest_before, "the question to replay on resume is unchanged");

    // The interview carries on where it stopped.
    let next =
        app.answer_ok(&token, &id, "Dictionaries are hash tables, so lookups are O(1) on average.").await;
    assert_eq!(next["question_number"], 5);
    assert_eq!(next["session_state"]["questions_asked"], 4);
    let log = app.messages(&token, &id).await;
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
            d1_query(app.server, &sql).iter().map(|r| json!([r["id"], r["sequence_number"]])).collect();
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
    let app = TestApp::new();
    let token = app.candidate().await;
    let id = app.start_id(&token, "python").await;
    for i in 0..5 {
        app.answer_ok(&token, &id, &format!("Answer {i}: generators produce values lazily with yield."))
            .await;
    }
    let resp = app.answer_request(&token, &id, "A sixth answer straight away.", None).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3).contains(&retry), "one answer per 3 s after the burst: Retry-After {retry}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    assert_eq!(app.messages(&token, &id).await.len(), 11, "the refused answer is not stored");

    tokio::time::sleep(Duration::from_secs(retry)).await;
    let turn = app.answer_ok(&token, &id, "After waiting, the answer is accepted.").await;
    assert_eq!(turn["question_number"], 7);

    // Another interview has its own allowance.
    let other = app.start_id(&token, "python").await;
    app.answer_ok(&token, &other, "A fresh interview starts with a full burst.").await;
}
