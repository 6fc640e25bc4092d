//! A Postgres outage in the middle of an interview (issue #20, docs/postgres.md#outages): the
//! interview's Durable Object holds the truth, so the candidate's turns over the socket go on
//! while the database is down, and once it is back the object's retried outbox flush brings
//! the relational rows level with the object's log. Meanwhile a request that needs the
//! database answers 503 `SERVICE_UNAVAILABLE` (retryable), never a 500.
//!
//! Runs on the Postgres backend only (`TEST_DB_BACKEND=postgres`, which `scripts/test` sets for
//! its Postgres run); on D1 it says so and returns, as there is no server of ours to stop.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::ws::WsClient;
use common::TestApp;
use serde_json::{json, Value};

fn app() -> TestApp {
    TestApp::with(&[
        ("MIN_QUESTIONS", "5"),
        ("MAX_QUESTIONS", "6"),
        ("ANSWER_RATE_BURST", "1000"),
        ("ANSWER_RATE_PER_MINUTE", "100000"),
    ])
}

const WAIT: Duration = Duration::from_secs(20);

fn user_text(text: &str) -> Value {
    json!({"type": "conversation.item.create",
           "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}})
}

/// One answer over the socket: the turn must complete (`response.done` with the interviewer's
/// reply) and no `error` event may come.
async fn turn(ws: &mut WsClient, answer: &str) {
    ws.send_json(&user_text(answer)).await;
    let events = ws.until("response.done", WAIT).await;
    let errors: Vec<&Value> = events.iter().filter(|e| e["type"] == "error").collect();
    assert!(errors.is_empty(), "the turn failed: {errors:?}");
    assert_eq!(events.last().map(|e| e["type"].clone()), Some(json!("response.done")), "{events:?}");
    assert!(
        events.iter().any(|e| e["type"] == "response.output_text.done"),
        "the interviewer answered: {events:?}"
    );
}

/// The interview's messages as `(id, sequence, type, text)`, sorted by sequence.
fn rows(messages: &[Value]) -> Vec<(String, i64, String, String)> {
    let mut rows: Vec<_> = messages
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap_or_default().to_owned(),
                m["sequence_number"].as_i64().unwrap_or(-1),
                m["message_type"].as_str().unwrap_or_default().to_owned(),
                m["content_text"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    rows.sort_by_key(|r| r.1);
    rows
}

#[tokio::test]
async fn stopping_postgres_mid_interview_fails_no_turn_and_the_projection_converges() {
    if !common::on_postgres() {
        println!("skipped: runs on the Postgres backend (TEST_DB_BACKEND=postgres; scripts/test does)");
        return;
    }
    let app = app();
    let pg = app.server.postgres.as_ref().expect("the server's cluster");
    let token = app.register("Outage Candidate").await.token;
    let id = app.start_id(&token, "react").await;
    let mut ws = app.connect(&token, &id).await;
    ws.until("conversation.item.done", WAIT).await; // the welcome's question
    turn(&mut ws, "Hooks let function components keep state with useState and run effects.").await;

    // The database goes away mid-interview: every turn still completes.
    pg.pause();
    let outage = Instant::now();
    turn(&mut ws, "useEffect runs after render; its dependency array decides when it runs again.").await;
    turn(&mut ws, "I would memoise the expensive child with React.memo and stable callbacks.").await;
    turn(&mut ws, "Context avoids prop drilling, but every consumer re-renders when the value changes.")
        .await;
    // What needs the database says so in the envelope: 503, retryable, never a 500.
    let (status, body) = app.get(&token, "/api/v1/auth/me").await;
    assert_eq!((status, common::app::error_code(&body)), (503, "SERVICE_UNAVAILABLE"), "{body}");
    // Long enough for the object's first flush retries to fail too.
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(outage.elapsed())).await;
    assert!(
        !app.log_lines(&["outbox_flush_failed"]).is_empty(),
        "the object saw the outage (its flush failed) — otherwise this test proves nothing"
    );
    pg.resume();

    // The object's log (served by the object) and the relational rows converge.
    let log = rows(&app.messages(&token, &id).await);
    let answers = log.iter().filter(|r| r.2 == "candidate_response").count();
    assert_eq!(answers, 4, "the four answers, three of them during the outage: {log:?}");
    let state = app.interview(&token, &id, "").await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stored = rows(&pg.json_rows(&format!(
            "SELECT id::text AS id, sequence_number, message_type, content_text FROM interview_messages \
             WHERE interview_id = '{id}'"
        )));
        let interview =
            pg.json_rows(&format!("SELECT questions_asked, status FROM interviews WHERE id = '{id}'"));
        let level = stored == log
            && interview.first().is_some_and(|row| {
                row["questions_asked"] == state["questions_asked"] && row["status"] == state["status"]
            });
        if level {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the projection did not converge after the restart:\nobject: {log:?}\npostgres: {stored:?}\n\
             interview row: {interview:?} vs {state}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // And the interview carries on with the database back.
    turn(&mut ws, "Keys let React match list items between renders, so they must be stable ids.").await;
}
