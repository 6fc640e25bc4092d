//! The interview engine with the OpenAI provider, against the in-repo fake OpenAI server:
//! exactly one model call per turn, retries on 429/5xx/malformed/timeout, `AI_UNAVAILABLE` with
//! the answer kept, idempotent completion of a pending turn, and the circuit breaker.
//!
//! The fake is shared by the binary's tests and its failure queue is global, so the tests take
//! a lock and run one at a time.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::fake_openai::{Failure, FakeOpenAi, FaultMode};
use common::{unique, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const CHAT: &str = "/v1/chat/completions";

/// The binary's fake OpenAI server (see [`FakeOpenAi::shared`]).
fn fake() -> &'static FakeOpenAi {
    FakeOpenAi::shared()
}

/// The binary's server settings, plus `extra`.
fn app_with(extra: &[(&'static str, &'static str)]) -> TestApp {
    let mut vars: Vec<(&str, &str)> = vec![
        ("OPENAI_API_KEY", "sk-test-fake"),
        ("OPENAI_BASE_URL", fake().base_url.as_str()),
        ("OPENAI_RETRY_BASE_MS", "50"),
        ("OPENAI_TIMEOUT_MS", "1500"),
        ("OPENAI_BREAKER_OPEN_MS", "1500"),
        ("ANSWER_RATE_BURST", "1000"),
        ("ANSWER_RATE_PER_MINUTE", "100000"),
    ];
    vars.extend_from_slice(extra);
    TestApp::with(&vars)
}

fn app() -> TestApp {
    app_with(&[])
}

/// A server that takes the model's evaluations as given (no rubric cap): for the tests about the
/// model path itself, whose fake model rates by a marker rather than by the answer's content.
fn trusting() -> TestApp {
    app_with(&[("SCORE_DISAGREEMENT_MARGIN", "1")])
}

/// Model calls made for turns (the assessment's own call, which the alarm may make at once after
/// the completing turn, is not a turn's).
fn turn_calls() -> usize {
    fake()
        .chat_bodies()
        .iter()
        .filter(|b| b["response_format"]["json_schema"]["name"] != "interview_assessment")
        .count()
}

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn health_reports_the_openai_provider() {
    let _serial = SERIAL.lock().await;
    let v: Value = app().request(Method::GET, "/health", "").send().await.unwrap().json().await.unwrap();
    assert_eq!(v["ai_provider"], "openai");
}

#[tokio::test]
async fn a_full_interview_makes_exactly_one_model_call_per_turn() {
    let _serial = SERIAL.lock().await;
    fake().reset();
    let token = trusting().candidate().await;
    let id = trusting().start_id(&token, "python").await;
    assert_eq!(turn_calls(), 0, "starting makes no model call");
    let mut levels = Vec::new();
    for turn in 1..=30 {
        let before = turn_calls();
        let text =
            format!("STRONG answer number {turn}: generators are lazy because they yield values on demand.");
        let resp = trusting().answer_request(&token, &id, &text, None).send().await.unwrap();
        assert_eq!(resp.status(), 200, "turn {turn}");
        assert_eq!(turn_calls() - before, 1, "turn {turn} made exactly one model call");
        let body: Value = fake().last_chat_body().expect("a chat body");
        assert!(body.to_string().contains(&text), "the answer is in the prompt");
        assert!(body["response_format"]["json_schema"]["strict"].as_bool().unwrap_or(false));
        let v: Value = resp.json().await.unwrap();
        levels.push(v["session_state"]["current_difficulty"].as_str().unwrap().to_owned());
        if v["interview_complete"] == true {
            let asked = v["session_state"]["questions_asked"].as_u64().unwrap();
            assert!((12..=20).contains(&asked), "completed after {asked} answers");
            break;
        }
        assert!(turn < 30, "the interview never completed");
    }
    assert!(levels.iter().any(|l| l == "advanced" || l == "expert"), "strong answers climb: {levels:?}");
    let view: Value = trusting()
        .request(Method::GET, &format!("/api/v1/interviews/{id}"), &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "completed");
}

#[tokio::test]
async fn a_429_then_success_is_retried_within_the_turn() {
    let _serial = SERIAL.lock().await;
    fake().reset();
    let token = app().candidate().await;
    let id = app().start_id(&token, "python").await;
    fake().push_failures([Failure::rate_limited(1)]);
    let resp = app()
        .answer_request(&token, &id, "A first answer about decorators and closures.", None)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(fake().calls_to(CHAT), 2, "one 429, one success");
}

