//! The whole turn path, natively, against the in-memory ports: no workerd involved.

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::ai::errors::AiError;
use crate::config::{Config, DEFAULT_ORG_ID};
use crate::domain::engine::cost::ChatUsage;
use crate::domain::enums::{
    CompletionReason, InterviewMode, InterviewStatus, MessageType, RoleType, UserRole,
};
use crate::ids::{IdempotencyKey, InterviewId, UserId};

use super::memory::{
    ManualClock, MemoryAlarm, MemoryLog, MemoryProjector, MemoryStore, ScriptedProvider, SeqIds, Step,
};
use super::*;

/// Runs a future that never waits on real I/O (every port here answers at once).
fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

const START_MS: i64 = 1_700_000_000_000;

struct World {
    store: MemoryStore,
    alarm: MemoryAlarm,
    provider: ScriptedProvider,
    clock: ManualClock,
    ids: SeqIds,
    log: MemoryLog,
    config: Config,
    in_flight: Cell<Option<u32>>,
    projector: MemoryProjector,
}

impl World {
    fn new(vars: &[(&str, &str)], provider: ScriptedProvider) -> Self {
        let vars: Vec<(String, String)> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let config = Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .unwrap_or_else(|e| panic!("config: {e:?}"));
        World {
            store: MemoryStore::default(),
            alarm: MemoryAlarm::default(),
            provider,
            clock: ManualClock::at(START_MS),
            ids: SeqIds::default(),
            log: MemoryLog::default(),
            config,
            in_flight: Cell::new(None),
            projector: MemoryProjector::default(),
        }
    }

    fn builtin() -> Self {
        World::new(&[], ScriptedProvider::default())
    }

    fn interview(&self) -> Interview<'_, MemoryAlarm, ScriptedProvider> {
        Interview {
            store: &self.store,
            alarm: &self.alarm,
            provider: &self.provider,
            clock: &self.clock,
            ids: &self.ids,
            log: &self.log,
            config: &self.config,
            in_flight: &self.in_flight,
        }
    }

    fn start(&self) -> Started {
        let body = StartInterview {
            interview_id: InterviewId::new("i-1"),
            candidate_id: UserId::new("cand"),
            role_type: RoleType::Javascript,
            mode: InterviewMode::Text,
            resume_id: None,
            skill_areas: None,
            org_id: None,
            job: None,
        };
        run(self.interview().start(&candidate(), body)).unwrap_or_else(|e| panic!("start: {e:?}"))
    }

    fn answer(&self, text: &str, key: Option<&str>) -> Result<TurnReply> {
        self.clock.advance(20_000);
        run(self.interview().turn(&candidate(), answer(text, key)))
    }

    fn messages(&self) -> Vec<(u32, MessageType)> {
        self.store.messages.borrow().values().map(|m| (m.seq, m.message_type)).collect()
    }

    fn record(&self) -> crate::domain::interview::InterviewRecord {
        self.store.record.borrow().clone().unwrap_or_else(|| panic!("no record"))
    }
}

fn candidate() -> Caller {
    Caller::candidate(UserId::new("cand"))
}

fn answer(text: &str, key: Option<&str>) -> Answer {
    Answer {
        message_text: text.into(),
        client_metadata: serde_json::Value::Null,
        idempotency_key: key.map(IdempotencyKey::new),
        audio_url: None,
    }
}

const STRONG: &str = "A closure is a function bundled with the lexical scope it was created in, so it keeps \
    access to outer variables after the outer function returns; that is how private state and \
    callbacks that remember their context work, and why a loop with var captures one shared binding.";

fn unavailable() -> AiError {
    AiError::Network { timed_out: true }
}

#[test]
fn start_writes_the_first_question_and_its_projection() {
    let w = World::builtin();
    let started = w.start();
    assert_eq!(started.question_number, 1);
    assert_eq!(w.messages(), vec![(1, MessageType::AiQuestion)]);
    let kinds: Vec<String> = w.store.outbox.borrow().iter().map(|r| r.kind.clone()).collect();
    assert_eq!(kinds, vec!["interview", "message"]);
    // Inactivity and the outbox's fallback flush are scheduled and the alarm points at the
    // earliest (the shell flushes at once; the alarm only if that did not happen).
    assert_eq!(w.alarm.due_ms.get(), Some(START_MS + alarm::OUTBOX_FALLBACK_MS));
    assert!(matches!(
        run(w.interview().start(
            &candidate(),
            StartInterview {
                interview_id: InterviewId::new("i-1"),
                candidate_id: UserId::new("cand"),
                role_type: RoleType::React,
                mode: InterviewMode::Text,
                resume_id: None,
                skill_areas: None,
                org_id: None,
                job: None,
            }
        )),
        Err(InterviewError::AlreadyExists)
    ));
}

