//! Self-test of the fake OpenAI server (`tests/common/fake_openai.rs`), driven with reqwest and
//! raw TCP, and checked with the service's own request builder and response parser
//! (`interview_edge::ai::chat`): a turn request the Worker would send passes the fake's strict
//! schema check, and what the fake answers parses. No `wrangler dev` here.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::fake_openai::{Failure, FakeOpenAi, FaultMode, CHAT_PATH};
use interview_edge::ai::chat::{
    build_turn_request, parse_turn_response, system_prompt, ExampleQuestion, RubricConcept, TurnGrounding,
};
use interview_edge::ai::errors::ParseErrorKind;
use interview_edge::domain::engine::memory::{ChatMessage, ChatRole};
use interview_edge::domain::enums::{AnswerQuality, Difficulty, RoleType};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KEY: &str = "sk-test-fake";

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client")
}

fn grounding() -> TurnGrounding {
    TurnGrounding {
        question: "What is a Python generator?".into(),
        skill_area: "iterators_generators".into(),
        level: Difficulty::Fundamental,
        rubric: vec![
            RubricConcept { name: "yield".into(), weight: 0.6 },
            RubricConcept { name: "lazy evaluation".into(), weight: 0.4 },
        ],
        next_skill_area: "testing".into(),
        easier_level: Difficulty::Fundamental,
        harder_level: Difficulty::Intermediate,
        examples: vec![ExampleQuestion {
            skill_area: "testing".into(),
            level: Difficulty::Fundamental,
            text: "What does a pytest fixture provide?".into(),
        }],
    }
}

/// The request the Worker sends for one turn with `answer`.
fn turn_request(answer: &str) -> Value {
    let history = vec![ChatMessage::new(ChatRole::Assistant, "What is a Python generator?")];
    build_turn_request("gpt-4o-mini", &system_prompt(RoleType::Python), &history, answer, &grounding())
}

async fn post_chat(fake: &FakeOpenAi, body: &Value) -> reqwest::Response {
    http()
        .post(format!("{}/chat/completions", fake.base_url))
        .bearer_auth(KEY)
        .json(body)
        .send()
        .await
        .expect("send")
}

async fn chat_status(fake: &FakeOpenAi) -> u16 {
    post_chat(fake, &turn_request("an answer")).await.status().as_u16()
}

#[tokio::test]
async fn a_turn_request_is_answered_with_a_parseable_structured_output() {
    let fake = FakeOpenAi::start().await;
    let resp = post_chat(&fake, &turn_request("STRONG: generators yield values lazily")).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("x-request-id").is_some());
    let body = resp.text().await.expect("body");
    let turn = parse_turn_response(&body).expect("the service's parser accepts the fake's answer");
    assert_eq!(turn.evaluation.answer_quality, AnswerQuality::Excellent);
    assert!((turn.evaluation.technical_accuracy - 0.95).abs() < 1e-9);
    assert!((turn.evaluation.explanation_clarity - 0.9).abs() < 1e-9);
    assert_eq!(turn.model, "gpt-4o-mini");
    assert!(turn.usage.input_tokens > 0 && turn.usage.output_tokens > 0);
    let q = &turn.questions;
    let all: Vec<&str> = [&q.probe, &q.easier, &q.same, &q.harder]
        .iter()
        .map(|x| x.as_deref().expect("four candidates"))
        .collect();
    assert!(all.iter().all(|x| x.contains('?')));
    let mut distinct = all.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 4);

    // Counters and the recorded body (to assert one call per turn and its grounding).
    assert_eq!((fake.calls_to(CHAT_PATH), fake.total_calls()), (1, 1));
    let sent = fake.last_chat_body().expect("recorded");
    let grounding = sent["messages"].as_array().and_then(|m| m.last()).expect("grounding")["content"]
        .as_str()
        .expect("text")
        .to_owned();
    assert!(grounding.contains("lazy evaluation (weight 0.40)"));
    assert_eq!(fake.requests_to(CHAT_PATH)[0].header("authorization"), Some("Bearer sk-test-fake"));
}