#[tokio::test]
async fn malformed_output_and_timeouts_are_retried() {
    let _serial = SERIAL.lock().await;
    fake().reset();
    let token = app().candidate().await;
    let id = app().start_id(&token, "python").await;
    fake().push_failures([Failure::Malformed, Failure::Hang]);
    let resp =
        app().answer_request(&token, &id, "An answer about context managers.", None).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(fake().calls_to(CHAT), 3, "malformed, timed out, then success");
}

#[tokio::test]
async fn repeated_500s_keep_the_answer_and_a_keyed_retry_completes_the_turn() {
    let _serial = SERIAL.lock().await;
    fake().reset();
    let token = app().candidate().await;
    let id = app().start_id(&token, "python").await;
    fake().push_failures([Failure::status(500), Failure::status(500), Failure::status(500)]);
    let key = format!("key-{}", unique());
    let text = "My answer that must not be lost.";
    let resp = app().answer_request(&token, &id, text, Some(&key)).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["code"], "AI_UNAVAILABLE");
    assert_eq!(fake().calls_to(CHAT), 3, "three attempts");

    let log = app().messages(&token, &id).await;
    assert_eq!(log.len(), 2, "the answer is stored before the model call");
    assert_eq!(log[1]["content_text"], text);
    let status: Value = app()
        .request(Method::GET, &format!("/api/v1/interviews/{id}/status"), &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["pending_ai_response"], true);

    // A different answer while one is pending is refused.
    let resp = app().answer_request(&token, &id, "Something else", None).send().await.unwrap();
    assert_eq!(resp.status(), 409);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "AI_RESPONSE_PENDING");

    // The same key finishes the pending turn without duplicating the answer.
    let resp = app().answer_request(&token, &id, text, Some(&key)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let first: Value = resp.json().await.unwrap();
    let log = app().messages(&token, &id).await;
    assert_eq!(log.len(), 3, "answer once, reply once");
    assert_eq!(log.iter().filter(|m| m["content_text"] == text).count(), 1);
    // Replaying the key returns the stored result without another model call.
    let calls = fake().calls_to(CHAT);
    let again: Value =
        app().answer_request(&token, &id, text, Some(&key)).send().await.unwrap().json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(fake().calls_to(CHAT), calls);
}

#[tokio::test]
async fn the_breaker_opens_and_then_answers_at_once() {
    let _serial = SERIAL.lock().await;
    fake().reset();
    let token = app().candidate().await;
    let id = app().start_id(&token, "python").await;
    fake().push_failures(std::iter::repeat_n(Failure::status(500), 10));
    let key = format!("key-{}", unique());
    let text = "An answer while the provider is down.";
    assert_eq!(app().answer_request(&token, &id, text, Some(&key)).send().await.unwrap().status(), 503);
    // /messages/retry drives the pending turn; the breaker opens after 5 consecutive failures.
    let retry =
        || app().request(Method::POST, &format!("/api/v1/interviews/{id}/messages/retry"), &token).send();
    assert_eq!(retry().await.unwrap().status(), 503);
    let calls = fake().calls_to(CHAT);
    assert!(calls >= 5, "{calls} calls before the breaker opened");
    let started = Instant::now();
    let resp = retry().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "AI_UNAVAILABLE");
    assert_eq!(fake().calls_to(CHAT), calls, "an open breaker makes no call");
    assert!(started.elapsed() < Duration::from_millis(1500), "an open breaker answers at once");
}