#[test]
fn a_builtin_turn_stores_answer_reply_evaluation_and_result_once() {
    let w = World::builtin();
    w.start();
    let reply = w.answer(STRONG, None).unwrap_or_else(|e| panic!("turn: {e:?}"));
    assert_eq!(reply.question_number, 2);
    assert!(!reply.interview_complete);
    assert_eq!(
        w.messages(),
        vec![(1, MessageType::AiQuestion), (2, MessageType::CandidateResponse), (3, MessageType::AiQuestion)]
    );
    assert_eq!(w.store.evaluations.borrow().len(), 1);
    assert_eq!(w.store.results.borrow().get(&2), Some(&reply));
    assert!(w.record().pending.is_none());
    assert_eq!(w.provider.calls.get(), 1);
    assert_eq!(w.log.count("turn"), 1);
}

#[test]
fn a_keyed_retry_replays_without_duplicates_and_a_reused_key_is_refused() {
    let w = World::builtin();
    w.start();
    let first = w.answer(STRONG, Some("key-1")).unwrap_or_else(|e| panic!("turn: {e:?}"));
    let again = w.answer(STRONG, Some("key-1")).unwrap_or_else(|e| panic!("replay: {e:?}"));
    assert_eq!(first, again);
    assert_eq!(w.messages().len(), 3, "a replay writes nothing");
    assert_eq!(w.provider.calls.get(), 1, "a replay calls no provider");
    assert_eq!(w.answer("something else", Some("key-1")), Err(InterviewError::KeyReused));
}

#[test]
fn a_provider_failure_keeps_the_answer_pending_and_retry_finishes_it_once() {
    let w = World::new(&[], ScriptedProvider::with([Step::Fail(unavailable()), Step::Fail(unavailable())]));
    w.start();
    let err = w.answer(STRONG, Some("k")).err();
    let Some(InterviewError::AiUnavailable { retry_after_secs, message_id }) = err else {
        panic!("expected AI_UNAVAILABLE, got {err:?}")
    };
    assert!(retry_after_secs >= 1);
    // The answer is saved, pending, and is the message the error names.
    assert_eq!(w.messages(), vec![(1, MessageType::AiQuestion), (2, MessageType::CandidateResponse)]);
    assert_eq!(w.store.messages.borrow().get(&2).map(|m| m.id.clone()), Some(message_id));
    assert_eq!(w.record().pending.as_ref().map(|p| p.answer_seq), Some(2));
    // The envelope is a 503 with Retry-After.
    let api: crate::http::error::ApiError =
        InterviewError::AiUnavailable { retry_after_secs: 3, message_id: "m".into() }.into();
    assert_eq!(api.status(), 503);
    assert_eq!(api.retry_after, Some(3));
    // Another answer while one is pending is refused; the same key resumes the pending turn.
    assert_eq!(w.answer("a second answer", None), Err(InterviewError::AnswerPending));
    assert!(matches!(w.answer(STRONG, Some("k")), Err(InterviewError::AiUnavailable { .. })));
    // Retry once the provider is back: one reply, no duplicate answer.
    let reply = run(w.interview().retry(&candidate())).unwrap_or_else(|e| panic!("retry: {e:?}"));
    assert_eq!(reply.question_number, 2);
    assert_eq!(w.messages().len(), 3);
    // A second retry replays the finished turn.
    assert_eq!(run(w.interview().retry(&candidate())), Ok(reply.clone()));
    assert_eq!(w.answer(STRONG, Some("k")), Ok(reply));
    assert_eq!(w.messages().len(), 3);
}

#[test]
fn the_interview_completes_at_the_question_limit_and_then_refuses_answers() {
    let w = World::new(
        &[("MIN_QUESTIONS", "3"), ("MAX_QUESTIONS", "3"), ("ANSWER_RATE_BURST", "50")],
        ScriptedProvider::default(),
    );
    w.start();
    let mut last = None;
    for _ in 0..10 {
        let reply = w.answer(STRONG, None).unwrap_or_else(|e| panic!("turn: {e:?}"));
        let done = reply.interview_complete;
        last = Some(reply);
        if done {
            break;
        }
    }
    let last = last.unwrap_or_else(|| panic!("no turn"));
    assert!(last.interview_complete);
    assert!(matches!(
        last.completion_reason,
        Some(CompletionReason::MaxQuestions | CompletionReason::CriteriaMet)
    ));
    assert_eq!(w.record().status, InterviewStatus::Completed);
    assert_eq!(w.answer(STRONG, None), Err(InterviewError::Completed));
    // The alarm generates the assessment, which the candidate can then read.
    assert!(matches!(
        w.interview().assessment(&candidate()),
        Ok(AssessmentReply::NotYet { status: AssessmentProgress::Generating })
    ));
    let report = run(w.interview().run_alarm(&w.projector)).unwrap_or_else(|e| panic!("alarm: {e:?}"));
    assert!(!report.abandoned);
    assert!(matches!(w.interview().assessment(&candidate()), Ok(AssessmentReply::Ready(_))));
    let kinds: Vec<String> = w.projector.applied.borrow().iter().map(|r| r.kind.clone()).collect();
    assert!(
        kinds.contains(&"assessment".to_owned())
            || w.store.outbox.borrow().iter().any(|r| r.kind == "assessment")
    );
}