#[tokio::test]
async fn the_evaluation_follows_the_latest_user_message() {
    let fake = FakeOpenAi::start().await;
    for (answer, quality, accuracy) in [
        ("WEAK: no idea", AnswerQuality::Poor, 0.1),
        ("a generator is a function", AnswerQuality::Fair, 0.5),
        ("STRONG answer", AnswerQuality::Excellent, 0.95),
    ] {
        let body = post_chat(&fake, &turn_request(answer)).await.text().await.expect("body");
        let turn = parse_turn_response(&body).expect("parses");
        assert_eq!(turn.evaluation.answer_quality, quality, "{answer}");
        assert!((turn.evaluation.technical_accuracy - accuracy).abs() < 1e-9);
    }
    // Only the latest user message counts, and array content parts are read too.
    let body = json!({"model": "m", "messages": [
        {"role": "user", "content": "STRONG earlier"},
        {"role": "assistant", "content": "next?"},
        {"role": "user", "content": [{"type": "text", "text": "WEAK now"}]}
    ]});
    let turn = parse_turn_response(&post_chat(&fake, &body).await.text().await.unwrap()).unwrap();
    assert_eq!(turn.evaluation.answer_quality, AnswerQuality::Poor);
    assert_eq!(fake.calls_to(CHAT_PATH), 4);
}

#[tokio::test]
async fn queued_failures_are_served_in_order_then_normal_answers() {
    let fake = FakeOpenAi::start().await;
    fake.push_failures([Failure::rate_limited(1), Failure::status(500), Failure::status(400)]);

    let first = post_chat(&fake, &turn_request("x")).await;
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    let error: Value = first.json().await.unwrap();
    for key in ["message", "type", "param", "code"] {
        assert!(error["error"].get(key).is_some(), "error.{key} present");
    }
    assert_eq!(error["error"]["code"], "rate_limit_exceeded");

    let second = post_chat(&fake, &turn_request("x")).await;
    assert_eq!(second.status(), 500);
    assert!(second.headers().get("retry-after").is_none());
    assert_eq!(second.json::<Value>().await.unwrap()["error"]["type"], "server_error");
    assert_eq!(chat_status(&fake).await, 400);
    assert_eq!(chat_status(&fake).await, 200);
    assert_eq!(fake.calls_to(CHAT_PATH), 4);
}

#[tokio::test]
async fn malformed_truncated_and_refused_answers_fail_the_parser() {
    let fake = FakeOpenAi::start().await;
    fake.push_failures([Failure::Malformed, Failure::Truncated, Failure::Refusal]);
    let mut kinds = Vec::new();
    for _ in 0..3 {
        let resp = post_chat(&fake, &turn_request("STRONG")).await;
        assert_eq!(resp.status(), 200);
        let err = parse_turn_response(&resp.text().await.unwrap()).expect_err("unusable");
        assert!(err.usage.input_tokens > 0, "usage still reported");
        kinds.push(err.kind);
    }
    assert_eq!(kinds[0], ParseErrorKind::ContentNotJson);
    assert_eq!(kinds[1], ParseErrorKind::Truncated);
    assert!(matches!(kinds[2], ParseErrorKind::Refusal(_)));
}

#[tokio::test]
async fn a_hang_never_answers_and_the_client_times_out() {
    let fake = FakeOpenAi::start().await;
    fake.push_failures([Failure::Hang]);
    let client = reqwest::Client::builder().timeout(Duration::from_millis(400)).build().unwrap();
    let started = Instant::now();
    let err = client
        .post(format!("{}/chat/completions", fake.base_url))
        .bearer_auth(KEY)
        .json(&turn_request("x"))
        .send()
        .await
        .expect_err("no answer");
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(fake.calls_to(CHAT_PATH), 1, "the hung call is counted");
    assert_eq!(chat_status(&fake).await, 200, "the next call is answered");
}

#[tokio::test]
async fn latency_is_added_to_every_answer() {
    let fake = FakeOpenAi::start().await;
    fake.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(chat_status(&fake).await, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    fake.push_failures([Failure::status(503)]);
    let started = Instant::now();
    assert_eq!(chat_status(&fake).await, 503);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn every_nth_call_fails() {
    let fake = FakeOpenAi::start().await;
    fake.set_fault_mode(FaultMode::EveryNth { n: 3, failure: Failure::status(502) });
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(chat_status(&fake).await);
    }
    assert_eq!(statuses, [200, 200, 502, 200, 200, 502, 200]);
}

#[tokio::test]
async fn random_faults_are_reproducible_from_the_seed() {
    async fn pattern(seed: u64) -> Vec<u16> {
        let fake = FakeOpenAi::start().await;
        fake.set_fault_mode(FaultMode::Random { probability: 0.3, seed, failure: Failure::status(500) });
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(chat_status(&fake).await);
        }
        statuses
    }
    let a = pattern(42).await;
    assert_eq!(a, pattern(42).await, "same seed, same faults");
    let failures = a.iter().filter(|s| **s == 500).count();
    assert!((3..=22).contains(&failures), "about 30 % of 40 fail: {failures}");
    assert!(a.iter().all(|s| *s == 200 || *s == 500));
    assert_ne!(a, pattern(7).await, "another seed, other faults");
}

