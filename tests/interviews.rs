//! Interviews end to end against `wrangler dev` with the built-in interviewer (docs/interviews.md,
//! docs/data.md): whole interviews that end on their own, closed interviews, inactivity,
//! ownership, validation, idempotency, concurrent answers, the D1 projection and the shapes of
//! every interview route. Assertions are about behaviour, never about the interviewer's wording.
//!
//! This binary's server abandons idle interviews after 6 s and never rate-limits answers, so the
//! abandonment test is quick and the other tests (which answer back to back) are unaffected.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::app::{error_code as code, send};
use common::{d1_query, unique, TestApp};
use interview_edge::domain::bank;
use interview_edge::domain::enums::{Difficulty, RoleType};
use reqwest::Method;
use serde_json::{json, Value};
/// The engine limits of the default configuration (`MIN_QUESTIONS`, `MAX_QUESTIONS`,
/// `MIN_BOUNDARIES`).
const MIN_QUESTIONS: u64 = 12;
const MAX_QUESTIONS: u64 = 20;
const MIN_BOUNDARIES: usize = 2;
/// `ABANDON_AFTER_MINUTES` of this binary's server (0.1 minutes), in seconds.
const ABANDON_AFTER_SECONDS: u64 = 6;
const WEAK_ANSWER: &str = "I don't know.";

fn app() -> TestApp {
    TestApp::with(&[
        ("ABANDON_AFTER_MINUTES", "0.1"),
        ("ANSWER_RATE_BURST", "1000"),
        ("ANSWER_RATE_PER_MINUTE", "100000"),
    ])
}

/// The fields named by a validation error's `details`.
fn fields(body: &Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .map(|d| d.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn interview_path(id: &str, rest: &str) -> String {
    format!("/api/v1/interviews/{id}{rest}")
}

/// Registers a candidate from a fresh IP; returns (token, user id).
async fn register() -> (String, String) {
    let account = app().register("Casey Candidate").await;
    (account.token, account.user_id)
}

fn id_of(started: &Value) -> String {
    let id = started["id"].as_str().expect("interview id").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "interview ids are UUIDs: {id}");
    id
}

/// The whole message log, whose `total_count` is its length.
async fn messages(token: &str, id: &str) -> Vec<Value> {
    let (status, body) = app().get(token, &interview_path(id, "/messages?limit=100")).await;
    assert_eq!(status, 200, "messages: {body}");
    let list = body["messages"].as_array().expect("messages").clone();
    assert_eq!(body["total_count"].as_u64(), Some(list.len() as u64), "total_count is the log's length");
    list
}

fn difficulty(v: &Value) -> Difficulty {
    v.as_str().and_then(Difficulty::parse).unwrap_or_else(|| panic!("not a difficulty: {v}"))
}

fn is_timestamp(v: &Value) -> bool {
    v.as_str().is_some_and(|t| t.ends_with('Z') && t.contains('T') && t.len() >= 20)
}

fn is_uuid(v: &Value) -> bool {
    v.as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok())
}

fn absent_or_null(v: &Value, key: &str) -> bool {
    v.get(key).is_none_or(Value::is_null)
}

// ------------------------------------------------------------------------- whole interviews

/// An answer that explains every rubric concept of the question it answers. The question is
/// found in the role's bank by its text (the interviewer's message ends with it); for a follow-up
/// the concepts it names are explained instead.
fn strong_answer(role: RoleType, asked: &str) -> String {
    let bank = bank::for_role(role);
    let lower = asked.to_lowercase();
    let matched = bank.questions.iter().filter(|q| asked.contains(q.text)).max_by_key(|q| q.text.len());
    let mut names: Vec<&str> = match matched {
        Some(q) => q.rubric.iter().map(|c| c.name).collect(),
        None => bank
            .questions
            .iter()
            .flat_map(|q| q.rubric.iter())
            .map(|c| c.name)
            .filter(|n| lower.contains(&n.to_lowercase()))
            .collect(),
    };
    let mut seen = HashSet::new();
    names.retain(|n| seen.insert(*n));
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        let sentence = if i % 2 == 0 {
            format!("{name} matters here because it decides how the code behaves at runtime. ")
        } else {
            format!(
                "For example, {name} shows up when you change the inputs, so that the result stays correct. "
            )
        };
        if out.len() + sentence.len() > 1900 {
            break;
        }
        out.push_str(&sentence);
    }
    if out.is_empty() {
        out.push_str("I would first reproduce the problem, then measure it, because guessing wastes time. ");
    }
    out.trim().to_owned()
}

/// One interview answered to its end.
struct Run {
    token: String,
    id: String,
    start: Value,
    /// The 200 body of every answer, in order.
    turns: Vec<Value>,
    /// The text of every answer, in order.
    sent: Vec<String>,
}

impl Run {
    fn last(&self) -> &Value {
        self.turns.last().expect("at least one turn")
    }

    /// The difficulty of the first question, then after every answer.
    fn levels(&self) -> Vec<Difficulty> {
        std::iter::once(difficulty(&self.start["current_difficulty"]))
            .chain(self.turns.iter().map(|t| difficulty(&t["session_state"]["current_difficulty"])))
            .collect()
    }

    fn boundaries(&self) -> Vec<Value> {
        self.last()["session_state"]["skill_boundaries"].as_array().expect("skill_boundaries").clone()
    }
}

