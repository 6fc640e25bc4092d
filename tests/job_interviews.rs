//! The interviewer uses the job, end to end against `wrangler dev` (docs/jobs.md#how-the-job-drives-the-interviewer):
//! a recruiter creates a `custom` job with three questions at three levels and invites two
//! addresses; each invited candidate registers through the link, accepts, and is asked the job's
//! questions at their levels; a strong and a weak scripted run separate by at least 40 points; the
//! job's results list both invitations as completed; editing the job after an interview started
//! does not change that interview's questions.
//!
//! The job and its hand-written answers are `tests/fixtures/custom_job.json`, shared with the
//! core's unit tests (`domain::interviewer::job_tests`).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{d1_query, unique, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

fn app() -> TestApp {
    TestApp::with(&[
        ("MAILER", "dev"),
        ("ANSWER_RATE_BURST", "100000"),
        ("ANSWER_RATE_PER_MINUTE", "1000000"),
        ("STARTS_PER_HOUR", "100000"),
        ("AUTH_IP_RATE_PER_MINUTE", "100000"),
    ])
}

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/custom_job.json")).expect("fixture")
}

/// `(id, text, level)` of the fixture job's questions, in the job's order.
fn job_questions(fx: &Value) -> Vec<(String, String, String)> {
    fx["job"]["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| {
            let s = |k: &str| q[k].as_str().expect("a string").to_owned();
            (s("id"), s("text"), s("level"))
        })
        .collect()
}

/// A scripted candidate: a job question gets its hand-written `strong` or `weak` answer; any
/// other question (a follow-up, a stand-in once the job's questions are used) the next unused
/// `*_more` answer, then a short fresh sentence (never a copy of an earlier answer).
struct Scripted {
    strong: bool,
    fx: Value,
    used_more: usize,
}

impl Scripted {
    fn answer(&mut self, asked: &str) -> String {
        let (kind, more) = if self.strong { ("strong", "strong_more") } else { ("weak", "weak_more") };
        let questions = job_questions(&self.fx);
        if let Some((id, _, _)) = questions.iter().find(|(_, text, _)| asked.contains(text.as_str())) {
            return self.fx["answers"][id][kind].as_str().unwrap().to_owned();
        }
        let text =
            questions.get(self.used_more).map(|(id, _, _)| self.fx["answers"][id][more].as_str().unwrap());
        self.used_more += 1;
        text.map_or_else(
            || {
                if self.strong {
                    "To add one more angle from production, I always write a test that reproduces the failure first, because it keeps the fix honest.".to_owned()
                } else {
                    "I can't remember, sorry.".to_owned()
                }
            },
            str::to_owned,
        )
    }
}

async fn patch(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    common::app::send(app.request(Method::PATCH, path, token).json(body)).await
}

/// The token in an invitation link (`…/#/invite/{token}`).
fn token_of(link: &str) -> String {
    link.rsplit("/invite/").next().expect("an invite link").to_owned()
}

/// Answers `current` and every following question until the interview completes (at most
/// `limit` turns); returns the questions asked after `current`.
async fn answer_until(
    app: &TestApp,
    token: &str,
    id: &str,
    candidate: &mut Scripted,
    mut current: String,
    limit: usize,
) -> (Vec<String>, bool) {
    let mut asked = Vec::new();
    for _ in 0..limit {
        let turn = app.answer_ok(token, id, &candidate.answer(&current)).await;
        if turn["interview_complete"] == true {
            return (asked, true);
        }
        current = turn["ai_response"].as_str().expect("a question").to_owned();
        asked.push(current.clone());
    }
    (asked, false)
}

