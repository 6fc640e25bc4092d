//! The browser socket of a voice interview through the upstream, accepted without hibernation
//! (`durable_objects/interview_do/live_socket.rs`, decision 0008): replacement, pings, revocation
//! and the upstream's life behave as for the hibernatable socket of a built-in interview
//! (tests/realtime.rs). Assertions are about close codes, events and the upstream's traffic.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::fake_openai::FakeOpenAi;
use common::ws::{pcm16_tone, WsClient};
use common::TestApp;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

/// The fake's connections are counted globally: the tests run one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn fake() -> &'static FakeOpenAi {
    FakeOpenAi::shared()
}

fn app() -> TestApp {
    let f = fake();
    f.set_api_key(Some("sk-test-fake"));
    TestApp::with(&[
        ("OPENAI_API_KEY", "sk-test-fake"),
        ("OPENAI_BASE_URL", f.base_url.as_str()),
        ("OPENAI_REALTIME_URL", f.realtime_url.as_str()),
        ("ANSWER_RATE_BURST", "1000"),
        ("ANSWER_RATE_PER_MINUTE", "100000"),
    ])
}

async fn until(ws: &mut WsClient, kind: &str) -> Value {
    let (event, _) = ws.wait_for(kind, WAIT).await.unwrap_or_else(|| panic!("no {kind}"));
    event
}

/// Connects and waits for the welcome state and the upstream's spoken greeting.
async fn connect_greeted(token: &str, id: &str) -> WsClient {
    let mut ws = app().connect(token, id).await;
    until(&mut ws, "interview.state").await;
    until(&mut ws, "response.done").await;
    ws
}

/// Whether upstream connection `index` has ended, waiting up to `WAIT`.
async fn upstream_ended(index: usize) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if fake().realtime_connection(index).is_some_and(|c| c.ended) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn a_voice_socket_is_replaced_pinged_and_revoked_like_a_hibernatable_one() {
    let _serial = SERIAL.lock().await;
    let account = app().register("Live Socket Candidate").await;
    let id = app().start_id(&account.token, "react").await;
    let first_upstream = fake().realtime_connections();
    let mut first = connect_greeted(&account.token, &id).await;

    // A second connection replaces the first (4000) and is welcomed with the latest question (the
    // upstream, still open, does not greet again); the relay serves the new socket.
    let mut second = app().connect(&account.token, &id).await;
    until(&mut second, "interview.state").await;
    until(&mut second, "conversation.item.done").await;
    assert_eq!(first.next_close(WAIT).await.map(|c| c.0), Some(4000), "the older socket is replaced");
    second.send_json(&json!({"type": "ping"})).await;
    until(&mut second, "pong").await;
    let tone = pcm16_tone(100);
    for _ in 0..10 {
        second.append_audio(&tone).await;
    }
    second.send_json(&json!({"type": "input_audio_buffer.commit"})).await;
    let state = until(&mut second, "interview.state").await;
    assert_eq!(state["questions_asked"], 1, "the spoken answer was taken through the new socket: {state}");
    let last_upstream = fake().realtime_connections() - 1;
    assert!(last_upstream >= first_upstream);
    let appended: usize = (first_upstream..=last_upstream)
        .filter_map(|i| fake().realtime_connection(i))
        .map(|c| c.appended_bytes)
        .sum();
    assert_eq!(appended, 10 * tone.len(), "every frame of the new socket reached the upstream");

    // Logout closes the socket with 4001 within a second, and the upstream with it.
    let (status, _) = app().post(&account.token, "/api/v1/auth/logout", &json!({})).await;
    assert_eq!(status, 200);
    let closed = second.next_close(Duration::from_secs(1)).await;
    assert_eq!(closed.map(|c| c.0), Some(4001), "closed within a second of the logout");
    assert!(upstream_ended(last_upstream).await, "the upstream closes with the last client");
}

#[tokio::test]
async fn a_client_leaving_closes_the_upstream_and_a_reconnect_resumes() {
    let _serial = SERIAL.lock().await;
    let account = app().register("Leaving Live Candidate").await;
    let id = app().start_id(&account.token, "react").await;
    let before = fake().realtime_connections();
    let mut ws = connect_greeted(&account.token, &id).await;
    ws.close(1000, "bye").await;
    assert!(upstream_ended(before).await, "the upstream closes when the client leaves");
    let mut again = connect_greeted(&account.token, &id).await;
    again.send_json(&json!({"type": "ping"})).await;
    until(&mut again, "pong").await;
}
