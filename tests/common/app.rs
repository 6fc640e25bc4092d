//! [`TestApp`]: the one typed client every integration test drives the Worker with. It wraps the
//! binary's `wrangler dev` for a settings set ([`TestApp::with`]) and knows the API's request
//! shapes: JSON requests answering `(status, body)`, accounts (candidates, admins, staff),
//! interviews (start, answer with or without an `Idempotency-Key`, the log) and the realtime
//! socket (ticket, then the one WebSocket client of [`super::ws`]).
//!
//! ```ignore
//! let app = TestApp::with(&[("MAX_QUESTIONS", "4")]);
//! let token = app.candidate().await;
//! let id = app.start_id(&token, "react").await;
//! let (status, turn) = app.answer(&token, &id, "useMemo caches a value").await;
//! let mut ws = app.connect(&token, &id).await;
//! ```
//! A `token` of `""` sends no `Authorization` header (an anonymous caller).

use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

use super::ws::{self, ConnectError, WsClient};
use super::{client, run_script, server, server_with, unique, unique_ip, Server, PASSWORD};

/// The Worker under test, as one client sees it. Cheap to copy.
#[derive(Clone, Copy)]
pub struct TestApp {
    pub server: &'static Server,
}

/// A registered account.
#[derive(Debug, Clone)]
pub struct Account {
    pub email: String,
    pub token: String,
    pub user_id: String,
}