/// Registers a candidate and answers an interview for `role` until it completes: strong answers
/// built from the bank's rubrics, or "I don't know".
async fn run_interview(role: RoleType, strong: bool) -> Run {
    let (token, _) = register().await;
    let started = app().start(&token, role.as_str()).await;
    let id = id_of(&started);
    let mut asked = started["first_question"]["text"].as_str().expect("first question").to_owned();
    let mut turns = Vec::new();
    let mut sent = Vec::new();
    while turns.len() <= MAX_QUESTIONS as usize {
        let text = if strong { strong_answer(role, &asked) } else { WEAK_ANSWER.to_owned() };
        let turn = app().answer_ok(&token, &id, &text).await;
        asked = turn["ai_response"].as_str().expect("ai_response").to_owned();
        sent.push(text);
        let done = turn["interview_complete"] == true;
        turns.push(turn);
        if done {
            break;
        }
    }
    Run { token, id, start: started, turns, sent }
}

/// Everything docs/interviews.md (#completion, #a-turn) promises about a finished interview.
async fn check_completed_run(run: &Run) {
    let n = run.turns.len();
    assert_eq!(run.last()["interview_complete"], true, "the interview ends on its own within MAX_QUESTIONS");
    assert!((MIN_QUESTIONS..=MAX_QUESTIONS).contains(&(n as u64)), "{n} questions");
    let first_total = run.start["total_questions"].as_u64().expect("total_questions");
    assert!((1..=MAX_QUESTIONS).contains(&first_total), "start total_questions {first_total}");

    let mut ids = HashSet::new();
    for (i, turn) in run.turns.iter().enumerate() {
        let k = i as u64 + 1;
        let state = &turn["session_state"];
        assert_eq!(state["questions_asked"], k, "turn {k}: questions_asked counts answers");
        let boundaries = state["skill_boundaries"].as_array().expect("skill_boundaries").len();
        let complete = turn["interview_complete"].as_bool().expect("interview_complete");
        let met = k >= MIN_QUESTIONS && boundaries >= MIN_BOUNDARIES;
        assert_eq!(complete, met || k >= MAX_QUESTIONS, "turn {k}: completion is checked after every answer");
        let number = turn["question_number"].as_u64().expect("question_number");
        let total = turn["total_questions"].as_u64().expect("total_questions");
        if complete {
            assert!(number == k || number == k + 1, "turn {k}: question_number {number} at completion");
            let reason = if met { "criteria_met" } else { "max_questions" };
            assert_eq!(turn["completion_reason"], reason, "turn {k}");
        } else {
            assert_eq!(number, k + 1, "after {k} answers the next question is #{}", k + 1);
            assert!(absent_or_null(turn, "completion_reason"), "turn {k}: {turn}");
        }
        assert!(total <= MAX_QUESTIONS, "turn {k}: total_questions {total} exceeds MAX_QUESTIONS");
        assert!(total >= number, "turn {k}: total_questions {total} below question_number {number}");
        assert!(is_uuid(&turn["message_id"]) && is_uuid(&turn["ai_message_id"]), "turn {k}: {turn}");
        assert!(ids.insert(turn["message_id"].to_string()) && ids.insert(turn["ai_message_id"].to_string()));
        assert!(!turn["ai_response"].as_str().unwrap_or("").trim().is_empty(), "turn {k}: an empty reply");
        assert!(turn.get("evaluation").is_none(), "no live feedback unless SHOW_LIVE_FEEDBACK");
    }

    // The log: the first question, then (answer, reply) pairs, ending with the closing message.
    let log = messages(&run.token, &run.id).await;
    assert_eq!(log.len(), 2 * n + 1);
    for (i, m) in log.iter().enumerate() {
        assert_eq!(m["sequence_number"], i as u64 + 1, "sequence numbers are contiguous from 1");
        let kind = if i % 2 == 0 { "ai_question" } else { "candidate_response" };
        assert_eq!(m["message_type"], kind, "message {}", i + 1);
        assert!(is_timestamp(&m["created_at"]), "{m}");
    }
    assert_eq!(log[0]["id"], run.start["first_question"]["message_id"]);
    assert_eq!(log[0]["content_text"], run.start["first_question"]["text"]);
    for (k, turn) in run.turns.iter().enumerate() {
        assert_eq!(log[2 * k + 1]["id"], turn["message_id"]);
        assert_eq!(log[2 * k + 1]["content_text"], run.sent[k].as_str());
        assert_eq!(log[2 * k + 2]["id"], turn["ai_message_id"]);
        assert_eq!(log[2 * k + 2]["content_text"], turn["ai_response"]);
    }

    // The interview, its status and its latest message agree with the last turn.
    let last = run.last();
    let v = app().interview(&run.token, &run.id, "").await;
    assert_eq!(v["status"], "completed");
    assert_eq!(v["completion_reason"], last["completion_reason"]);
    assert_eq!(v["questions_asked"], n as u64);
    assert_eq!(v["total_questions"], n as u64, "a finished interview's total is what was asked");
    assert_eq!(v["skill_boundaries"], last["session_state"]["skill_boundaries"]);
    assert_eq!(v["current_difficulty"], last["session_state"]["current_difficulty"]);
    assert!(is_timestamp(&v["completed_at"]), "{v}");
    assert!(v["duration_seconds"].as_u64().is_some(), "{v}");

    let s = app().interview(&run.token, &run.id, "/status").await;
    assert_eq!(s["status"], "completed");
    assert_eq!(s["can_resume"], false);
    assert!(s["redirect_to"].as_str().is_some_and(|r| !r.is_empty()), "completed → redirect_to: {s}");
    assert_eq!(s["pending_ai_response"], false);
    assert_eq!(s["questions_asked"], n as u64);
    assert_eq!(s["last_message"]["id"], last["ai_message_id"]);

    let (status, latest) = app().get(&run.token, &interview_path(&run.id, "/messages/latest")).await;
    assert_eq!(status, 200);
    assert_eq!(latest["message_id"], last["ai_message_id"]);
    assert_eq!(latest["sequence_number"], 2 * n as u64 + 1);
    assert_eq!(latest["text"], last["ai_response"]);
}

