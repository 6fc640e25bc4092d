//! The rules of résumé processing and feedback delivery that do not touch the platform: how many
//! times parsing and delivery are attempted, the delivery backoff, when a `processing` résumé is
//! considered crashed, the extraction budget and deadline, the parse queue's message, and the webhook's signed string and headers (docs/resumes.md#delivery).
//!
//! Webhook signature: the Worker POSTs the JSON payload with
//! - `X-Feedback-Timestamp: <unix seconds>`,
//! - `X-Feedback-Signature: sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
//! - `X-Feedback-Delivery: <delivery id>` (stable across retries, for the receiver's idempotency).
//!
//! A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in
//! constant time, and rejects timestamps too far from its clock (replay protection).

/// Parsing attempts per résumé (the first one right after upload, then the cron's retries).
pub const MAX_PARSE_ATTEMPTS: i64 = 3;

/// A résumé still `processing` this long after its attempt started is presumed crashed (the
/// run died mid-parse: a trap, out of memory, the isolate killed). It ends `failed` with
/// `parser_crashed` and is never claimed again: a file that killed a run is not retried.
pub const PARSE_STALE_MS: i64 = 2 * 60 * 1000;

/// Work units one document's extraction may cost in the Worker (the work limit of its
/// extraction `Budget`); more is `work_limit`, final. This is what bounds how long one
/// parse holds its isolate: the extractor is synchronous, and the Worker, its queue consumer
/// and its Durable Objects share one isolate and thread (locally one `workerd` thread for all
/// of them, D1 and R2 included), so every request of that isolate waits while a parse runs.
/// Natively (release, best of 5) the costliest work measured is about 13 ns a unit
/// (self-drawing forms; DOCX markup about 12 ns), ordinary PDF text 6 ns; the release wasm
/// under `wrangler dev` was ten to twenty times slower on a loaded machine, a fresh isolate's
/// first parses running unoptimised code (docs/resumes.md#parsing): 1,000,000 units held
/// `/health` for 200–400 ms there. A two-page résumé costs about 100,000 units (dense text;
/// 51,000 a page), so about 7 dense pages fit; a DOCX costs two units a byte of
/// `document.xml` (about 195 KiB of markup fits). [Decision 0007](../../../../../docs/decisions/0007-resume-parse-queue.md).
pub const PARSE_MAX_WORK: u64 = 400_000;

/// Elapsed time one document's text extraction may take (the deadline of its extraction
/// `Budget`, checked every 65,536 work units); past it the résumé fails with `time_limit`,
/// final. A backstop for work the units under-count: a parse within its work budget takes a
/// fraction of it even on a loaded machine. Locally `Date.now()` advanced during synchronous
/// code in our runs; in production Workers it only advances across I/O, so there the work
/// limit alone bounds a parse.
pub const EXTRACT_DEADLINE_MS: i64 = 500;

/// Text the taxonomy parse and the feedback read (32 KiB, about 6 dense pages, several times a
/// typical résumé's text; the rest is ignored). They are not charged to the extraction budget,
/// so this bounds them: natively about 4–7 ms, where the 400 KiB of text a plain-text file
/// within the budget can hold took 50–100 ms (ten times that in cold wasm).
pub const MAX_PARSED_TEXT_BYTES: usize = 32 * 1024;

/// The part of an extracted `text` that is parsed: its first [`MAX_PARSED_TEXT_BYTES`], cut at
/// a character boundary.
#[must_use]
pub fn text_for_parsing(text: &str) -> &str {
    if text.len() <= MAX_PARSED_TEXT_BYTES {
        return text;
    }
    let mut end = MAX_PARSED_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// One résumé to parse: the message on the parse queue (`PARSE_QUEUE`), sent by the upload and
/// by the cron for retries; its consumer parses one résumé per invocation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParseJob {
    pub resume_id: String,
}

/// Résumés the cron (re)enqueues per run (`pending`, or `failed` with attempts left).
pub const CRON_PARSE_BATCH: u32 = 50;

/// Delivery attempts per feedback before the outbox row is marked `failed`.
pub const MAX_DELIVERY_ATTEMPTS: i64 = 5;

/// How long a claimed delivery is leased to its worker before another may retry it.
pub const DELIVERY_LEASE_MS: i64 = 60 * 1000;

/// Timeout of one webhook POST.
pub const WEBHOOK_TIMEOUT_MS: u64 = 10_000;

/// Header names of the signed webhook.
pub const SIGNATURE_HEADER: &str = "X-Feedback-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Feedback-Timestamp";
pub const DELIVERY_HEADER: &str = "X-Feedback-Delivery";

/// The wait before the next delivery attempt after `attempts` failed ones: 1 min, 5 min,
/// 15 min, 1 h (the fifth failure is final).
#[must_use]
pub fn delivery_backoff_ms(attempts: i64) -> i64 {
    const MINUTE: i64 = 60 * 1000;
    match attempts {
        i64::MIN..=1 => MINUTE,
        2 => 5 * MINUTE,
        3 => 15 * MINUTE,
        _ => 60 * MINUTE,
    }
}

/// The string the HMAC covers: `"<timestamp>.<body>"`.
#[must_use]
pub fn signed_string(timestamp_secs: i64, body: &str) -> String {
    format!("{timestamp_secs}.{body}")
}

