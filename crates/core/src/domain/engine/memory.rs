//! Conversation memory for the model prompt (docs/interviews.md#memory): which messages of the interview's
//! log go into the next model call.
//!
//! The full message log lives in the Durable Object; this module only *selects* from it, with our
//! own plain types (the seed was locked into a framework's deprecated memory format, DEBT-001).
//! The selection keeps the system prompt, the first exchange (greeting / first question and the
//! first answer: they set the context of the whole interview) and as many of the most recent
//! messages as fit a per-model token budget, which defaults to 80 % of the model's context window
//! (the seed's margin for the reply). What has to go is the middle, oldest first. It never drops
//! the system prompt, the first exchange or the latest message, even when they alone exceed the
//! budget: it reports that instead and lets the caller decide.
//!
//! Tokens are *estimated* (no tokenizer in a Worker: tiktoken's tables are megabytes); the real
//! counts for billing come from the provider's `usage` (see `cost`). Pure functions, no I/O.

use serde::{Deserialize, Serialize};

use super::models::best_match;
use crate::domain::enums::MessageType;

/// Share of the context window the prompt may use unless configured otherwise.
pub const DEFAULT_BUDGET_PERCENT: u32 = 80;

/// Window assumed for a model the table does not know. Deliberately small (the smallest window
/// of a model in use): too small a guess only drops more of the middle of the conversation, too
/// large a guess fails the turn with `context_length_exceeded`.
pub const DEFAULT_CONTEXT_WINDOW: u32 = 8_192;

/// Tokens a chat message costs beyond its text (role and separators in the chat format).
pub const MESSAGE_OVERHEAD_TOKENS: u32 = 4;

/// Tokens every request spends priming the reply.
pub const REPLY_PRIMING_TOKENS: u32 = 3;

/// At most this many leading messages form the "first exchange" that is always kept.
pub const FIRST_EXCHANGE_MAX_MESSAGES: usize = 2;

/// Known context windows, by model family (longest family wins; see `models`).
const CONTEXT_WINDOWS: &[(&str, u32)] = &[
    ("gpt-4o-mini", 128_000),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-4", 8_192),
    ("gpt-4.1", 1_047_576),
    ("gpt-3.5-turbo", 16_385),
    ("gpt-realtime", 32_000),
];

/// The context window of `model` in tokens, or [`DEFAULT_CONTEXT_WINDOW`].
#[must_use]
pub fn context_window_tokens(model: &str) -> u32 {
    best_match(model, CONTEXT_WINDOWS.iter().copied()).unwrap_or(DEFAULT_CONTEXT_WINDOW)
}

/// `percent` % of `window` tokens, with `percent` clamped to 1..=100.
#[must_use]
pub fn budget_from_window(window: u32, percent: u32) -> u32 {
    let percent = percent.clamp(1, 100);
    let budget = u64::from(window) * u64::from(percent) / 100;
    u32::try_from(budget).unwrap_or(u32::MAX)
}

/// The prompt budget for `model`: `percent` % of its context window.
#[must_use]
pub fn context_budget_tokens(model: &str, percent: u32) -> u32 {
    budget_from_window(context_window_tokens(model), percent)
}

/// Estimated tokens of a text: a quarter token per ASCII character (English averages about four
/// characters per token) and one token per other character (non-Latin scripts run close to one
/// token per character). It errs high rather than low, because an under-estimate fails the call.
#[must_use]
pub fn estimate_text_tokens(text: &str) -> u32 {
    let (ascii, other) =
        text.chars().fold((0u64, 0u64), |(a, o), c| if c.is_ascii() { (a + 1, o) } else { (a, o + 1) });
    u32::try_from(ascii.div_ceil(4) + other).unwrap_or(u32::MAX)
}

/// Estimated tokens of one chat message with `content`.
#[must_use]
pub fn estimate_message_tokens(content: &str) -> u32 {
    estimate_text_tokens(content).saturating_add(MESSAGE_OVERHEAD_TOKENS)
}

/// Who wrote a message, in the chat-completions sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    System,
    User,
    Assistant,
}