#[test]
fn the_cost_cap_ends_the_interview() {
    let provider = ScriptedProvider::default();
    *provider.usage.borrow_mut() = Some(Usage {
        model: "gpt-4o-mini".into(),
        chat: ChatUsage { input_tokens: 0, cached_input_tokens: 0, output_tokens: 20_000_000 },
        truncated: false,
    });
    let w = World::new(&[("INTERVIEW_COST_CAP_USD", "1.00")], provider);
    w.start();
    let reply = w.answer(STRONG, None).unwrap_or_else(|e| panic!("turn: {e:?}"));
    assert!(reply.interview_complete);
    assert_eq!(reply.completion_reason, Some(CompletionReason::CostLimit));
    assert_eq!(w.record().completion_reason, Some(CompletionReason::CostLimit));
}

#[test]
fn inactivity_abandons_the_interview_and_closes_it() {
    let w = World::builtin();
    w.start();
    w.answer(STRONG, None).unwrap_or_else(|e| panic!("turn: {e:?}"));
    // Not yet: the alarm re-arms for the end of the window.
    w.clock.advance(60_000);
    let report = run(w.interview().run_alarm(&w.projector)).unwrap_or_else(|e| panic!("alarm: {e:?}"));
    assert!(!report.abandoned);
    assert_eq!(w.record().status, InterviewStatus::InProgress);
    w.clock.advance(31 * 60_000);
    let report = run(w.interview().run_alarm(&w.projector)).unwrap_or_else(|e| panic!("alarm: {e:?}"));
    assert!(report.abandoned);
    assert_eq!(w.record().status, InterviewStatus::Abandoned);
    assert_eq!(w.answer(STRONG, None), Err(InterviewError::Abandoned));
    // An answer was given, so a partial assessment is scheduled.
    assert!(w.store.schedule.borrow().contains_key("assessment"));
}

#[test]
fn access_is_checked_on_every_operation() {
    let w = World::builtin();
    w.start();
    let other = Caller::candidate(UserId::new("someone-else"));
    let staff = Caller {
        user_id: UserId::new("rec"),
        role: UserRole::Recruiter,
        session: None,
        org: Some(DEFAULT_ORG_ID.into()),
    };
    assert_eq!(w.interview().view(&other).err(), Some(InterviewError::NotFound));
    assert_eq!(run(w.interview().turn(&other, answer(STRONG, None))).err(), Some(InterviewError::NotFound));
    assert_eq!(run(w.interview().turn(&staff, answer(STRONG, None))).err(), Some(InterviewError::Forbidden));
    assert!(w.interview().view(&staff).is_ok());
    assert!(w.interview().detail(&staff).is_ok());
    assert_eq!(w.interview().detail(&candidate()).err(), Some(InterviewError::Forbidden));
}

#[test]
fn another_organizations_staff_are_told_the_interview_does_not_exist() {
    let w = World::builtin();
    w.start();
    assert_eq!(w.record().org_id.as_deref(), Some(DEFAULT_ORG_ID), "self-started: the default organization");
    for role in [UserRole::Viewer, UserRole::Recruiter, UserRole::Admin] {
        let outsider =
            Caller { user_id: UserId::new("rec-b"), role, session: None, org: Some("org-b".into()) };
        assert_eq!(w.interview().view(&outsider).err(), Some(InterviewError::NotFound));
        assert_eq!(w.interview().detail(&outsider).err(), Some(InterviewError::NotFound));
        assert_eq!(w.interview().transcript(&outsider).err(), Some(InterviewError::NotFound));
        assert_eq!(
            run(w.interview().turn(&outsider, answer(STRONG, None))).err(),
            Some(InterviewError::NotFound),
            "not 403: that would confirm the id exists"
        );
        assert_eq!(w.interview().authorize_answer(&outsider), Err(InterviewError::NotFound));
    }
    let staff_without_org =
        Caller { user_id: UserId::new("x"), role: UserRole::Admin, session: None, org: None };
    assert_eq!(w.interview().view(&staff_without_org).err(), Some(InterviewError::NotFound));
}

