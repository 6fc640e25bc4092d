//! The realtime (voice) WebSocket protocol (docs/voice.md), as pure Rust: what the interview's
//! Durable Object decides about every frame on `/api/v1/realtime/{interview_id}`. No sockets, no
//! clock and no randomness live here: the DO reads frames, the clock and random ids and passes
//! them in; these functions say what to forward, rewrite, answer or refuse.
//!
//! The protocol is OpenAI's Realtime GA event protocol (docs/voice.md#the-socket), relayed
//! and filtered:
//!
//! ```text
//! browser ──frame──▶ client_events::classify_client_frame ──▶ forwardable() ──▶ upstream
//!                          └─ Rejected → events::error_event (never forwarded)
//! browser ◀── items::ItemIds::to_client ◀── Pass / Rewrite ── server_events::redact_upstream ◀──frame── upstream
//!                          └─ Intercept → the DO (tool calls, usage, transcripts, errors)
//! ```
//!
//! * [`client_events`]: the allow-list for browser → server frames. Allowed frames are
//!   re-serialized from their parsed fields, so nothing a client adds (say `instructions`) can
//!   ride along: a candidate must not be able to rewrite the interviewer.
//! * [`server_events`]: upstream → browser. `instructions`/`tools` are stripped from `session.*`
//!   events, function calls (which carry the scores) never reach the client, and the events the
//!   DO must act on are intercepted. Audio deltas take a fast path that does not parse them.
//! * [`session`]: what the DO sends upstream: `session.update` with the interview instructions
//!   and the `evaluate_candidate_answer` tool, the greeting `response.create`, the tool's output;
//!   and the parsing of the tool's arguments into an [`Evaluation`].
//! * [`items`]: the upstream's item ids → the interview's (one per message, as in built-in mode
//!   and on replay) in every relayed event, truncations mapped back, and
//!   `conversation.item.retrieve` answered from the log.
//! * [`builtin`]: without an OpenAI key the DO answers typed turns itself with the same GA event
//!   names; the latest question's replay on a (re)connect.
//! * [`events`]: what the socket says by itself: `session.created`/`.updated` (the interview's
//!   session, redacted), the product's own `interview.*` events and `error`, each with an
//!   `event_id`.
//! * [`ticket`]: the single-use, 60-second tickets that open the socket; [`handshake`]: where
//!   the ticket comes from (query, `Authorization: Bearer`, subprotocol) and the `realtime`
//!   subprotocol answered.
//!
//! [`Evaluation`]: crate::domain::evaluation::Evaluation

pub mod builtin;
pub mod client_events;
pub mod events;
pub mod handshake;
pub mod items;
pub mod server_events;
pub mod session;
pub mod ticket;

/// Largest text frame accepted from the browser (docs/voice.md#the-socket: ≤ 1 MiB).
pub const MAX_FRAME_BYTES: usize = 1 << 20;

/// The keep-alive the browser sends every [`KEEPALIVE_SECS`] seconds. The DO can register the
/// exact pair [`PING_FRAME`] → [`PONG_FRAME`] as the hibernation auto-response so a ping does
/// not wake it; [`client_events::classify_client_frame`] also recognises pings spelt otherwise.
pub const PING_FRAME: &str = r#"{"type":"ping"}"#;

/// The answer to a ping.
pub const PONG_FRAME: &str = r#"{"type":"pong"}"#;

/// How often the browser pings.
pub const KEEPALIVE_SECS: u64 = 30;

/// Close code for a socket replaced by a newer connection to the same interview.
pub const CLOSE_REPLACED: u16 = 4000;

/// Close reason sent with [`CLOSE_REPLACED`].
pub const CLOSE_REPLACED_REASON: &str = "replaced";

/// Close code after `interview.completed` (a normal closure).
pub const CLOSE_COMPLETED: u16 = 1000;

/// PCM16 mono 24 kHz: the only audio format of the socket (`audio/pcm`, rate 24000).
pub const AUDIO_SAMPLE_RATE: u32 = 24_000;

/// Bytes that `b64` decodes to, from its length and `=` padding alone (no validation). Unpadded
/// input counts its whole 4-character groups plus the bytes of a final partial group.
#[must_use]
pub fn base64_decoded_len(b64: &str) -> u64 {
    let bytes = b64.as_bytes();
    let padding = bytes.iter().rev().take(2).take_while(|&&b| b == b'=').count();
    let chars = u64::try_from(bytes.len() - padding).unwrap_or(u64::MAX);
    chars.saturating_mul(3) / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_lengths_follow_the_padding() {
        let table =
            [("", 0), ("AA==", 1), ("AAA=", 2), ("AAAA", 3), ("AAAAAA==", 4), ("AAAAAA", 4), ("AAAAAAA", 5)];
        for (b64, bytes) in table {
            assert_eq!(base64_decoded_len(b64), bytes, "{b64:?}");
        }
        // 20 ms of PCM16 at 24 kHz: 960 bytes, 1 280 base64 characters.
        assert_eq!(base64_decoded_len(&"A".repeat(1_280)), 960);
    }
}