impl From<MessageType> for ChatRole {
    fn from(kind: MessageType) -> Self {
        match kind {
            MessageType::AiQuestion => ChatRole::Assistant,
            MessageType::CandidateResponse => ChatRole::User,
        }
    }
}

/// One message of the conversation, oldest first in a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: ChatRole,
    pub content: String,
}

impl ChatMessage {
    #[must_use]
    pub fn new(role: ChatRole, content: impl Into<String>) -> Self {
        ChatMessage { role, content: content.into() }
    }
}

/// The outcome of [`fit_memory`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FittedMemory {
    /// Indexes into the log of the messages to send, ascending.
    pub kept: Vec<usize>,
    /// How many messages of the log were left out.
    pub dropped: u32,
    /// Estimated prompt tokens: system prompt, kept messages and reply priming.
    pub estimated_tokens: u32,
    /// The budget it was fitted to.
    pub budget_tokens: u32,
    /// The messages that are never dropped exceed the budget on their own.
    pub over_budget: bool,
}

impl FittedMemory {
    /// Whether anything was left out.
    #[must_use]
    pub fn truncated(&self) -> bool {
        self.dropped > 0
    }

    /// The kept messages of `log` (the same log that was fitted), in order.
    #[must_use]
    pub fn select<'a>(&self, log: &'a [ChatMessage]) -> Vec<&'a ChatMessage> {
        self.kept.iter().filter_map(|&i| log.get(i)).collect()
    }
}

/// How many leading messages are the first exchange: everything up to and including the first
/// candidate (`user`) message, at most [`FIRST_EXCHANGE_MAX_MESSAGES`]. Normally that is the
/// first question and its answer.
fn first_exchange_len(log: &[ChatMessage]) -> usize {
    let limit = log.len().min(FIRST_EXCHANGE_MAX_MESSAGES);
    log.iter().take(limit).position(|m| m.role == ChatRole::User).map_or(limit, |i| i + 1)
}