/// Answers twice, completes, and returns the staff view of the assessment.
async fn short_interview_assessment(admin: &str) -> Value {
    let app = trusting;
    let token = app().candidate().await;
    let id = app().start_id(&token, "python").await;
    for text in ["STRONG first answer about generators.", "A second answer about decorators."] {
        assert_eq!(app().answer_request(&token, &id, text, None).send().await.unwrap().status(), 200);
    }
    let resp = app()
        .request(Method::POST, &format!("/api/v1/interviews/{id}/complete"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let started = Instant::now();
    loop {
        let resp = app()
            .request(Method::GET, &format!("/api/v1/interviews/{id}/assessment"), admin)
            .send()
            .await
            .unwrap();
        if resp.status() == 200 {
            return resp.json().await.unwrap();
        }
        assert_eq!(resp.status(), 202);
        if started.elapsed() > Duration::from_secs(30) {
            let logs = app().log_lines(&["assessment", "\"error\"", "ai_call"]);
            panic!("no assessment within 30 s; server said:\n{}", logs);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_openai_generator_writes_the_narrative_and_falls_back_on_failure() {
    let _serial = SERIAL.lock().await;
    fake().reset();
    let admin = trusting().admin().await;
    let a = short_interview_assessment(&admin).await;
    assert_eq!(a["generator"], "openai");
    let strengths = a["strengths"].as_array().unwrap();
    assert!(strengths.iter().any(|s| s["text"] == "Fake strength from the model."));
    assert!(
        strengths.iter().all(|s| s["evidence"].as_array().unwrap().iter().all(|n| n.as_u64() != Some(9999))),
        "invented evidence is dropped"
    );
    let bodies = fake().chat_bodies();
    assert!(bodies.iter().any(|b| b["response_format"]["json_schema"]["name"] == "interview_assessment"));

    // The model failing: the built-in generator stands in.
    fake().reset();
    let token_calls_before = fake().calls_to(CHAT);
    // Fail every model call after the turn: the assessment's attempts all fail.
    let a = {
        let token = trusting().candidate().await;
        let id = trusting().start_id(&token, "python").await;
        assert_eq!(
            trusting().answer_request(&token, &id, "An answer.", None).send().await.unwrap().status(),
            200
        );
        fake().push_failures(std::iter::repeat_n(Failure::status(500), 10));
        let resp = trusting()
            .request(Method::POST, &format!("/api/v1/interviews/{id}/complete"), &token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let started = Instant::now();
        loop {
            let resp = trusting()
                .request(Method::GET, &format!("/api/v1/interviews/{id}/assessment"), &admin)
                .send()
                .await
                .unwrap();
            if resp.status() == 200 {
                break resp.json::<Value>().await.unwrap();
            }
            assert!(started.elapsed() < Duration::from_secs(30), "no assessment within 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    assert_eq!(a["generator"], "builtin", "fell back to the built-in generator");
    assert!(fake().calls_to(CHAT) > token_calls_before + 1, "the model was tried");
    fake().reset();
}

#[tokio::test]
async fn with_half_of_the_model_calls_failing_no_answer_is_lost_and_every_turn_completes() {
    let _serial = SERIAL.lock().await;
    fake().reset();
    fake().set_fault_mode(FaultMode::Random { probability: 0.5, seed: 7, failure: Failure::status(500) });
    let token = app().candidate().await;
    let id = app().start_id(&token, "python").await;
    let mut answers = Vec::new();
    for turn in 0..8 {
        let text = format!("Answer {turn} under a flaky model: iterators are lazy.");
        let key = format!("flaky-{}", unique());
        let mut attempts = 0;
        loop {
            attempts += 1;
            assert!(attempts <= 40, "turn {turn} never completed");
            let resp = app().answer_request(&token, &id, &text, Some(&key)).send().await.unwrap();
            match resp.status().as_u16() {
                200 => break,
                // AI_UNAVAILABLE (answer kept) or the breaker: wait as told and retry the same key.
                503 => {
                    let wait = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(1);
                    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "AI_UNAVAILABLE");
                    tokio::time::sleep(Duration::from_millis(wait.min(2) * 200)).await;
                }
                other => panic!("turn {turn}: unexpected {other}"),
            }
        }
        answers.push(text);
    }
    fake().set_fault_mode(FaultMode::None);
    let log = app().messages(&token, &id).await;
    for text in &answers {
        assert_eq!(
            log.iter().filter(|m| m["content_text"] == text.as_str()).count(),
            1,
            "{text} exactly once"
        );
    }
    let seqs: Vec<u64> = log.iter().map(|m| m["sequence_number"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    assert_eq!(log.len(), 1 + 2 * answers.len(), "one reply per answer");
    fake().reset();
}

/// The model's word is checked (docs/scoring.md#openai-mode): a model that rates a bare list of
/// terms excellent is flagged for staff with both figures, and a narrative that quotes a score
/// the engine never computed is not shown (the built-in narrative stands in).
#[tokio::test]
async fn a_model_that_overrates_a_keyword_bag_is_caught_and_a_wrong_quoted_score_is_not_shown() {
    let _serial = SERIAL.lock().await;
    fake().reset();
    let admin = app().admin().await;
    let token = app().candidate().await;
    let id = app().start_id(&token, "python").await;
    // "STRONG" makes the fake rate the answer excellent; the answer is only a list of terms.
    for text in [
        "STRONG generators, yield, iterators, lazy evaluation, StopIteration, send, coroutines",
        "STRONG decorators, closures, wrappers, functools, wraps, metadata QUOTE_WRONG_SCORE",
    ] {
        let resp = app().answer_request(&token, &id, text, None).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }
    let resp = app()
        .request(Method::POST, &format!("/api/v1/interviews/{id}/complete"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let started = Instant::now();
    let a: Value = loop {
        let resp = app()
            .request(Method::GET, &format!("/api/v1/interviews/{id}/assessment"), &admin)
            .send()
            .await
            .unwrap();
        if resp.status() == 200 {
            break resp.json().await.unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no assessment within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let flags = a["integrity_flags"].as_array().unwrap();
    let disagreement = flags
        .iter()
        .find(|f| f["type"] == "score_disagreement")
        .unwrap_or_else(|| panic!("no score_disagreement flag in {flags:?}"));
    assert!(!disagreement["evidence"].as_array().unwrap().is_empty());
    assert!(flags.iter().any(|f| f["type"] == "keyword_list"), "{flags:?}");
    // The capped model evaluations leave the overall score low.
    assert!(a["overall_score"].as_f64().unwrap() < 50.0, "{}", a["overall_score"]);
    // The narrative quoting 99/100 was rejected.
    assert!(!a.to_string().contains("99 out of 100"), "{a}");
    assert_eq!(a["generator"], "builtin");
    fake().reset();
}

/// The account's daily spend budget spans its interviews: once its interviews' recorded cost
/// reaches it, starting another answers 429 `QUOTA_EXCEEDED` (docs/security.md#spend-limits).
#[tokio::test]
async fn the_daily_spend_budget_stops_new_interviews() {
    let _serial = SERIAL.lock().await;
    fake().reset();
    let budgeted = app_with(&[("ACCOUNT_DAILY_SPEND_USD", "0.000001")]);
    let token = budgeted.candidate().await;
    let id = budgeted.start_id(&token, "python").await;
    let resp =
        budgeted.answer_request(&token, &id, "An answer about generators.", None).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    // The model call's cost reaches the projection within moments; then starts are refused.
    let started = Instant::now();
    loop {
        let (status, body) =
            budgeted.post(&token, "/api/v1/interviews/start", &json!({"role_type": "python"})).await;
        if status == 429 {
            assert_eq!(body["error"]["code"], "QUOTA_EXCEEDED", "{body}");
            break;
        }
        assert_eq!(status, 201, "{body}");
        assert!(started.elapsed() < Duration::from_secs(10), "the budget never applied");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Another account is not affected.
    let other = budgeted.candidate().await;
    let (status, _) =
        budgeted.post(&other, "/api/v1/interviews/start", &json!({"role_type": "python"})).await;
    assert_eq!(status, 201);
}

/// A job's interview with OpenAI: the system prompt carries the job (description, areas, its
/// questions) inside the delimited data block, the turn's grounding is the job question's rubric,
/// and the job's next question is asked before the model's proposal
/// (docs/jobs.md#how-the-job-drives-the-interviewer).
#[tokio::test]
async fn a_jobs_interview_grounds_the_prompt_with_the_job_as_data() {
    let _serial = SERIAL.lock().await;
    fake().reset();
    let fx: Value = serde_json::from_str(include_str!("fixtures/custom_job.json")).unwrap();
    let app = trusting();
    let admin = app.admin_of_new_org(&format!("Ledger Co {}", unique())).await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let (status, job) = app.post(&recruiter, "/api/v1/jobs", &fx["job"]).await;
    assert_eq!(status, 201, "{job}");
    let email = format!("olga-{}@example.com", unique());
    let (status, invited) = app
        .post(
            &recruiter,
            &format!("/api/v1/jobs/{}/invitations", job["id"].as_str().unwrap()),
            &json!({"emails": [email]}),
        )
        .await;
    assert_eq!(status, 201, "{invited}");
    let token =
        invited["invitations"][0]["link"].as_str().unwrap().rsplit("/invite/").next().unwrap().to_owned();
    let candidate = app.register_as(&email, "Olga Openai").await;
    let (status, started) =
        app.post(&candidate.token, &format!("/api/v1/invite/{token}/accept"), &json!({})).await;
    assert_eq!(status, 201, "{started}");
    let id = started["id"].as_str().unwrap();
    let questions = fx["job"]["questions"].as_array().unwrap();
    let q = |i: usize| questions[i]["text"].as_str().unwrap().to_owned();
    assert!(started["first_question"]["text"].as_str().unwrap().contains(&q(0)));

    let turn = app.answer_ok(&candidate.token, id, "STRONG: an inner join keeps only matching rows.").await;
    let body = fake().last_chat_body().expect("a chat body");
    let system = body["messages"][0]["content"].as_str().unwrap();
    let block = &system[system.find("\n[JOB DATA BEGIN]\n").expect("the job's data block")..];
    assert!(block.ends_with("[JOB DATA END]"), "{block}");
    assert!(block.contains(fx["job"]["description"].as_str().unwrap()));
    assert!(questions.iter().all(|x| block.contains(x["text"].as_str().unwrap())), "{block}");
    let grounding = body["messages"].as_array().unwrap().last().unwrap()["content"].as_str().unwrap();
    assert!(grounding.contains("inner join keeps only matching rows"), "the job rubric grounds the turn");
    // The job's next question, not the model's proposal.
    assert!(turn["ai_response"].as_str().unwrap().contains(&q(1)), "{turn}");
}