#[tokio::test]
async fn strong_and_weak_candidates_complete_on_their_own_at_different_levels() {
    let (strong, weak) =
        tokio::join!(run_interview(RoleType::React, true), run_interview(RoleType::React, false));
    check_completed_run(&strong).await;
    check_completed_run(&weak).await;

    let strong_top = strong.levels().into_iter().max().unwrap();
    let weak_top = weak.levels().into_iter().max().unwrap();
    assert!(strong_top >= Difficulty::Advanced, "strong answers climb: {:?}", strong.levels());
    assert!(weak_top <= Difficulty::Fundamental, "weak answers never climb: {:?}", weak.levels());
    assert_eq!(strong.levels()[0], Difficulty::Warmup);

    // Excellent answers reveal no limit, so only MAX_QUESTIONS ends that interview.
    assert!(strong.boundaries().is_empty(), "{:?}", strong.boundaries());
    assert_eq!(strong.last()["completion_reason"], "max_questions");
    assert_eq!(strong.turns.len() as u64, MAX_QUESTIONS);

    // "I don't know" reveals limits; the interview ends once it has enough of them.
    let boundaries = weak.boundaries();
    assert!(boundaries.len() >= MIN_BOUNDARIES, "{boundaries:?}");
    assert_eq!(weak.last()["completion_reason"], "criteria_met");
    let mut areas = HashSet::new();
    for b in &boundaries {
        assert!(areas.insert(b["skill_area"].as_str().expect("skill_area").to_owned()), "one per area");
        assert_eq!(b["boundary_type"], "upper_limit");
        assert!(difficulty(&b["boundary_level"]) <= Difficulty::Fundamental, "{b}");
        let at = b["at_question"].as_u64().expect("at_question");
        assert!((1..=weak.turns.len() as u64).contains(&at), "{b}");
    }
    let explored = weak.last()["session_state"]["skills_explored"].as_array().expect("skills_explored").len();
    assert!(explored >= 2, "poor answers move on to other skill areas");

    // A finished interview refuses answers; /complete keeps the automatic reason.
    for run in [&strong, &weak] {
        let (status, body) = app().answer(&run.token, &run.id, "One more thing I wanted to add.").await;
        assert_eq!((status, code(&body)), (409, "INTERVIEW_COMPLETED"));
        let (status, done) = app().post(&run.token, &interview_path(&run.id, "/complete"), &json!({})).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["completion_reason"], run.last()["completion_reason"]);
        assert_eq!(done["completed_at"], app().interview(&run.token, &run.id, "").await["completed_at"]);
        assert_eq!(done["questions_answered"], run.turns.len() as u64);
        assert_eq!(messages(&run.token, &run.id).await.len(), 2 * run.turns.len() + 1, "nothing was added");
    }
}

#[tokio::test]
async fn completing_is_idempotent_and_closes_the_interview() {
    let (token, _) = register().await;
    let id = id_of(&app().start(&token, "javascript").await);
    app()
        .answer_ok(&token, &id, "Closures keep the variables of the scope they were created in alive.")
        .await;

    let path = interview_path(&id, "/complete");
    let (status, first) = app().post(&token, &path, &json!({})).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["interview_id"], id.as_str());
    assert_eq!(first["completion_reason"], "candidate_request");
    assert_eq!(first["questions_answered"], 1);
    assert_eq!(first["skill_boundaries_identified"], 0);
    assert!(is_timestamp(&first["completed_at"]), "{first}");
    assert!(first["duration_seconds"].as_u64().is_some(), "{first}");
    assert!(first["message"].as_str().is_some_and(|m| !m.is_empty()));

    let (status, second) = app().post(&token, &path, &json!({})).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["completed_at"], first["completed_at"], "completing again changes nothing");
    assert_eq!(second["completion_reason"], "candidate_request");
    assert_eq!(second["questions_answered"], 1);

    let (status, body) = app().answer(&token, &id, "Another answer after the end.").await;
    assert_eq!((status, code(&body)), (409, "INTERVIEW_COMPLETED"));
    let (status, body) = app().post(&token, &interview_path(&id, "/messages/retry"), &json!({})).await;
    assert_eq!((status, code(&body)), (409, "INTERVIEW_COMPLETED"));
    assert_eq!(messages(&token, &id).await.len(), 3, "refused answers are not stored");

    let v = app().interview(&token, &id, "").await;
    assert_eq!(v["status"], "completed");
    assert_eq!(v["completion_reason"], "candidate_request");
    assert_eq!(v["completed_at"], first["completed_at"]);
    let s = app().interview(&token, &id, "/status").await;
    assert_eq!((s["status"].as_str(), s["can_resume"].as_bool()), (Some("completed"), Some(false)));
    assert!(s["redirect_to"].is_string());
}