/// Sends `head` and `body_parts` with pauses (several TCP reads) and returns the raw response.
async fn raw_exchange(fake: &FakeOpenAi, head: String, body_parts: &[&[u8]]) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", fake.port)).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (head_a, head_b) = head.split_at(head.len() / 2);
    stream.write_all(head_a.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    stream.write_all(head_b.as_bytes()).await.unwrap();
    for part in body_parts {
        tokio::time::sleep(Duration::from_millis(30)).await;
        stream.write_all(part).await.unwrap();
    }
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
        .await
        .expect("answered")
        .unwrap();
    response
}

#[tokio::test]
async fn requests_split_across_tcp_reads_and_chunked_bodies_are_read_whole() {
    let fake = FakeOpenAi::start().await;
    let body = turn_request("STRONG split answer").to_string();
    let (a, b) = body.as_bytes().split_at(body.len() / 3);
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let response = raw_exchange(&fake, head, &[a, b]).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let json_body = response.split("\r\n\r\n").nth(1).unwrap();
    let turn = parse_turn_response(json_body).unwrap();
    assert_eq!(turn.evaluation.answer_quality, AnswerQuality::Excellent);

    let chunk1 = format!("{:x}\r\n{}\r\n", a.len(), String::from_utf8_lossy(a));
    let chunk2 = format!("{:x};ext=1\r\n{}\r\n0\r\n\r\n", b.len(), String::from_utf8_lossy(b));
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let response = raw_exchange(&fake, head, &[chunk1.as_bytes(), chunk2.as_bytes()]).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert_eq!(fake.last_chat_body(), Some(turn_request("STRONG split answer")));
    assert_eq!(fake.calls_to(CHAT_PATH), 2);
}

#[tokio::test]
async fn keep_alive_connections_serve_several_requests() {
    let fake = FakeOpenAi::start().await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", fake.port)).await.unwrap();
    let req = format!("GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\r\n");
    // Two pipelined requests on one connection, the second one closing it.
    let close = req.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n");
    stream.write_all(format!("{req}{close}").as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.matches("HTTP/1.1 200").count(), 2, "{response}");
    assert_eq!(fake.calls_to("/v1/models"), 2);
    // reqwest pools connections: several calls through one client all succeed.
    let client = http();
    for _ in 0..3 {
        let resp = client.get(format!("{}/models", fake.base_url)).bearer_auth(KEY).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }
}

#[tokio::test]
async fn what_the_real_api_rejects_the_fake_rejects() {
    let fake = FakeOpenAi::start().await;
    // No key.
    let resp = http()
        .post(format!("{}/chat/completions", fake.base_url))
        .json(&turn_request("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // A required key.
    fake.set_api_key(Some("sk-other"));
    assert_eq!(chat_status(&fake).await, 401);
    fake.set_api_key(Some(KEY));
    assert_eq!(chat_status(&fake).await, 200);
    // A non-strict schema.
    let mut body = turn_request("x");
    body["response_format"]["json_schema"]["schema"]["properties"]["evaluation"]
        .as_object_mut()
        .unwrap()
        .remove("additionalProperties");
    let resp = post_chat(&fake, &body).await;
    assert_eq!(resp.status(), 400);
    let error: Value = resp.json().await.unwrap();
    assert!(error["error"]["message"].as_str().unwrap().contains("additionalProperties"));
    let mut body = turn_request("x");
    body["response_format"]["json_schema"]["schema"]["properties"]["next_questions"]["required"] =
        json!(["probe"]);
    assert_eq!(post_chat(&fake, &body).await.status(), 400);
    // Not JSON, no messages, unknown path.
    let resp = http()
        .post(format!("{}/chat/completions", fake.base_url))
        .bearer_auth(KEY)
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(post_chat(&fake, &json!({"model": "m", "messages": []})).await.status(), 400);
    let resp = http().get(format!("{}/nothing", fake.base_url)).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "unknown_url");

    fake.reset();
    assert_eq!((fake.total_calls(), fake.calls_to(CHAT_PATH), fake.chat_bodies().len()), (0, 0, 0));
}
