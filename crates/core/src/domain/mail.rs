//! Outgoing email (docs/email.md): what each message says, how an HTTP email API is asked to send
//! it, and when a failed send is retried. Pure: the Worker puts every message in the `mail_outbox`
//! table in the same batch as the change it announces, and a sender (right after the request,
//! and on every frequent cron run) delivers what is due through the configured mailer.

use serde::Serialize;

use super::enums::MailKind;

/// Attempts before a message is given up (`failed`); the failure stays visible.
pub const MAX_ATTEMPTS: u32 = 6;
/// The longest wait between two attempts.
pub const MAX_RETRY_DELAY_MS: i64 = 6 * 3_600_000;
/// Messages one sender run delivers at most (the rest wait for the next run).
pub const SEND_BATCH: u32 = 25;
/// Longest subject and body we send, in bytes (everything we compose is far below).
pub const MAX_SUBJECT_BYTES: usize = 300;
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub kind: MailKind,
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// One line of recruiter-written text: no line breaks (a subject or a quoted title stays one
/// line), clipped.
fn one_line(s: &str, max: usize) -> String {
    clip(&s.split_whitespace().collect::<Vec<_>>().join(" "), max)
}

/// The invitation to a job: who invites, to what, the link and when it expires.
#[must_use]
pub fn invitation(to: &str, org_name: &str, job_title: &str, link: &str, expires_at: &str) -> OutgoingMail {
    let org = one_line(org_name, 120);
    let title = one_line(job_title, 200);
    let text = format!(
        "Hello,\n\n{org} invites you to an interview for the position \"{title}\".\n\n\
         The interview is conducted by an AI interviewer: it asks technical questions, adapts to \
         your answers, and you can answer by text (or by voice where the position asks for it). \
         Plan about 30 to 45 minutes in a quiet place.\n\n\
         Start here (sign in or create an account with this email address):\n{link}\n\n\
         The link works once and expires at {expires_at} (UTC).\n\n\
         If you did not expect this email, you can ignore it.\n"
    );
    OutgoingMail {
        kind: MailKind::Invitation,
        to: to.to_owned(),
        subject: clip(&format!("Interview invitation: {title} at {org}"), MAX_SUBJECT_BYTES),
        text: clip(&text, MAX_TEXT_BYTES),
    }
}

/// The invitation of a staff member to an organization, with a link to choose a password.
#[must_use]
pub fn staff_invite(to: &str, org_name: &str, role: &str, link: &str, expires_at: &str) -> OutgoingMail {
    let org = one_line(org_name, 120);
    let text = format!(
        "Hello,\n\nYou have been invited to join {org} as {role} on the interview platform.\n\n\
         Choose your password here:\n{link}\n\n\
         The link works once and expires at {expires_at} (UTC). If you did not expect this email, \
         you can ignore it.\n"
    );
    OutgoingMail {
        kind: MailKind::StaffInvite,
        to: to.to_owned(),
        subject: clip(&format!("You are invited to join {org}"), MAX_SUBJECT_BYTES),
        text: clip(&text, MAX_TEXT_BYTES),
    }
}

/// The JSON body the HTTP mailer posts (`{from, to: [..], subject, text}`, the shape common
/// transactional email APIs accept; docs/email.md).
#[derive(Debug, Serialize)]
pub struct HttpMailBody<'a> {
    pub from: &'a str,
    pub to: [&'a str; 1],
    pub subject: &'a str,
    pub text: &'a str,
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// Worth another try later (network error, timeout, 408, 429, 5xx).
    Retry(String),
    /// The provider refused the message itself (other 4xx): retrying cannot help.
    Refused(String),
}

/// Classifies an HTTP email API's answer.
#[must_use]
pub fn classify_status(status: u16) -> Attempt {
    match status {
        200..=299 => Attempt::Sent,
        408 | 429 | 500..=599 => Attempt::Retry(format!("mail provider answered {status}")),
        _ => Attempt::Refused(format!("mail provider refused the message ({status})")),
    }
}

