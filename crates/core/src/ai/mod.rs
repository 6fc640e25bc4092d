//! The OpenAI side of the AI provider (docs/interviews.md#openai-mode and #cost), as pure Rust: request
//! building, response parsing, retry decisions and the circuit breaker. No I/O, no clock and no randomness
//! source live here: the platform glue (the interview's Durable Object) sends the requests, reads
//! the clock and draws the jitter, and passes them in, so all of it is unit-tested natively.
//!
//! # Two providers, one engine
//!
//! The service has two interviewers behind one interface. The **built-in** one (default, offline,
//! deterministic) evaluates answers against the question bank's rubrics and picks the next
//! question from the bank. The **OpenAI-compatible** one, used when `OPENAI_API_KEY` is set, asks
//! a chat-completions model instead. Both produce the same [`Evaluation`], and both feed the same
//! engine (`domain::engine::apply_answer`), which alone decides the next level, skill area,
//! boundaries and completion, deterministically. The model never decides the difficulty.
//!
//! # One model call per turn
//!
//! A turn makes **at most one** chat-completions request ([`chat::build_turn_request`]). Its
//! structured output carries the evaluation of the answer *and* candidate next questions for
//! every decision the engine can take, because the engine decides only after it has the
//! evaluation:
//!
//! * `probe`: a follow-up on the same question's topic that probes what the answer missed (used
//!   when the engine stays on the area);
//! * `easier` / `same` / `harder`: a question on the next skill area one level below, at, or one
//!   level above the current level (used when the engine moves on).
//!
//! The caller applies the evaluation to the engine and picks the candidate that fits the decision
//! ([`chat::ModelQuestions::for_decision`]); if that candidate is missing or unusable it falls back
//! to a bank question, never to a second call. The rubric of the answered question and example
//! bank questions go into the request as grounding ([`chat::TurnGrounding`]).
//!
//! # Failures
//!
//! [`retry`] classifies HTTP statuses and transport errors (429, 5xx and network failures are
//! retried with 1 s, 2 s, … exponential backoff with jitter, honouring `Retry-After`; other 4xx
//! fail at once) and [`breaker`] is the circuit breaker that answers `AI_UNAVAILABLE` at once
//! after 5 consecutive failed calls. A call that exhausts its attempts, or meets an open breaker,
//! leaves the candidate's message stored and the turn pending (docs/interviews.md#a-turn).
//!
//! [`Evaluation`]: crate::domain::evaluation::Evaluation

pub mod assessment;
pub mod breaker;
pub mod chat;
pub mod client;
pub mod errors;
pub mod realtime;
pub mod resume;
pub mod retry;
pub mod speech;
pub mod turn;
