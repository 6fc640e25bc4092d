//! The official OpenAI Realtime clients against the interview's socket, unmodified
//! (docs/voice.md#official-clients): the Python SDK (`openai[realtime]`, PyPI), the Node SDK's
//! `OpenAIRealtimeWS` and `OpenAIRealtimeWebSocket` (`openai`, npm) and `@openai/agents-realtime`'s
//! WebSocket transport, each configured with nothing but a base URL (the interview) and the
//! ticket as its API key, answer typed turns to the interview's completion against the built-in
//! interviewer. Every event they receive validates strictly against the Python SDK's server
//! event types (`tests/clients/validate.py`; the product's `interview.*` events excepted), an
//! item is retrieved by its id (Python), and a reconnect replays the latest question under the
//! item id it was streamed with.
//!
//! The client scripts live in `tests/clients/`; `scripts/setup` installs the clients (.venv,
//! node_modules). Assertions are about events, ids and states, never the interviewer's wording.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::TestApp;
use serde_json::{json, Value};

fn app() -> TestApp {
    TestApp::with(&[
        ("MIN_QUESTIONS", "3"),
        ("MAX_QUESTIONS", "4"),
        ("MIN_BOUNDARIES", "1"),
        ("ANSWER_RATE_BURST", "1000"),
        ("ANSWER_RATE_PER_MINUTE", "100000"),
    ])
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory for this binary's outputs (the received events, the certificate).
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("interview-edge-clients-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    })
}

/// A self-signed certificate for `localhost` (the Node SDK only speaks `wss:`), and its key.
fn tls_material() -> &'static (PathBuf, PathBuf) {
    static TLS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    TLS.get_or_init(|| {
        let (cert, key) = (scratch().join("cert.pem"), scratch().join("key.pem"));
        let status = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
            .args(["-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl (Debian: apt-get install openssl)");
        assert!(status.success(), "openssl could not make a test certificate");
        (cert, key)
    })
}

/// A candidate, their interview, and a ticket for it.
async fn interview() -> (String, String) {
    let token = app().register("Client Candidate").await.token;
    let id = app().start_id(&token, "react").await;
    (token, id)
}

async fn ticket(token: &str, id: &str) -> String {
    let (status, body) = app().ticket(token, id).await;
    assert_eq!(status, 200, "ticket: {body}");
    body["ticket"].as_str().unwrap().to_owned()
}

/// The base URL a developer configures: the interview.
fn base_url(id: &str) -> String {
    app().url(&format!("/api/v1/interviews/{id}"))
}

/// Runs a client script; its summary (the last stdout line) and the events it received.
fn run(name: &str, mut cmd: Command) -> (Value, Vec<Value>, PathBuf) {
    let out = scratch().join(format!("{name}-{}.jsonl", common::unique()));
    cmd.arg(&out).current_dir(root()).stdin(Stdio::null());
    let output = cmd.output().unwrap_or_else(|e| panic!("{name}: {e} (run scripts/setup)"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{name} failed: {stdout}\n{stderr}");
    let summary: Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("{name} printed no summary: {stdout}\n{stderr}"));
    let events = std::fs::read_to_string(&out)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON event"))
        .collect();
    (summary, events, out)
}

fn python(script: &str) -> Command {
    let mut cmd = Command::new(root().join(".venv/bin/python"));
    cmd.arg(root().join("tests/clients").join(script));
    cmd
}

fn node(script: &str) -> Command {
    let (cert, key) = tls_material();
    let mut cmd = Command::new(root().join("node_modules/.bin/node"));
    cmd.arg(root().join("tests/clients").join(script))
        .env("NODE_EXTRA_CA_CERTS", cert)
        .env("TLS_CERT", cert)
        .env("TLS_KEY", key);
    cmd
}

/// Every GA event (at least `min`) validates strictly against the Python SDK's types.
fn assert_strictly_valid(events_file: &Path, min: u64) {
    let output = python("validate.py").arg(events_file).output().expect("validate.py");
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("validate.py: {}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(report["failures"], json!([]), "strict validation failures");
    assert!(report["validated"].as_u64().unwrap() >= min, "{report}");
}

/// What every client must have seen: `session.created` first, an `event_id` on every event,
/// every item naming its predecessor, one item id per question, then the completion.
fn assert_protocol(name: &str, summary: &Value, events: &[Value]) {
    assert_eq!(events.first().map(|e| e["type"].clone()), Some(json!("session.created")), "{name}");
    for e in events {
        assert!(e["event_id"].as_str().is_some_and(|id| !id.is_empty()), "{name}: no event_id on {e}");
        let t = e["type"].as_str().unwrap();
        if t.starts_with("conversation.item.") && t != "conversation.item.retrieved" {
            assert!(e.get("previous_item_id").is_some(), "{name}: {e}");
            let first_question = e["previous_item_id"].is_null();
            assert!(!first_question || e["item"]["id"] == summary["questions"][0], "{name}: {e}");
        }
        assert!(
            e.pointer("/session/instructions").is_none() && e.pointer("/session/tools").is_none(),
            "{name}: {e}"
        );
    }
    let questions: Vec<&str> =
        summary["questions"].as_array().unwrap().iter().map(|q| q.as_str().unwrap()).collect();
    let unique: std::collections::HashSet<_> = questions.iter().collect();
    assert_eq!(unique.len(), questions.len(), "{name}: one item per question: {questions:?}");
    assert_eq!(questions.len() as u64, summary["answers"].as_u64().unwrap() + 1, "{name}: {summary}");
    assert!(events.iter().all(|e| e["type"] != "error"), "{name}: an error event");
    assert_eq!(summary["completed"], true, "{name}: {summary}");
}

/// The interview completed, with one answer per turn in the log.
async fn assert_completed(token: &str, id: &str, answers: u64) {
    let (_, interview) = app().get(token, &format!("/api/v1/interviews/{id}")).await;
    assert_eq!(interview["status"], "completed", "{interview}");
    let log = app().messages(token, id).await;
    assert_eq!(log.len() as u64, 2 * answers + 1, "question, then answer + reply per turn");
}

#[tokio::test]
async fn the_python_sdk_finishes_an_interview_unmodified() {
    let (token, id) = interview().await;
    let t = ticket(&token, &id).await;
    let mut cmd = python("python_openai.py");
    cmd.args([&base_url(&id), &t]);
    let (summary, events, file) = run("python", cmd);
    assert_eq!(summary.get("exception"), None, "{summary}");
    assert_eq!(summary["session_updated"], true, "session.update is answered with session.updated");
    assert_eq!(summary["retrieved"], summary["questions"][0], "an item is retrieved by its id");
    assert_eq!(summary["error_echo"], "evt_steer", "a refused event's error echoes its event_id");
    // The refused response.create is the only error; everything else is the protocol.
    let errors: Vec<&Value> = events.iter().filter(|e| e["type"] == "error").collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["error"]["code"], "event_not_allowed");
    let rest: Vec<Value> = events.iter().filter(|e| e["type"] != "error").cloned().collect();
    assert_protocol("python", &summary, &rest);
    assert_strictly_valid(&file, 30);
    assert_completed(&token, &id, summary["answers"].as_u64().unwrap()).await;
}

async fn node_openai(kind: &str) {
    let (token, id) = interview().await;
    let t = ticket(&token, &id).await;
    let mut cmd = node("node_openai.mjs");
    cmd.args([kind, &base_url(&id), &t]);
    let (summary, events, file) = run(kind, cmd);
    assert_eq!(summary["errors"], json!([]), "{summary}");
    assert_eq!(summary["close_code"], 1000, "{summary}");
    assert_protocol(kind, &summary, &events);
    assert_strictly_valid(&file, 30);
    assert_completed(&token, &id, summary["answers"].as_u64().unwrap()).await;
}

#[tokio::test]
async fn the_node_sdk_ws_client_finishes_an_interview_unmodified() {
    node_openai("ws").await;
}

#[tokio::test]
async fn the_node_sdk_browser_style_client_finishes_an_interview_unmodified() {
    // The runtime's WebSocket, as in a browser: the ticket rides in a subprotocol and the
    // handshake fails unless the server answers `realtime`.
    node_openai("websocket").await;
}

#[tokio::test]
async fn the_agents_sdk_finishes_an_interview_with_history_in_order() {
    let (token, id) = interview().await;
    let t = ticket(&token, &id).await;
    let mut cmd = node("agents_realtime.mjs");
    cmd.args([&base_url(&id), &t]);
    let (summary, events, file) = run("agents", cmd);
    assert_eq!(summary["errors"], json!([]), "{summary}");
    assert_protocol("agents", &summary, &events);
    assert_strictly_valid(&file, 30);
    assert_completed(&token, &id, summary["answers"].as_u64().unwrap()).await;
    // The agents SDK orders history by previous_item_id: question, answer, question, …
    let history = summary["history"].as_array().unwrap();
    let roles: Vec<&str> = history.iter().map(|h| h["role"].as_str().unwrap()).collect();
    let expected: Vec<&str> =
        (0..history.len()).map(|i| if i % 2 == 0 { "assistant" } else { "user" }).collect();
    assert_eq!(roles, expected, "{history:?}");
    let assistant_ids: Vec<&Value> = history.iter().step_by(2).map(|h| &h["id"]).collect();
    let questions: Vec<&Value> = summary["questions"].as_array().unwrap().iter().collect();
    assert_eq!(assistant_ids, questions);
}

#[tokio::test]
async fn a_reconnect_replays_the_question_under_the_same_item_id() {
    let (token, id) = interview().await;
    let t = ticket(&token, &id).await;
    let mut cmd = python("python_openai.py");
    cmd.args([base_url(&id).as_str(), &t]).env("MAX_ANSWERS", "1");
    let (first, _, _) = run("python-first", cmd);
    assert_eq!(first.get("exception"), None, "{first}");
    assert_eq!(first["answers"], 1);
    let streamed = first["questions"][1].clone();

    let t = ticket(&token, &id).await;
    let mut cmd = python("python_openai.py");
    cmd.args([base_url(&id).as_str(), &t]).env("MAX_ANSWERS", "0");
    let (second, events, file) = run("python-again", cmd);
    assert_eq!(second.get("exception"), None, "{second}");
    assert_eq!(second["questions"][0], streamed, "the replay reuses the streamed item id");
    let replay = events.iter().find(|e| e["type"] == "conversation.item.done").unwrap();
    assert_eq!(replay["previous_item_id"], first_answer_item(&first, &streamed), "{replay}");
    assert_strictly_valid(&file, 4);
}

/// The item before the streamed reply: the answer (the reply's `previous_item_id` when streamed).
fn first_answer_item(_first: &Value, streamed: &Value) -> Value {
    // Item ids are `item_{interview}_{sequence}`: the answer is the message before the reply.
    let id = streamed.as_str().unwrap();
    let (prefix, seq) = id.rsplit_once('_').unwrap();
    json!(format!("{prefix}_{}", seq.parse::<u64>().unwrap() - 1))
}

#[tokio::test]
async fn every_ticket_carrier_and_path_refuses_alike_before_the_upgrade() {
    let (token, id) = interview().await;
    let unknown = format!("rt1_{}", "A".repeat(32));
    let paths = [format!("/api/v1/realtime/{id}"), format!("/api/v1/interviews/{id}/realtime")];
    for path in &paths {
        let url = app().ws_url(path);
        let carriers: [Vec<(&str, String)>; 3] = [
            vec![],
            vec![("authorization", format!("Bearer {unknown}"))],
            vec![("sec-websocket-protocol", format!("realtime, openai-insecure-api-key.{unknown}"))],
        ];
        for headers in &carriers {
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let refused =
                common::ws::connect_with_headers(&url, &headers).await.err().and_then(|e| e.status());
            assert_eq!(refused, Some(401), "{path} {headers:?}");
        }
    }
    // A good ticket opens the new path in each carrier (each ticket once).
    for carrier in ["query", "bearer", "protocol"] {
        let t = ticket(&token, &id).await;
        let path = format!("/api/v1/interviews/{id}/realtime");
        let (url, headers) = match carrier {
            "query" => (app().ws_url(&format!("{path}?ticket={t}&model=gpt-realtime")), vec![]),
            "bearer" => (app().ws_url(&path), vec![("authorization", format!("Bearer {t}"))]),
            _ => (
                app().ws_url(&path),
                vec![("sec-websocket-protocol", format!("realtime, openai-insecure-api-key.{t}"))],
            ),
        };
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut ws = common::ws::connect_with_headers(&url, &headers)
            .await
            .unwrap_or_else(|e| panic!("{carrier}: {e:?}"));
        let first = ws.next_json(std::time::Duration::from_secs(15)).await.unwrap();
        assert_eq!(first["type"], "session.created", "{carrier}: {first}");
    }
    // An unknown interview on the new path: the same 401.
    let missing = "00000000-0000-4000-8000-000000000000";
    let url = app().ws_url(&format!("/api/v1/interviews/{missing}/realtime?ticket={unknown}"));
    assert_eq!(common::ws::connect(&url).await.err().and_then(|e| e.status()), Some(401));
}