/// The `X-Feedback-Signature` value for a MAC.
#[must_use]
pub fn signature_header_value(mac: &[u8]) -> String {
    let mut out = String::with_capacity(7 + mac.len() * 2);
    out.push_str("sha256=");
    for b in mac {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The calendar year of an RFC 3339 timestamp (for "years of experience" arithmetic).
#[must_use]
pub fn year_of(rfc3339: &str) -> i32 {
    rfc3339.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2026)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        let waits: Vec<i64> = (1..=MAX_DELIVERY_ATTEMPTS).map(delivery_backoff_ms).collect();
        assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
        assert_eq!(waits[0], 60_000);
        assert_eq!(*waits.last().expect("some"), 3_600_000);
        assert!(DELIVERY_LEASE_MS <= delivery_backoff_ms(1));
    }

    #[test]
    fn signature_format() {
        assert_eq!(signed_string(1_700_000_000, "{\"a\":1}"), "1700000000.{\"a\":1}");
        assert_eq!(signature_header_value(&[0x00, 0xab, 0x10]), "sha256=00ab10");
    }

    #[test]
    fn parse_jobs_are_plain_json() {
        let job = ParseJob { resume_id: "r1".into() };
        let text = serde_json::to_string(&job).expect("json");
        assert_eq!(text, r#"{"resume_id":"r1"}"#);
        assert_eq!(serde_json::from_str::<ParseJob>(&text).expect("back"), job);
    }

    #[test]
    fn the_worker_parse_budget_fits_6_dense_pages_and_a_two_page_resume_nearly_four_times() {
        use crate::domain::resume::hostile_files::dense_pdf;
        use crate::domain::resume::{extract_text_within, Budget, ResumeKind};
        let budget = Budget::new(PARSE_MAX_WORK);
        assert!(extract_text_within(ResumeKind::Pdf, &dense_pdf(6), &budget).is_ok());
        assert!(budget.used() * 5 / 4 < PARSE_MAX_WORK, "a quarter of headroom: {}", budget.used());
        let budget = Budget::new(PARSE_MAX_WORK);
        assert!(extract_text_within(ResumeKind::Pdf, &dense_pdf(2), &budget).is_ok());
        assert!(budget.used() * 7 / 2 < PARSE_MAX_WORK, "{}", budget.used());
    }

    /// Native timings of the Worker's budget (`cargo test -p interview-core --release
    /// parse_budget_timings -- --ignored --nocapture`): the figures in docs/resumes.md#parsing.
    #[test]
    #[ignore = "prints timings; run in release"]
    fn parse_budget_timings() {
        use crate::domain::resume::hostile_files::{
            contents_repeating_one_stream, dense_pdf, docx_of_markup, form_drawn_many_times,
            self_drawing_forms,
        };
        use crate::domain::resume::{extract_text_within, Budget, ResumeKind};
        let docx = docx_of_markup(1);
        for (name, kind, bytes) in [
            ("2 dense pages", ResumeKind::Pdf, dense_pdf(2)),
            ("6 dense pages", ResumeKind::Pdf, dense_pdf(6)),
            ("1 MiB of DOCX markup", ResumeKind::Docx, docx),
            ("8 MiB of DOCX markup", ResumeKind::Docx, docx_of_markup(8)),
            ("form drawn 100k times", ResumeKind::Pdf, form_drawn_many_times()),
            ("self-drawing forms", ResumeKind::Pdf, self_drawing_forms()),
            ("/Contents x5000", ResumeKind::Pdf, contents_repeating_one_stream()),
        ] {
            let mut best = std::time::Duration::MAX;
            let mut used = 0;
            for _ in 0..5 {
                let budget = Budget::new(PARSE_MAX_WORK);
                let started = std::time::Instant::now();
                let result = extract_text_within(kind, &bytes, &budget);
                best = best.min(started.elapsed());
                used = budget.used();
                drop(result);
            }
            eprintln!("{name}: {used} units, best of 5 {best:?}");
        }
        // What follows a successful extraction (unbudgeted, bounded by the text the budget let
        // through): the taxonomy parse and the feedback, on the most text 400,000 units allow.
        let text = crate::domain::resume::hostile_files::dense_page_text().repeat(75);
        for text in [text.as_str(), text_for_parsing(&text)] {
            let started = std::time::Instant::now();
            let parsed = crate::domain::resume::parse_resume(text, 2026);
            let _ = crate::domain::resume::generate_feedback(&parsed, None, Some("A"));
            eprintln!("parse + feedback of {} bytes of text: {:?}", text.len(), started.elapsed());
        }
    }

    #[test]
    fn parsed_text_is_cut_at_a_character_boundary() {
        assert_eq!(text_for_parsing("short"), "short");
        let text = "é".repeat(MAX_PARSED_TEXT_BYTES); // two bytes each
        let cut = text_for_parsing(&text);
        assert_eq!(cut.len(), MAX_PARSED_TEXT_BYTES);
        let odd = format!("a{text}");
        assert_eq!(text_for_parsing(&odd).len(), MAX_PARSED_TEXT_BYTES - 1);
    }

    #[test]
    fn year_of_reads_the_prefix() {
        assert_eq!(year_of("2031-01-02T00:00:00.000Z"), 2031);
        assert_eq!(year_of("x"), 2026);
    }
}
