//! The built-in interviewer (docs/interviews.md#built-in-interviewer): the engine ([`super::engine`]) and the
//! question bank ([`super::bank`]) turned into a complete interview a Durable Object drives turn by turn, and
//! the pieces a model-backed provider reuses.
//!
//! A [`Session`] is the interview's stored JSON: the engine state, the question being answered,
//! every bank question already used. One turn is
//! 1. an [`Evaluation`] of the answer — [`Session::evaluate_builtin`] grades it against the
//!    current question's rubric; a model provider brings its own;
//! 2. [`Session::apply_evaluation`]: the engine's rules (level, boundary, area, completion);
//! 3. [`Session::plan_next`]: the next question, from the model's proposals when one fits the
//!    engine's decision, else from the bank (a follow-up on missed concepts, or the next unasked
//!    bank question for the decided area and level), with the message text that carries it.
//!
//! [`Session::answer_builtin`] does all three with the bank alone.
//!
//! Pure and deterministic: no I/O, no clock, no randomness. Every choice (first area, which bank
//! question, wording) comes from a stable hash of the interview id and the question number, so
//! the same id and the same answers always give the same interview; tests rely on that, never on
//! exact wording. Texts stay neutral (no scores, praise or criticism): live feedback is a
//! separate setting.

mod copies;
mod cross_check;
mod grounding;
#[cfg(test)]
pub(crate) mod job_tests;
mod phrasing;
mod planning;
mod tailoring;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::bank::rubric::{job_id_of, job_ref, Rubric};
use super::bank::{self, for_role, score, Question};
use super::engine::progression::{self, choose_next_skill_area, AreaStatus};
use super::engine::{self, EngineLimits, InterviewState, TurnDecision};
use super::enums::{AnswerQuality, CompletionReason, Difficulty, RoleType};
use super::evaluation::Evaluation;
use super::job::{CustomQuestion, JobBrief};
use phrasing::seed;

pub use cross_check::DEFAULT_MARGIN as DEFAULT_SCORE_DISAGREEMENT_MARGIN;
pub use grounding::{bank_examples, rubric_grounding};
pub use phrasing::{area_display_name, closing_message, role_display_name};
pub use planning::{
    check_candidate, looks_like_question, CandidateRejection, MAX_FOLLOW_UPS_PER_AREA,
    MAX_MODEL_QUESTION_CHARS,
};
pub use tailoring::tailor_skill_areas;

/// Where a question's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionSource {
    /// A bank question, verbatim (`question_id` is set).
    Bank,
    /// A bank follow-up probing a concept the previous answer missed.
    FollowUp,
    /// Written by a model.
    Model,
    /// The last resort when every usable bank question was asked.
    Generic,
    /// A job's custom question, verbatim (`question_id` is `job:` + its id).
    Job,
}

/// A question put to the candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AskedQuestion {
    /// The bank id when the text is a bank question verbatim; `None` for follow-ups and
    /// model-written or generic questions.
    pub question_id: Option<String>,
    /// The question alone (the message that carries it may add an acknowledgement).
    pub text: String,
    pub skill_area: String,
    /// The question's own level. It differs from the engine's level only when the bank ran out
    /// of questions at that level for the area; the answer is recorded at this level then
    /// ([`engine::apply_answer_at`]).
    pub difficulty: Difficulty,
    /// 1-based; the first question is #1.
    pub question_number: u32,
    pub is_follow_up: bool,
    pub source: QuestionSource,
    /// For a follow-up: the question it follows up (its bank id, or for a model-written question
    /// the bank question whose rubric graded it).
    #[serde(default)]
    pub parent_id: Option<String>,
    /// The bank question whose rubric grades the answer: the question itself, a follow-up's
    /// parent, or the bank question closest to a model-written text.
    #[serde(default)]
    pub rubric_id: Option<String>,
    /// Names of that rubric's concepts.
    #[serde(default)]
    pub rubric: Vec<String>,
    /// The concepts a follow-up probes (every concept its parent's answer missed); the answer is
    /// graded on these only. Empty: the whole rubric.
    #[serde(default)]
    pub focus: Vec<String>,
}

