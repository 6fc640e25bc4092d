//! A fake OpenAI-compatible server for the integration tests: `POST /v1/chat/completions` with
//! structured output (the interview turn schema of `interview_edge::ai::chat`), `GET /v1/models`,
//! `POST /v1/audio/transcriptions` (multipart), `POST /v1/audio/speech`, and the Realtime
//! WebSocket `GET /v1/realtime?model=…` on the same listener (GA events; see [`realtime`]).
//!
//! It listens on a free loopback port (tests point the Worker at it with
//! `--var OPENAI_BASE_URL:http://127.0.0.1:P/v1`) and serves HTTP/1.1 with hyper (keep-alive,
//! pipelining, chunked bodies, the Realtime upgrade); multipart bodies are read with `multer`.
//! Accepted sockets have TCP_NODELAY and every answer leaves in one write, so the fake adds no
//! Nagle/delayed-ACK stall to the latencies the tests measure.
//!
//! Answers are steerable from the candidate's text: the latest `user` message containing `STRONG`
//! is evaluated excellent (accuracy 0.95, clarity 0.9), `WEAK` poor (0.1, 0.2), anything else
//! fair (0.5, 0.5). Every answer carries four distinct next questions and a `usage` block.
//!
//! Behaviour injection, shared and mutable from tests while the server runs: a fixed latency; a
//! queue of [`Failure`]s served (to any API path) before normal answers; a [`FaultMode`] (every
//! Nth call, or with probability p from a seeded LCG) for fault tests. Counters (total and per
//! path) and every request (method, path, headers, body) are recorded, so tests can assert one
//! model call per turn and the grounding it carried. The fake also checks what the real API
//! checks and a client could get wrong: a bearer token, a JSON body with `model` and `messages`,
//! and strict-mode schema rules (every object `additionalProperties: false`, every key required).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};

pub mod realtime;

#[allow(unused_imports)] // re-exported for the tests that use them
pub use realtime::{RealtimeBehaviour, RealtimeConnection, RealtimeDrop};

/// The chat-completions path.
pub const CHAT_PATH: &str = "/v1/chat/completions";
/// The Realtime WebSocket path (`?model=…` required).
pub const REALTIME_PATH: &str = "/v1/realtime";
/// The speech-to-text path (multipart).
pub const TRANSCRIPTIONS_PATH: &str = "/v1/audio/transcriptions";
/// The text-to-speech path (JSON in, audio bytes out).
pub const SPEECH_PATH: &str = "/v1/audio/speech";
/// What `/v1/audio/transcriptions` answers when no text is queued: a fair answer (neither
/// `STRONG` nor `WEAK`).
pub const DEFAULT_TRANSCRIPTION: &str =
    "I would use useMemo to cache an expensive computed value between renders, but I am not sure about the dependencies.";

/// Largest request body the fake accepts.
const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// One injected failure.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// This HTTP status with an OpenAI error body, and a `Retry-After` (seconds) if given.
    Status { status: u16, retry_after: Option<u32> },
    /// 200 with a chat completion whose `message.content` is not JSON.
    Malformed,
    /// 200 with `finish_reason: "length"` and cut-off JSON content.
    Truncated,
    /// 200 with `content: null` and a `refusal`.
    Refusal,
    /// Never answers (the connection stays open until the client gives up and closes it).
    Hang,
}

impl Failure {
    /// A plain error status.
    pub fn status(status: u16) -> Failure {
        Failure::Status { status, retry_after: None }
    }

    /// 429 `rate_limit_exceeded` with `Retry-After: {seconds}`.
    pub fn rate_limited(seconds: u32) -> Failure {
        Failure::Status { status: 429, retry_after: Some(seconds) }
    }
}

/// A standing fault pattern, applied after the failure queue is empty.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum FaultMode {
    #[default]
    None,
    /// API calls number n, 2n, 3n, … (counting every request since start) fail with `failure`.
    EveryNth { n: u64, failure: Failure },
    /// Each API call fails with `failure` with this probability, drawn from an LCG seeded with
    /// `seed` (the same seed and call sequence always fail the same calls).
    Random { probability: f64, seed: u64, failure: Failure },
}

