//! Accounts and access control end to end against `wrangler dev` (docs/accounts.md).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{test_jwt_secret, unique, unique_ip, TestApp, PASSWORD};
use interview_edge::auth::JwtKeys;
use interview_edge::domain::enums::UserRole;
use reqwest::Method;
use serde_json::{json, Value};

const LOCKOUT_SECONDS: u64 = 3;

fn app() -> TestApp {
    TestApp::with(&[("LOGIN_LOCKOUT_MINUTES", "0.05"), ("AUTH_IP_RATE_PER_MINUTE", "12")])
}

/// POSTs JSON from a given client IP (the auth throttles are per IP).
async fn post_from(ip: &str, token: Option<&str>, path: &str, body: &Value) -> reqwest::Response {
    let req = app().request(Method::POST, path, token.unwrap_or_default());
    req.header("CF-Connecting-IP", ip).json(body).send().await.expect("send")
}

/// `GET /api/v1/auth/me` as `token` (none for `""`).
async fn me(token: &str) -> reqwest::Response {
    app().request(Method::GET, "/api/v1/auth/me", token).send().await.expect("send")
}

async fn code_of(resp: reqwest::Response) -> (u16, String, Value) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (status, body["error"]["code"].as_str().unwrap_or("").to_owned(), body)
}

fn new_email() -> String {
    format!("user-{}@example.com", unique())
}

/// Registers a candidate; returns (email, token, user id).
async fn register() -> (String, String, String) {
    let account = app().register("Test Candidate").await;
    (account.email, account.token, account.user_id)
}

async fn login(email: &str, password: &str, ip: &str) -> reqwest::Response {
    post_from(ip, None, "/api/v1/auth/login", &json!({"email": email, "password": password})).await
}

#[tokio::test]
async fn register_returns_a_token_for_a_candidate() {
    let email = new_email();
    let resp = post_from(&unique_ip(), None, "/api/v1/auth/register", &json!({"email": email.to_uppercase(), "password": PASSWORD, "full_name": "  Grace Hopper ", "phone": "+1 555 0100"}))
    .await;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["role"], "candidate");
    assert_eq!(body["email"], email, "stored lower-cased");
    assert_eq!(body["candidate_id"], body["user_id"]);
    assert!(body["expires_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let me: Value = me(body["token"].as_str().unwrap()).await.json().await.expect("json");
    assert_eq!(me["id"], body["user_id"]);
    assert_eq!(me["full_name"], "Grace Hopper");
    assert_eq!(me["role"], "candidate");
    assert!(me["created_at"].is_string());
}

#[tokio::test]
async fn every_invalid_registration_names_its_field() {
    let ok = |email: &str| json!({"email": email, "password": PASSWORD, "full_name": "Valid Name"});
    let mut cases: Vec<(&str, Value, &str)> = Vec::new();
    let with = |f: &str, v: Value| {
        let mut b = ok(&new_email());
        b[f] = v;
        b
    };
    let without = |f: &str| {
        let mut b = ok(&new_email());
        b.as_object_mut().unwrap().remove(f);
        b
    };
    cases.push(("missing email", without("email"), "email"));
    cases.push(("missing password", without("password"), "password"));
    cases.push(("missing name", without("full_name"), "full_name"));
    cases.push(("email not an email", with("email", json!("not-an-email")), "email"));
    cases.push(("email wrong type", with("email", json!(42)), "email"));
    cases.push(("password too short", with("password", json!("Ab1!")), "password"));
    cases.push((
        "password too long",
        with("password", json!(format!("Aa1!{}", "x".repeat(130)))),
        "password",
    ));
    cases.push(("password without uppercase", with("password", json!("lowercase-9")), "password"));
    cases.push(("password without digit", with("password", json!("NoDigits-here")), "password"));
    cases.push(("password without special", with("password", json!("NoSpecial99")), "password"));
    cases.push(("password wrong type", with("password", json!(["A1!aaaaa"])), "password"));
    cases.push(("name too short", with("full_name", json!("A")), "full_name"));
    cases.push(("name too long", with("full_name", json!("a".repeat(256))), "full_name"));
    cases.push(("phone malformed", with("phone", json!("call me maybe")), "phone"));
    cases.push(("unknown field", with("is_admin", json!(true)), "is_admin"));
    for (case, body, field) in cases {
        let (status, code, body) =
            code_of(post_from(&unique_ip(), None, "/api/v1/auth/register", &body).await).await;
        assert_eq!((status, code.as_str()), (422, "VALIDATION_ERROR"), "{case}");
        let fields: Vec<&str> =
            body["error"]["details"].as_array().unwrap().iter().filter_map(|d| d["field"].as_str()).collect();
        assert_eq!(fields, vec![field], "{case}");
    }
}

#[tokio::test]
async fn duplicate_emails_are_rejected_in_any_case() {
    let (email, _, _) = register().await;
    for variant in [email.clone(), email.to_uppercase(), format!("  {email}  ")] {
        let (status, code, _) = code_of(
            post_from(
                &unique_ip(),
                None,
                "/api/v1/auth/register",
                &json!({"email": variant, "password": PASSWORD, "full_name": "Someone Else"}),
            )
            .await,
        )
        .await;
        assert_eq!((status, code.as_str()), (409, "EMAIL_TAKEN"), "{variant}");
    }
}

#[tokio::test]
async fn login_succeeds_and_failures_are_indistinguishable() {
    let (email, _, user_id) = register().await;
    let resp = login(&email.to_uppercase(), PASSWORD, &unique_ip()).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["user_id"], user_id.as_str());
    let me: Value = me(body["token"].as_str().unwrap()).await.json().await.expect("json");
    assert!(me["last_login_at"].is_string(), "last_login_at is stamped");

    let (s1, c1, b1) = code_of(login(&email, "Wrong-Password-1", &unique_ip()).await).await;
    let (s2, c2, b2) = code_of(login(&new_email(), PASSWORD, &unique_ip()).await).await;
    assert_eq!((s1, c1.as_str()), (401, "UNAUTHORIZED"));
    assert_eq!((s2, c2.as_str()), (401, "UNAUTHORIZED"));
    assert_eq!(b1["error"]["message"], b2["error"]["message"]);
}