async fn assessment(app: &TestApp, token: &str, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let (status, body) = app.get(token, &format!("/api/v1/interviews/{id}/assessment")).await;
        match status {
            200 => return body,
            202 => {}
            other => panic!("assessment answered {other}: {body}"),
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no assessment within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The interview's questions as projected to D1: `(question_id, difficulty)` per AI question,
/// waiting until `count` of them carry question metadata.
async fn projected_questions(app: &TestApp, id: &str, count: usize) -> Vec<(Option<String>, String)> {
    for _ in 0..60 {
        let rows = d1_query(
            app.server,
            &format!(
                "SELECT metadata FROM interview_messages WHERE interview_id = '{id}' \
                 AND message_type = 'ai_question' ORDER BY sequence_number"
            ),
        );
        let questions: Vec<(Option<String>, String)> = rows
            .iter()
            .filter_map(|r| serde_json::from_str::<Value>(r["metadata"].as_str()?).ok())
            .filter(|m| m["difficulty"].is_string())
            .map(|m| {
                (m["question_id"].as_str().map(str::to_owned), m["difficulty"].as_str().unwrap().to_owned())
            })
            .collect();
        if questions.len() >= count {
            return questions;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the interview's questions never reached D1");
}

/// Accepts `link` as a new candidate registered with `email`; returns the token, the
/// interview id and the first question.
async fn accept(app: &TestApp, email: &str, name: &str, link: &str) -> (String, String, String) {
    let token = token_of(link);
    let (status, landing) = app.get("", &format!("/api/v1/invite/{token}")).await;
    assert_eq!(status, 200, "{landing}");
    let candidate = app.register_as(email, name).await;
    let (status, started) =
        app.post(&candidate.token, &format!("/api/v1/invite/{token}/accept"), &json!({})).await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["role_type"], "fullstack", "a custom job records the fullstack stand-in");
    let id = started["id"].as_str().unwrap().to_owned();
    let first = started["first_question"]["text"].as_str().unwrap().to_owned();
    (candidate.token, id, first)
}

#[tokio::test]
async fn a_custom_jobs_questions_are_asked_at_their_levels_scored_by_their_rubrics_and_kept_across_edits() {
    let app = app();
    let fx = fixture();
    let questions = job_questions(&fx);
    let admin = app.admin_of_new_org(&format!("Payments Co {}", unique())).await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let (status, job) = app.post(&recruiter, "/api/v1/jobs", &fx["job"]).await;
    assert_eq!(status, 201, "{job}");
    let job_id = job["id"].as_str().unwrap().to_owned();
    let (strong_email, weak_email) =
        (format!("sam-{}@example.com", unique()), format!("wes-{}@example.com", unique()));
    let (status, invited) = app
        .post(
            &recruiter,
            &format!("/api/v1/jobs/{job_id}/invitations"),
            &json!({"emails": [strong_email, weak_email]}),
        )
        .await;
    assert_eq!(status, 201, "{invited}");
    let link = |email: &str| {
        invited["invitations"].as_array().unwrap().iter().find(|i| i["email"] == email).unwrap()["link"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    // The strong candidate: the job's first question opens the interview.
    let (strong_token, strong_id, first) =
        accept(&app, &strong_email, "Sam Strong", &link(&strong_email)).await;
    assert!(first.contains(&questions[0].1), "{first}");
    let view = app.interview(&strong_token, &strong_id, "").await;
    assert_eq!((view["job_id"].as_str(), view["job_version"].as_u64()), (Some(job_id.as_str()), Some(1)));
    let mut sam = Scripted { strong: true, fx: fx.clone(), used_more: 0 };
    let (after_first, done) = answer_until(&app, &strong_token, &strong_id, &mut sam, first, 1).await;
    assert!(!done);

    // The recruiter edits the job's questions while the interview runs: a new version...
    let edited: Vec<Value> = fx["job"]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let mut q = q.clone();
            q["text"] = json!(format!("Edited: {}", q["text"].as_str().unwrap()));
            q
        })
        .collect();
    let (status, patched) =
        patch(&app, &recruiter, &format!("/api/v1/jobs/{job_id}"), &json!({"questions": edited})).await;
    assert_eq!(status, 200, "{patched}");
    let (_, read) = app.get(&recruiter, &format!("/api/v1/jobs/{job_id}")).await;
    assert_eq!(read["version"], 2, "{read}");

    // ...which the running interview never sees: its next questions are version 1's.
    let current = after_first[0].clone();
    let (rest, done) = answer_until(&app, &strong_token, &strong_id, &mut sam, current.clone(), 10).await;
    assert!(done, "the job's max_questions ends the interview");
    let strong_asked: Vec<String> = std::iter::once(current).chain(rest).collect();
    assert!(strong_asked.iter().all(|t| !t.contains("Edited:")), "{strong_asked:?}");
    let view = app.interview(&strong_token, &strong_id, "").await;
    assert_eq!(view["job_version"], 1, "the interview keeps the version it started with");

    // Asked, in GET messages: the job's three questions first, in the job's order.
    let texts: Vec<String> = app
        .messages(&strong_token, &strong_id)
        .await
        .iter()
        .filter(|m| m["message_type"] == "ai_question")
        .map(|m| m["content_text"].as_str().unwrap().to_owned())
        .collect();
    for (i, (_, text, _)) in questions.iter().enumerate() {
        assert!(texts[i].contains(text.as_str()), "question {i}: {:?}", texts[i]);
    }
    let asked_count = texts.len() - 1; // the last message closes the interview
    assert!((3..=5).contains(&asked_count), "min/max questions come from the job: {asked_count}");
    // At their levels, as the interview recorded them.
    let projected = projected_questions(&app, &strong_id, asked_count).await;
    for (i, (id, _, level)) in questions.iter().enumerate() {
        assert_eq!(projected[i], (Some(format!("job:{id}")), level.clone()), "question {i}");
    }
    assert!(
        projected.iter().all(|(q, _)| q.as_deref().is_none_or(|q| q.starts_with("job:"))),
        "{projected:?}"
    );

    // The weak candidate, through the second invitation.
    let (weak_token, weak_id, first) = accept(&app, &weak_email, "Wes Weak", &link(&weak_email)).await;
    // It started after the edit: the job's current version.
    let view = app.interview(&weak_token, &weak_id, "").await;
    assert_eq!(view["job_version"], 2);
    let mut wes = Scripted { strong: false, fx: fx.clone(), used_more: 0 };
    // Version 2's questions are the edited texts: the scripted answers still fit them.
    assert!(first.contains("Edited:"), "{first}");
    let (_, done) = answer_until(&app, &weak_token, &weak_id, &mut wes, first, 10).await;
    assert!(done);

    let strong = assessment(&app, &strong_token, &strong_id).await["overall_score"].as_f64().unwrap();
    let weak = assessment(&app, &weak_token, &weak_id).await["overall_score"].as_f64().unwrap();
    assert!(strong - weak >= 40.0, "strong {strong} vs weak {weak}");

    // The job's results: both invitations, completed, with their scores.
    let started = Instant::now();
    loop {
        let (status, results) = app.get(&recruiter, &format!("/api/v1/jobs/{job_id}/results")).await;
        assert_eq!(status, 200, "{results}");
        let items = results["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 2, "{results}");
        let done = items.iter().all(|r| {
            r["invitation_status"] == "completed"
                && r["interview_status"] == "completed"
                && r["overall_score"].is_number()
        });
        if done {
            // Sorted by score, best first (the default).
            assert_eq!(items[0]["email"], strong_email.as_str(), "{results}");
            assert_eq!(items[1]["email"], weak_email.as_str(), "{results}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "results never completed: {results}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
