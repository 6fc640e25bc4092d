//! Résumé parsing with an OpenAI key (docs/resumes.md#parsing): the structured extraction of the in-repo
//! fake OpenAI server is merged into the built-in taxonomy parse, and a failing model falls back
//! to the built-in parse alone.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::fake_openai::{Failure, FakeOpenAi, CHAT_PATH};
use common::{unique, TestApp};
use serde_json::Value;

/// The binary's fake OpenAI server (see [`FakeOpenAi::shared`]).
fn fake() -> &'static FakeOpenAi {
    FakeOpenAi::shared()
}

fn app() -> TestApp {
    TestApp::with(&[
        ("OPENAI_API_KEY", "sk-test-fake"),
        ("OPENAI_BASE_URL", fake().base_url.as_str()),
        ("OPENAI_RETRY_BASE_MS", "50"),
    ])
}

/// Uploads a text résumé and waits until it is parsed (30 s at most).
async fn upload_and_parse(app: TestApp, token: &str, text: &str) -> Value {
    let (status, body) = app.upload_resume(token, text.as_bytes(), "cv.txt", "text/plain").await;
    assert_eq!(status, 202, "{body}");
    let id = body["resume_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = app.get(token, &format!("/api/v1/resumes/{id}")).await;
        if v["parsing_status"] == "completed" {
            return v;
        }
        assert_ne!(v["parsing_status"], "failed", "{v}");
        assert!(Instant::now() < deadline, "never parsed: {v}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn skills(v: &Value) -> Vec<String> {
    serde_json::from_value(v["parsed_data"]["skills"].clone()).unwrap()
}

/// One test: both cases share the fake's failure queue, so they run in order.
#[tokio::test]
async fn the_model_extraction_is_merged_and_a_failing_model_falls_back_to_the_taxonomy() {
    let app = app();
    let token = app.register("Mo Model").await.token;
    let marker = unique();
    let before = fake().calls_to(CHAT_PATH);
    let v = upload_and_parse(app, &token, &format!("Mo Model {marker}\nBackend: Django, PostgreSQL\n")).await;
    let found = skills(&v);
    assert_eq!(&found[..2], ["Django", "PostgreSQL"], "taxonomy names first: {found:?}");
    assert!(found.iter().any(|s| s == "Fake Model Skill"), "the model's skill is merged: {found:?}");
    assert_eq!(v["parsed_data"]["experience_years"], 9);
    assert_eq!(v["parsed_data"]["previous_roles"][0], "Fake Staff Engineer");
    assert!(fake().calls_to(CHAT_PATH) > before);
    let sent = fake()
        .chat_bodies()
        .into_iter()
        .find(|b| b["messages"][1]["content"].as_str().is_some_and(|c| c.contains(&marker)))
        .expect("the résumé text went to the model");
    assert_eq!(sent["response_format"]["json_schema"]["name"], "resume_extraction");

    // A 400 is not retried: the built-in parse stands alone.
    fake().push_failures([Failure::status(400)]);
    let v = upload_and_parse(app, &token, "Mo Model\nFrontend: React, Jest\n").await;
    let found = skills(&v);
    assert!(found.iter().any(|s| s == "React") && found.iter().any(|s| s == "Jest"), "{found:?}");
    assert!(!found.iter().any(|s| s == "Fake Model Skill"), "fallback has no model output: {found:?}");
    assert_ne!(v["parsed_data"]["experience_years"], 9);
}