/// What the fake answers and how. Mutate it through [`FakeOpenAi::behaviour`] or the helpers.
#[derive(Debug, Default)]
pub struct Behaviour {
    /// Added before every answer (failures included; a hang never answers).
    pub latency: Duration,
    /// Served in order, one per API call, before normal answers.
    pub failures: VecDeque<Failure>,
    pub fault_mode: FaultMode,
    /// When set, the bearer token must equal it (else 401); when not, any bearer token passes.
    /// Applies to every path, the Realtime handshake included.
    pub api_key: Option<String>,
    /// Texts `/v1/audio/transcriptions` answers, one per call, before [`DEFAULT_TRANSCRIPTION`].
    pub transcriptions: VecDeque<String>,
    /// The Realtime WebSocket's knobs.
    pub realtime: RealtimeBehaviour,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// Request target as sent (with the query string).
    pub target: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Value::Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The parts of a multipart body (`/v1/audio/transcriptions`), if the request is multipart.
    pub fn multipart_parts(&self) -> Vec<MultipartPart> {
        let content_type = self.header("content-type").unwrap_or_default();
        multipart_parts(content_type, &self.body).unwrap_or_default()
    }
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone)]
pub struct MultipartPart {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

impl MultipartPart {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// Counters and records.
#[derive(Debug, Default)]
struct Records {
    total: usize,
    per_path: HashMap<String, usize>,
    requests: Vec<RecordedRequest>,
    lcg: Option<u64>,
    /// One entry per accepted Realtime WebSocket, in connection order.
    realtime: Vec<RealtimeConnection>,
}

/// A running fake. Dropping it does not stop the listener task; it ends with the test's runtime.
pub struct FakeOpenAi {
    /// `http://127.0.0.1:P/v1` (the Worker's `OPENAI_BASE_URL`).
    pub base_url: String,
    /// `ws://127.0.0.1:P/v1/realtime?model=gpt-realtime` (the Worker's `OPENAI_REALTIME_URL`).
    pub realtime_url: String,
    pub port: u16,
    pub behaviour: Arc<Mutex<Behaviour>>,
    records: Arc<Mutex<Records>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock must not hide the real failure behind a poison.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeOpenAi {
    /// The test binary's one fake, started on a runtime of its own (a thread that lives as long
    /// as the process) so it outlives every test's runtime.
    pub fn shared() -> &'static FakeOpenAi {
        static FAKE: std::sync::OnceLock<FakeOpenAi> = std::sync::OnceLock::new();
        FAKE.get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Runtime::new().expect("runtime");
                rt.block_on(async {
                    tx.send(FakeOpenAi::start().await).expect("send fake");
                    std::future::pending::<()>().await;
                });
            });
            rx.recv().expect("fake started")
        })
    }

    /// Starts the fake on a free loopback port, on the current tokio runtime.
    pub async fn start() -> FakeOpenAi {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind fake");
        let port = listener.local_addr().expect("addr").port();
        let behaviour = Arc::new(Mutex::new(Behaviour::default()));
        let records = Arc::new(Mutex::new(Records::default()));
        let (b, r) = (behaviour.clone(), records.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let _ = socket.set_nodelay(true);
                tokio::spawn(serve_connection(socket, b.clone(), r.clone()));
            }
        });
        FakeOpenAi {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            realtime_url: format!("ws://127.0.0.1:{port}{REALTIME_PATH}?model=gpt-realtime"),
            port,
            behaviour,
            records,
        }
    }

    /// How many requests reached `path` (e.g. `/v1/chat/completions`), query strings ignored.
    pub fn calls_to(&self, path: &str) -> usize {
        lock(&self.records).per_path.get(path).copied().unwrap_or(0)
    }

    /// How many requests arrived in all.
    pub fn total_calls(&self) -> usize {
        lock(&self.records).total
    }

    /// Every request to `path`, oldest first.
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        lock(&self.records).requests.iter().filter(|r| r.path == path).cloned().collect()
    }

    /// The JSON bodies of the chat-completions requests, oldest first.
    pub fn chat_bodies(&self) -> Vec<Value> {
        self.requests_to(CHAT_PATH).iter().map(RecordedRequest::json).collect()
    }

    /// The last chat-completions request body.
    pub fn last_chat_body(&self) -> Option<Value> {
        self.chat_bodies().pop()
    }

    pub fn set_latency(&self, latency: Duration) {
        lock(&self.behaviour).latency = latency;
    }

    /// Queues failures to serve before normal answers.
    pub fn push_failures(&self, failures: impl IntoIterator<Item = Failure>) {
        lock(&self.behaviour).failures.extend(failures);
    }

    pub fn set_fault_mode(&self, mode: FaultMode) {
        lock(&self.records).lcg = None;
        lock(&self.behaviour).fault_mode = mode;
    }

    pub fn set_api_key(&self, key: Option<&str>) {
        lock(&self.behaviour).api_key = key.map(str::to_owned);
    }

    /// Queues texts for `/v1/audio/transcriptions` (one per call, then the default).
    pub fn push_transcriptions<S: Into<String>>(&self, texts: impl IntoIterator<Item = S>) {
        lock(&self.behaviour).transcriptions.extend(texts.into_iter().map(Into::into));
    }

    /// Changes the Realtime knobs in place, e.g. `fake.realtime(|r| r.event_latency = ms(5))`.
    pub fn realtime(&self, change: impl FnOnce(&mut RealtimeBehaviour)) {
        change(&mut lock(&self.behaviour).realtime);
    }

    /// Queues user transcripts for the Realtime input-audio commits (one per commit, then the
    /// default [`realtime::DEFAULT_AUDIO_TRANSCRIPT`]).
    pub fn push_realtime_transcripts<S: Into<String>>(&self, texts: impl IntoIterator<Item = S>) {
        lock(&self.behaviour).realtime.transcripts.extend(texts.into_iter().map(Into::into));
    }

    /// How many Realtime WebSockets were accepted (refused handshakes are not counted; they are in
    /// `calls_to(REALTIME_PATH)`).
    pub fn realtime_connections(&self) -> usize {
        lock(&self.records).realtime.len()
    }

    /// A snapshot of the Realtime connection number `index` (0-based, connection order).
    pub fn realtime_connection(&self, index: usize) -> Option<RealtimeConnection> {
        lock(&self.records).realtime.get(index).cloned()
    }

    /// The client events received on connection `index`, oldest first (empty if no such
    /// connection).
    pub fn realtime_client_events(&self, index: usize) -> Vec<Value> {
        self.realtime_connection(index).map(|c| c.client_events).unwrap_or_default()
    }

    /// Every client event of type `event_type`, over all connections, oldest first.
    pub fn realtime_client_events_of_type(&self, event_type: &str) -> Vec<Value> {
        lock(&self.records)
            .realtime
            .iter()
            .flat_map(|c| c.client_events.iter().filter(|e| e["type"] == event_type).cloned())
            .collect()
    }

    /// The server events sent on connection `index`, oldest first.
    pub fn realtime_server_events(&self, index: usize) -> Vec<Value> {
        self.realtime_connection(index).map(|c| c.server_events).unwrap_or_default()
    }

    /// Back to normal answers with no latency, and counters and records cleared.
    pub fn reset(&self) {
        *lock(&self.behaviour) = Behaviour::default();
        *lock(&self.records) = Records::default();
    }
}

