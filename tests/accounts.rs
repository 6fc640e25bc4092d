//! The account lifecycle end to end against `wrangler dev` (docs/accounts.md): sign-in sessions
//! (listed, signed out one by one or everywhere, kept across refreshes), sockets closed with
//! them, password reset by an emailed single-use link (same answer for unknown addresses,
//! expiry, per-address cap and per-client throttle) and password change (other sessions out,
//! this one kept). Email verification (`EMAIL_VERIFICATION = required`) is tests/verification.rs.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::app::{error_code, send, Account};
use common::ws::WsClient;
use common::{d1_query, unique, unique_ip, TestApp, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

const FREQUENT_CRON: &str = "*%2F5+*+*+*+*";
const NEW_PASSWORD: &str = "Battery-Staple-7";
/// Long enough for a loaded machine; the assertion is that the socket closes, not how fast.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

fn app() -> TestApp {
    TestApp::with(&[("MAILER", "dev"), ("MAIL_RETRY_BASE_SECS", "0")])
}

/// Logs in as `email` with `password` from a fresh IP and `agent`; (status, body).
async fn login_with(email: &str, password: &str, agent: &str) -> (u16, Value) {
    send(
        app()
            .request(Method::POST, "/api/v1/auth/login", "")
            .header("CF-Connecting-IP", unique_ip())
            .header("User-Agent", agent)
            .json(&json!({"email": email, "password": password})),
    )
    .await
}

/// A second session of `account` (a login as `agent`): (token, session id).
async fn sign_in(account: &Account, agent: &str) -> (String, String) {
    let (status, body) = login_with(&account.email, PASSWORD, agent).await;
    assert_eq!(status, 200, "login: {body}");
    (body["token"].as_str().unwrap().to_owned(), body["session_id"].as_str().unwrap().to_owned())
}

async fn sessions(token: &str) -> Vec<Value> {
    let (status, body) = app().get(token, "/api/v1/auth/sessions").await;
    assert_eq!(status, 200, "sessions: {body}");
    body["items"].as_array().unwrap().clone()
}

async fn me_status(token: &str) -> u16 {
    app().get(token, "/api/v1/auth/me").await.0
}

/// The dev mailbox's newest message of `kind` to `to`, waiting (and running the sender) for it.
async fn newest_mail(to: &str, kind: &str) -> Value {
    newest_mail_besides(to, kind, None).await
}

/// The newest `kind` email to `to` other than `seen` (sent after the response, so polled).
async fn newest_mail_besides(to: &str, kind: &str, seen: Option<&Value>) -> Value {
    for _ in 0..40 {
        let (status, body) = app().get("", &format!("/api/v1/dev/mailbox?to={to}")).await;
        assert_eq!(status, 200, "{body}");
        let mut found: Vec<Value> =
            body["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == kind).cloned().collect();
        found.sort_by(|a, b| a["created_at"].as_str().cmp(&b["created_at"].as_str()));
        if let Some(m) = found.pop().filter(|m| seen.is_none_or(|seen| seen["id"] != m["id"])) {
            return m;
        }
        app().get("", &format!("/__scheduled?cron={FREQUENT_CRON}")).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("no {kind} email to {to}");
}

/// The token of the `#/{page}/{token}` link in `mail`.
fn link_token(mail: &Value, page: &str) -> String {
    let text = mail["text"].as_str().unwrap();
    let marker = format!("/#/{page}/");
    let start = text.find(&marker).unwrap_or_else(|| panic!("no {marker} link in {text}")) + marker.len();
    let token: String =
        text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    assert_eq!(token.len(), 43, "{text}");
    token
}

async fn reset_request(email: &str, ip: &str) -> (u16, Value) {
    send(
        app()
            .request(Method::POST, "/api/v1/auth/password-reset", "")
            .header("CF-Connecting-IP", ip)
            .json(&json!({ "email": email })),
    )
    .await
}

async fn confirm(token: &str, password: &str) -> (u16, Value) {
    send(
        app()
            .request(Method::POST, "/api/v1/auth/password-reset/confirm", "")
            .header("CF-Connecting-IP", unique_ip())
            .json(&json!({ "token": token, "password": password })),
    )
    .await
}

/// An open realtime socket of `token` on interview `id`, past its welcome.
async fn socket(token: &str, id: &str) -> WsClient {
    let mut ws = app().connect(token, id).await;
    ws.wait_for("session.created", CLOSE_WAIT).await.expect("session.created");
    ws
}

/// The socket still answers: a `session.update` gets its `session.updated`.
async fn still_open(ws: &mut WsClient) {
    ws.send_json(&json!({"type": "session.update",
                          "session": {"type": "realtime", "output_modalities": ["text"], "instructions": ""}}))
        .await;
    let mut seen = Vec::new();
    while let Some(event) = ws.next_json(CLOSE_WAIT).await {
        if event["type"] == "session.updated" {
            return;
        }
        seen.push(event);
    }
    panic!("the socket no longer answers (closed: {}): {seen:?}", ws.is_closed());
}

async fn closed_revoked(ws: &mut WsClient, what: &str) {
    let closed = ws.next_close(CLOSE_WAIT).await;
    assert_eq!(closed.map(|c| c.0), Some(4001), "{what}: the socket closes as revoked");
}

#[tokio::test]
async fn sessions_are_listed_kept_across_refresh_and_signed_out_one_by_one_or_everywhere() {
    let account = app().register("Session Candidate").await;
    let (b_token, b_session) = sign_in(&account, "agent-B/1.0").await;
    let (c_token, c_session) = sign_in(&account, "agent-C/1.0").await;

    let (status, me) = app().get(&account.token, "/api/v1/auth/me").await;
    assert_eq!((status, me["email_verified"].as_bool()), (200, Some(false)), "{me}");
    let list = sessions(&account.token).await;
    assert_eq!(list.len(), 3, "{list:?}");
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1, "{list:?}");
    let b = list.iter().find(|s| s["id"] == b_session.as_str()).expect("B is listed");
    assert_eq!((b["client"].as_str(), b["current"].as_bool()), (Some("agent-B/1.0"), Some(false)));
    for s in &list {
        for field in ["created_at", "last_used_at", "expires_at", "ip"] {
            assert!(s[field].is_string(), "{field}: {s}");
        }
        assert!(!s.to_string().contains(&account.token), "no token in the list");
    }
    let a_session = list.iter().find(|s| s["current"] == true).unwrap()["id"].as_str().unwrap().to_owned();

    // A refresh keeps the session; the refreshed-away token stops working.
    let (status, refreshed) = app().post_empty(&account.token, "/api/v1/auth/refresh").await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["session_id"].as_str(), Some(a_session.as_str()));
    let a_token = refreshed["token"].as_str().unwrap().to_owned();
    assert_eq!(me_status(&account.token).await, 401);
    let list = sessions(&a_token).await;
    assert_eq!(list.len(), 3);
    assert!(list.iter().any(|s| s["id"] == a_session.as_str() && s["current"] == true), "{list:?}");

    // Someone else's session, a non-id, an unknown id: 404.
    let other = app().register("Other Candidate").await;
    for path in [
        format!("/api/v1/auth/sessions/{b_session}"),
        "/api/v1/auth/sessions/not-an-id".to_owned(),
        format!("/api/v1/auth/sessions/{}", uuid::Uuid::new_v4()),
    ] {
        let (status, body) = app().delete(&other.token, &path).await;
        assert_eq!((status, error_code(&body)), (404, "NOT_FOUND"), "{path}: {body}");
    }
    assert_eq!(me_status(&b_token).await, 200, "B untouched by the other account");

    // One session out: its token stops working at once; the others stay.
    let (status, body) = app().delete(&a_token, &format!("/api/v1/auth/sessions/{b_session}")).await;
    assert_eq!((status, body["revoked"].as_u64()), (200, Some(1)), "{body}");
    assert_eq!(me_status(&b_token).await, 401);
    assert_eq!(me_status(&c_token).await, 200);
    let (status, _) = app().delete(&a_token, &format!("/api/v1/auth/sessions/{b_session}")).await;
    assert_eq!(status, 404, "already signed out");
    let list = sessions(&a_token).await;
    assert!(list.iter().all(|s| s["id"] != b_session.as_str()), "{list:?}");

    // Logout ends its own session only.
    let (d_token, d_session) = sign_in(&account, "agent-D").await;
    assert_eq!(app().post_empty(&d_token, "/api/v1/auth/logout").await.0, 200);
    assert!(sessions(&a_token).await.iter().all(|s| s["id"] != d_session.as_str()));

    // Everywhere: this session included.
    let (status, body) = app().post_empty(&a_token, "/api/v1/auth/sessions/revoke-all").await;
    assert_eq!((status, body["revoked"].as_u64()), (200, Some(2)), "{body}");
    assert_eq!(me_status(&a_token).await, 401);
    assert_eq!(me_status(&c_token).await, 401);
    assert!(c_session != a_session);
    assert_eq!(me_status(&other.token).await, 200, "another account is untouched");
}

#[tokio::test]
async fn a_password_change_signs_out_the_other_sessions_and_their_sockets_and_keeps_this_one() {
    let account = app().register("Changing Candidate").await;
    // Two interviews (one socket per interview: a second one would replace the first).
    let id = app().start_id(&account.token, "react").await;
    let other_id = app().start_id(&account.token, "python").await;
    let (other_token, _) = sign_in(&account, "second-device").await;
    let mut mine = socket(&account.token, &id).await;
    let mut theirs = socket(&other_token, &other_id).await;

    let path = "/api/v1/auth/password";
    let (status, body) = app()
        .post(
            &account.token,
            path,
            &json!({"current_password": "Wrong-Guess-1", "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (403, "WRONG_PASSWORD"), "{body}");
    let (status, body) = app()
        .post(&account.token, path, &json!({"current_password": PASSWORD, "new_password": "short"}))
        .await;
    assert_eq!(
        (status, body["error"]["details"][0]["field"].as_str()),
        (422, Some("new_password")),
        "{body}"
    );
    assert_eq!(me_status(&other_token).await, 200, "failed changes revoke nothing");

    let (status, body) = app()
        .post(&account.token, path, &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .await;
    assert_eq!((status, body["sessions_revoked"].as_u64()), (200, Some(1)), "{body}");
    closed_revoked(&mut theirs, "the other session's socket").await;
    assert_eq!(me_status(&other_token).await, 401);
    assert_eq!(me_status(&account.token).await, 200, "this session stays");
    still_open(&mut mine).await;
    assert_eq!(login_with(&account.email, PASSWORD, "t").await.0, 401, "the old password is gone");
    assert_eq!(login_with(&account.email, NEW_PASSWORD, "t").await.0, 200);

    // Signing out everywhere closes this session's socket too.
    let (status, _) = app().post_empty(&account.token, "/api/v1/auth/sessions/revoke-all").await;
    assert_eq!(status, 200);
    closed_revoked(&mut mine, "sign out everywhere").await;
}

#[tokio::test]
async fn a_password_reset_link_works_once_signs_out_everywhere_and_unknown_emails_look_the_same() {
    let account = app().register("Forgetful Candidate").await;
    let id = app().start_id(&account.token, "react").await;
    let mut ws = socket(&account.token, &id).await;

    let (status, known) = reset_request(&account.email, &unique_ip()).await;
    let (unknown_status, unknown) =
        reset_request(&format!("nobody-{}@example.com", unique()), &unique_ip()).await;
    assert_eq!((status, unknown_status), (202, 202));
    assert_eq!(known, unknown, "the same answer whether or not the address has an account");
    let (status, body) = reset_request("not an email", &unique_ip()).await;
    assert_eq!(status, 422, "{body}");

    let first = newest_mail(&account.email, "password_reset").await;
    let token = link_token(&first, "reset");
    // The policy is checked before the link is used.
    let (status, body) = confirm(&token, "weak").await;
    assert_eq!((status, body["error"]["details"][0]["field"].as_str()), (422, Some("password")), "{body}");
    let (status, body) = confirm(&token, NEW_PASSWORD).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("password_reset")), "{body}");
    closed_revoked(&mut ws, "a password reset").await;
    assert_eq!(me_status(&account.token).await, 401, "every session is signed out");
    assert_eq!(login_with(&account.email, PASSWORD, "t").await.0, 401);
    assert_eq!(login_with(&account.email, NEW_PASSWORD, "t").await.0, 200);

    let (status, body) = confirm(&token, "Another-Pass-8").await;
    assert_eq!((status, error_code(&body)), (410, "LINK_USED"), "{body}");
    let (status, body) = confirm(&"A".repeat(43), "Another-Pass-8").await;
    assert_eq!((status, error_code(&body)), (400, "LINK_INVALID"), "{body}");
    let (status, body) = confirm("short", "Another-Pass-8").await;
    assert_eq!((status, error_code(&body)), (400, "LINK_INVALID"), "{body}");

    // Expiry (the stored expiry moved into the past): 410 LINK_EXPIRED, password unchanged.
    assert_eq!(reset_request(&account.email, &unique_ip()).await.0, 202);
    let expiring =
        link_token(&newest_mail_besides(&account.email, "password_reset", Some(&first)).await, "reset");
    assert_ne!(expiring, token);
    d1_query(
        app().server,
        &format!(
            "UPDATE account_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE used_at IS NULL \
             AND user_id = '{}'",
            account.user_id
        ),
    );
    let (status, body) = confirm(&expiring, "Another-Pass-8").await;
    assert_eq!((status, error_code(&body)), (410, "LINK_EXPIRED"), "{body}");
    assert_eq!(login_with(&account.email, NEW_PASSWORD, "t").await.0, 200);
    // Only hashes are stored.
    let rows = d1_query(app().server, "SELECT token_hash FROM account_tokens");
    assert!(rows.iter().all(|r| r["token_hash"] != token.as_str() && r["token_hash"] != expiring.as_str()));
}

#[tokio::test]
async fn reset_emails_are_capped_per_address_and_requests_throttled_per_client() {
    // Per address: past ACCOUNT_EMAILS_PER_HOUR (5), the same 202 and nothing more is sent.
    let account = app().register("Flooded Candidate").await;
    let mut answers = Vec::new();
    for _ in 0..8 {
        let (status, body) = reset_request(&account.email, &unique_ip()).await;
        assert_eq!(status, 202);
        answers.push(body);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "identical answers");
    let rows = d1_query(
        app().server,
        &format!(
            "SELECT COUNT(*) AS n FROM mail_outbox WHERE to_addr = '{}' AND kind = 'password_reset'",
            account.email
        ),
    );
    assert_eq!(rows[0]["n"], 5, "{rows:?}");

    // Per client: 10 requests, then 429 RATE_LIMITED with Retry-After.
    let ip = unique_ip();
    for i in 0..10 {
        let (status, _) = reset_request(&format!("nobody-{i}-{}@example.com", unique()), &ip).await;
        assert_eq!(status, 202, "request {i}");
    }
    let response = app()
        .request(Method::POST, "/api/v1/auth/password-reset", "")
        .header("CF-Connecting-IP", &ip)
        .json(&json!({ "email": account.email }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().get("Retry-After").is_some());
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "RATE_LIMITED");
}

#[tokio::test]
async fn tokens_from_before_sessions_are_signed_out_cleanly() {
    use interview_edge::auth::JwtKeys;
    use interview_edge::domain::enums::UserRole;
    let account = app().register("Legacy Candidate").await;
    let keys = JwtKeys::new(common::test_jwt_secret().as_bytes()).unwrap();
    let now = i64::try_from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis(),
    )
    .unwrap();
    let legacy = keys.issue(&account.user_id, UserRole::Candidate, now, 60, "legacy-jti").unwrap();
    let (status, body) = app().get(&legacy.token, "/api/v1/auth/me").await;
    assert_eq!((status, error_code(&body)), (401, "UNAUTHORIZED"), "{body}");
    assert_eq!(me_status(&account.token).await, 200);
}

/// An answer's status (the interview object checks the token's account itself:
/// docs/accounts.md#where-the-account-is-checked).
async fn answer_status(token: &str, id: &str, n: u32) -> u16 {
    let text = format!("Answer {n}: state stays local until siblings need it, then it is lifted up.");
    let (status, body) = app().answer(token, id, &text).await;
    if status != 200 {
        assert_eq!(error_code(&body), "UNAUTHORIZED", "{body}");
    }
    status
}

#[tokio::test]
async fn an_answer_is_refused_at_once_for_every_revocation_however_recently_its_token_was_checked() {
    let account = app().register("Answering Candidate").await;
    let id = app().start_id(&account.token, "react").await;
    let later = app().start_id(&account.token, "python").await;

    // A refresh: the replaced token is refused right after the object checked it.
    assert_eq!(answer_status(&account.token, &id, 1).await, 200);
    let (status, refreshed) = app().post_empty(&account.token, "/api/v1/auth/refresh").await;
    assert_eq!(status, 200, "{refreshed}");
    let a = refreshed["token"].as_str().unwrap().to_owned();
    assert_eq!(answer_status(&account.token, &id, 2).await, 401, "the refreshed-away token");
    assert_eq!(answer_status(&a, &id, 3).await, 200);

    // Logout.
    let (b, _) = sign_in(&account, "agent-B").await;
    assert_eq!(answer_status(&b, &id, 4).await, 200);
    assert_eq!(answer_status(&a, &id, 5).await, 200, "the object checks another session's token too");
    assert_eq!(app().post_empty(&a, "/api/v1/auth/logout").await.0, 200);
    assert_eq!(answer_status(&a, &id, 6).await, 401, "signed out");
    // A revoked token learns nothing else: not which interviews exist, not what its body lacks.
    let unknown = uuid::Uuid::new_v4().to_string();
    let empty = |token: &str, id: &str| {
        send(
            app().request(Method::POST, &format!("/api/v1/interviews/{id}/messages"), token).json(&json!({})),
        )
    };
    for (status, body) in [app().answer(&a, &unknown, "Hello?").await, empty(&a, &id).await] {
        assert_eq!((status, error_code(&body)), (401, "UNAUTHORIZED"), "{body}");
    }
    let (status, body) = app().answer(&b, &unknown, "Hello?").await;
    assert_eq!((status, error_code(&body)), (404, "NOT_FOUND"), "a live token: {body}");
    let (status, body) = empty(&b, &id).await;
    assert_eq!(status, 422, "a live token: {body}");

    // One session revoked from another.
    assert_eq!(answer_status(&b, &id, 7).await, 200);
    let (c, _) = sign_in(&account, "agent-C").await;
    let b_session = sessions(&c).await.into_iter().find(|s| s["client"] == "agent-B").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(answer_status(&b, &later, 1).await, 200, "B checked on the second interview too");
    assert_eq!(app().delete(&c, &format!("/api/v1/auth/sessions/{b_session}")).await.0, 200);
    assert_eq!(answer_status(&b, &id, 8).await, 401, "revoked session");
    assert_eq!(answer_status(&b, &later, 2).await, 401, "revoked session, on every interview");

    // A password change signs the other sessions out and keeps this one.
    let (d, _) = sign_in(&account, "agent-D").await;
    assert_eq!(answer_status(&d, &later, 3).await, 200);
    let (status, body) = app()
        .post(
            &c,
            "/api/v1/auth/password",
            &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(answer_status(&d, &later, 4).await, 401, "another session of a changed password");
    assert_eq!(answer_status(&c, &later, 5).await, 200, "the changing session stays");

    // Deactivation by an admin, then reactivation.
    let admin = app().admin().await;
    let patch = |active: bool| {
        app()
            .request(Method::PATCH, &format!("/api/v1/admin/users/{}", account.user_id), &admin)
            .json(&json!({"is_active": active}))
            .send()
    };
    assert_eq!(patch(false).await.unwrap().status(), 200);
    assert_eq!(answer_status(&c, &later, 6).await, 401, "deactivated");
    assert_eq!(patch(true).await.unwrap().status(), 200);
    assert_eq!(answer_status(&c, &later, 7).await, 200, "reactivated");
}