impl AskedQuestion {
    fn from_bank(question: &Question, question_number: u32) -> AskedQuestion {
        AskedQuestion {
            question_id: Some(question.id.to_owned()),
            text: question.text.to_owned(),
            skill_area: question.skill_area.to_owned(),
            difficulty: question.level,
            question_number,
            is_follow_up: false,
            source: QuestionSource::Bank,
            parent_id: None,
            rubric_id: Some(question.id.to_owned()),
            rubric: concept_names(Some(&Rubric::from(question))),
            focus: Vec::new(),
        }
    }

    fn from_job(question: &CustomQuestion, question_number: u32) -> AskedQuestion {
        let reference = job_ref(&question.id);
        AskedQuestion {
            question_id: Some(reference.clone()),
            text: question.text.clone(),
            skill_area: question.skill_area.clone(),
            difficulty: question.level,
            question_number,
            is_follow_up: false,
            source: QuestionSource::Job,
            parent_id: None,
            rubric_id: Some(reference),
            rubric: concept_names(Some(&Rubric::from(question))),
            focus: Vec::new(),
        }
    }
}

fn concept_names(rubric: Option<&Rubric<'_>>) -> Vec<String> {
    rubric.map(Rubric::names).unwrap_or_default()
}

/// Question texts a model proposed, in the same call as its evaluation, for the next turn; the
/// engine's decision says which one is wanted ([`Session::plan_next`]). Every field is optional
/// so a provider can deserialise its structured output straight into it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelQuestions {
    /// A follow-up digging deeper into the current question (same area and level).
    pub probe: Option<String>,
    /// For moving on, one level down.
    pub easier: Option<String>,
    /// For moving on, at the same level.
    pub same: Option<String>,
    /// For moving on, one level up.
    pub harder: Option<String>,
    /// The skill area `easier`/`same`/`harder` were written for (normally
    /// [`ModelTargets::move_on_area`]). When set and not the area the engine decides on, they
    /// are not used. `None`: not checked.
    pub skill_area: Option<String>,
}

/// What a model should write its [`ModelQuestions`] for, before the turn's evaluation is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelTargets {
    /// Area and level of a probe: the current question's.
    pub probe_area: String,
    pub probe_level: Difficulty,
    /// The area the engine moves to when it does not probe deeper.
    pub move_on_area: String,
    pub easier: Difficulty,
    pub same: Difficulty,
    pub harder: Difficulty,
}

/// The next question planned by [`Session::plan_next`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextQuestion {
    pub question: AskedQuestion,
    /// The message to send: a short neutral acknowledgement, a transition when the area changes,
    /// then the question.
    pub reply_text: String,
    /// Set when model proposals were given but the one the decision needed was unusable, so the
    /// bank supplied the question (docs/interviews.md#one-model-call-per-turn); the caller counts these.
    pub model_fallback: Option<CandidateRejection>,
}

/// The outcome of one built-in turn ([`Session::answer_builtin`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnResult {
    pub evaluation: Evaluation,
    pub decision: TurnDecision,
    /// `None` when the interview is complete.
    pub next: Option<AskedQuestion>,
    /// The interviewer's message: the next question with its acknowledgement, or the closing
    /// message.
    pub reply_text: String,
    pub completion: Option<CompletionReason>,
}

/// A turn the session refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnError {
    /// The interview already completed; no answer can be applied.
    InterviewComplete(CompletionReason),
}

impl std::fmt::Display for TurnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TurnError::InterviewComplete(reason) => write!(f, "the interview is already complete ({reason})"),
        }
    }
}

impl std::error::Error for TurnError {}

/// One interview's interviewer, stored as JSON by its Durable Object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub interview_id: String,
    pub role: RoleType,
    pub state: InterviewState,
    /// The question being answered (after completion, the last one asked).
    pub current: AskedQuestion,
    /// Bank questions asked, or whose rubric grades a model-written question; none is asked
    /// (again) in this interview.
    #[serde(default)]
    pub used_question_ids: Vec<String>,
    /// Follow-ups asked per skill area.
    #[serde(default)]
    pub follow_ups: BTreeMap<String, u32>,
    /// Turns where a model's proposed question was unusable and the bank stood in.
    #[serde(default)]
    pub model_fallbacks: u32,
    #[serde(default)]
    pub completion: Option<CompletionReason>,
    /// Fingerprints of the answers so far: an answer copying one of them counts for nothing
    /// ([`Session::is_copy`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answer_sketches: Vec<Vec<u32>>,
    /// The job the interview was started for, as it was then (docs/jobs.md): its questions are
    /// asked first at their levels and graded by their rubrics, its areas are the interview's,
    /// its bounds the interview's question limits and its area weights the assessment's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobBrief>,
}

