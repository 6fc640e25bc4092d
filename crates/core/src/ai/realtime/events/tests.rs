use super::*;
use crate::ai::realtime::client_events::RejectCode;
use crate::domain::enums::{AnswerQuality, RoleType};

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn evaluation() -> Evaluation {
    Evaluation {
        answer_quality: AnswerQuality::Good,
        technical_accuracy: 0.8,
        explanation_clarity: 0.7,
        identified_skills: vec!["hooks".into()],
        skill_area: "state_hooks".into(),
        missed_concepts: vec![],
        cross_check: None,
    }
}

#[test]
fn event_ids_count_under_a_clean_nonce() {
    let ids = EventIds::new("a1\"}{b2");
    assert_eq!(ids.next_id(), "event_a1b2_1");
    assert_eq!(parse(&completed_event(&ids, CompletionReason::CriteriaMet))["event_id"], "event_a1b2_2");
}

#[test]
fn product_events_have_the_spec_fields_and_an_id() {
    let ids = EventIds::new("n");
    let p = InterviewProgress {
        question_number: 4,
        total_questions: 14,
        current_difficulty: Difficulty::Intermediate,
        questions_asked: 3,
    };
    assert_eq!(
        parse(&state_event(&ids, &p)),
        json!({"type": "interview.state", "event_id": "event_n_1", "question_number": 4, "total_questions": 14,
               "current_difficulty": "intermediate", "questions_asked": 3})
    );
    assert_eq!(evaluation_event(&ids, false, 3, &evaluation()), None, "no scores without live feedback");
    let live = parse(&evaluation_event(&ids, true, 3, &evaluation()).unwrap_or_default());
    assert_eq!(live["type"], "interview.evaluation");
    assert_eq!(live["question_number"], 3);
    assert_eq!(live["evaluation"]["answer_quality"], "good");
    assert_eq!(
        parse(&completed_event(&ids, CompletionReason::CriteriaMet)),
        json!({"type": "interview.completed", "event_id": "event_n_3", "completion_reason": "criteria_met"})
    );
}

#[test]
fn progress_follows_the_session() {
    let session = Session::start("00000000-0000-4000-8000-000000000002", RoleType::Python, None);
    let p = InterviewProgress::from_session(&session, &EngineLimits::default());
    assert_eq!((p.question_number, p.questions_asked, p.current_difficulty), (1, 0, Difficulty::Warmup));
    assert!(p.total_questions >= 1 && p.total_questions <= 20);
}

#[test]
fn errors_have_the_ga_shape_echo_the_cause_and_hide_upstream_text() {
    let ids = EventIds::new("n");
    assert_eq!(
        parse(&error_event(&ids, "event_not_allowed", "no", Some("evt_1"))),
        json!({"type": "error", "event_id": "event_n_1", "error": {"type": "invalid_request_error",
               "code": "event_not_allowed", "message": "no", "param": null, "event_id": "evt_1"}})
    );
    assert_eq!(parse(&voice_unavailable_event(&ids, None))["error"]["code"], "voice_unavailable");
    assert_eq!(parse(&voice_unavailable_event(&ids, None))["error"]["event_id"], Value::Null);
    let rejected = ClientFrame::Rejected { code: RejectCode::InvalidJson, message: "bad".into() };
    let e = parse(&rejection_event(&ids, &rejected, Some("c")).unwrap_or_default());
    assert_eq!(
        (e["error"]["code"].as_str(), e["error"]["event_id"].as_str()),
        (Some("invalid_json"), Some("c"))
    );
    assert_eq!(rejection_event(&ids, &ClientFrame::Ping, None), None);

    let passed = parse(&upstream_error_event(&ids, Some("response_cancel_not_active")));
    assert_eq!(passed["error"]["code"], "response_cancel_not_active");
    let local = parse(&nothing_to_cancel_event(&ids, Some("evt_c")));
    assert_eq!(local["error"]["message"], passed["error"]["message"], "one wording");
    assert_eq!(local["error"]["event_id"], "evt_c");
    for code in [None, Some("session_expired"), Some("server_error"), Some("invalid_api_key")] {
        let e = parse(&upstream_error_event(&ids, code));
        assert_eq!(
            (e["error"]["type"].as_str(), e["error"]["code"].as_str()),
            (Some("server_error"), Some("upstream_error"))
        );
    }
}

#[test]
fn the_session_is_the_interviews_and_hides_nothing_it_should_not_show() {
    let ids = EventIds::new("n");
    let text = parse(&session_created(&ids, SessionView::text_only()));
    assert_eq!(
        text,
        json!({"type": "session.created", "event_id": "event_n_1",
               "session": {"type": "realtime", "output_modalities": ["text"]}})
    );
    let voice = SessionView { model: Some("gpt-realtime"), voice: Some("marin") };
    let updated = parse(&session_updated(&ids, voice));
    assert_eq!(updated["type"], "session.updated");
    assert_eq!(updated["session"]["model"], "gpt-realtime");
    assert_eq!(updated["session"]["output_modalities"], json!(["audio"]));
    assert_eq!(
        updated["session"]["audio"]["output"],
        json!({"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"})
    );
    for e in [&text, &updated] {
        for hidden in ["instructions", "tools", "prompt", "tool_choice"] {
            assert!(e["session"].get(hidden).is_none(), "{hidden} in {e}");
        }
    }
}