#[test]
fn answering_too_fast_is_rate_limited() {
    let w = World::new(
        &[("ANSWER_RATE_BURST", "2"), ("ANSWER_RATE_PER_MINUTE", "1")],
        ScriptedProvider::default(),
    );
    w.start();
    let quick = |text: &str| run(w.interview().turn(&candidate(), answer(text, None)));
    assert!(quick(STRONG).is_ok());
    assert!(quick(STRONG).is_ok());
    assert!(matches!(quick(STRONG), Err(InterviewError::RateLimited { .. })));
}

#[test]
fn the_outbox_retries_until_the_projection_lands() {
    let w = World::builtin();
    w.start();
    w.projector.failing.set(true);
    w.clock.advance(alarm::OUTBOX_FALLBACK_MS);
    let report = run(w.interview().run_alarm(&w.projector));
    assert!(report.is_ok());
    assert_eq!(w.store.outbox.borrow().len(), 2, "nothing is lost while the projection is down");
    assert!(w.store.outbox.borrow().iter().all(|r| r.attempts == 1));
    assert!(w.alarm.due_ms.get().is_some_and(|due| due > w.clock.0.get()), "retried with backoff");
    w.projector.failing.set(false);
    w.clock.advance(2_000);
    run(w.interview().run_alarm(&w.projector)).unwrap_or_else(|e| panic!("alarm: {e:?}"));
    assert!(w.store.outbox.borrow().is_empty());
    assert_eq!(w.projector.applied.borrow().len(), 2);
}

#[test]
fn a_step_is_projected_at_once_and_turns_leave_the_fallback_alarm_alone() {
    let w = World::builtin();
    w.start();
    assert!(run(w.interview().flush_queued(&w.projector)));
    assert!(w.store.outbox.borrow().is_empty());
    assert_eq!(w.projector.applied.borrow().len(), 2);
    let (due, armed) = (w.alarm.due_ms.get(), w.alarm.armed.get());
    assert_eq!(due, Some(START_MS + alarm::OUTBOX_FALLBACK_MS), "the fallback stays after a flush");
    for seconds in 1..=3 {
        w.clock.advance(1_000);
        w.answer(STRONG, None).unwrap_or_else(|e| panic!("turn {seconds}: {e:?}"));
        assert_eq!(w.alarm.due_ms.get(), due, "a turn inside the window does not move the alarm");
    }
    assert!(w.alarm.armed.get() > armed);
    assert!(!w.store.outbox.borrow().is_empty(), "the turns queued their rows");
    // The shell's flush failing leaves the rows for the fallback, which projects them.
    w.projector.failing.set(true);
    assert!(!run(w.interview().flush_queued(&w.projector)));
    let queued = w.store.outbox.borrow().len();
    w.projector.failing.set(false);
    w.clock.advance(alarm::OUTBOX_FALLBACK_MS);
    run(w.interview().run_alarm(&w.projector)).unwrap_or_else(|e| panic!("alarm: {e:?}"));
    assert!(w.store.outbox.borrow().is_empty());
    assert_eq!(w.projector.applied.borrow().len(), 2 + queued);
    // Nothing queued: the alarm points at the inactivity deadline, past the fallback window.
    assert!(w.alarm.due_ms.get().is_some_and(|d| d > w.clock.0.get() + alarm::OUTBOX_FALLBACK_MS));
}

#[test]
fn views_page_messages_and_validate_their_query() {
    let w = World::builtin();
    w.start();
    w.answer(STRONG, None).unwrap_or_else(|e| panic!("turn: {e:?}"));
    let q = MessagesQuery { skip: Some("1".into()), limit: Some("1".into()), after_seq: None };
    let page = w.interview().messages(&candidate(), &q).unwrap_or_else(|e| panic!("messages: {e:?}"));
    assert_eq!(page.total_count, 3);
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.messages[0]["sequence_number"], 2);
    let bad = MessagesQuery { limit: Some("500".into()), ..MessagesQuery::default() };
    assert!(matches!(
        w.interview().messages(&candidate(), &bad),
        Err(InterviewError::InvalidParam { field: "limit", .. })
    ));
    let latest = w.interview().latest(&candidate()).unwrap_or_else(|e| panic!("latest: {e:?}"));
    assert_eq!(latest.sequence_number, 3);
    let status = w.interview().status(&candidate()).unwrap_or_else(|e| panic!("status: {e:?}"));
    assert_eq!(status["pending_ai_response"], false);
}