impl Session {
    /// A new interview for `role`, at question #1 (a warmup question). `skill_areas` (from a
    /// resume, e.g. [`tailor_skill_areas`]) puts the role's areas it names first, in its order;
    /// unknown ids are dropped and every other area of the role follows, so the interview can
    /// always run its course. Without a preference the area order starts at an area chosen from
    /// the interview id, so interviews do not all open on the same topic.
    #[must_use]
    pub fn start(interview_id: &str, role: RoleType, skill_areas: Option<Vec<String>>) -> Session {
        Session::start_for_job(interview_id, role, skill_areas, None)
    }

    /// [`Session::start`] for a job's interview: the interview visits the job's skill areas in
    /// the job's order (a résumé's `skill_areas` preference first), and question #1 is chosen like
    /// every other ([`Session::plan_next`]): the job's own question for the area and level first.
    /// A `custom` job (`role` is then the stand-in `fullstack`) asks only its own questions.
    #[must_use]
    pub fn start_for_job(
        interview_id: &str,
        role: RoleType,
        skill_areas: Option<Vec<String>>,
        job: Option<JobBrief>,
    ) -> Session {
        let Some(job) = job else { return Session::start_bank(interview_id, role, skill_areas) };
        let preferred = skill_areas.unwrap_or_default();
        let job_areas: Vec<String> = job.spec.skill_areas.iter().map(|a| a.name.clone()).collect();
        let mut areas: Vec<String> = preferred.iter().filter(|a| job_areas.contains(a)).cloned().collect();
        areas.dedup();
        areas.extend(job_areas.into_iter().filter(|a| !preferred.contains(a)));
        if areas.is_empty() {
            // A job always names its areas (validation); a bank's areas keep the interview going.
            areas = for_role(role).skill_areas.iter().map(|a| (*a).to_owned()).collect();
        }
        let state = InterviewState::new(areas);
        Session::begin(interview_id, role, state, Some(job))
    }

    fn start_bank(interview_id: &str, role: RoleType, skill_areas: Option<Vec<String>>) -> Session {
        let all = for_role(role).skill_areas.len();
        let rotate = u64::try_from(all)
            .ok()
            .filter(|n| *n > 0)
            .and_then(|n| usize::try_from(seed(interview_id, "areas", 0) % n).ok())
            .unwrap_or(0);
        let preferred = skill_areas.unwrap_or_default();
        let areas = tailoring::order_areas(role, preferred.iter().map(String::as_str), rotate);
        Session::begin(interview_id, role, InterviewState::new(areas), None)
    }

    fn begin(interview_id: &str, role: RoleType, state: InterviewState, job: Option<JobBrief>) -> Session {
        let area = state.current_skill_area().to_owned();
        let number = state.next_question_number();
        let level = state.current_difficulty;
        let mut session = Session {
            interview_id: interview_id.to_owned(),
            role,
            state,
            current: AskedQuestion {
                question_id: None,
                text: String::new(),
                skill_area: area.clone(),
                difficulty: level,
                question_number: number,
                is_follow_up: false,
                source: QuestionSource::Generic,
                parent_id: None,
                rubric_id: None,
                rubric: Vec::new(),
                focus: Vec::new(),
            },
            used_question_ids: Vec::new(),
            follow_ups: BTreeMap::new(),
            model_fallbacks: 0,
            completion: None,
            answer_sketches: Vec::new(),
            job,
        };
        let current = session.new_question(&area, level, number);
        session.remember(&current);
        session.current = current;
        session
    }

    /// The engine's limits for this interview: a job's `min_questions` / `max_questions` replace
    /// the configured ones (boundaries and the cost cap stay the configuration's).
    #[must_use]
    pub fn limits(&self, configured: &EngineLimits) -> EngineLimits {
        match &self.job {
            Some(job) => EngineLimits {
                min_questions: job.spec.min_questions,
                max_questions: job.spec.max_questions,
                ..*configured
            }
            .normalized(),
            None => *configured,
        }
    }