/// Chooses the messages of `log` to send after `system_prompt` within `budget_tokens`.
///
/// Kept: the first exchange, the latest message, and then the most recent messages walking
/// backwards while they fit. The walk stops at the first message that does not fit, so what is
/// dropped is one contiguous run in the middle. If the kept tail would then begin with a
/// candidate answer whose question was dropped, that orphan answer is dropped too (a tail starts
/// with a question), unless it is the latest message.
#[must_use]
pub fn fit_memory(system_prompt: &str, log: &[ChatMessage], budget_tokens: u32) -> FittedMemory {
    let n = log.len();
    let costs: Vec<u64> = log.iter().map(|m| u64::from(estimate_message_tokens(&m.content))).collect();
    let budget = u64::from(budget_tokens);
    let mut total = u64::from(REPLY_PRIMING_TOKENS) + u64::from(estimate_message_tokens(system_prompt));
    let mut keep = vec![false; n];

    let first = first_exchange_len(log);
    // Pinned: the first exchange and the latest message.
    for i in (0..first).chain(n.checked_sub(1)) {
        if let (Some(slot), Some(cost)) = (keep.get_mut(i), costs.get(i)) {
            if !*slot {
                *slot = true;
                total += cost;
            }
        }
    }
    // Fill backwards from the message before the latest one down to the first exchange.
    let mut tail_start = n.saturating_sub(1).max(first);
    while tail_start > first {
        let candidate = tail_start - 1;
        let cost = costs.get(candidate).copied().unwrap_or(0);
        if total + cost > budget {
            break;
        }
        total += cost;
        if let Some(slot) = keep.get_mut(candidate) {
            *slot = true;
        }
        tail_start = candidate;
    }
    // A gap before the tail and an orphan answer at its head: drop the answer.
    if tail_start > first
        && tail_start + 1 < n
        && log.get(tail_start).is_some_and(|m| m.role == ChatRole::User)
    {
        if let Some(slot) = keep.get_mut(tail_start) {
            *slot = false;
            total -= costs.get(tail_start).copied().unwrap_or(0);
        }
    }

    let kept: Vec<usize> = (0..n).filter(|&i| keep.get(i).copied().unwrap_or(false)).collect();
    FittedMemory {
        dropped: u32::try_from(n - kept.len()).unwrap_or(u32::MAX),
        kept,
        estimated_tokens: u32::try_from(total).unwrap_or(u32::MAX),
        budget_tokens,
        over_budget: total > budget,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::Lcg;
    use super::*;

    /// An interview log: question, answer, question, answer, … each `len` characters long.
    fn log(messages: usize, len: usize) -> Vec<ChatMessage> {
        (0..messages)
            .map(|i| {
                let role = if i % 2 == 0 { ChatRole::Assistant } else { ChatRole::User };
                ChatMessage::new(role, "x".repeat(len))
            })
            .collect()
    }

    fn recount(system: &str, log: &[ChatMessage], kept: &[usize]) -> u32 {
        REPLY_PRIMING_TOKENS
            + estimate_message_tokens(system)
            + kept.iter().map(|&i| estimate_message_tokens(&log[i].content)).sum::<u32>()
    }

    #[test]
    fn token_estimate_is_a_quarter_per_ascii_char_and_one_per_other_char() {
        let table = [("", 0), ("abcd", 1), ("abcde", 2), ("日本", 2), ("ab日本", 3)];
        for (text, tokens) in table {
            assert_eq!(estimate_text_tokens(text), tokens, "{text:?}");
        }
        assert_eq!(estimate_message_tokens("abcd"), 1 + MESSAGE_OVERHEAD_TOKENS);
    }

    #[test]
    fn context_windows_are_per_model_with_a_conservative_default() {
        let table = [
            ("gpt-4o-mini", 128_000),
            ("gpt-4o-mini-2024-07-18", 128_000),
            ("gpt-4o", 128_000),
            ("gpt-4", 8_192),
            ("gpt-4-0613", 8_192),
            ("gpt-4.1-mini", 1_047_576),
            ("gpt-realtime", 32_000),
            ("gpt-6-luna", DEFAULT_CONTEXT_WINDOW),
        ];
        for (model, window) in table {
            assert_eq!(context_window_tokens(model), window, "{model}");
        }
        // The seed's "80 % of 128K" threshold.
        assert_eq!(context_budget_tokens("gpt-4o-mini", DEFAULT_BUDGET_PERCENT), 102_400);
        assert_eq!(budget_from_window(1_000, 0), 10);
        assert_eq!(budget_from_window(1_000, 250), 1_000);
        assert_eq!(budget_from_window(u32::MAX, 100), u32::MAX);
    }

    #[test]
    fn a_small_conversation_is_kept_whole() {
        let log = log(6, 40);
        let fit = fit_memory("You are an interviewer.", &log, 10_000);
        assert_eq!(fit.kept, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(fit.dropped, 0);
        assert!(!fit.truncated() && !fit.over_budget);
        assert_eq!(fit.estimated_tokens, recount("You are an interviewer.", &log, &fit.kept));
        assert_eq!(fit.select(&log).len(), 6);
    }

    #[test]
    fn an_empty_log_costs_only_the_system_prompt() {
        let fit = fit_memory("abcd", &[], 100);
        assert!(fit.kept.is_empty());
        assert_eq!(fit.estimated_tokens, REPLY_PRIMING_TOKENS + 1 + MESSAGE_OVERHEAD_TOKENS);
        assert!(!fit.truncated());
    }

    #[test]
    fn the_middle_goes_first() {
        // 20 messages of 14 tokens each (40 chars + overhead); system "" = 4; priming 3.
        let log = log(20, 40);
        let budget = 3 + 4 + 14 * 8;
        let fit = fit_memory("", &log, budget);
        // First exchange (0, 1) + the latest 6 (14..=19): 8 messages, exactly the budget.
        assert_eq!(fit.kept, vec![0, 1, 14, 15, 16, 17, 18, 19]);
        assert_eq!(fit.dropped, 12);
        assert_eq!(fit.estimated_tokens, budget);
        assert!(fit.truncated() && !fit.over_budget);
    }

    #[test]
    fn the_tail_never_starts_with_an_orphan_answer() {
        let log = log(20, 40);
        // Room for 7 messages: 0, 1 and a tail of 5 would start with answer 15; it is dropped.
        let fit = fit_memory("", &log, 3 + 4 + 14 * 7);
        assert_eq!(fit.kept, vec![0, 1, 16, 17, 18, 19]);
        assert_eq!(fit.dropped, 14);
        assert!(!fit.over_budget);
    }

    #[test]
    fn system_first_exchange_and_latest_message_survive_any_budget() {
        let log = log(9, 400);
        let fit = fit_memory("a long system prompt", &log, 0);
        assert_eq!(fit.kept, vec![0, 1, 8]);
        assert_eq!(fit.dropped, 6);
        assert!(fit.over_budget);
        assert_eq!(fit.estimated_tokens, recount("a long system prompt", &log, &fit.kept));
        // Logs no longer than the pinned part are kept whole.
        for n in 1..=3 {
            let short = self::log(n, 400);
            assert_eq!(fit_memory("", &short, 0).kept, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_first_exchange_ends_at_the_first_answer() {
        let a = ChatMessage::new(ChatRole::Assistant, "q");
        let u = ChatMessage::new(ChatRole::User, "a");
        assert_eq!(first_exchange_len(&[a.clone(), u.clone(), a.clone()]), 2);
        assert_eq!(first_exchange_len(&[u.clone(), a.clone(), u.clone()]), 1);
        assert_eq!(first_exchange_len(&[a.clone(), a.clone(), u]), 2);
        assert_eq!(first_exchange_len(&[a]), 1);
        assert_eq!(first_exchange_len(&[]), 0);
    }

    #[test]
    fn message_types_map_to_chat_roles() {
        assert_eq!(ChatRole::from(MessageType::AiQuestion), ChatRole::Assistant);
        assert_eq!(ChatRole::from(MessageType::CandidateResponse), ChatRole::User);
        assert_eq!(serde_json::to_string(&ChatRole::Assistant).ok().as_deref(), Some("\"assistant\""));
    }

    /// Invariants over many random logs and budgets.
    #[test]
    fn fitting_invariants_hold_for_random_logs() {
        let mut rng = Lcg::new(7);
        for _ in 0..500 {
            let n = rng.below(30) as usize;
            let log: Vec<ChatMessage> = (0..n)
                .map(|i| {
                    let role = if rng.below(10) == 0 {
                        ChatRole::System
                    } else if i % 2 == 0 {
                        ChatRole::Assistant
                    } else {
                        ChatRole::User
                    };
                    ChatMessage::new(role, "y".repeat(rng.below(400) as usize))
                })
                .collect();
            let system = "s".repeat(rng.below(200) as usize);
            let budget = rng.below(3_000) as u32;
            let fit = fit_memory(&system, &log, budget);

            assert!(fit.kept.windows(2).all(|w| w[0] < w[1]), "ascending, no duplicates");
            assert_eq!(fit.dropped as usize + fit.kept.len(), n);
            assert_eq!(fit.estimated_tokens, recount(&system, &log, &fit.kept));
            assert_eq!(fit.over_budget, fit.estimated_tokens > budget);
            let first = first_exchange_len(&log);
            for i in (0..first).chain(n.checked_sub(1)) {
                assert!(fit.kept.contains(&i), "pinned message {i} kept");
            }
            // What is dropped is one contiguous run right after the first exchange… or after it.
            let dropped: Vec<usize> = (0..n).filter(|i| !fit.kept.contains(i)).collect();
            assert!(dropped.windows(2).all(|w| w[1] == w[0] + 1), "contiguous: {dropped:?}");
            if let Some(&start) = dropped.first() {
                assert_eq!(start, first, "the oldest middle messages go first");
            }
            // Nothing is dropped when everything fits.
            let everything = recount(&system, &log, &(0..n).collect::<Vec<_>>());
            if everything <= budget {
                assert!(!fit.truncated());
            }
        }
    }
}