#[tokio::test]
async fn an_idle_interview_is_abandoned_by_the_server() {
    let (token, _) = register().await;
    let id = id_of(&app().start(&token, "react").await);
    app()
        .answer_ok(
            &token,
            &id,
            "I split components when one does too much, so each has a single responsibility.",
        )
        .await;

    // A pause shorter than the window loses nothing.
    tokio::time::sleep(Duration::from_secs(ABANDON_AFTER_SECONDS / 2)).await;
    let turn = app().answer_ok(&token, &id, "Props are the interface; children allow composition.").await;
    assert_eq!(turn["question_number"], 3);
    let last_activity = Instant::now();

    // Then silence: the server abandons it on its own (reading the status is not activity).
    let deadline = last_activity + Duration::from_secs(ABANDON_AFTER_SECONDS * 5);
    let s = loop {
        let s = app().interview(&token, &id, "/status").await;
        if s["status"] == "abandoned" {
            break s;
        }
        assert_eq!(s["status"], "in_progress", "{s}");
        assert!(
            Instant::now() < deadline,
            "not abandoned {} s after the last answer",
            ABANDON_AFTER_SECONDS * 5
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        last_activity.elapsed() >= Duration::from_secs(ABANDON_AFTER_SECONDS - 1),
        "abandoned after {:?}, before the inactivity window",
        last_activity.elapsed()
    );
    assert_eq!(s["can_restart"], true, "{s}");
    assert_eq!(s["can_resume"], false, "{s}");
    assert_eq!(s["questions_asked"], 2);

    let (status, body) = app().answer(&token, &id, "Sorry, I was away.").await;
    assert_eq!((status, code(&body)), (409, "INTERVIEW_ABANDONED"));
    assert_eq!(messages(&token, &id).await.len(), 5, "the refused answer is not stored");
    assert_eq!(app().interview(&token, &id, "").await["status"], "abandoned");

    // The projection follows.
    let sql = format!("SELECT status FROM interviews WHERE id = '{id}'");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let rows = d1_query(app().server, &sql);
        if rows.first().is_some_and(|r| r["status"] == "abandoned") {
            break;
        }
        assert!(Instant::now() < deadline, "D1 still says {rows:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn other_candidates_unknown_ids_and_anonymous_callers_get_nothing() {
    let (owner, _) = register().await;
    let id = id_of(&app().start(&owner, "fullstack").await);
    let (intruder, _) = register().await;

    let reads = ["", "/status", "/messages", "/messages/latest", "/transcript"];
    let writes = [
        ("/messages", json!({"message_text": "Let me answer this one for you."})),
        ("/messages/retry", json!({})),
        ("/complete", json!({})),
        ("/tech-check", json!({"microphone_ok": true, "camera_ok": true, "browser": "Firefox"})),
        ("/video-consent", json!({"consent": true})),
    ];
    let unknown = uuid::Uuid::new_v4().to_string();
    for (who, target) in [(&intruder, id.as_str()), (&owner, unknown.as_str()), (&owner, "not-a-uuid")] {
        for rest in reads {
            let (status, body) = app().get(who, &interview_path(target, rest)).await;
            assert_eq!((status, code(&body)), (404, "NOT_FOUND"), "GET {target}{rest}");
        }
        for (rest, body) in &writes {
            let (status, resp) = app().post(who, &interview_path(target, rest), body).await;
            assert_eq!((status, code(&resp)), (404, "NOT_FOUND"), "POST {target}{rest}");
        }
    }

    let anonymous = |req: reqwest::RequestBuilder| send(req);
    let (status, _) = anonymous(app().request(Method::GET, "/api/v1/interviews", "")).await;
    assert_eq!(status, 401, "GET /api/v1/interviews");
    let (status, _) = anonymous(
        app().request(Method::POST, "/api/v1/interviews/start", "").json(&json!({"role_type": "react"})),
    )
    .await;
    assert_eq!(status, 401, "POST /start");
    for rest in reads {
        let (status, body) = anonymous(app().request(Method::GET, &interview_path(&id, rest), "")).await;
        assert_eq!((status, code(&body)), (401, "UNAUTHORIZED"), "GET {rest}");
    }
    for (rest, body) in &writes {
        let (status, resp) =
            anonymous(app().request(Method::POST, &interview_path(&id, rest), "").json(body)).await;
        assert_eq!((status, code(&resp)), (401, "UNAUTHORIZED"), "POST {rest}");
    }

    // None of it touched the owner's interview, and it is not in the intruder's list.
    let v = app().interview(&owner, &id, "").await;
    // This binary's server abandons interviews idle for 6 s, which a loaded machine can reach
    // during the probes above; either way nothing else changed.
    assert!(v["status"] == "in_progress" || v["status"] == "abandoned", "{v}");
    assert_eq!(v["questions_asked"], 0);
    assert_eq!(v["video_recording_consent"], false);
    assert!(v["tech_check_metadata"].is_null(), "{v}");
    assert_eq!(messages(&owner, &id).await.len(), 1);
    let (status, list) = app().get(&intruder, "/api/v1/interviews").await;
    assert_eq!(status, 200);
    assert_eq!(list["total_count"], 0);
    assert_eq!(list["interviews"], json!([]));
}

#[tokio::test]
async fn invalid_answers_and_starts_name_their_field() {
    let (token, _) = register().await;
    let id = id_of(&app().start(&token, "python").await);
    let path = interview_path(&id, "/messages");
    let cases: Vec<(&str, Value, &str)> = vec![
        ("empty", json!({"message_text": ""}), "message_text"),
        ("whitespace only", json!({"message_text": "  \n\t  "}), "message_text"),
        ("missing", json!({}), "message_text"),
        ("wrong type", json!({"message_text": 42}), "message_text"),
        ("2001 characters", json!({"message_text": "a".repeat(2001)}), "message_text"),
        ("unknown field", json!({"message_text": "fine", "score": 100}), "score"),
        (
            "metadata not an object",
            json!({"message_text": "fine", "client_metadata": "pasted"}),
            "client_metadata",
        ),
        (
            "typing_ms wrong type",
            json!({"message_text": "fine", "client_metadata": {"typing_ms": "fast"}}),
            "client_metadata.typing_ms",
        ),
        (
            "typing_ms negative",
            json!({"message_text": "fine", "client_metadata": {"typing_ms": -5}}),
            "client_metadata.typing_ms",
        ),
        (
            "pasted wrong type",
            json!({"message_text": "fine", "client_metadata": {"pasted": "yes"}}),
            "client_metadata.pasted",
        ),
        (
            "metadata unknown field",
            json!({"message_text": "fine", "client_metadata": {"pasted": false, "keystrokes": 3}}),
            "client_metadata.keystrokes",
        ),
    ];
    for (case, body, field) in cases {
        let (status, resp) = app().post(&token, &path, &body).await;
        assert_eq!((status, code(&resp)), (422, "VALIDATION_ERROR"), "{case}: {resp}");
        assert_eq!(fields(&resp), vec![field.to_owned()], "{case}");
    }
    let (status, resp) = send(
        app()
            .request(Method::POST, &path, &token)
            .header("Idempotency-Key", "k".repeat(201))
            .json(&json!({"message_text": "fine"})),
    )
    .await;
    assert_eq!((status, code(&resp)), (422, "VALIDATION_ERROR"), "an oversized Idempotency-Key");
    assert_eq!(fields(&resp), vec!["Idempotency-Key".to_owned()]);
    let (status, resp) = send(
        app()
            .request(Method::POST, &path, &token)
            .header("Content-Type", "application/json")
            .body("{\"message"),
    )
    .await;
    assert_eq!((status, code(&resp)), (400, "MALFORMED_JSON"));
    let (status, _) =
        send(app().request(Method::POST, &path, &token).header("Content-Type", "text/plain").body("hello"))
            .await;
    assert_eq!(status, 415);
    assert_eq!(messages(&token, &id).await.len(), 1, "no invalid answer was stored");

    // The bounds are inclusive and apply after trimming; valid metadata is accepted.
    let padded = format!("  {}  ", "b".repeat(2000));
    app().answer_ok(&token, &id, &padded).await;
    let (status, resp) = app()
        .post(
            &token,
            &path,
            &json!({"message_text": "x", "client_metadata": {"pasted": true, "typing_ms": 1200}}),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["question_number"], 3);

    let starts: Vec<(&str, Value, &str)> = vec![
        ("unknown role", json!({"role_type": "java"}), "role_type"),
        ("missing role", json!({}), "role_type"),
        ("role wrong type", json!({"role_type": 7}), "role_type"),
        ("role in another case", json!({"role_type": "React"}), "role_type"),
        ("unknown mode", json!({"role_type": "react", "mode": "video"}), "mode"),
        ("unknown field", json!({"role_type": "react", "level": "senior"}), "level"),
    ];
    for (case, body, field) in starts {
        let (status, resp) = app().post(&token, "/api/v1/interviews/start", &body).await;
        assert_eq!((status, code(&resp)), (422, "VALIDATION_ERROR"), "{case}: {resp}");
        assert_eq!(fields(&resp), vec![field.to_owned()], "{case}");
    }

    // Staff do not take interviews.
    let admin = app().admin().await;
    let (status, resp) = app().post(&admin, "/api/v1/interviews/start", &json!({"role_type": "react"})).await;
    assert_eq!((status, code(&resp)), (403, "FORBIDDEN"));
}

#[tokio::test]
async fn an_idempotency_key_replays_its_turn_and_refuses_another_body() {
    let (token, _) = register().await;
    let id = id_of(&app().start(&token, "python").await);
    let path = interview_path(&id, "/messages");
    let key = format!("key-{}", unique());
    let body = json!({
        "message_text": "A list is mutable and a tuple is immutable, so tuples can be dictionary keys.",
        "client_metadata": {"pasted": false, "typing_ms": 4200},
    });
    let keyed = |key: &str, body: &Value| {
        send(app().request(Method::POST, &path, &token).header("Idempotency-Key", key).json(body))
    };

    let (s1, first) = keyed(&key, &body).await;
    let (s2, second) = keyed(&key, &body).await;
    assert_eq!((s1, s2), (200, 200), "{first} {second}");
    assert_eq!(first, second, "a retry returns the stored result");
    assert_eq!(first["question_number"], 2);
    assert_eq!(messages(&token, &id).await.len(), 3, "one answer and one reply, once");

    // A later turn does not change what the key replays.
    let next = app().answer_ok(&token, &id, "Generators yield values lazily, one at a time.").await;
    assert_eq!(next["question_number"], 3);
    let (s3, third) = keyed(&key, &body).await;
    assert_eq!(s3, 200);
    assert_eq!(third, first);
    assert_eq!(messages(&token, &id).await.len(), 5);

    // The same key with another body is refused and stores nothing.
    let mut other_text = body.clone();
    other_text["message_text"] = json!("Something else entirely.");
    let mut other_metadata = body.clone();
    other_metadata["client_metadata"]["pasted"] = json!(true);
    for other in [other_text, other_metadata] {
        let (status, resp) = keyed(&key, &other).await;
        assert_eq!((status, code(&resp)), (422, "IDEMPOTENCY_KEY_REUSED"), "{other}");
    }
    assert_eq!(messages(&token, &id).await.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_answers_never_duplicate_or_lose_messages() {
    let (token, _) = register().await;
    let id = id_of(&app().start(&token, "javascript").await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..6 {
        let (token, id) = (token.clone(), id.clone());
        tasks.spawn(async move {
            app()
                .answer(
                    &token,
                    &id,
                    &format!("Answer number {i}: the event loop runs microtasks before the next task."),
                )
                .await
        });
    }
    let mut ok = Vec::new();
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.expect("task");
        match status {
            200 => ok.push(body),
            409 => assert_eq!(code(&body), "AI_RESPONSE_PENDING", "{body}"),
            429 => assert_eq!(code(&body), "RATE_LIMITED", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(!ok.is_empty(), "at least one concurrent answer is accepted");

    let log = messages(&token, &id).await;
    assert_eq!(log.len(), 1 + 2 * ok.len(), "every accepted answer and its reply, nothing else");
    let mut ids = HashSet::new();
    for (i, m) in log.iter().enumerate() {
        assert_eq!(m["sequence_number"], i as u64 + 1, "contiguous and unique");
        let kind = if i % 2 == 0 { "ai_question" } else { "candidate_response" };
        assert_eq!(m["message_type"], kind);
        assert!(ids.insert(m["id"].as_str().expect("id").to_owned()), "duplicate message id");
    }
    let position = |id: &Value| log.iter().position(|m| &m["id"] == id);
    let mut numbers = Vec::new();
    for turn in &ok {
        let answer_at = position(&turn["message_id"]).expect("the accepted answer is in the log");
        assert_eq!(position(&turn["ai_message_id"]), Some(answer_at + 1), "its reply follows it");
        assert_eq!(log[answer_at + 1]["content_text"], turn["ai_response"]);
        numbers.push(turn["question_number"].as_u64().expect("question_number"));
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (2..=ok.len() as u64 + 1).collect::<Vec<_>>(), "each accepted answer is one turn");
    let s = app().interview(&token, &id, "/status").await;
    assert_eq!(s["pending_ai_response"], false);
    assert_eq!(s["questions_asked"], ok.len() as u64);
}

#[tokio::test]
async fn d1_converges_to_the_interview_log_and_lists_newest_first() {
    let run = run_interview(RoleType::Javascript, false).await;
    check_completed_run(&run).await;
    let id = run.id.clone();
    let log = messages(&run.token, &id).await;
    let expected: Vec<Value> = log
        .iter()
        .map(|m| json!([m["id"], m["sequence_number"], m["message_type"], m["content_text"]]))
        .collect();
    let v = app().interview(&run.token, &id, "").await;

    // `id` is a UUID (checked by `id_of`), so it is safe to splice into SQL.
    let messages_sql = format!(
        "SELECT id, sequence_number, message_type, content_text FROM interview_messages \
         WHERE interview_id = '{id}' ORDER BY sequence_number"
    );
    let interview_sql = format!(
        "SELECT status, completion_reason, questions_asked, current_difficulty, candidate_id, role_type \
         FROM interviews WHERE id = '{id}'"
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let rows: Vec<Value> = d1_query(app().server, &messages_sql)
            .iter()
            .map(|r| json!([r["id"], r["sequence_number"], r["message_type"], r["content_text"]]))
            .collect();
        let interview = d1_query(app().server, &interview_sql);
        let converged = rows == expected
            && interview.first().is_some_and(|r| {
                r["status"] == "completed"
                    && r["completion_reason"] == v["completion_reason"]
                    && r["questions_asked"] == v["questions_asked"]
                    && r["current_difficulty"] == v["current_difficulty"]
                    && r["candidate_id"] == v["candidate_id"]
                    && r["role_type"] == "javascript"
            });
        if converged {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "D1 did not converge: {} of {} messages, interview {interview:?}",
            rows.len(),
            expected.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The candidate's list comes from D1: newest first, with each interview's state.
    let newer = id_of(&app().start(&run.token, "react").await);
    let (status, list) = app().get(&run.token, "/api/v1/interviews").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total_count"], 2);
    let items = list["interviews"].as_array().expect("interviews");
    let listed: Vec<&str> = items.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(listed, vec![newer.as_str(), id.as_str()], "newest first");
    assert_eq!(items[0]["status"], "in_progress");
    assert_eq!(items[0]["role_type"], "react");
    assert_eq!(items[1]["status"], "completed");
    assert_eq!(items[1]["completion_reason"], v["completion_reason"]);
    assert_eq!(items[1]["questions_asked"], v["questions_asked"]);
    let (_, page) = app().get(&run.token, "/api/v1/interviews?limit=1").await;
    assert_eq!(page["interviews"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["interviews"][0]["id"], newer.as_str());
    assert_eq!(page["total_count"], 2);
    let (_, page) = app().get(&run.token, "/api/v1/interviews?skip=1&limit=1").await;
    assert_eq!(page["interviews"][0]["id"], id.as_str());
    for bad in ["limit=0", "limit=101", "skip=-1", "limit=ten"] {
        let (status, resp) = app().get(&run.token, &format!("/api/v1/interviews?{bad}")).await;
        assert_eq!((status, code(&resp)), (422, "VALIDATION_ERROR"), "{bad}");
        assert_eq!(fields(&resp), vec![bad.split('=').next().unwrap().to_owned()], "{bad}");
    }
}

#[tokio::test]
async fn at_most_ten_interviews_start_per_hour() {
    let (token, _) = register().await;
    for i in 0..10 {
        let (status, body) =
            app().post(&token, "/api/v1/interviews/start", &json!({"role_type": "react"})).await;
        assert_eq!(status, 201, "start {i}: {body}");
    }
    let resp = app()
        .request(Method::POST, "/api/v1/interviews/start", &token)
        .json(&json!({"role_type": "react"}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1, "Retry-After {retry}");
    assert_eq!(code(&resp.json::<Value>().await.unwrap()), "RATE_LIMITED");
    // Another candidate is unaffected.
    let (other, _) = register().await;
    app().start(&other, "react").await;
}

#[tokio::test]
async fn every_route_answers_the_documented_shape() {
    let (token, user_id) = register().await;
    let started = app().start(&token, "react").await;
    let id = id_of(&started);
    assert_eq!(started["candidate_id"], user_id.as_str());
    assert_eq!(started["role_type"], "react");
    assert_eq!(started["status"], "in_progress");
    assert_eq!(started["mode"], "text", "text is the default mode");
    assert!(is_timestamp(&started["started_at"]));
    assert_eq!(started["current_difficulty"], "warmup");
    assert_eq!(started["question_number"], 1);
    let total = started["total_questions"].as_u64().expect("total_questions");
    assert!((1..=MAX_QUESTIONS).contains(&total));
    let first = &started["first_question"];
    assert!(is_uuid(&first["message_id"]));
    assert!(first["text"].as_str().is_some_and(|t| !t.trim().is_empty()));
    assert!(first["skill_area"].as_str().is_some_and(|a| !a.is_empty()));
    assert_eq!(first["difficulty"], "warmup");
    assert!(started["realtime_url"].as_str().is_some_and(|u| u.contains(&id)));

    // The first question is persisted before the start answers.
    let (status, latest) = app().get(&token, &interview_path(&id, "/messages/latest")).await;
    assert_eq!(status, 200);
    assert_eq!(latest["message_id"], first["message_id"]);
    assert_eq!(latest["sequence_number"], 1);
    assert_eq!(latest["text"], first["text"]);

    // The alias, and the voice mode.
    let (status, alias) =
        app().post(&token, "/api/v1/interviews", &json!({"role_type": "python", "mode": "voice"})).await;
    assert_eq!(status, 201, "{alias}");
    assert_eq!((alias["role_type"].as_str(), alias["mode"].as_str()), (Some("python"), Some("voice")));

    let t1 = app()
        .answer_ok(&token, &id, "I built a data table and split out the row and toolbar components.")
        .await;
    let t2 = app()
        .answer_ok(&token, &id, "JSX compiles to React.createElement calls; I missed className at first.")
        .await;
    for (k, turn) in [(1u64, &t1), (2, &t2)] {
        assert!(is_uuid(&turn["message_id"]) && is_uuid(&turn["ai_message_id"]));
        assert!(turn["ai_response"].is_string());
        assert_eq!(turn["question_number"], k + 1);
        assert!(turn["total_questions"].as_u64().is_some_and(|t| t > k && t <= MAX_QUESTIONS));
        assert_eq!(turn["interview_complete"], false);
        let state = &turn["session_state"];
        assert_eq!(state["questions_asked"], k);
        difficulty(&state["current_difficulty"]);
        assert!(state["skill_boundaries"].is_array() && state["skills_explored"].is_array(), "{state}");
    }
    assert_eq!(
        t2["session_state"]["current_difficulty"], "fundamental",
        "two warmup questions, then fundamental"
    );

    let v = app().interview(&token, &id, "").await;
    for key in [
        "id",
        "candidate_id",
        "role_type",
        "status",
        "mode",
        "started_at",
        "completed_at",
        "duration_seconds",
        "completion_reason",
        "current_difficulty",
        "questions_asked",
        "total_questions",
        "skill_boundaries",
        "video_recording_consent",
        "video_recording_status",
    ] {
        assert!(v.get(key).is_some(), "GET /interviews/{{id}} lacks {key}: {v}");
    }
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["candidate_id"], user_id.as_str());
    assert_eq!(v["status"], "in_progress");
    assert_eq!(v["started_at"], started["started_at"]);
    assert!(v["completed_at"].is_null() && v["completion_reason"].is_null());
    assert_eq!(v["current_difficulty"], "fundamental");
    assert_eq!(v["questions_asked"], 2);
    assert_eq!(v["video_recording_consent"], false);
    assert!(v["video_recording_status"].is_string());
    assert!(v.get("cost_usd").is_none(), "cost is for staff only");

    let s = app().interview(&token, &id, "/status").await;
    assert_eq!(s["status"], "in_progress");
    assert_eq!(s["questions_asked"], 2);
    assert_eq!(s["current_difficulty"], "fundamental");
    assert!(is_timestamp(&s["last_activity_at"]));
    assert_eq!(s["pending_ai_response"], false);
    assert_eq!(s["can_resume"], true);
    assert_eq!(s["last_message"]["id"], t2["ai_message_id"]);
    assert_eq!(s["last_message"]["sequence_number"], 5);
    assert!(absent_or_null(&s, "redirect_to") && absent_or_null(&s, "can_restart"), "{s}");

    // Messages: ordered, paginated by skip/limit and after_seq, total_count over the whole log.
    let all = messages(&token, &id).await;
    assert_eq!(all.len(), 5);
    for m in &all {
        for key in ["id", "sequence_number", "message_type", "content_text", "created_at", "audio_url"] {
            assert!(m.get(key).is_some(), "a message lacks {key}: {m}");
        }
    }
    let seqs = |body: &Value| -> Vec<u64> {
        body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter_map(|m| m["sequence_number"].as_u64())
            .collect()
    };
    for (query, expected) in [
        ("skip=1&limit=2", vec![2, 3]),
        ("after_seq=3", vec![4, 5]),
        ("after_seq=2&limit=1", vec![3]),
        ("skip=4", vec![5]),
        ("skip=9", vec![]),
    ] {
        let (status, page) = app().get(&token, &interview_path(&id, &format!("/messages?{query}"))).await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(seqs(&page), expected, "{query}");
        assert_eq!(page["total_count"].as_u64(), Some(5), "{query}: total_count counts the whole log");
        assert_eq!(page["interview_id"], id.as_str());
    }
    for (query, field) in [("limit=101", "limit"), ("skip=-1", "skip"), ("after_seq=x", "after_seq")] {
        let (status, resp) = app().get(&token, &interview_path(&id, &format!("/messages?{query}"))).await;
        assert_eq!((status, code(&resp)), (422, "VALIDATION_ERROR"), "{query}");
        assert_eq!(fields(&resp), vec![field.to_owned()], "{query}");
    }

    let (status, latest) = app().get(&token, &interview_path(&id, "/messages/latest")).await;
    assert_eq!(status, 200);
    assert_eq!(latest["message_id"], t2["ai_message_id"]);
    assert_eq!(latest["sequence_number"], 5);
    assert_eq!(latest["text"], t2["ai_response"]);
    assert!(latest.get("audio_url").is_some());

    let (status, transcript) = app().get(&token, &interview_path(&id, "/transcript")).await;
    assert_eq!(status, 200);
    assert_eq!(transcript["interview_id"], id.as_str());
    assert_eq!(transcript["started_at"], started["started_at"]);
    assert!(transcript["completed_at"].is_null());
    assert!(transcript["duration_seconds"].as_u64().is_some(), "{transcript}");
    assert_eq!(transcript["messages"], json!(all));

    // Tech check and video consent are stored on the interview.
    let check = json!({"microphone_ok": true, "camera_ok": false, "browser": "Firefox 140", "sample_rate_hz": 48000, "notes": "USB headset"});
    let (status, resp) = app().post(&token, &interview_path(&id, "/tech-check"), &check).await;
    assert_eq!(status, 200, "{resp}");
    let stored = &app().interview(&token, &id, "").await["tech_check_metadata"];
    for key in ["microphone_ok", "camera_ok", "browser", "sample_rate_hz", "notes"] {
        assert_eq!(stored[key], check[key], "tech_check_metadata.{key}");
    }
    for (body, field) in [
        (json!({"microphone_ok": true, "camera_ok": true}), "browser"),
        (json!({"microphone_ok": "yes", "camera_ok": true, "browser": "Chrome"}), "microphone_ok"),
        (
            json!({"microphone_ok": true, "camera_ok": true, "browser": "Chrome", "sample_rate_hz": 10}),
            "sample_rate_hz",
        ),
        (
            json!({"microphone_ok": true, "camera_ok": true, "browser": "Chrome", "speakers_ok": true}),
            "speakers_ok",
        ),
    ] {
        let (status, resp) = app().post(&token, &interview_path(&id, "/tech-check"), &body).await;
        assert_eq!((status, code(&resp)), (422, "VALIDATION_ERROR"), "{body}");
        assert_eq!(fields(&resp), vec![field.to_owned()], "{body}");
    }
    for consent in [true, false, true] {
        let (status, resp) =
            app().post(&token, &interview_path(&id, "/video-consent"), &json!({"consent": consent})).await;
        assert_eq!(status, 200, "{resp}");
        assert_eq!(resp["video_recording_consent"], consent);
        assert_eq!(app().interview(&token, &id, "").await["video_recording_consent"], consent);
    }
    let (status, resp) =
        app().post(&token, &interview_path(&id, "/video-consent"), &json!({"consent": "yes"})).await;
    assert_eq!((status, code(&resp)), (422, "VALIDATION_ERROR"));
    assert_eq!(fields(&resp), vec!["consent".to_owned()]);
    assert_eq!(
        app().interview(&token, &id, "").await["video_recording_consent"],
        true,
        "a refused change keeps the consent"
    );
}