/// Sends `req`; returns the status and the JSON body (`Null` when there is none or it is not JSON).
/// Holds [`super::local_db`] shared, so no external `wrangler d1` process writes the local
/// database while the request runs.
pub async fn send(req: RequestBuilder) -> (u16, Value) {
    let _shared = super::local_db().read().await;
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The error code of an error envelope (`""` when there is none).
pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

/// One part of a multipart body: its name, `Some((file name, content type))` for a file, and
/// its bytes.
pub type Part<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

/// A `multipart/form-data` body by hand. Returns the `Content-Type` header (with its boundary)
/// and the body.
pub fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = format!("----test{}", unique());
    let mut body = Vec::new();
    for (name, file, data) in parts {
        let disposition = match file {
            Some((file_name, content_type)) => {
                format!("name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}")
            }
            None => format!("name=\"{name}\""),
        };
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl TestApp {
    /// The binary's server with the default settings.
    pub fn new() -> TestApp {
        TestApp { server: server() }
    }

    /// The binary's server with exactly these `--var` overrides (one server per settings set).
    pub fn with(vars: &[(&str, &str)]) -> TestApp {
        TestApp { server: server_with(vars) }
    }

    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// The `ws://` URL of `path_and_query`.
    pub fn ws_url(&self, path_and_query: &str) -> String {
        self.url(path_and_query).replacen("http://", "ws://", 1)
    }

    /// The server's output lines containing any of `needles`, for failure messages.
    pub fn log_lines(&self, needles: &[&str]) -> String {
        let logs = self.server.logs();
        logs.lines().filter(|l| needles.iter().any(|n| l.contains(n))).collect::<Vec<_>>().join("\n")
    }

    /// A request to `path` with the bearer `token` (none for `""`), to finish and send.
    pub fn request(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        let req = client().request(method, self.url(path));
        if token.is_empty() {
            req
        } else {
            req.bearer_auth(token)
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        send(self.request(Method::GET, path, token)).await
    }

    /// Polls `path` (every 250 ms, for `within` at most) until it answers 200; returns that body.
    /// Meanwhile only the statuses in `pending` are allowed (any status when it is empty).
    pub async fn wait_ok(
        &self,
        token: &str,
        path: &str,
        within: std::time::Duration,
        pending: &[u16],
    ) -> Value {
        let deadline = std::time::Instant::now() + within;
        loop {
            let (status, body) = self.get(token, path).await;
            if status == 200 {
                return body;
            }
            assert!(pending.is_empty() || pending.contains(&status), "{path}: {status} {body}");
            assert!(std::time::Instant::now() < deadline, "{path} never answered 200 (last {status} {body})");
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }

    /// POSTs `body` as JSON.
    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        send(self.request(Method::POST, path, token).json(body)).await
    }

    /// POSTs with no body.
    pub async fn post_empty(&self, token: &str, path: &str) -> (u16, Value) {
        send(self.request(Method::POST, path, token)).await
    }

    /// PUTs `body` as JSON.
    pub async fn put(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        send(self.request(Method::PUT, path, token).json(body)).await
    }

    pub async fn delete(&self, token: &str, path: &str) -> (u16, Value) {
        send(self.request(Method::DELETE, path, token)).await
    }

    /// POSTs a multipart body (see [`multipart`]).
    pub async fn post_multipart(&self, token: &str, path: &str, parts: &[Part<'_>]) -> (u16, Value) {
        let (content_type, body) = multipart(parts);
        send(self.request(Method::POST, path, token).header("Content-Type", content_type).body(body)).await
    }

    // ------------------------------------------------------------------------------ accounts

    /// Registers a candidate with a unique email from a fresh client IP (asserting 201).
    pub async fn register(&self, full_name: &str) -> Account {
        self.register_as(&format!("t-{}@example.com", unique()), full_name).await
    }

    /// Registers a candidate with `email` from a fresh client IP (asserting 201).
    pub async fn register_as(&self, email: &str, full_name: &str) -> Account {
        let email = email.to_owned();
        let (status, body) = send(
            self.request(Method::POST, "/api/v1/auth/register", "")
                .header("CF-Connecting-IP", unique_ip())
                .json(&json!({"email": email, "password": PASSWORD, "full_name": full_name})),
        )
        .await;
        assert_eq!(status, 201, "register: {body}");
        Account {
            email,
            token: body["token"].as_str().expect("token").to_owned(),
            user_id: body["user_id"].as_str().expect("user id").to_owned(),
        }
    }

    /// Registers a candidate; returns (token, user id).
    pub async fn candidate_with_id(&self, full_name: &str) -> (String, String) {
        let account = self.register(full_name).await;
        (account.token, account.user_id)
    }

    /// A fresh candidate's token.
    pub async fn candidate(&self) -> String {
        self.register("Test Candidate").await.token
    }

    /// Logs in with [`PASSWORD`] from a fresh client IP (asserting 200); returns the token.
    pub async fn login(&self, email: &str) -> String {
        let (status, body) = send(
            self.request(Method::POST, "/api/v1/auth/login", "")
                .header("CF-Connecting-IP", unique_ip())
                .json(&json!({"email": email, "password": PASSWORD})),
        )
        .await;
        assert_eq!(status, 200, "login: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// An admin made with the documented command (`scripts/create-admin`) on the server's state,
    /// logged in; returns the token.
    pub async fn admin(&self) -> String {
        self.create_admin(None).await
    }

    /// The first admin of a new organization named `org`, made with `scripts/create-admin --org`,
    /// logged in; returns the token.
    pub async fn admin_of_new_org(&self, org: &str) -> String {
        self.create_admin(Some(org)).await
    }

    async fn create_admin(&self, org: Option<&str>) -> String {
        let email = format!("admin-{}@example.com", unique());
        let state = self.server.state_dir.to_str().expect("utf-8 path").to_owned();
        let mut args = vec!["--email", email.as_str(), "--name", "Ada Admin", "--persist-to", state.as_str()];
        if let Some(cluster) = &self.server.postgres {
            args.extend(["--postgres", cluster.url.as_str()]);
        }
        if let Some(org) = org {
            args.extend(["--org", org]);
        }
        // The running server may hold the local D1 file's write lock for a moment (SQLITE_BUSY):
        // retry the documented command a few times.
        let mut last = String::new();
        for _ in 0..8 {
            let out = super::exclusive(|| {
                run_script("scripts/create-admin", &args, &[("ADMIN_PASSWORD", PASSWORD)])
            });
            if out.status.success() {
                return self.login(&email).await;
            }
            last = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(last.contains("SQLITE_BUSY"), "create-admin failed: {last}");
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        panic!("create-admin kept finding the database locked: {last}");
    }

    /// A staff member of `role` (`admin`, `recruiter`, `viewer`) created by `admin`, logged in.
    pub async fn staff(&self, admin: &str, role: &str) -> String {
        let email = format!("{role}-{}@example.com", unique());
        let (status, body) = self
            .post(
                admin,
                "/api/v1/admin/users",
                &json!({"email": email, "password": PASSWORD, "full_name": "Staff Member", "role": role}),
            )
            .await;
        assert_eq!(status, 201, "create staff: {body}");
        self.login(&email).await
    }

    // ---------------------------------------------------------------------------- interviews

    /// Starts an interview for `role` (asserting 201); returns the 201 body.
    pub async fn start(&self, token: &str, role: &str) -> Value {
        let (status, body) = self.post(token, "/api/v1/interviews/start", &json!({"role_type": role})).await;
        assert_eq!(status, 201, "start: {body}");
        body
    }

    /// Starts an interview for `role`; returns its id (a UUID).
    pub async fn start_id(&self, token: &str, role: &str) -> String {
        let id = self.start(token, role).await["id"].as_str().expect("interview id").to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "interview ids are UUIDs: {id}");
        id
    }

    /// Answers the current question with `text`.
    pub async fn answer(&self, token: &str, id: &str, text: &str) -> (u16, Value) {
        self.answer_keyed(token, id, text, None).await
    }

    /// Answers with an `Idempotency-Key` when `key` is given.
    pub async fn answer_keyed(&self, token: &str, id: &str, text: &str, key: Option<&str>) -> (u16, Value) {
        send(self.answer_request(token, id, text, key)).await
    }

    /// The answer request (with an `Idempotency-Key` when `key` is given), for tests that read
    /// the response's headers.
    pub fn answer_request(&self, token: &str, id: &str, text: &str, key: Option<&str>) -> RequestBuilder {
        let req = self
            .request(Method::POST, &format!("/api/v1/interviews/{id}/messages"), token)
            .json(&json!({ "message_text": text }));
        match key {
            Some(key) => req.header("Idempotency-Key", key),
            None => req,
        }
    }

    /// Answers with a multipart form (a legacy voice answer's `audio_file`).
    pub async fn answer_form(&self, token: &str, id: &str, form: reqwest::multipart::Form) -> (u16, Value) {
        send(self.request(Method::POST, &format!("/api/v1/interviews/{id}/messages"), token).multipart(form))
            .await
    }

    /// Answers and asserts 200; returns the turn.
    pub async fn answer_ok(&self, token: &str, id: &str, text: &str) -> Value {
        let (status, body) = self.answer(token, id, text).await;
        assert_eq!(status, 200, "answer: {body}");
        body
    }

    /// Answers once, ends the interview (asserting 200 each) and waits for its assessment (202
    /// while it is being written); returns the assessment.
    pub async fn complete_assessed(&self, token: &str, id: &str, answer: &str) -> Value {
        self.answer_ok(token, id, answer).await;
        let (status, body) = self.post(token, &format!("/api/v1/interviews/{id}/complete"), &json!({})).await;
        assert_eq!(status, 200, "complete: {body}");
        self.wait_ok(
            token,
            &format!("/api/v1/interviews/{id}/assessment"),
            std::time::Duration::from_secs(60),
            &[202],
        )
        .await
    }

    /// A recruiter invites `email` to `job`; the candidate registers as `name` and accepts the
    /// emailed link (asserting 201 each): the candidate's token and the interview id.
    pub async fn invited_interview(
        &self,
        recruiter: &str,
        job: &str,
        email: &str,
        name: &str,
    ) -> (String, String) {
        let (status, body) = self
            .post(recruiter, &format!("/api/v1/jobs/{job}/invitations"), &json!({ "emails": [email] }))
            .await;
        assert_eq!(status, 201, "{body}");
        let link = body["invitations"][0]["link"].as_str().expect("link").to_owned();
        let token = link.rsplit("/invite/").next().expect("token").to_owned();
        let candidate = self.register_as(email, name).await;
        let (status, started) =
            self.post(&candidate.token, &format!("/api/v1/invite/{token}/accept"), &json!({})).await;
        assert_eq!(status, 201, "{started}");
        (candidate.token, started["id"].as_str().expect("interview id").to_owned())
    }

    /// The whole message log (one page of 100 holds any interview; asserting 200).
    pub async fn messages(&self, token: &str, id: &str) -> Vec<Value> {
        let (status, body) = self.get(token, &format!("/api/v1/interviews/{id}/messages?limit=100")).await;
        assert_eq!(status, 200, "messages: {body}");
        body["messages"].as_array().expect("messages").clone()
    }

    /// `GET /api/v1/interviews/{id}{rest}` asserting 200.
    pub async fn interview(&self, token: &str, id: &str, rest: &str) -> Value {
        let (status, body) = self.get(token, &format!("/api/v1/interviews/{id}{rest}")).await;
        assert_eq!(status, 200, "interview{rest}: {body}");
        body
    }

    // ------------------------------------------------------------------------------- résumés

    /// Uploads a résumé file (multipart `file` part); returns `(status, body)`.
    pub async fn upload_resume(
        &self,
        token: &str,
        bytes: &[u8],
        file_name: &str,
        content_type: &str,
    ) -> (u16, Value) {
        self.post_multipart(token, "/api/v1/resumes", &[("file", Some((file_name, content_type)), bytes)])
            .await
    }

    // ------------------------------------------------------------------------------ realtime

    /// Asks for a realtime ticket; returns `(status, body)`.
    pub async fn ticket(&self, token: &str, id: &str) -> (u16, Value) {
        self.post(token, &format!("/api/v1/interviews/{id}/realtime-ticket"), &json!({})).await
    }

    /// Opens the socket at `path_and_query`; the handshake's refusal as an error.
    pub async fn open_socket(&self, path_and_query: &str) -> Result<WsClient, ConnectError> {
        ws::connect(&self.ws_url(path_and_query)).await
    }

    /// A ticket (asserting 200), then the socket it names.
    pub async fn connect(&self, token: &str, id: &str) -> WsClient {
        let (status, body) = self.ticket(token, id).await;
        assert_eq!(status, 200, "ticket: {body}");
        self.open_socket(body["url"].as_str().expect("url")).await.expect("upgrade")
    }
}

impl Default for TestApp {
    fn default() -> TestApp {
        TestApp::new()
    }
}