#[test]
fn completing_is_idempotent_and_schedules_the_assessment() {
    let w = World::builtin();
    w.start();
    w.answer(STRONG, None).unwrap_or_else(|e| panic!("turn: {e:?}"));
    let done = run(w.interview().complete(&candidate())).unwrap_or_else(|e| panic!("complete: {e:?}"));
    assert_eq!(done.completion_reason, Some(CompletionReason::CandidateRequest));
    let again = run(w.interview().complete(&candidate())).unwrap_or_else(|e| panic!("complete: {e:?}"));
    assert_eq!(again.completed_at, done.completed_at);
    assert!(w.store.schedule.borrow().contains_key("assessment"));
}

mod openai {
    //! The OpenAI provider through the aggregate, with a scripted HTTP client.

    use super::*;
    use crate::ai::client::HttpReply;
    use crate::interview::memory::ScriptedHttp;
    use crate::interview::provider::StandardProvider;

    fn model_content() -> serde_json::Value {
        serde_json::json!({
            "evaluation": {"answer_quality": "good", "technical_accuracy": 0.8, "explanation_clarity": 0.7,
                "identified_skills": ["closures"], "missed_concepts": []},
            "next_questions": {"probe": "How would a closure help you build a counter with private state?",
                "easier": "What is a variable's scope?", "same": "What does `this` refer to inside an arrow function?",
                "harder": "How do closures interact with the event loop when callbacks run later?"}
        })
    }

    struct OpenAiWorld {
        store: MemoryStore,
        alarm: MemoryAlarm,
        http: ScriptedHttp,
        clock: ManualClock,
        ids: SeqIds,
        log: MemoryLog,
        config: Config,
        in_flight: Cell<Option<u32>>,
    }

    impl OpenAiWorld {
        fn new(replies: Vec<std::result::Result<HttpReply, crate::ai::client::NoAnswer>>) -> Self {
            let config = Config::from_lookup(|name| match name {
                "OPENAI_API_KEY" => Some("sk-test".into()),
                "OPENAI_RETRY_BASE_MS" => Some("10".into()),
                _ => None,
            })
            .unwrap_or_else(|e| panic!("config: {e:?}"));
            let http = ScriptedHttp::default();
            *http.replies.borrow_mut() = replies.into();
            OpenAiWorld {
                store: MemoryStore::default(),
                alarm: MemoryAlarm::default(),
                http,
                clock: ManualClock::at(START_MS),
                ids: SeqIds::default(),
                log: MemoryLog::default(),
                config,
                in_flight: Cell::new(None),
            }
        }

        fn run_turn(&self, text: &str) -> Result<TurnReply> {
            let provider = StandardProvider { config: &self.config, http: &self.http };
            let interview = Interview {
                store: &self.store,
                alarm: &self.alarm,
                provider: &provider,
                clock: &self.clock,
                ids: &self.ids,
                log: &self.log,
                config: &self.config,
                in_flight: &self.in_flight,
            };
            if !self.store.exists().unwrap_or(false) {
                let body = StartInterview {
                    interview_id: InterviewId::new("i-ai"),
                    candidate_id: UserId::new("cand"),
                    role_type: RoleType::Javascript,
                    mode: InterviewMode::Text,
                    resume_id: None,
                    skill_areas: None,
                    org_id: None,
                    job: None,
                };
                run(interview.start(&candidate(), body)).unwrap_or_else(|e| panic!("start: {e:?}"));
            }
            self.clock.advance(20_000);
            run(interview.turn(&candidate(), answer(text, None)))
        }
    }

    #[test]
    fn a_model_turn_uses_the_models_evaluation_and_bills_its_tokens() {
        let w = OpenAiWorld::new(vec![Ok(ScriptedHttp::completion(&model_content()))]);
        let reply = w.run_turn(STRONG).unwrap_or_else(|e| panic!("turn: {e:?}"));
        assert_eq!(reply.question_number, 2);
        assert_eq!(w.http.calls.get(), 1, "one model call per turn");
        let session = w.store.session.borrow().clone().unwrap_or_else(|| panic!("session"));
        assert_eq!(session.state.cost.tokens_in, 1200);
        assert_eq!(session.state.cost.tokens_out, 200);
        assert!(session.state.cost.llm_micros > 0);
        let record = w.store.record.borrow().clone().unwrap_or_else(|| panic!("record"));
        assert_eq!(record.ai_provider, crate::config::AiProviderKind::Openai);
    }