/// A request as the fake sees it: hyper's head and the whole body.
struct Request {
    method: String,
    target: String,
    /// Names lower-cased, in arrival order.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A response to write.
struct Response {
    status: u16,
    content_type: &'static str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }

    fn into_hyper(self, request_number: usize) -> HyperResponse {
        let mut builder = hyper::Response::builder()
            .status(self.status)
            .header("content-type", self.content_type)
            .header("x-request-id", format!("req_fake_{request_number}"));
        for (k, v) in &self.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        builder.body(Full::new(Bytes::from(self.body))).unwrap_or_else(|_| {
            let mut fallback = hyper::Response::new(Full::new(Bytes::new()));
            *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
    }
}

type HyperResponse = hyper::Response<Full<Bytes>>;

/// What to do with one request.
enum Plan {
    Answer(Response),
    Hang,
    /// Accept the Realtime WebSocket (the request passed the bearer and model checks).
    Upgrade,
}

/// Serves one accepted connection with hyper's HTTP/1.1 server (keep-alive, pipelining,
/// `Expect: 100-continue`, chunked bodies), upgrades included. The response head and body are
/// flattened into one buffer (`writev(false)`), so each answer leaves in one write; with
/// TCP_NODELAY set by the accept loop no Nagle/delayed-ACK stall is added.
async fn serve_connection(socket: TcpStream, behaviour: Arc<Mutex<Behaviour>>, records: Arc<Mutex<Records>>) {
    let service = hyper::service::service_fn(move |request| {
        let (behaviour, records) = (behaviour.clone(), records.clone());
        async move { Ok::<_, std::convert::Infallible>(handle(request, behaviour, records).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .writev(false)
        .serve_connection(TokioIo::new(socket), service)
        .with_upgrades()
        .await;
}

/// Answers one request. A hang never returns (hyper drops the future when the client closes).
async fn handle(
    mut hyper_request: hyper::Request<Incoming>,
    behaviour: Arc<Mutex<Behaviour>>,
    records: Arc<Mutex<Records>>,
) -> HyperResponse {
    let on_upgrade = hyper::upgrade::on(&mut hyper_request);
    let (head, body) = hyper_request.into_parts();
    let headers = head
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).trim().to_owned()))
        .collect();
    let target = head.uri.path_and_query().map_or_else(|| head.uri.to_string(), |pq| pq.as_str().to_owned());
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => {
            let body = error_body("Request body too large.", "invalid_request_error", None, None);
            return Response::json(413, &body).into_hyper(0);
        }
    };
    let request = Request { method: head.method.to_string(), target, headers, body };
    let (plan, latency, number) = plan(&request, &behaviour, &records);
    match plan {
        Plan::Hang => std::future::pending().await,
        Plan::Answer(response) => {
            tokio::time::sleep(latency).await;
            response.into_hyper(number)
        }
        Plan::Upgrade => {
            tokio::time::sleep(latency).await;
            let key = request.header("sec-websocket-key").unwrap_or_default();
            let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
            tokio::spawn(async move {
                if let Ok(upgraded) = on_upgrade.await {
                    let io = TokioIo::new(upgraded);
                    realtime::serve(io, &request.target, request.headers, behaviour, records).await;
                }
            });
            let mut response = Response {
                status: 101,
                content_type: "application/octet-stream",
                headers: vec![
                    ("upgrade".into(), "websocket".into()),
                    ("connection".into(), "Upgrade".into()),
                    ("sec-websocket-accept".into(), accept),
                ],
                body: Vec::new(),
            }
            .into_hyper(number);
            response.headers_mut().remove("content-type");
            response
        }
    }
}

/// Records the request and decides its answer (no lock is held across an await).
fn plan(
    request: &Request,
    behaviour: &Mutex<Behaviour>,
    records: &Mutex<Records>,
) -> (Plan, Duration, usize) {
    let path = request.target.split('?').next().unwrap_or("/").to_owned();
    let number = {
        let mut r = lock(records);
        r.total += 1;
        *r.per_path.entry(path.clone()).or_default() += 1;
        r.requests.push(RecordedRequest {
            method: request.method.clone(),
            path: path.clone(),
            target: request.target.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
        });
        r.total
    };
    let mut b = lock(behaviour);
    let latency = b.latency;

    let bearer = request.header("authorization").and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    let authorized = match (&b.api_key, bearer) {
        (_, None) => false,
        (None, Some(token)) => !token.is_empty(),
        (Some(key), Some(token)) => key == token,
    };
    if !authorized {
        let body =
            error_body("Incorrect API key provided.", "invalid_request_error", None, Some("invalid_api_key"));
        return (Plan::Answer(Response::json(401, &body)), latency, number);
    }

    let failure = b.failures.pop_front().or_else(|| match b.fault_mode.clone() {
        FaultMode::None => None,
        FaultMode::EveryNth { n, failure } => (n > 0 && (number as u64).is_multiple_of(n)).then_some(failure),
        FaultMode::Random { probability, seed, failure } => {
            let mut r = lock(records);
            let state = r.lcg.get_or_insert(seed);
            *state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let draw = (*state >> 11) as f64 / (1u64 << 53) as f64;
            (draw < probability).then_some(failure)
        }
    });
    drop(b);

    let upgrade = request.header("upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let plan = match failure {
        Some(Failure::Hang) => Plan::Hang,
        Some(Failure::Status { status, retry_after }) => Plan::Answer(injected_status(status, retry_after)),
        _ if path == REALTIME_PATH => match realtime::handshake_problem(request, upgrade) {
            Some(response) => Plan::Answer(response),
            None => Plan::Upgrade,
        },
        Some(other) => Plan::Answer(route(request, &path, number, Some(&other), behaviour)),
        None => Plan::Answer(route(request, &path, number, None, behaviour)),
    };
    (plan, latency, number)
}

fn error_body(message: &str, error_type: &str, param: Option<&str>, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": error_type, "param": param, "code": code}})
}

fn injected_status(status: u16, retry_after: Option<u32>) -> Response {
    let (error_type, code) = match status {
        429 => ("requests", Some("rate_limit_exceeded")),
        400 => ("invalid_request_error", None),
        401 => ("invalid_request_error", Some("invalid_api_key")),
        404 => ("invalid_request_error", Some("model_not_found")),
        503 => ("server_error", Some("server_is_overloaded")),
        s if s >= 500 => ("server_error", None),
        _ => ("invalid_request_error", None),
    };
    let body = error_body(&format!("injected {status}"), error_type, None, code);
    let mut response = Response::json(status, &body);
    if let Some(seconds) = retry_after {
        response.headers.push(("Retry-After".into(), seconds.to_string()));
    }
    response
}

fn route(
    request: &Request,
    path: &str,
    number: usize,
    failure: Option<&Failure>,
    behaviour: &Mutex<Behaviour>,
) -> Response {
    match (request.method.as_str(), path) {
        ("POST", CHAT_PATH) => chat_completion(request, number, failure),
        ("POST", TRANSCRIPTIONS_PATH) => transcription(request, behaviour),
        ("POST", SPEECH_PATH) => speech(request),
        ("GET", "/v1/models") => Response::json(
            200,
            &json!({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]}),
        ),
        (method, path) => Response::json(
            404,
            &error_body(
                &format!("Unknown request URL: {method} {path}."),
                "invalid_request_error",
                None,
                Some("unknown_url"),
            ),
        ),
    }
}

/// The text of the latest `user` message (string content, or the text parts of an array).
fn latest_user_text(messages: &[Value]) -> String {
    let Some(message) = messages.iter().rev().find(|m| m["role"] == "user") else { return String::new() };
    match &message["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join(" "),
        _ => String::new(),
    }
}

/// The first strict-mode violation in a schema, if any.
fn strict_violation(node: &Value, path: &str) -> Option<String> {
    if node.get("type") == Some(&json!("object")) {
        if node.get("additionalProperties") != Some(&json!(false)) {
            return Some(format!(
                "In context={path}, 'additionalProperties' is required to be supplied and to be false."
            ));
        }
        let props = node.get("properties").and_then(Value::as_object)?;
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())?;
        if let Some(missing) = props.keys().find(|k| !required.contains(&k.as_str())) {
            return Some(format!(
                "In context={path}, 'required' is required to be supplied and to be an array including every key in properties. Missing '{missing}'."
            ));
        }
        for (k, v) in props {
            if let Some(violation) = strict_violation(v, &format!("{path}.{k}")) {
                return Some(violation);
            }
        }
    }
    if let Some(items) = node.get("items") {
        return strict_violation(items, &format!("{path}[]"));
    }
    None
}

fn chat_completion(request: &Request, number: usize, failure: Option<&Failure>) -> Response {
    let invalid = |message: &str, param: Option<&str>| {
        Response::json(400, &error_body(message, "invalid_request_error", param, None))
    };
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return invalid("We could not parse the JSON body of your request.", None);
    };
    let Some(model) = body["model"].as_str() else {
        return invalid("you must provide a model parameter", Some("model"));
    };
    let Some(messages) = body["messages"].as_array().filter(|m| !m.is_empty()) else {
        return invalid("Invalid 'messages': empty array.", Some("messages"));
    };
    let format = &body["response_format"];
    if format["type"] == "json_schema" {
        let spec = &format["json_schema"];
        let name = spec["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            return invalid(
                "Missing required parameter: 'response_format.json_schema.name'.",
                Some("response_format"),
            );
        }
        if spec["strict"] == true {
            let schema = &spec["schema"];
            let violation = if schema["type"] == "object" {
                strict_violation(schema, "(root)")
            } else {
                Some("schema must be a JSON Schema of 'type: \"object\"'".to_owned())
            };
            if let Some(v) = violation {
                return invalid(
                    &format!("Invalid schema for response_format '{name}': {v}"),
                    Some("response_format"),
                );
            }
        }
    }

    let answer = latest_user_text(messages);
    let schema_name = format["json_schema"]["name"].as_str().unwrap_or_default();
    let content = if schema_name == "interview_assessment" {
        assessment_content(&format["json_schema"]["schema"], &body.to_string())
    } else if schema_name == "resume_extraction" {
        resume_content()
    } else {
        turn_content(&answer, number)
    };

    let (content, finish_reason, refusal) = match failure {
        Some(Failure::Malformed) => {
            (json!("Sure! Here is my evaluation: it was fine {not json"), "stop", Value::Null)
        }
        Some(Failure::Truncated) => {
            let cut: String = content.chars().take(content.len() / 2).collect();
            (json!(cut), "length", Value::Null)
        }
        Some(Failure::Refusal) => (Value::Null, "stop", json!("I'm sorry, I can't help with that.")),
        _ => (json!(content), "stop", Value::Null),
    };
    let prompt_chars: usize = messages.iter().filter_map(|m| m["content"].as_str()).map(str::len).sum();
    let prompt_tokens = prompt_chars / 4 + 4 * messages.len() + 3;
    let completion_tokens = content.as_str().map_or(12, |c| c.len() / 4 + 1);
    Response::json(
        200,
        &json!({
            "id": format!("chatcmpl-fake{number}"),
            "object": "chat.completion",
            "created": 1_767_225_600,
            "model": model,
            "service_tier": "default",
            "choices": [{
                "index": 0,
                "finish_reason": finish_reason,
                "logprobs": null,
                "message": {"role": "assistant", "content": content, "refusal": refusal, "annotations": []}
            }],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                    "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
            }
        }),
    )
}

