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
pub(crate) fn clip(s: &str, max: usize) -> String {
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
pub(crate) fn one_line(s: &str, max: usize) -> String {
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

/// Whether a kind of message is essential (always sent) or may be opted out of with its
/// unsubscribe link: invitations, staff invitations and résumé feedback are what the recipient
/// asked for; reminders and decision messages are not (docs/email.md#notifications).
/// Completion notices go to staff and are essential.
#[must_use]
pub const fn optional(kind: MailKind) -> bool {
    matches!(kind, MailKind::InvitationReminder | MailKind::Decision)
}

/// The link that opts an address out of optional mail: `{base}/#/unsubscribe/{token}`.
#[must_use]
pub fn unsubscribe_link(base_url: &str, token: &str) -> String {
    format!("{}/#/unsubscribe/{token}", base_url.trim_end_matches('/'))
}

/// The reminder to an invited candidate who has not started: the link expires at `expires_at`.
/// The link itself is not repeated (only its hash is stored): the candidate uses the
/// invitation email, or asks for a new one.
#[must_use]
pub fn invitation_reminder(
    to: &str,
    org_name: &str,
    job_title: &str,
    expires_at: &str,
    unsubscribe: &str,
) -> OutgoingMail {
    let org = one_line(org_name, 120);
    let title = one_line(job_title, 200);
    let text = format!(
        "Hello,\n\nA reminder: {org} invited you to an interview for the position \"{title}\", and \
         you have not started it yet.\n\nYour invitation link expires at {expires_at} (UTC). Use the \
         link in the invitation email; if you cannot find it, ask {org} to send a new one.\n\n\
         To stop receiving reminders: {unsubscribe}\n"
    );
    OutgoingMail {
        kind: MailKind::InvitationReminder,
        to: to.to_owned(),
        subject: clip(&format!("Reminder: interview for {title} at {org}"), MAX_SUBJECT_BYTES),
        text: clip(&text, MAX_TEXT_BYTES),
    }
}

/// The notice to a job's recruiter that an invited candidate completed the interview: name,
/// job, score and a link to the interview page — never the candidate's answers.
#[must_use]
pub fn interview_completed(
    to: &str,
    candidate_name: &str,
    job_title: &str,
    score: Option<f64>,
    link: &str,
) -> OutgoingMail {
    let name = one_line(candidate_name, 120);
    let title = one_line(job_title, 200);
    let score = score.map_or_else(|| "not scored".to_owned(), |s| format!("{s:.0}/100"));
    let text = format!(
        "Hello,\n\n{name} completed the interview for \"{title}\".\n\nOverall score: {score}\n\n\
         Review it here:\n{link}\n"
    );
    OutgoingMail {
        kind: MailKind::InterviewCompleted,
        to: to.to_owned(),
        subject: clip(&format!("Interview completed: {name} for {title}"), MAX_SUBJECT_BYTES),
        text: clip(&text, MAX_TEXT_BYTES),
    }
}

/// The résumé feedback itself, emailed to the candidate when it is sent.
#[must_use]
pub fn resume_feedback(to: &str, candidate_name: &str, feedback: &str, link: &str) -> OutgoingMail {
    let name = one_line(candidate_name, 120);
    let text = format!(
        "Hello {name},\n\nHere is the feedback on your résumé:\n\n{feedback}\n\n\
         The full feedback, with the gaps found and resources to close them:\n{link}\n"
    );
    OutgoingMail {
        kind: MailKind::ResumeFeedback,
        to: to.to_owned(),
        subject: "Feedback on your résumé".to_owned(),
        text: clip(&text, MAX_TEXT_BYTES),
    }
}

/// The email-verification link of a new account (docs/accounts.md#email-verification).
#[must_use]
pub fn email_verification(to: &str, link: &str, expires_at: &str) -> OutgoingMail {
    let text = format!(
        "Hello,\n\nPlease confirm that this address is yours to finish creating your account:\n{link}\n\n\
         The link works once and expires at {expires_at} (UTC). If you did not create an account, \
         you can ignore this email.\n"
    );
    OutgoingMail {
        kind: MailKind::EmailVerification,
        to: to.to_owned(),
        subject: "Confirm your email address".to_owned(),
        text: clip(&text, MAX_TEXT_BYTES),
    }
}

/// Sent instead of a verification link when someone registers with an address that already has
/// an account: the registration answer is the same either way, only the owner learns of it.
#[must_use]
pub fn registration_attempt(to: &str, reset_link: &str) -> OutgoingMail {
    let text = format!(
        "Hello,\n\nSomeone (perhaps you) tried to create an account with this email address, which \
         already has one. Nothing was changed.\n\nIf it was you, sign in instead; if you forgot \
         your password, reset it here:\n{reset_link}\n\nIf it was not you, you can ignore this email.\n"
    );
    OutgoingMail {
        kind: MailKind::RegistrationAttempt,
        to: to.to_owned(),
        subject: "Someone tried to register with your email address".to_owned(),
        text: clip(&text, MAX_TEXT_BYTES),
    }
}

/// A password-reset link (docs/accounts.md#password-reset).
#[must_use]
pub fn password_reset(to: &str, link: &str, expires_at: &str) -> OutgoingMail {
    let text = format!(
        "Hello,\n\nA password reset was requested for your account. Choose a new password here:\n\
         {link}\n\nThe link works once and expires at {expires_at} (UTC). Setting a new password \
         signs you out everywhere.\n\nIf you did not ask for this, ignore this email: your password \
         stays as it is.\n"
    );
    OutgoingMail {
        kind: MailKind::PasswordReset,
        to: to.to_owned(),
        subject: "Reset your password".to_owned(),
        text: clip(&text, MAX_TEXT_BYTES),
    }
}

/// A data export is ready: the link (sign-in required) and when it expires.
#[must_use]
pub fn data_export(to: &str, link: &str, expires_at: &str) -> OutgoingMail {
    OutgoingMail {
        kind: MailKind::DataExport,
        to: to.to_owned(),
        subject: "Your data export is ready".to_owned(),
        text: format!(
            "Hello,\n\nThe export of your data you asked for is ready. Sign in and download it here:\n\
             {link}\n\nIt expires at {expires_at} (UTC). If you did not ask for it, sign in and \
             change your password.\n"
        ),
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
    fn account_emails_carry_their_link_and_are_essential() {
        let v = email_verification("a@example.com", "https://x/#/verify/T1", "2026-01-01T00:00:00Z");
        let r = password_reset("a@example.com", "https://x/#/reset/T2", "2026-01-01T00:00:00Z");
        let a = registration_attempt("a@example.com", "https://x/#/reset");
        assert!(v.text.contains("https://x/#/verify/T1") && r.text.contains("https://x/#/reset/T2"));
        assert!(a.text.contains("https://x/#/reset"));
        for m in [&v, &r, &a] {
            assert!(!optional(m.kind));
            assert_eq!(m.to, "a@example.com");
        }
    }

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
    fn notifications_keep_names_on_one_line_and_carry_no_extra_content() {
        let r = invitation_reminder(
            "a@b.co",
            "Acme\r\nBcc: x@y.z",
            "Dev\nOps",
            "2027-01-01T00:00:00Z",
            "https://x.test/#/unsubscribe/Q",
        );
        assert_eq!(r.kind, MailKind::InvitationReminder);
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'), "{}", r.subject);
        assert!(r.subject.contains("Dev Ops") && r.text.contains("2027-01-01T00:00:00Z"));
        assert_eq!(r.text.matches("/#/unsubscribe/Q").count(), 1);
        assert!(optional(r.kind));
        let c = interview_completed(
            "r@b.co",
            "Ada\r\nLovelace",
            "Dev",
            Some(87.4),
            "https://x.test/#/recruiter/interview/I",
        );
        assert_eq!(c.kind, MailKind::InterviewCompleted);
        assert!(c.subject.contains("Ada Lovelace") && !c.subject.contains('\r'));
        assert!(c.text.contains("87/100") && c.text.contains("/#/recruiter/interview/I"));
        assert!(interview_completed("r@b.co", "A", "D", None, "l").text.contains("not scored"));
        assert!(!optional(c.kind));
        let f = resume_feedback("c@b.co", "Ada", "Add metrics to your projects.", "https://x.test/#/resumes");
        assert!(f.text.contains("Add metrics to your projects.") && !optional(f.kind));
        assert!(!optional(MailKind::Invitation) && !optional(MailKind::StaffInvite));
        assert_eq!(unsubscribe_link("https://x.test/", "T"), "https://x.test/#/unsubscribe/T");
        let long = invitation_reminder("a@b.co", &"o".repeat(5_000), &"t".repeat(5_000), "e", "u");
        assert!(long.subject.len() <= MAX_SUBJECT_BYTES && long.text.len() <= MAX_TEXT_BYTES);
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