    #[test]
    fn server_errors_are_retried_then_answered() {
        let w = OpenAiWorld::new(vec![
            Ok(ScriptedHttp::status(500)),
            Ok(ScriptedHttp::completion(&model_content())),
        ]);
        let reply = w.run_turn(STRONG).unwrap_or_else(|e| panic!("turn: {e:?}"));
        assert!(!reply.interview_complete);
        assert_eq!(w.http.calls.get(), 2);
        assert_eq!(w.http.slept_ms.borrow().len(), 1, "one backoff wait between the attempts");
    }

    #[test]
    fn a_model_that_keeps_failing_leaves_the_answer_pending_and_opens_the_breaker() {
        let w = OpenAiWorld::new(vec![Ok(ScriptedHttp::status(503))]);
        let err = w.run_turn(STRONG).err();
        assert!(matches!(err, Some(InterviewError::AiUnavailable { .. })), "{err:?}");
        let record = w.store.record.borrow().clone().unwrap_or_else(|| panic!("record"));
        assert!(record.pending.is_some(), "the answer is kept, pending");
        assert!(w.store.slots.borrow().contains_key("breaker"), "the breaker's failures are stored");
        // The model comes back: retry finishes the same answer once.
        *w.http.replies.borrow_mut() = vec![Ok(ScriptedHttp::completion(&model_content()))].into();
        let provider = StandardProvider { config: &w.config, http: &w.http };
        let interview = Interview {
            store: &w.store,
            alarm: &w.alarm,
            provider: &provider,
            clock: &w.clock,
            ids: &w.ids,
            log: &w.log,
            config: &w.config,
            in_flight: &w.in_flight,
        };
        w.clock.advance(120_000);
        let reply = run(interview.retry(&candidate())).unwrap_or_else(|e| panic!("retry: {e:?}"));
        assert_eq!(reply.question_number, 2);
        assert_eq!(w.store.messages.borrow().len(), 3);
    }

    #[test]
    fn an_unusable_model_answer_is_a_failure_not_a_score() {
        let w = OpenAiWorld::new(vec![Ok(ScriptedHttp::completion(&serde_json::json!({"nonsense": true})))]);
        let err = w.run_turn(STRONG).err();
        assert!(matches!(err, Some(InterviewError::AiUnavailable { .. })), "{err:?}");
        assert!(w.store.evaluations.borrow().is_empty());
    }
}

mod spend {
    //! Spend limits on the paid paths that are not a whole turn.

    use super::*;
    use crate::domain::engine::cost::RealtimeUsage;

    #[test]
    fn a_flood_of_realtime_commits_gets_only_the_answers_the_rate_allows() {
        let w = World::new(
            &[("ANSWER_RATE_BURST", "5"), ("ANSWER_RATE_PER_MINUTE", "20")],
            ScriptedProvider::default(),
        );
        w.start();
        let mut allowed = 0;
        for i in 0..300 {
            // 300 commits in 3 s.
            w.clock.0.set(START_MS + 10 * i);
            if w.interview().authorize_response(&candidate()).is_ok() {
                allowed += 1;
            }
        }
        // The burst, plus one refill every 3 s.
        assert!((5..=6).contains(&allowed), "allowed {allowed}");
        let staff = Caller {
            user_id: UserId::new("rec"),
            role: UserRole::Recruiter,
            session: None,
            org: Some(DEFAULT_ORG_ID.into()),
        };
        assert_eq!(w.interview().authorize_response(&staff), Err(InterviewError::Forbidden));
    }

    #[test]
    fn a_legacy_voice_answer_is_authorized_before_anything_is_paid() {
        let w = World::new(&[], ScriptedProvider::with([Step::Fail(unavailable())]));
        w.start();
        assert_eq!(w.interview().authorize_answer(&candidate()), Ok(()));
        assert_eq!(w.interview().authorize_answer(&candidate()), Ok(()), "authorizing takes no token");
        let staff = Caller {
            user_id: UserId::new("rec"),
            role: UserRole::Admin,
            session: None,
            org: Some(DEFAULT_ORG_ID.into()),
        };
        assert_eq!(w.interview().authorize_answer(&staff), Err(InterviewError::Forbidden));
        let other = Caller::candidate(UserId::new("other"));
        assert_eq!(w.interview().authorize_answer(&other), Err(InterviewError::NotFound));
        // With an answer pending, a new one is refused before it is transcribed.
        assert!(w.answer(STRONG, None).is_err());
        assert_eq!(w.interview().authorize_answer(&candidate()), Err(InterviewError::AnswerPending));
    }