/// The structured turn answer, steered by the candidate's text: "STRONG" → excellent, "WEAK" →
/// poor, anything else fair.
fn turn_content(answer: &str, number: usize) -> String {
    let (quality, accuracy, clarity, missed) = if answer.contains("STRONG") {
        ("excellent", 0.95, 0.9, json!([]))
    } else if answer.contains("WEAK") {
        ("poor", 0.1, 0.2, json!(["core concept", "trade-offs"]))
    } else {
        ("fair", 0.5, 0.5, json!(["trade-offs"]))
    };
    json!({
        "evaluation": {
            "answer_quality": quality,
            "technical_accuracy": accuracy,
            "explanation_clarity": clarity,
            "identified_skills": ["fake skill"],
            "missed_concepts": missed,
        },
        "next_questions": {
            "probe": format!("Fake probe {number}: which part of your last answer would you explain in more depth?"),
            "easier": format!("Fake easier {number}: what is the basic idea behind this topic?"),
            "same": format!("Fake same {number}: how would you apply this topic in a typical project?"),
            "harder": format!("Fake harder {number}: what trade-offs appear when this topic meets scale?"),
        }
    })
    .to_string()
}

/// A narrative for an assessment request, citing the first answer number the schema allows and
/// reasoning for every skill area the schema lists.
/// A narrative for an assessment request; when the transcript contains `QUOTE_WRONG_SCORE`, the
/// summary quotes a score the engine never computed (the service must not show it).
fn assessment_content(schema: &Value, request: &str) -> String {
    let seqs = &schema["properties"]["strengths"]["items"]["properties"]["evidence"]["items"]["enum"];
    let first = seqs.get(0).cloned().unwrap_or(json!(2));
    let areas: Vec<String> = schema["properties"]["ai_reasoning"]["properties"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let reasoning: serde_json::Map<String, Value> =
        areas.into_iter().map(|a| (a, json!(format!("Fake reasoning, see answer #{first}.")))).collect();
    json!({
        "strengths": [{"text": "Fake strength from the model.", "evidence": [first]},
                      {"text": "An invented claim.", "evidence": [9999]}],
        "weaknesses": [{"text": "Fake weakness from the model.", "evidence": [first]}],
        "ai_reasoning": reasoning,
        "recommended_actions": ["Fake action from the model."],
        "summary": if request.contains("QUOTE_WRONG_SCORE") {
            "Fake model summary. The candidate scored 99 out of 100 overall."
        } else {
            "Fake model summary. It is neutral."
        },
    })
    .to_string()
}

/// Splits a `multipart/form-data` body into its parts with `multer` (`None` if the content type
/// is not multipart/form-data with a boundary, or the body is not valid multipart). The body is
/// already in memory, so multer's stream never waits: the future completes on its first poll.
fn multipart_parts(content_type: &str, body: &[u8]) -> Option<Vec<MultipartPart>> {
    use futures_util::FutureExt;
    let boundary = multer::parse_boundary(content_type).ok()?;
    let chunk = Bytes::copy_from_slice(body);
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(chunk) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    async move {
        let mut parts = Vec::new();
        while let Some(field) = multipart.next_field().await.ok()? {
            let name = field.name().unwrap_or_default().to_owned();
            let filename = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(ToString::to_string);
            let data = field.bytes().await.ok()?.to_vec();
            parts.push(MultipartPart { name, filename, content_type, data });
        }
        Some(parts)
    }
    .now_or_never()
    .flatten()
}

/// `POST /v1/audio/transcriptions`: needs a multipart body with a non-empty `file` part (with a
/// filename) and a `model`; answers `{"text", "usage"}` with the next queued text or the default.
fn transcription(request: &Request, behaviour: &Mutex<Behaviour>) -> Response {
    let invalid = |message: &str, param: Option<&str>| {
        Response::json(400, &error_body(message, "invalid_request_error", param, None))
    };
    let content_type = request.header("content-type").unwrap_or_default();
    let Some(parts) = multipart_parts(content_type, &request.body) else {
        return invalid("Invalid Content-Type header: expected multipart/form-data with a boundary.", None);
    };
    let Some(model) = parts.iter().find(|p| p.name == "model").map(MultipartPart::text) else {
        return invalid("you must provide a model parameter", Some("model"));
    };
    let Some(file) = parts.iter().find(|p| p.name == "file") else {
        return invalid("Missing required parameter: 'file'.", Some("file"));
    };
    if file.filename.as_deref().is_none_or(|f| !f.contains('.')) || file.data.is_empty() {
        return invalid(
            "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
            Some("file"),
        );
    }
    let text = lock(behaviour).transcriptions.pop_front().unwrap_or_else(|| DEFAULT_TRANSCRIPTION.to_owned());
    let usage = if model == "whisper-1" {
        json!({"type": "duration", "seconds": (file.data.len() / 16_000).max(1)})
    } else {
        let audio_tokens = file.data.len() / 1_600 + 1;
        let output_tokens = text.len() / 4 + 1;
        json!({"type": "tokens", "input_tokens": audio_tokens,
               "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
               "output_tokens": output_tokens, "total_tokens": audio_tokens + output_tokens})
    };
    Response::json(200, &json!({"text": text, "usage": usage}))
}

/// `POST /v1/audio/speech`: needs JSON `model`, `input` (1–4096 chars) and `voice`; answers audio
/// bytes in `response_format` (default mp3): valid MP3 frames (`audio/mpeg`), a RIFF/WAVE file of
/// PCM16 24 kHz mono (`audio/wav`), raw PCM16 (`audio/pcm`), or bytes with the right magic for
/// opus/aac/flac. The length grows with the input (about 60 ms per character, capped at 10 s).
fn speech(request: &Request) -> Response {
    let invalid = |message: &str, param: Option<&str>| {
        Response::json(400, &error_body(message, "invalid_request_error", param, None))
    };
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return invalid("We could not parse the JSON body of your request.", None);
    };
    if body["model"].as_str().is_none_or(str::is_empty) {
        return invalid("you must provide a model parameter", Some("model"));
    }
    let Some(input) = body["input"].as_str().filter(|i| !i.is_empty()) else {
        return invalid("Missing required parameter: 'input'.", Some("input"));
    };
    if input.chars().count() > 4096 {
        return invalid(
            "Invalid 'input': string too long. Expected a maximum length of 4096.",
            Some("input"),
        );
    }
    if body["voice"].as_str().is_none() && body["voice"]["id"].as_str().is_none() {
        return invalid("Missing required parameter: 'voice'.", Some("voice"));
    }
    let millis = (input.chars().count() * 60).clamp(200, 10_000);
    let format = body["response_format"].as_str().unwrap_or("mp3");
    let pcm = || realtime::pcm16_tone(millis);
    let (content_type, bytes) = match format {
        "mp3" => ("audio/mpeg", mp3_frames(millis)),
        "wav" => ("audio/wav", wav_file(&pcm())),
        "pcm" => ("audio/pcm", pcm()),
        "opus" => ("audio/ogg", [b"OggS".as_slice(), &[0u8; 60]].concat()),
        "aac" => ("audio/aac", [[0xFF, 0xF1, 0x50, 0x80].as_slice(), &[0u8; 60]].concat()),
        "flac" => ("audio/flac", [b"fLaC".as_slice(), &[0u8; 60]].concat()),
        other => {
            return invalid(
                &format!("Invalid value: '{other}'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'."),
                Some("response_format"),
            )
        }
    };
    Response { status: 200, content_type, headers: Vec::new(), body: bytes }
}

/// Silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, 417 bytes, about 26 ms each).
fn mp3_frames(millis: usize) -> Vec<u8> {
    let frames = millis / 26 + 1;
    let mut out = Vec::with_capacity(frames * 417);
    for _ in 0..frames {
        out.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        out.extend(std::iter::repeat_n(0u8, 413));
    }
    out
}

/// A RIFF/WAVE file around PCM16 mono 24 kHz samples.
fn wav_file(pcm: &[u8]) -> Vec<u8> {
    let data_len = pcm.len() as u32;
    let mut out = Vec::with_capacity(44 + pcm.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&24_000u32.to_le_bytes());
    out.extend_from_slice(&48_000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(pcm);
    out
}

/// A structured résumé extraction with values the built-in parser never produces, so a test can
/// tell the model's contribution apart.
fn resume_content() -> String {
    json!({
        "skills": ["Fake Model Skill"],
        "experience_years": 9,
        "education": ["Fake University"],
        "previous_roles": ["Fake Staff Engineer"],
        "technical_domains": [{"domain": "backend", "skills": ["Fake Model Skill"]}],
    })
    .to_string()
}