/// What to record after attempt number `attempts` (1-based) ended in `outcome`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Sent,
    /// Try again at `at` (ms); `error` is shown on the message until then.
    RetryAt {
        at: i64,
        error: String,
    },
    /// Give up; the last error stays on the message (and on what it announced).
    Failed {
        error: String,
    },
}

impl Next {
    /// The outcome's name in counts and logs: `sent`, `retrying` or `failed`.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Next::Sent => "sent",
            Next::RetryAt { .. } => "retrying",
            Next::Failed { .. } => "failed",
        }
    }
}

/// The retry schedule: `base_ms` × 4^(attempt−1), capped at [`MAX_RETRY_DELAY_MS`], for up to
/// [`MAX_ATTEMPTS`] attempts (1 min, 4, 16, 64 min, 4 h 16 min with the default 60 s base).
#[must_use]
pub fn next_step(outcome: Attempt, attempts: u32, now_ms: i64, base_ms: i64) -> Next {
    match outcome {
        Attempt::Sent => Next::Sent,
        Attempt::Refused(error) => Next::Failed { error },
        Attempt::Retry(error) if attempts >= MAX_ATTEMPTS => Next::Failed { error },
        Attempt::Retry(error) => {
            let factor = 4_i64.saturating_pow(attempts.saturating_sub(1));
            let at = now_ms + base_ms.max(0).saturating_mul(factor).min(MAX_RETRY_DELAY_MS);
            Next::RetryAt { at, error }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitation_names_the_job_and_carries_the_link_once() {
        let m = invitation(
            "ada@example.com",
            "Acme",
            "Backend\nEngineer",
            "https://x.test/invite/T",
            "2027-01-01T00:00:00Z",
        );
        assert_eq!(m.kind, MailKind::Invitation);
        assert!(!m.subject.contains('\n'), "a recruiter's line break never splits the subject");
        assert!(m.subject.contains("Backend Engineer") && m.subject.contains("Acme"));
        assert_eq!(m.text.matches("https://x.test/invite/T").count(), 1);
        assert!(m.text.contains("2027-01-01T00:00:00Z"));
        let long = invitation("a@b.co", &"o".repeat(5_000), &"t".repeat(5_000), "l", "e");
        assert!(long.subject.len() <= MAX_SUBJECT_BYTES && long.text.len() <= MAX_TEXT_BYTES);
        let s = staff_invite("a@b.co", "Acme", "recruiter", "https://x.test/s/T", "e");
        assert_eq!(s.kind, MailKind::StaffInvite);
        assert!(s.text.contains("https://x.test/s/T") && s.text.contains("recruiter"));
    }

    #[test]
    fn clipping_respects_character_boundaries() {
        assert_eq!(clip("héllo", 2), "h");
        assert_eq!(clip("héllo", 3), "hé");
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify_status(202), Attempt::Sent);
        assert!(matches!(classify_status(503), Attempt::Retry(_)));
        assert!(matches!(classify_status(429), Attempt::Retry(_)));
        assert!(matches!(classify_status(422), Attempt::Refused(_)));
    }

    #[test]
    fn retries_back_off_then_give_up() {
        let retry = Attempt::Retry("down".into());
        assert_eq!(
            next_step(retry.clone(), 1, 0, 60_000),
            Next::RetryAt { at: 60_000, error: "down".into() }
        );
        assert_eq!(
            next_step(retry.clone(), 2, 0, 60_000),
            Next::RetryAt { at: 240_000, error: "down".into() }
        );
        assert_eq!(
            next_step(retry.clone(), 5, 0, 60_000),
            Next::RetryAt { at: MAX_RETRY_DELAY_MS.min(60_000 * 256), error: "down".into() }
        );
        assert_eq!(next_step(retry.clone(), MAX_ATTEMPTS, 0, 60_000), Next::Failed { error: "down".into() });
        assert_eq!(
            next_step(Attempt::Refused("no".into()), 1, 0, 60_000),
            Next::Failed { error: "no".into() }
        );
        assert_eq!(next_step(Attempt::Sent, 3, 0, 60_000), Next::Sent);
        // A zero base (tests) retries on the next run.
        assert_eq!(next_step(retry.clone(), 3, 7, 0), Next::RetryAt { at: 7, error: "down".into() });
    }
}