    #[test]
    fn realtime_usage_past_the_cap_ends_the_interview_at_once() {
        let w = World::new(&[("INTERVIEW_COST_CAP_USD", "0.50")], ScriptedProvider::default());
        w.start();
        let small = RealtimeUsage { audio_output_tokens: 1_000, ..RealtimeUsage::default() };
        assert_eq!(w.interview().add_realtime_usage(&small), Ok(false));
        assert_eq!(w.record().status, InterviewStatus::InProgress);
        let large = RealtimeUsage { audio_output_tokens: 100_000, ..RealtimeUsage::default() };
        assert_eq!(w.interview().add_realtime_usage(&large), Ok(true));
        assert_eq!(w.record().status, InterviewStatus::Completed);
        assert_eq!(w.record().completion_reason, Some(CompletionReason::CostLimit));
        assert_eq!(w.answer(STRONG, None), Err(InterviewError::Completed));
        assert_eq!(w.interview().authorize_response(&candidate()), Err(InterviewError::Completed));
    }

    #[test]
    fn a_failed_model_call_that_crosses_the_cap_ends_the_interview() {
        let provider = ScriptedProvider::with([Step::Fail(unavailable())]);
        *provider.usage.borrow_mut() = Some(Usage {
            model: "gpt-4o-mini".into(),
            chat: ChatUsage { input_tokens: 0, cached_input_tokens: 0, output_tokens: 20_000_000 },
            truncated: false,
        });
        let w = World::new(&[("INTERVIEW_COST_CAP_USD", "1.00")], provider);
        w.start();
        assert_eq!(w.answer(STRONG, None), Err(InterviewError::Completed));
        assert_eq!(w.record().completion_reason, Some(CompletionReason::CostLimit));
        assert!(w.record().pending.is_none());
    }
}

/// OpenAI mode (docs/scoring.md#openai-mode): a fake model that rates a keyword bag excellent is
/// caught — the stored evaluation is flagged and its accuracy capped — and the assessment shows
/// staff a `score_disagreement` flag with both figures, plus the keyword-list flag.
#[test]
fn a_model_rating_a_keyword_bag_excellent_is_cross_checked_by_the_rubric() {
    use crate::domain::assessment::{generate_builtin, AssessmentInput, FlagType};
    use crate::domain::enums::AnswerQuality;
    use crate::domain::evaluation::Evaluation;

    let fake = |areas: &str| Evaluation {
        answer_quality: AnswerQuality::Excellent,
        technical_accuracy: 0.97,
        explanation_clarity: 0.9,
        identified_skills: vec!["everything".into()],
        skill_area: areas.into(),
        missed_concepts: vec![],
        cross_check: None,
    };
    let w = World::new(
        &[("OPENAI_API_KEY", "sk-test")],
        ScriptedProvider::with([
            Step::Evaluate(fake("x")),
            Step::Evaluate(fake("x")),
            Step::Evaluate(fake("x")),
        ]),
    );
    w.start();
    assert_eq!(w.record().ai_provider, crate::config::AiProviderKind::Openai);
    let bag = "closures scope hoisting event loop microtasks promises prototype chain coercion";
    for _ in 0..3 {
        w.answer(bag, None).unwrap_or_else(|e| panic!("turn: {e:?}"));
    }
    let evaluations: Vec<(u32, Evaluation)> =
        w.store.evaluations.borrow().iter().map(|(k, v)| (*k, v.clone())).collect();
    assert_eq!(evaluations.len(), 3);
    for (_, e) in &evaluations {
        let c = e.cross_check.clone().unwrap_or_else(|| panic!("cross-checked: {e:?}"));
        assert!(c.disagreement && c.capped, "{c:?}");
        assert!(c.model_composite > 0.9 && c.rubric_composite < 0.5, "{c:?}");
        assert!(e.technical_accuracy <= c.rubric_accuracy + c.margin + 1e-9);
        assert_ne!(e.answer_quality, AnswerQuality::Excellent);
    }
    let session = w.store.session.borrow().clone().unwrap_or_else(|| panic!("a session"));
    let messages: Vec<_> = w.store.messages.borrow().values().cloned().collect();
    let a = generate_builtin(&AssessmentInput {
        interview_id: "i-1",
        role: RoleType::Javascript,
        session: &session,
        messages: &messages,
        evaluations: &evaluations,
        partial: true,
        now_ms: START_MS,
    });
    let disagreements: Vec<_> =
        a.integrity_flags.iter().filter(|f| f.flag_type == FlagType::ScoreDisagreement).collect();
    assert_eq!(disagreements.len(), 3, "{:?}", a.integrity_flags);
    assert!(disagreements[0].description.contains("/100"), "{}", disagreements[0].description);
    assert!(a.integrity_flags.iter().any(|f| f.flag_type == FlagType::KeywordList));
    assert!(a.overall_score < 50.0, "{}", a.overall_score);
}

