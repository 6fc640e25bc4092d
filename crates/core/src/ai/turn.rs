//! Prepares the one model call of a turn from an interviewer `Session` and its message log, and
//! maps the model's proposals back for `Session::plan_next`. Pure.

use serde_json::Value;

use super::chat::{self, ExampleQuestion, RubricConcept, TurnGrounding};
use crate::domain::bank::for_role;
use crate::domain::engine::memory::{context_budget_tokens, fit_memory, ChatMessage, ChatRole, FittedMemory};
use crate::domain::enums::MessageType;
use crate::domain::interviewer::{ModelQuestions, Session};

/// Share of the model's context window the prompt may use (docs/interviews.md#memory).
pub const CONTEXT_BUDGET_PERCENT: u32 = 80;

/// The request body and how the memory was fitted.
#[derive(Debug, Clone)]
pub struct PreparedTurn {
    pub body: Value,
    pub memory: FittedMemory,
}

/// What the model is told about the answered question and where the engine may go next.
#[must_use]
pub fn grounding_for(session: &Session) -> TurnGrounding {
    let current = &session.current;
    let targets = session.model_targets();
    // The rubric the question is graded by (bank or job; a model-written question carries its
    // closest one's id); none without an id.
    let rubric = if current.rubric_id.is_some() {
        session.rubric().map(|r| r.concepts.iter().map(RubricConcept::from).collect()).unwrap_or_default()
    } else {
        Vec::new()
    };
    let bank = for_role(session.role);
    let examples = [targets.easier, targets.same, targets.harder]
        .into_iter()
        .filter_map(|level| bank.questions_for(&targets.move_on_area, level).next())
        .map(ExampleQuestion::from)
        .collect();
    TurnGrounding {
        question: current.text.clone(),
        skill_area: current.skill_area.clone(),
        level: targets.same,
        rubric,
        next_skill_area: targets.move_on_area,
        easier_level: targets.easier,
        harder_level: targets.harder,
        examples,
    }
}

/// Builds the turn's request: system prompt, the fitted conversation (the log ends with the
/// candidate's answer), and the grounding.
#[must_use]
pub fn prepare_turn(
    session: &Session,
    model: &str,
    log: &[(MessageType, String)],
    answer: &str,
) -> PreparedTurn {
    let system = chat::system_prompt_for(session.role, session.job.as_ref());
    let grounding = grounding_for(session);
    let messages: Vec<ChatMessage> =
        log.iter().map(|(kind, text)| ChatMessage::new(ChatRole::from(*kind), text.clone())).collect();
    let budget = context_budget_tokens(model, CONTEXT_BUDGET_PERCENT)
        .saturating_sub(chat::reserved_prompt_tokens(answer, &grounding));
    let memory = fit_memory(&system, &messages, budget);
    let history: Vec<ChatMessage> = memory.select(&messages).into_iter().cloned().collect();
    let body = chat::build_turn_request(model, &system, &history, answer, &grounding);
    PreparedTurn { body, memory }
}

/// The model's proposals in the interviewer's terms, labelled with the area they were written
/// for so a mismatch falls back to the bank.
#[must_use]
pub fn session_questions(parsed: &chat::ModelQuestions, session: &Session) -> ModelQuestions {
    ModelQuestions {
        probe: parsed.probe.clone(),
        easier: parsed.easier.clone(),
        same: parsed.same.clone(),
        harder: parsed.harder.clone(),
        skill_area: Some(session.model_targets().move_on_area),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enums::RoleType;

    #[test]
    fn the_request_carries_the_rubric_the_answer_and_a_strict_schema() {
        let session = Session::start("i-1", RoleType::Python, None);
        let log = vec![
            (MessageType::AiQuestion, session.opening_message()),
            (MessageType::CandidateResponse, "I used generators because they are lazy".to_owned()),
        ];
        let turn = prepare_turn(&session, "gpt-4o-mini", &log, "I used generators because they are lazy");
        let text = turn.body.to_string();
        assert!(text.contains("I used generators because they are lazy"));
        assert_eq!(turn.body["response_format"]["json_schema"]["strict"], true);
        let grounding = grounding_for(&session);
        assert!(!grounding.rubric.is_empty(), "a bank question grounds its rubric");
        assert!(text.contains(&grounding.rubric[0].name));
        assert!(!turn.memory.truncated());
    }

    #[test]
    fn long_histories_are_truncated_in_the_middle() {
        let session = Session::start("i-2", RoleType::React, None);
        let mut log = Vec::new();
        for i in 0..400 {
            let kind = if i % 2 == 0 { MessageType::AiQuestion } else { MessageType::CandidateResponse };
            log.push((kind, format!("message {i} {}", "words ".repeat(60))));
        }
        let turn = prepare_turn(&session, "unknown-small-model", &log, "final answer");
        assert!(turn.memory.truncated());
        assert!(turn.body.to_string().contains("message 0 "), "the first exchange is kept");
    }

    #[test]
    fn proposals_are_labelled_with_the_move_on_area() {
        let session = Session::start("i-3", RoleType::Javascript, None);
        let parsed = chat::ModelQuestions { same: Some("What is a closure?".into()), ..Default::default() };
        let q = session_questions(&parsed, &session);
        assert_eq!(q.skill_area, Some(session.model_targets().move_on_area));
        assert_eq!(q.same.as_deref(), Some("What is a closure?"));
    }
}