/// Login lockout per (account, client): an attacker client (`CF-Connecting-IP: 203.0.113.9`;
/// wrangler dev passes the client's header through, as Cloudflare sets it in production) that
/// fails five times is locked out of the account (429 `ACCOUNT_LOCKED`, even with the right
/// password), while the owner's own client signs in at once; the lock grows with further failures
/// (3 s, then 6 s: `LOGIN_LOCKOUT_MINUTES` = 0.05 doubling, capped by `LOGIN_LOCKOUT_MAX_MINUTES`).
#[tokio::test]
async fn a_locked_out_attacker_client_does_not_lock_the_owner_out() {
    let (email, _, _) = register().await;
    let attacker = "203.0.113.9";
    for i in 0..5 {
        let (status, code, _) = code_of(login(&email, "Wrong-Password-1", attacker).await).await;
        assert_eq!((status, code.as_str()), (401, "UNAUTHORIZED"), "failure {i}");
    }
    let resp = login(&email, PASSWORD, attacker).await;
    assert_eq!(resp.status(), 429, "the attacker's client is locked even with the right password");
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=LOCKOUT_SECONDS).contains(&retry), "{retry}");
    assert_eq!(code_of(resp).await.1, "ACCOUNT_LOCKED");

    // The owner, from their usual client, is not locked out.
    let owner = unique_ip();
    let resp = login(&email, PASSWORD, &owner).await;
    assert_eq!(resp.status(), 200, "the owner signs in at once from another client");

    // Progressive: after the first lock, one more failure locks the attacker for twice as long.
    tokio::time::sleep(Duration::from_secs(LOCKOUT_SECONDS + 1)).await;
    assert_eq!(login(&email, "Wrong-Password-1", attacker).await.status(), 401);
    let resp = login(&email, PASSWORD, attacker).await;
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((LOCKOUT_SECONDS + 1..=2 * LOCKOUT_SECONDS).contains(&retry), "doubled: {retry}");
    assert_eq!(login(&email, PASSWORD, &owner).await.status(), 200, "the owner still signs in");
}