/// The built-in provider's evaluation is the rubric's: nothing to cross-check.
#[test]
fn builtin_evaluations_carry_no_cross_check() {
    let w = World::builtin();
    w.start();
    w.answer(STRONG, None).unwrap_or_else(|e| panic!("turn: {e:?}"));
    assert!(w.store.evaluations.borrow().values().all(|e| e.cross_check.is_none()));
}

/// An interview started for a job (an accepted invitation): the brief is kept with the
/// interview, its questions come first, its rubrics grade the answers, its areas weight the
/// assessment (docs/jobs.md#how-the-job-drives-the-interviewer).
mod jobs {
    use super::*;
    use crate::domain::interviewer::job_tests::{custom_brief, Scripted};

    fn start_job(w: &World, id: &str) -> Started {
        let body = StartInterview {
            interview_id: InterviewId::new(id),
            candidate_id: UserId::new("cand"),
            role_type: RoleType::Fullstack,
            mode: InterviewMode::Text,
            resume_id: None,
            skill_areas: None,
            org_id: None,
            job: Some(custom_brief()),
        };
        run(w.interview().start(&candidate(), body)).unwrap_or_else(|e| panic!("start: {e:?}"))
    }

    /// A whole interview answered by the scripted candidate, then its assessment's overall score.
    fn interview(strong: bool) -> (World, f64) {
        let w = World::new(&[("ANSWER_RATE_BURST", "50")], ScriptedProvider::default());
        start_job(&w, "job-interview");
        let mut scripted = Scripted::new(strong);
        for _ in 0..20 {
            let current = w.store.session.borrow().as_ref().map(|s| s.current.clone());
            let text = scripted.answer(&current.unwrap_or_else(|| panic!("a session")));
            if w.answer(&text, None).unwrap_or_else(|e| panic!("turn: {e:?}")).interview_complete {
                break;
            }
        }
        assert_eq!(w.record().status, InterviewStatus::Completed);
        run(w.interview().run_alarm(&w.projector)).unwrap_or_else(|e| panic!("alarm: {e:?}"));
        let Ok(AssessmentReply::Ready(a)) = w.interview().assessment(&candidate()) else {
            panic!("no assessment")
        };
        let overall = a["overall_score"].as_f64().unwrap_or_else(|| panic!("a score: {a}"));
        (w, overall)
    }

    #[test]
    fn the_brief_is_stored_with_the_interview_and_shown_and_projected() {
        let w = World::builtin();
        let started = start_job(&w, "job-start");
        let brief = custom_brief();
        assert!(started.first_question.text.contains(&brief.spec.questions[0].text));
        assert_eq!(started.first_question.difficulty, brief.spec.questions[0].level);
        assert!(started.total_questions <= brief.spec.max_questions);
        let stored = w.store.session.borrow().clone().unwrap_or_else(|| panic!("a session"));
        assert_eq!(stored.job.as_ref(), Some(&brief), "the DO's state keeps the brief");
        let record = w.record();
        assert_eq!((record.job_id.as_deref(), record.job_version), (Some("job-1"), Some(1)));
        let view = w.interview().view(&candidate()).unwrap_or_else(|e| panic!("view: {e:?}"));
        assert_eq!((view["job_id"].as_str(), view["job_version"].as_u64()), (Some("job-1"), Some(1)));
        let projected = w.store.outbox.borrow().iter().rev().find(|r| r.kind == "interview").cloned();
        let row = projected.unwrap_or_else(|| panic!("an interview row")).payload;
        assert_eq!((row["job_id"].as_str(), row["job_version"].as_u64()), (Some("job-1"), Some(1)));
        // A self-started interview has neither.
        let plain = World::builtin();
        plain.start();
        let view = plain.interview().view(&candidate()).unwrap_or_else(|e| panic!("view: {e:?}"));
        assert!(view["job_id"].is_null() && view["job_version"].is_null());
    }

    #[test]
    fn strong_and_weak_runs_of_a_job_separate_by_forty_points() {
        let (w, strong) = interview(true);
        let (_, weak) = interview(false);
        assert!(strong - weak >= 40.0, "strong {strong} vs weak {weak}");
        // The job's bounds held: 3..=5 questions.
        let asked = w.store.session.borrow().as_ref().map_or(0, |s| s.state.questions_asked);
        assert!((3..=5).contains(&asked), "{asked}");
    }
}