    /// What the interview is called in its texts: the role's name ("React"), or "technical" for
    /// a `custom` job (its `role` is only a stand-in).
    #[must_use]
    pub fn role_name(&self) -> &'static str {
        if self.job.as_ref().is_some_and(JobBrief::custom_only) {
            "technical"
        } else {
            role_display_name(self.role)
        }
    }

    /// The weight of `area` in the overall score: the job's weight for it, else 1.
    #[must_use]
    pub fn area_weight(&self, area: &str) -> f64 {
        self.job.as_ref().map_or(1.0, |job| job.area_weight(area))
    }

    /// The first message of the interview: a short greeting and the first question. It wraps the
    /// current question, so send it right after [`Session::start`].
    #[must_use]
    pub fn opening_message(&self) -> String {
        let seed = seed(&self.interview_id, "greeting", 0);
        phrasing::greeting(self.role_name(), &self.current.text, seed)
    }

    /// The message that ends this interview (no question).
    #[must_use]
    pub fn closing_text(&self) -> String {
        closing_message(seed(&self.interview_id, "closing", 0))
    }

    /// The `total_questions` estimate for the interview so far (docs/interviews.md#completion).
    #[must_use]
    pub fn total_questions(&self, limits: &EngineLimits) -> u32 {
        match self.completion {
            Some(_) => self.state.questions_asked,
            None => self.state.total_questions(&self.limits(limits)),
        }
    }

    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.completion.is_some()
    }

    /// One whole turn with the built-in interviewer: evaluate `answer` against the current
    /// question's rubric, apply it, plan the next question. `answer_seq` is the sequence number
    /// of the candidate's message.
    ///
    /// # Errors
    /// [`TurnError::InterviewComplete`] when the interview already completed (nothing changes).
    pub fn answer_builtin(
        &mut self,
        answer: &str,
        answer_seq: u32,
        limits: &EngineLimits,
    ) -> Result<TurnResult, TurnError> {
        let evaluation = self.evaluate_builtin(answer);
        let decision = self.apply_evaluation(&evaluation, answer_seq, limits)?;
        self.remember_answer(answer);
        let next = self.plan_next(&decision, &evaluation, None);
        let reply_text = match &next {
            Some(next) => next.reply_text.clone(),
            None => self.closing_text(),
        };
        Ok(TurnResult {
            evaluation,
            completion: decision.completion,
            decision,
            next: next.map(|n| n.question),
            reply_text,
        })
    }

    /// The built-in evaluation of `answer` to the current question: its rubric question's
    /// rubric (a follow-up: only the concepts it probes), via [`score::evaluate_focused`].
    ///
    /// A model-written question carries the id of the bank question closest to it (same area and
    /// level, most shared words), so it is graded on a rubric of its own topic; this is what a
    /// model provider falls back to when its evaluation fails. A stored session whose rubric id
    /// no longer exists (a renamed bank question) is matched the same way from its text. Only a
    /// role bank without questions leaves nothing to grade against: then an empty answer is
    /// `poor` and anything else a neutral `fair`.
    #[must_use]
    pub fn evaluate_builtin(&self, answer: &str) -> Evaluation {
        // A copy of an earlier answer counts for nothing (`copies.rs`).
        let answer = if self.is_copy(answer) { "" } else { answer };
        match self.rubric() {
            Some(question) => {
                let asked = score::Asked {
                    text: &self.current.text,
                    parent: self.current.is_follow_up.then_some(question.text),
                };
                let mut eval = score::evaluate_rubric(&question, answer, asked, &self.current.focus);
                eval.skill_area.clone_from(&self.current.skill_area);
                eval
            }
            None => neutral_evaluation(answer, &self.current.skill_area),
        }
    }

    /// Applies an evaluated answer through the engine ([`engine::apply_answer`]); the caller adds
    /// the turn's cost to `state.cost` first. Records a completion.
    ///
    /// # Errors
    /// [`TurnError::InterviewComplete`] when the interview already completed (nothing changes).
    pub fn apply_evaluation(
        &mut self,
        eval: &Evaluation,
        answer_seq: u32,
        limits: &EngineLimits,
    ) -> Result<TurnDecision, TurnError> {
        if let Some(reason) = self.completion {
            return Err(TurnError::InterviewComplete(reason));
        }
        let limits = self.limits(limits);
        let decision =
            engine::apply_answer_at(&mut self.state, eval, answer_seq, &limits, self.current.difficulty);
        self.completion = decision.completion;
        Ok(decision)
    }

    /// Plans the question after `decision` (from [`Session::apply_evaluation`]) and makes it the
    /// current one; `None` when the decision completed the interview (send
    /// [`Session::closing_text`]).
    ///
    /// The question:
    /// * **A follow-up** when the engine probes deeper, the level did not change, the current
    ///   question is not itself a follow-up and the area has had fewer than
    ///   [`MAX_FOLLOW_UPS_PER_AREA`]: the model's `probe` if usable (graded on the evaluation's
    ///   missed concepts), else a bank follow-up on the most important missed concept (graded on
    ///   that concept). With nothing missed, the bank's next question instead.
    /// * **Otherwise a new question** for the decided area and level: the model's `harder`,
    ///   `same` or `easier` (by the level after vs. before the answer) if usable and written for
    ///   that area, else the next unasked bank question ([`planning::pick_bank_question`]).
    ///
    /// A model proposal is unusable when missing, blank, longer than
    /// [`MAX_MODEL_QUESTION_CHARS`], not shaped like a question, or the question just asked; the
    /// returned [`NextQuestion::model_fallback`] says why, and `model_fallbacks` counts it.
    pub fn plan_next(
        &mut self,
        decision: &TurnDecision,
        eval: &Evaluation,
        model: Option<&ModelQuestions>,
    ) -> Option<NextQuestion> {
        if let Some(reason) = decision.completion {
            self.completion = Some(reason);
            return None;
        }
        let follow_up = self.follow_up_allowed(decision);
        let mut model_fallback = None;
        // The job's own question for the decided area and level comes before a model's proposal.
        let mut chosen = (!follow_up)
            .then(|| {
                self.job_question(
                    &decision.next_skill_area,
                    decision.difficulty_after,
                    decision.question_number,
                )
            })
            .flatten();
        if let (Some(model), None) = (model, &chosen) {
            match self.model_question(decision, eval, model, follow_up) {
                Ok(question) => chosen = Some(question),
                Err(reason) => model_fallback = Some(reason),
            }
        }
        let question = match chosen {
            Some(question) => question,
            None => self.bank_question(decision, eval, follow_up),
        };

        let number = question.question_number;
        let area_change = (!question.is_follow_up && question.skill_area != self.current.skill_area)
            .then_some(question.skill_area.as_str());
        let reply_text = phrasing::reply(
            &question.text,
            area_change,
            seed(&self.interview_id, "ack", number),
            seed(&self.interview_id, "transition", number),
        );
        self.remember(&question);
        if model_fallback.is_some() {
            self.model_fallbacks = self.model_fallbacks.saturating_add(1);
        }
        self.current = question.clone();
        Some(NextQuestion { question, reply_text, model_fallback })
    }

    /// Where a model's [`ModelQuestions`] for this turn should be aimed.
    #[must_use]
    pub fn model_targets(&self) -> ModelTargets {
        let same = self.state.current_difficulty;
        let (easier, harder) = match same {
            Difficulty::Warmup => (Difficulty::Warmup, Difficulty::Fundamental),
            level => (progression::lower_level(level), progression::next_level(level)),
        };
        // The engine's own choice (`state.move_to_next_skill_area`), with the current area
        // counted as explored, as it will be once this answer is recorded.
        let current = self.state.current_skill_index;
        let statuses: Vec<AreaStatus> = self
            .state
            .skill_areas
            .iter()
            .enumerate()
            .map(|(i, area)| AreaStatus {
                explored: i == current || self.state.skills_explored.contains(area),
                has_boundary: self.state.boundary_for(area).is_some(),
            })
            .collect();
        let next = choose_next_skill_area(&statuses, current);
        let move_on_area = self
            .state
            .skill_areas
            .get(next)
            .cloned()
            .unwrap_or_else(|| self.state.current_skill_area().to_owned());
        ModelTargets {
            probe_area: self.current.skill_area.clone(),
            probe_level: self.current.difficulty,
            move_on_area,
            easier,
            same,
            harder,
        }
    }

    /// The rubric that grades the current question: the job's or bank question its
    /// `rubric_id` names, else the closest one to its text ([`Session::closest_rubric`]).
    #[must_use]
    pub fn rubric(&self) -> Option<Rubric<'_>> {
        let by_id = self.current.rubric_id.as_deref().and_then(|id| match job_id_of(id) {
            Some(job_id) => self.job.as_ref().and_then(|job| job.question(job_id)).map(Rubric::from),
            None => bank::find(id).map(Rubric::from),
        });
        by_id.or_else(|| {
            self.closest_rubric(&self.current.text, &self.current.skill_area, self.current.difficulty)
        })
    }

    /// The rubric grading a question that is neither a bank nor a job question (model-written,
    /// generic): in a job's interview, the closest job question when the job is `custom` or the
    /// area is the job's own (not in the bank); otherwise the closest bank question.
    fn closest_rubric(&self, text: &str, area: &str, level: Difficulty) -> Option<Rubric<'_>> {
        if let Some(job) = &self.job {
            let own_area = !for_role(self.role).skill_areas.contains(&area);
            let has_area = job.spec.questions.iter().any(|q| q.skill_area == area);
            if job.custom_only() || (own_area && has_area) {
                if let Some(q) = planning::closest_job_question(&job.spec.questions, text, area, level) {
                    return Some(Rubric::from(q));
                }
            }
        }
        if self.job.as_ref().is_some_and(JobBrief::custom_only) {
            return None;
        }
        planning::closest_question(for_role(self.role), text, area, level).map(Rubric::from)
    }

    /// The job's unasked question for `area` at `level`, as question #`number`: exactly there;
    /// for a `custom` job or an area the bank lacks, also at the nearest level of the area; for a
    /// `custom` job, then in the other areas ([`planning::pick_job_question`]).
    fn job_question(&self, area: &str, level: Difficulty, number: u32) -> Option<AskedQuestion> {
        let job = self.job.as_ref()?;
        let custom = job.custom_only();
        let own_area = !for_role(self.role).skill_areas.contains(&area);
        let q = planning::pick_job_question(
            &job.spec.questions,
            area,
            level,
            &self.used_question_ids,
            &self.state.skill_areas,
            (custom || own_area, custom),
        )?;
        Some(AskedQuestion::from_job(q, number))
    }

    fn follow_up_allowed(&self, decision: &TurnDecision) -> bool {
        let asked = self.follow_ups.get(&self.current.skill_area).copied().unwrap_or(0);
        decision.probe_deeper
            && !decision.difficulty_changed
            && !self.current.is_follow_up
            && asked < MAX_FOLLOW_UPS_PER_AREA
    }

    /// The id a follow-up of the current question names as its parent.
    fn parent_id(&self) -> Option<String> {
        self.current.question_id.clone().or_else(|| self.current.rubric_id.clone())
    }

    /// The model's proposal for this decision, as a question, or why it cannot be used.
    fn model_question(
        &self,
        decision: &TurnDecision,
        eval: &Evaluation,
        model: &ModelQuestions,
        follow_up: bool,
    ) -> Result<AskedQuestion, CandidateRejection> {
        let number = decision.question_number;
        if follow_up {
            let text = check_candidate(model.probe.as_deref(), &self.current.text)?;
            let rubric = self.rubric();
            let focus: Vec<String> = rubric
                .as_ref()
                .map(|q| {
                    q.concepts
                        .iter()
                        .filter(|c| {
                            eval.missed_concepts.iter().any(|m| m.trim().eq_ignore_ascii_case(c.name))
                        })
                        .map(|c| c.name.to_owned())
                        .collect()
                })
                .unwrap_or_default();
            return Ok(AskedQuestion {
                question_id: None,
                text,
                skill_area: self.current.skill_area.clone(),
                difficulty: self.current.difficulty,
                question_number: number,
                is_follow_up: true,
                source: QuestionSource::Model,
                parent_id: self.parent_id(),
                rubric_id: rubric.as_ref().map(|q| q.id.clone()),
                rubric: concept_names(rubric.as_ref()),
                focus,
            });
        }
        let slot = match decision.difficulty_after.cmp(&decision.difficulty_before) {
            Ordering::Greater => &model.harder,
            Ordering::Equal => &model.same,
            Ordering::Less => &model.easier,
        };
        let text = check_candidate(slot.as_deref(), &self.current.text)?;
        let written_for = model.skill_area.as_deref().map(str::trim).filter(|a| !a.is_empty());
        if written_for.is_some_and(|a| a != decision.next_skill_area) {
            return Err(CandidateRejection::WrongSkillArea);
        }
        let rubric = self.closest_rubric(&text, &decision.next_skill_area, decision.difficulty_after);
        Ok(AskedQuestion {
            question_id: None,
            text,
            skill_area: decision.next_skill_area.clone(),
            difficulty: decision.difficulty_after,
            question_number: number,
            is_follow_up: false,
            source: QuestionSource::Model,
            parent_id: None,
            rubric_id: rubric.as_ref().map(|q| q.id.clone()),
            rubric: concept_names(rubric.as_ref()),
            focus: Vec::new(),
        })
    }

    /// The next question from the bank alone.
    fn bank_question(&self, decision: &TurnDecision, eval: &Evaluation, follow_up: bool) -> AskedQuestion {
        let number = decision.question_number;
        if follow_up {
            let parent = self.rubric();
            let text = parent.as_ref().and_then(|parent| {
                score::follow_up_rubric(parent, eval, seed(&self.interview_id, "follow_up", number))
            });
            if let (Some(parent), Some(text)) = (parent, text) {
                return AskedQuestion {
                    question_id: None,
                    text,
                    skill_area: self.current.skill_area.clone(),
                    difficulty: self.current.difficulty,
                    question_number: number,
                    is_follow_up: true,
                    source: QuestionSource::FollowUp,
                    parent_id: self.parent_id(),
                    rubric_id: Some(parent.id.clone()),
                    rubric: concept_names(Some(&parent)),
                    focus: planning::follow_up_focus(&parent, eval),
                };
            }
        }
        self.new_question(&decision.next_skill_area, decision.difficulty_after, number)
    }

    /// A new (non-follow-up) question for `area` at `level`: the job's own question there
    /// first; then, when the job is `custom` or the area is the job's own, a job question of the
    /// area at the nearest level (a `custom` job: then of the other areas); then an unasked bank
    /// question (not for a `custom` job); a generic one when every usable question was asked.
    fn new_question(&self, area: &str, level: Difficulty, number: u32) -> AskedQuestion {
        let used = &self.used_question_ids;
        let order = &self.state.skill_areas;
        let bank = for_role(self.role);
        let custom = self.job.as_ref().is_some_and(JobBrief::custom_only);
        if let Some(question) = self.job_question(area, level, number) {
            return question;
        }
        let seed = seed(&self.interview_id, "question", number);
        if !custom {
            if let Some(question) = planning::pick_bank_question(bank, area, level, used, order, seed) {
                return AskedQuestion::from_bank(question, number);
            }
        }
        let text = phrasing::generic_question(area, seed);
        let rubric = self.closest_rubric(&text, area, level);
        AskedQuestion {
            question_id: None,
            text,
            skill_area: area.to_owned(),
            difficulty: level,
            question_number: number,
            is_follow_up: false,
            source: QuestionSource::Generic,
            parent_id: None,
            rubric_id: rubric.as_ref().map(|q| q.id.clone()),
            rubric: concept_names(rubric.as_ref()),
            focus: Vec::new(),
        }
    }

    /// Bookkeeping for a question being asked: bank ids used (a model or generic question
    /// reserves the bank question whose rubric grades it, so its near twin is not asked later),
    /// follow-ups per area.
    fn remember(&mut self, question: &AskedQuestion) {
        let reserved = match question.source {
            QuestionSource::Bank | QuestionSource::Job => question.question_id.as_ref(),
            QuestionSource::Model | QuestionSource::Generic if !question.is_follow_up => {
                question.rubric_id.as_ref()
            }
            _ => None,
        };
        if let Some(id) = reserved {
            if !self.used_question_ids.contains(id) {
                self.used_question_ids.push(id.clone());
            }
        }
        if question.is_follow_up {
            let count = self.follow_ups.entry(question.skill_area.clone()).or_default();
            *count = count.saturating_add(1);
        }
    }
}

/// The evaluation when there is no rubric at all: empty is `poor`, anything else a neutral
/// `fair` (composite 0.5: neither moves the level).
fn neutral_evaluation(answer: &str, skill_area: &str) -> Evaluation {
    let (answer_quality, score) =
        if answer.trim().is_empty() { (AnswerQuality::Poor, 0.0) } else { (AnswerQuality::Fair, 0.5) };
    Evaluation {
        answer_quality,
        technical_accuracy: score,
        explanation_clarity: score,
        identified_skills: Vec::new(),
        skill_area: skill_area.to_owned(),
        missed_concepts: Vec::new(),
        cross_check: None,
    }
}