/// An unknown email locks exactly like a real one (the lock is no existence oracle), and a lock
/// ends after its window: the right password then works from that client.
#[tokio::test]
async fn locks_look_the_same_for_unknown_emails_and_expire() {
    let client = unique_ip();
    let unknown = new_email();
    for _ in 0..5 {
        assert_eq!(login(&unknown, PASSWORD, &client).await.status(), 401);
    }
    let (status, code, _) = code_of(login(&unknown, PASSWORD, &client).await).await;
    assert_eq!((status, code.as_str()), (429, "ACCOUNT_LOCKED"));

    let (email, _, _) = register().await;
    let client = unique_ip();
    for _ in 0..5 {
        assert_eq!(login(&email, "Wrong-Password-1", &client).await.status(), 401);
    }
    assert_eq!(login(&email, PASSWORD, &client).await.status(), 429);
    tokio::time::sleep(Duration::from_secs(LOCKOUT_SECONDS + 1)).await;
    assert_eq!(login(&email, PASSWORD, &client).await.status(), 200, "unlocked after the window");
    // The success cleared the client's count: five more tries before the next lock.
    for _ in 0..4 {
        assert_eq!(login(&email, "Wrong-Password-1", &client).await.status(), 401);
    }
    assert_eq!(login(&email, PASSWORD, &client).await.status(), 200);
}

#[tokio::test]
async fn the_per_ip_throttle_answers_429_with_retry_after() {
    let ip = unique_ip();
    let mut limited = None;
    for _ in 0..20 {
        let resp = login(&new_email(), PASSWORD, &ip).await;
        if resp.status() == 429 {
            limited = Some(resp);
            break;
        }
    }
    let resp = limited.expect("the throttle engaged within 20 attempts");
    assert!(resp.headers().contains_key("retry-after"));
    assert_eq!(code_of(resp).await.1, "RATE_LIMITED");
    // Another IP is unaffected.
    assert_eq!(login(&new_email(), PASSWORD, &unique_ip()).await.status(), 401);
}

#[tokio::test]
async fn logout_revokes_the_token() {
    let (_, token, _) = register().await;
    assert_eq!(me(&token).await.status(), 200);
    let resp = post_from(&unique_ip(), Some(&token), "/api/v1/auth/logout", &json!({})).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(me(&token).await.status(), 401);
}

