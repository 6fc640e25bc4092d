//! Email verification on (`EMAIL_VERIFICATION = required`, the production setting) against
//! `wrangler dev` (docs/accounts.md#email-verification): registration answers the same for a new
//! and an existing address (the owner is told instead), an unverified candidate signs in but
//! cannot start an interview (403 `EMAIL_NOT_VERIFIED`), the emailed link verifies once, and
//! staff count as verified. Its own binary: one `wrangler dev` with these settings.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::app::{error_code, send};
use common::{unique, unique_ip, TestApp, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

const FREQUENT_CRON: &str = "*%2F5+*+*+*+*";

fn app() -> TestApp {
    TestApp::with(&[("EMAIL_VERIFICATION", "required"), ("MAILER", "dev"), ("MAIL_RETRY_BASE_SECS", "0")])
}

async fn register(email: &str, name: &str) -> (u16, Value) {
    send(
        app()
            .request(Method::POST, "/api/v1/auth/register", "")
            .header("CF-Connecting-IP", unique_ip())
            .json(&json!({"email": email, "password": PASSWORD, "full_name": name})),
    )
    .await
}

/// The dev mailbox's messages of `kind` to `to`, waiting (and running the sender) for `count`.
async fn mails(to: &str, kind: &str, count: usize) -> Vec<Value> {
    for _ in 0..40 {
        let (status, body) = app().get("", &format!("/api/v1/dev/mailbox?to={to}")).await;
        assert_eq!(status, 200, "{body}");
        let found: Vec<Value> =
            body["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == kind).cloned().collect();
        if found.len() >= count {
            return found;
        }
        app().get("", &format!("/__scheduled?cron={FREQUENT_CRON}")).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{count} {kind} email(s) to {to} never arrived");
}

fn verify_token(mail: &Value) -> String {
    let text = mail["text"].as_str().unwrap();
    let start = text.find("/#/verify/").expect("a verification link") + "/#/verify/".len();
    text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

async fn verify(token: &str) -> (u16, Value) {
    send(
        app()
            .request(Method::POST, "/api/v1/auth/verify", "")
            .header("CF-Connecting-IP", unique_ip())
            .json(&json!({ "token": token })),
    )
    .await
}

#[tokio::test]
async fn registration_answers_the_same_for_new_and_existing_addresses() {
    let (taken, fresh) =
        (format!("taken-{}@example.com", unique()), format!("fresh-{}@example.com", unique()));
    let (status, first) = register(&taken, "First Owner").await;
    assert_eq!(status, 202, "{first}");
    let (again_status, again) = register(&taken.to_uppercase(), "Someone Else").await;
    let (fresh_status, fresh_body) = register(&fresh, "Fresh Person").await;
    assert_eq!((again_status, fresh_status), (202, 202));
    assert_eq!(again, fresh_body, "identical bodies for an existing and a new address");
    assert_eq!(first, fresh_body);
    assert_eq!(fresh_body["status"], "verification_sent");
    assert!(fresh_body.get("token").is_none(), "no token before verification: {fresh_body}");
    // Invalid input is still named, the same for everyone.
    let (status, body) = register(&taken, "").await;
    assert_eq!((status, error_code(&body)), (422, "VALIDATION_ERROR"), "{body}");

    // The owner of the taken address is told; the new one gets its link.
    let notice = &mails(&taken, "registration_attempt", 1).await[0];
    assert!(notice["text"].as_str().unwrap().contains("/#/reset"), "{notice}");
    assert_eq!(mails(&taken, "email_verification", 1).await.len(), 1, "only the first registration's link");
    assert!(!verify_token(&mails(&fresh, "email_verification", 1).await[0]).is_empty());
    // The second registration changed nothing: the first password still signs in.
    let (status, body) = send(
        app()
            .request(Method::POST, "/api/v1/auth/login", "")
            .header("CF-Connecting-IP", unique_ip())
            .json(&json!({"email": taken, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_unverified_candidate_signs_in_but_starts_nothing_until_the_link_verifies_once() {
    let email = format!("unverified-{}@example.com", unique());
    assert_eq!(register(&email, "Una Verified").await.0, 202);
    let (status, login) = send(
        app()
            .request(Method::POST, "/api/v1/auth/login", "")
            .header("CF-Connecting-IP", unique_ip())
            .json(&json!({"email": email, "password": PASSWORD})),
    )
    .await;
    assert_eq!((status, login["email_verified"].as_bool()), (200, Some(false)), "{login}");
    let token = login["token"].as_str().unwrap().to_owned();
    let (status, body) = app().post(&token, "/api/v1/interviews/start", &json!({"role_type": "react"})).await;
    assert_eq!((status, error_code(&body)), (403, "EMAIL_NOT_VERIFIED"), "{body}");

    // A resent link (throttled per account), then the first link verifies, once.
    let (status, body) = app().post_empty(&token, "/api/v1/auth/verify/resend").await;
    assert_eq!((status, body["status"].as_str()), (202, Some("verification_sent")), "{body}");
    let links = mails(&email, "email_verification", 2).await;
    let first = verify_token(&links[links.len() - 1]);
    let (status, body) = verify(&first).await;
    assert_eq!((status, body["email_verified"].as_bool()), (200, Some(true)), "{body}");
    let (status, body) = verify(&first).await;
    assert_eq!((status, error_code(&body)), (410, "LINK_USED"), "{body}");
    let (status, body) = verify(&"B".repeat(43)).await;
    assert_eq!((status, error_code(&body)), (400, "LINK_INVALID"), "{body}");

    let (_, me) = app().get(&token, "/api/v1/auth/me").await;
    assert_eq!(me["email_verified"], true, "{me}");
    let (status, body) = app().post(&token, "/api/v1/interviews/start", &json!({"role_type": "react"})).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app().post_empty(&token, "/api/v1/auth/verify/resend").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("already_verified")), "{body}");
}

#[tokio::test]
async fn staff_count_as_verified() {
    let admin = app().admin().await;
    let (_, me) = app().get(&admin, "/api/v1/auth/me").await;
    assert_eq!(me["email_verified"], true, "{me}");
    let (status, staff) = app()
        .post(
            &admin,
            "/api/v1/admin/users",
            &json!({"email": format!("rec-{}@example.com", unique()), "password": PASSWORD,
                    "full_name": "Rita Recruiter", "role": "recruiter"}),
        )
        .await;
    assert_eq!((status, staff["email_verified"].as_bool()), (201, Some(true)), "{staff}");
}