#[tokio::test]
async fn refresh_rotates_the_token() {
    let (_, old, user_id) = register().await;
    let resp = post_from(&unique_ip(), Some(&old), "/api/v1/auth/refresh", &json!({})).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    let new = body["token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(body["user_id"], user_id.as_str());
    assert_eq!(me(new).await.status(), 200);
    assert_eq!(me(&old).await.status(), 401, "the old token is revoked");
    assert_eq!(post_from(&unique_ip(), Some(&old), "/api/v1/auth/refresh", &json!({})).await.status(), 401);
}

fn b64url(bytes: &[u8]) -> String {
    interview_edge::auth::b64::encode_url(bytes)
}

#[tokio::test]
async fn expired_tampered_and_foreign_algorithm_tokens_are_refused() {
    let (_, token, user_id) = register().await;
    let keys = JwtKeys::new(test_jwt_secret().as_bytes()).expect("keys");
    let now_ms = i64::try_from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis(),
    )
    .unwrap();
    let expired =
        keys.issue(&user_id, UserRole::Candidate, now_ms - 3 * 3_600_000, 60, "old-jti").expect("issue");
    let (status, code, _) = code_of(me(&expired.token).await).await;
    assert_eq!((status, code.as_str()), (401, "TOKEN_EXPIRED"));

    let parts: Vec<&str> = token.split('.').collect();
    let payload = b64url(br#"{"sub":"someone-else","role":"admin","jti":"x","iat":1,"exp":99999999999}"#);
    let none_header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let rs_header = b64url(br#"{"alg":"RS256","typ":"JWT"}"#);
    let mut flipped = parts[2].to_owned();
    let last = if flipped.ends_with('A') { 'B' } else { 'A' };
    flipped.pop();
    flipped.push(last);
    let forged = [
        format!("{}.{}.{}", parts[0], payload, parts[2]),
        format!("{}.{}.{}", parts[0], parts[1], flipped),
        format!("{none_header}.{payload}."),
        format!("{none_header}.{}.", parts[1]),
        format!("{rs_header}.{}.{}", parts[1], parts[2]),
        "garbage".to_owned(),
    ];
    for t in forged {
        let (status, code, _) = code_of(me(&t).await).await;
        assert_eq!((status, code.as_str()), (401, "UNAUTHORIZED"), "{t}");
    }
    let (status, _, _) = code_of(me("").await).await;
    assert_eq!(status, 401, "missing token");
}

#[tokio::test]
async fn admins_create_staff_and_deactivate_users() {
    let admin = app().admin().await;
    let recruiter_email = new_email();
    let resp = post_from(&unique_ip(), Some(&admin), "/api/v1/admin/users", &json!({"email": recruiter_email, "password": PASSWORD, "full_name": "Rita Recruiter", "role": "recruiter"}))
    .await;
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.expect("json");
    assert_eq!(created["role"], "recruiter");
    let recruiter = login(&recruiter_email, PASSWORD, &unique_ip()).await.json::<Value>().await.unwrap()
        ["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Non-admins cannot create staff: candidates and recruiters get 403.
    let (_, candidate, candidate_id) = register().await;
    for token in [&candidate, &recruiter] {
        let (status, code, _) = code_of(
            post_from(
                &unique_ip(),
                Some(token),
                "/api/v1/admin/users",
                &json!({"email": new_email(), "password": PASSWORD, "full_name": "Eve", "role": "admin"}),
            )
            .await,
        )
        .await;
        assert_eq!((status, code.as_str()), (403, "FORBIDDEN"));
    }
    // A staff role is required.
    let (status, _, body) = code_of(
        post_from(
            &unique_ip(),
            Some(&admin),
            "/api/v1/admin/users",
            &json!({"email": new_email(), "password": PASSWORD, "full_name": "Cand", "role": "candidate"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["details"][0]["field"], "role");

    // Deactivation: the token stops working and login is refused.
    let patch = |id: &str, active: bool| {
        app()
            .request(Method::PATCH, &format!("/api/v1/admin/users/{id}"), &admin)
            .json(&json!({"is_active": active}))
            .send()
    };
    let resp = patch(&candidate_id, false).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["is_active"], false);
    assert_eq!(me(&candidate).await.status(), 401);
    assert_eq!(patch(&candidate_id, true).await.unwrap().status(), 200);
    assert_eq!(me(&candidate).await.status(), 200, "reactivated");
    assert_eq!(patch("00000000-0000-4000-8000-000000000000", false).await.unwrap().status(), 404);
}

#[tokio::test]
async fn deactivated_users_cannot_log_in() {
    let admin = app().admin().await;
    let (email, _, id) = register().await;
    let resp = app()
        .request(Method::PATCH, &format!("/api/v1/admin/users/{id}"), &admin)
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (status, code, _) = code_of(login(&email, PASSWORD, &unique_ip()).await).await;
    assert_eq!((status, code.as_str()), (403, "FORBIDDEN"));
}

#[tokio::test]
async fn logs_never_contain_passwords_tokens_or_emails() {
    let (email, token, _) = register().await;
    let _ = login(&email, "Wrong-Password-7", &unique_ip()).await;
    let _ = login(&email, PASSWORD, &unique_ip()).await;
    let _ = me(&token).await;
    let _ = post_from(&unique_ip(), Some(&token), "/api/v1/auth/logout", &json!({})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let logs = app().server.logs();
    assert!(logs.contains("\"event\":\"request\""), "request log lines are captured");
    for secret in [PASSWORD, "Wrong-Password-7", token.as_str(), email.as_str()] {
        assert!(!logs.contains(secret), "a log line contains a secret or email");
    }
    let local = email.split('@').next().unwrap();
    assert!(!logs.contains(local), "a log line contains the email's local part");
}
