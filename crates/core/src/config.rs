//! One typed configuration, built once per request from `wrangler.toml` `[vars]` and secrets.
//!
//! Parsing is pure (`Config::from_lookup`) so it unit-tests natively; the wasm glue passes a
//! lookup over `worker::Env`. A malformed value is a deployment error: it is reported by name
//! (never by value, which may be a secret) and the request fails with 500.

/// Every setting of the service (docs/configuration.md), with the defaults of `wrangler.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub allowed_origins: Vec<String>,
    /// The organization self-registered candidates and self-started interviews belong to
    /// (`DEFAULT_ORG_ID`; migration 0004 creates [`DEFAULT_ORG_ID`] and moves existing staff and
    /// data into it).
    pub default_org_id: String,
    /// `None` when `JWT_SECRET` is absent or shorter than 32 bytes: auth then refuses to work.
    pub jwt_secret: Option<String>,
    pub jwt_ttl_minutes: u32,
    /// Failed logins from one client (account, client IP) before that client is locked out of
    /// that account (default 5; docs/security.md#login-lockout).
    pub login_max_failures: u32,
    /// The first lockout of a client; each later failure doubles it (default 15 min).
    pub login_lockout_minutes: f64,
    /// The longest a client's lockout grows to (default 1440 min, a day).
    pub login_lockout_max_minutes: f64,
    pub auth_ip_rate_per_minute: u32,
    pub min_questions: u32,
    pub max_questions: u32,
    pub min_boundaries: u32,
    pub abandon_after_minutes: f64,
    pub answer_rate_burst: u32,
    pub answer_rate_per_minute: u32,
    pub starts_per_hour: u32,
    /// Refused realtime connects one client IP may make in a burst, and per minute after it.
    pub connect_failures_burst: u32,
    pub connect_failures_per_minute: u32,
    pub interview_cost_cap_micros: u64,
    /// What one account's interviews may cost in 24 hours, all together (0: no budget).
    pub account_daily_spend_micros: u64,
    pub show_live_feedback: bool,
    /// `SCORE_DISAGREEMENT_MARGIN`: how far (composite/accuracy, 0..=1) a model's evaluation may
    /// differ from the rubric's before it is flagged and capped (docs/scoring.md#openai-mode).
    pub score_disagreement_margin: f64,
    pub openai_api_key: Option<String>,
    pub openai_base_url: String,
    pub openai_realtime_url: String,
    pub openai_model: String,
    /// Per-attempt timeout of a chat call (45 s; docs/configuration.md).
    pub openai_timeout_ms: u64,
    /// First retry delay; later ones double (1 s, 2 s, 4 s by default).
    pub openai_retry_base_ms: u64,
    /// How long the circuit breaker stays open after 5 consecutive failures (60 s; docs/configuration.md).
    pub openai_breaker_open_ms: u64,
    pub realtime_model: String,
    /// How long a realtime ticket opens the socket (default 60 s, docs/voice.md#tickets).
    pub realtime_ticket_ttl_secs: u64,
    pub transcription_model: String,
    pub tts_model: String,
    /// The largest video of one interview (default 2 GiB), checked by the interview's DO.
    pub video_max_bytes: u64,
    /// Video bytes one candidate may upload per day, over all interviews (default 4 GiB).
    pub video_bytes_per_day: u64,
    /// Résumés one candidate may store (default 20).
    pub resumes_per_candidate: u32,
    /// Emails (candidate and staff invitations, resends) one organization may send per day
    /// (default 2000): every email is a paid call to the mail provider.
    pub invitation_emails_per_day: u64,
    /// Résumé bytes one candidate may upload per day (default 50 MiB).
    pub resume_bytes_per_day: u64,
    /// Résumé uploads per candidate per hour (default 10).
    pub resume_uploads_per_hour: u32,
    /// Realtime tickets per user per minute (default 10).
    pub realtime_tickets_per_minute: u32,
    /// Videos older than this are deleted by the daily job (fractional days allowed, for tests).
    pub video_retention_days: f64,
    /// Multipart uploads with no chunk for this long are aborted by the daily job (default 24 h).
    pub video_upload_idle_hours: f64,
    pub feedback_auto_send_hours: f64,
    pub feedback_webhook_url: Option<String>,
    pub feedback_webhook_secret: Option<String>,
    /// Which mailer sends email (`MAILER`: `none` by default, `dev` for the local dev mailbox,
    /// `http` for an HTTP email API; docs/email.md).
    pub mailer: MailerKind,
    /// Which relational store the Worker uses (`DB_BACKEND`: `d1` by default, or `postgres`
    /// through the `HYPERDRIVE` binding, which needs a build with the cargo feature `postgres`;
    /// docs/postgres.md).
    pub db_backend: DbBackend,
    /// The sender address (`MAIL_FROM`).
    pub mail_from: String,
    /// The HTTP email API's endpoint (`MAIL_API_URL`, required with `MAILER = "http"`).
    pub mail_api_url: Option<String>,
    /// Its API key (secret `MAIL_API_KEY`), sent as a bearer token.
    pub mail_api_key: Option<String>,
    /// First retry delay of a failed send in seconds; later ones grow 4× (default 60).
    pub mail_retry_base_secs: f64,
    /// Hours before an unused invitation link expires (or its job's deadline) that the invited
    /// candidate is reminded (`INVITE_REMINDER_HOURS`, default 48; docs/email.md#notifications).
    pub invite_reminder_hours: f64,
    /// Whether ATS webhook URLs may be plain `http://` (`WEBHOOK_ALLOW_HTTP = "true"`: tests and
    /// local development only, never production).
    pub webhook_allow_http: bool,
    /// First retry delay of a failed webhook delivery in seconds; later ones grow 4× (default 30).
    pub webhook_retry_base_secs: f64,
    /// How long a rotated-out webhook secret keeps signing, in hours (default 24).
    pub webhook_secret_overlap_hours: f64,
    /// Where links in emails point (`PUBLIC_BASE_URL`); absent: the request's own origin.
    pub public_base_url: Option<String>,
    /// `EMAIL_VERIFICATION = "required"`: candidates verify their address before starting an
    /// interview, and registration no longer tells whether an address has an account
    /// (docs/accounts.md#email-verification). `off` (the default) keeps registration as before.
    pub email_verification_required: bool,
    /// How long an email-verification link works (`EMAIL_VERIFICATION_TTL_HOURS`, 48).
    pub email_verification_ttl_hours: f64,
    /// How long a password-reset link works (`PASSWORD_RESET_TTL_MINUTES`, 30).
    pub password_reset_ttl_minutes: f64,
    /// Account emails (verification, reset, "someone tried to register") one address receives at
    /// most per hour (`ACCOUNT_EMAILS_PER_HOUR`, 5); more requests answer the same, unsent.
    pub account_emails_per_hour: u32,
    /// Days a data export stays downloadable (`EXPORT_TTL_DAYS`, default 7; docs/privacy.md).
    pub export_ttl_days: f64,
    /// Hours the media links inside an export work (`EXPORT_LINK_HOURS`, default 24).
    pub export_link_hours: f64,
    /// Erasure units (one interview, one R2 prefix, the final D1 batch) one run processes; 0:
    /// all (`ERASURE_STEPS_PER_RUN`; tests set 1 to stop a run midway).
    pub erasure_steps_per_run: u32,
    /// Test-only fault injection switches (comma-separated; empty in every real deployment).
    pub test_faults: Vec<String>,
    /// Bench-only (`BENCH_TIMINGS=true`): a `timing` log line per request with the time at each
    /// stage (auth, body, Durable Object), for `scripts/bench`'s split of a turn.
    pub bench_timings: bool,
}

/// A configuration value that cannot be used; carries the variable's name only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub name: &'static str,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "configuration variable {} is malformed", self.name)
    }
}

pub use crate::domain::enums::AiProviderKind;
pub use crate::domain::enums::MailerKind;

/// The relational store (`DB_BACKEND`, docs/decisions/0011).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbBackend {
    D1,
    Postgres,
}

impl DbBackend {
    /// `DB_BACKEND`'s value (absent or empty: D1); `None` when unknown.
    #[must_use]
    pub fn parse(value: Option<&str>) -> Option<DbBackend> {
        match value.map(str::trim) {
            None | Some("" | "d1") => Some(DbBackend::D1),
            Some("postgres") => Some(DbBackend::Postgres),
            Some(_) => None,
        }
    }
}

/// Minimum JWT secret length in bytes (docs/accounts.md).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Whether `s` is a lower-case hyphenated UUID (how every id is stored).
#[must_use]
pub fn is_canonical_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// The id of the default organization migration 0004 creates (docs/organizations.md).
pub const DEFAULT_ORG_ID: &str = "00000000-0000-4000-8000-000000000001";

impl Config {
    /// Builds the configuration from a lookup of variable names; absent or empty values take
    /// their defaults.
    ///
    /// # Errors
    /// A present value that does not parse (e.g. `MAX_QUESTIONS = "many"`), or limits that
    /// contradict each other.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let num = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            get(name).map_or(Ok(default), |v| v.parse::<u64>().map_err(|_| ConfigError { name }))
        };
        let small = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
            u32::try_from(num(name, u64::from(default))?).map_err(|_| ConfigError { name })
        };
        let float = |name: &'static str, default: f64| -> Result<f64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
                    _ => Err(ConfigError { name }),
                },
            }
        };
        let flag = |name: &'static str| -> Result<bool, ConfigError> {
            match get(name).as_deref() {
                None | Some("false" | "0" | "no") => Ok(false),
                Some("true" | "1" | "yes") => Ok(true),
                Some(_) => Err(ConfigError { name }),
            }
        };
        let text = |name: &str, default: &str| get(name).unwrap_or_else(|| default.to_owned());

        let cost_cap_usd = get("INTERVIEW_COST_CAP_USD").unwrap_or_else(|| "5.00".to_owned());
        let daily_spend_usd = get("ACCOUNT_DAILY_SPEND_USD").unwrap_or_else(|| "20.00".to_owned());
        let config = Config {
            default_org_id: text("DEFAULT_ORG_ID", DEFAULT_ORG_ID).trim().to_owned(),
            allowed_origins: text("ALLOWED_ORIGINS", "")
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            jwt_secret: get("JWT_SECRET").filter(|s| s.len() >= MIN_JWT_SECRET_BYTES),
            jwt_ttl_minutes: small("JWT_TTL_MINUTES", 1440)?,
            login_max_failures: small("LOGIN_MAX_FAILURES", 5)?,
            login_lockout_minutes: float("LOGIN_LOCKOUT_MINUTES", 15.0)?,
            login_lockout_max_minutes: float("LOGIN_LOCKOUT_MAX_MINUTES", 1440.0)?,
            auth_ip_rate_per_minute: small("AUTH_IP_RATE_PER_MINUTE", 30)?,
            min_questions: small("MIN_QUESTIONS", 12)?,
            max_questions: small("MAX_QUESTIONS", 20)?,
            min_boundaries: small("MIN_BOUNDARIES", 2)?,
            abandon_after_minutes: float("ABANDON_AFTER_MINUTES", 30.0)?,
            answer_rate_burst: small("ANSWER_RATE_BURST", 5)?,
            answer_rate_per_minute: small("ANSWER_RATE_PER_MINUTE", 20)?,
            starts_per_hour: small("STARTS_PER_HOUR", 10)?,
            connect_failures_burst: small("CONNECT_FAILURES_BURST", 120)?,
            connect_failures_per_minute: small("CONNECT_FAILURES_PER_MINUTE", 60)?,
            account_daily_spend_micros: usd_to_micros(&daily_spend_usd)
                .ok_or(ConfigError { name: "ACCOUNT_DAILY_SPEND_USD" })?,
            interview_cost_cap_micros: usd_to_micros(&cost_cap_usd)
                .ok_or(ConfigError { name: "INTERVIEW_COST_CAP_USD" })?,
            show_live_feedback: flag("SHOW_LIVE_FEEDBACK")?,
            score_disagreement_margin: float(
                "SCORE_DISAGREEMENT_MARGIN",
                crate::domain::interviewer::DEFAULT_SCORE_DISAGREEMENT_MARGIN,
            )?,
            openai_api_key: get("OPENAI_API_KEY"),
            openai_base_url: text("OPENAI_BASE_URL", "https://api.openai.com/v1")
                .trim_end_matches('/')
                .to_owned(),
            openai_realtime_url: text(
                "OPENAI_REALTIME_URL",
                "wss://api.openai.com/v1/realtime?model=gpt-realtime",
            ),
            openai_model: text("OPENAI_MODEL", "gpt-4o-mini"),
            openai_timeout_ms: num("OPENAI_TIMEOUT_MS", 45_000)?,
            openai_retry_base_ms: num("OPENAI_RETRY_BASE_MS", 1_000)?,
            openai_breaker_open_ms: num("OPENAI_BREAKER_OPEN_MS", 60_000)?,
            realtime_model: text("REALTIME_MODEL", "gpt-realtime"),
            realtime_ticket_ttl_secs: num("REALTIME_TICKET_TTL_SECS", 60)?,
            transcription_model: text("TRANSCRIPTION_MODEL", "whisper-1"),
            tts_model: text("TTS_MODEL", "tts-1"),
            video_max_bytes: num("VIDEO_MAX_BYTES", 2 * 1024 * 1024 * 1024)?,
            video_bytes_per_day: num("VIDEO_BYTES_PER_DAY", 4 * 1024 * 1024 * 1024)?,
            resumes_per_candidate: small("RESUMES_PER_CANDIDATE", 20)?,
            invitation_emails_per_day: num("INVITATION_EMAILS_PER_DAY", 2000)?,
            resume_bytes_per_day: num("RESUME_BYTES_PER_DAY", 50 * 1024 * 1024)?,
            resume_uploads_per_hour: small("RESUME_UPLOADS_PER_HOUR", 10)?,
            realtime_tickets_per_minute: small("REALTIME_TICKETS_PER_MINUTE", 10)?,
            video_retention_days: float("VIDEO_RETENTION_DAYS", 90.0)?,
            video_upload_idle_hours: float("VIDEO_UPLOAD_IDLE_HOURS", 24.0)?,
            feedback_auto_send_hours: float("FEEDBACK_AUTO_SEND_HOURS", 4.0)?,
            feedback_webhook_url: get("FEEDBACK_WEBHOOK_URL"),
            feedback_webhook_secret: get("FEEDBACK_WEBHOOK_SECRET"),
            mailer: match get("MAILER") {
                None => MailerKind::None,
                Some(v) => MailerKind::parse(&v).ok_or(ConfigError { name: "MAILER" })?,
            },
            db_backend: DbBackend::parse(get("DB_BACKEND").as_deref())
                .ok_or(ConfigError { name: "DB_BACKEND" })?,
            mail_from: text("MAIL_FROM", "Interview Edge <no-reply@interview-edge.invalid>"),
            mail_api_url: get("MAIL_API_URL"),
            mail_api_key: get("MAIL_API_KEY"),
            mail_retry_base_secs: float("MAIL_RETRY_BASE_SECS", 60.0)?,
            invite_reminder_hours: float("INVITE_REMINDER_HOURS", 48.0)?,
            webhook_allow_http: get("WEBHOOK_ALLOW_HTTP").is_some_and(|v| v == "true"),
            webhook_retry_base_secs: float("WEBHOOK_RETRY_BASE_SECS", 30.0)?,
            webhook_secret_overlap_hours: float("WEBHOOK_SECRET_OVERLAP_HOURS", 24.0)?,
            public_base_url: get("PUBLIC_BASE_URL").map(|u| u.trim_end_matches('/').to_owned()),
            email_verification_required: match get("EMAIL_VERIFICATION").as_deref() {
                None | Some("off") => false,
                Some("required") => true,
                Some(_) => return Err(ConfigError { name: "EMAIL_VERIFICATION" }),
            },
            email_verification_ttl_hours: float("EMAIL_VERIFICATION_TTL_HOURS", 48.0)?,
            password_reset_ttl_minutes: float("PASSWORD_RESET_TTL_MINUTES", 30.0)?,
            account_emails_per_hour: small("ACCOUNT_EMAILS_PER_HOUR", 5)?,
            export_ttl_days: float("EXPORT_TTL_DAYS", 7.0)?,
            export_link_hours: float("EXPORT_LINK_HOURS", 24.0)?,
            erasure_steps_per_run: small("ERASURE_STEPS_PER_RUN", 0)?,
            test_faults: text("TEST_FAULTS", "")
                .split(',')
                .map(|f| f.trim().to_owned())
                .filter(|f| !f.is_empty())
                .collect(),
            bench_timings: flag("BENCH_TIMINGS")?,
        };
        if config.min_questions == 0 || config.min_questions > config.max_questions {
            return Err(ConfigError { name: "MIN_QUESTIONS" });
        }
        if config.login_max_failures == 0 {
            return Err(ConfigError { name: "LOGIN_MAX_FAILURES" });
        }
        if config.login_lockout_max_minutes < config.login_lockout_minutes {
            return Err(ConfigError { name: "LOGIN_LOCKOUT_MAX_MINUTES" });
        }
        if config.answer_rate_burst == 0 {
            return Err(ConfigError { name: "ANSWER_RATE_BURST" });
        }
        if config.mailer == MailerKind::Http && config.mail_api_url.is_none() {
            return Err(ConfigError { name: "MAIL_API_URL" });
        }
        if !is_canonical_uuid(&config.default_org_id) {
            return Err(ConfigError { name: "DEFAULT_ORG_ID" });
        }
        Ok(config)
    }

    /// `openai` when an API key is configured, else the built-in interviewer.
    #[must_use]
    pub fn ai_provider(&self) -> AiProviderKind {
        if self.openai_api_key.is_some() {
            AiProviderKind::Openai
        } else {
            AiProviderKind::Builtin
        }
    }
}

/// Parses a non-negative USD amount with at most 6 decimals ("5", "5.00", "0.000001") into
/// micro-USD, without floating point.
#[must_use]
pub fn usd_to_micros(text: &str) -> Option<u64> {
    let (whole, frac) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 6 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let frac_micros: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().ok()? };
    whole.checked_mul(1_000_000)?.checked_add(frac_micros)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn account_settings_have_defaults_and_verification_is_required_or_off() {
        let c = config(&[]).expect("defaults");
        assert!(!c.email_verification_required);
        assert_eq!((c.email_verification_ttl_hours, c.password_reset_ttl_minutes), (48.0, 30.0));
        assert_eq!(c.account_emails_per_hour, 5);
        assert!(config(&[("EMAIL_VERIFICATION", "required")]).expect("required").email_verification_required);
        assert!(!config(&[("EMAIL_VERIFICATION", "off")]).expect("off").email_verification_required);
        assert_eq!(
            config(&[("EMAIL_VERIFICATION", "yes")]).err().map(|e| e.name),
            Some("EMAIL_VERIFICATION")
        );
    }

    #[test]
    fn defaults_match_the_spec() {
        let c = config(&[]).expect("defaults parse");
        assert_eq!((c.min_questions, c.max_questions, c.min_boundaries), (12, 20, 2));
        assert_eq!(c.jwt_ttl_minutes, 1440);
        assert_eq!(c.interview_cost_cap_micros, 5_000_000);
        assert_eq!(c.account_daily_spend_micros, 20_000_000);
        assert_eq!(c.ai_provider(), AiProviderKind::Builtin);
        assert!(c.jwt_secret.is_none());
        assert!(c.test_faults.is_empty(), "fault injection is off unless configured");
        assert!(!c.bench_timings, "bench timings are off unless configured");
        assert_eq!((c.video_retention_days, c.video_upload_idle_hours), (90.0, 24.0));
        let c = config(&[("VIDEO_RETENTION_DAYS", "0.00001"), ("VIDEO_UPLOAD_IDLE_HOURS", "0.5")])
            .expect("parses");
        assert_eq!((c.video_retention_days, c.video_upload_idle_hours), (0.00001, 0.5));
        assert_eq!(
            config(&[("VIDEO_RETENTION_DAYS", "-1")]).expect_err("negative").name,
            "VIDEO_RETENTION_DAYS"
        );
    }

    #[test]
    fn abuse_limits_have_documented_defaults_and_parse() {
        let c = config(&[]).expect("defaults parse");
        assert_eq!(
            (c.login_max_failures, c.login_lockout_minutes, c.login_lockout_max_minutes),
            (5, 15.0, 1440.0)
        );
        assert_eq!(c.video_bytes_per_day, 4 * 1024 * 1024 * 1024);
        assert_eq!(c.invitation_emails_per_day, 2000);
        assert_eq!((c.resumes_per_candidate, c.resume_bytes_per_day), (20, 50 * 1024 * 1024));
        assert_eq!((c.resume_uploads_per_hour, c.realtime_tickets_per_minute), (10, 10));
        let c = config(&[
            ("VIDEO_BYTES_PER_DAY", "12582912"),
            ("RESUMES_PER_CANDIDATE", "2"),
            ("RESUME_BYTES_PER_DAY", "1000"),
            ("RESUME_UPLOADS_PER_HOUR", "3"),
            ("REALTIME_TICKETS_PER_MINUTE", "4"),
            ("LOGIN_LOCKOUT_MAX_MINUTES", "60"),
        ])
        .expect("parses");
        assert_eq!(c.video_bytes_per_day, 12_582_912);
        assert_eq!((c.resumes_per_candidate, c.resume_bytes_per_day), (2, 1000));
        assert_eq!((c.resume_uploads_per_hour, c.realtime_tickets_per_minute), (3, 4));
        assert_eq!(c.login_lockout_max_minutes, 60.0);
        for (name, value) in [
            ("VIDEO_BYTES_PER_DAY", "-1"),
            ("RESUMES_PER_CANDIDATE", "many"),
            ("RESUME_UPLOADS_PER_HOUR", "99999999999"),
            ("LOGIN_MAX_FAILURES", "0"),
            ("LOGIN_LOCKOUT_MAX_MINUTES", "1"),
            ("DB_BACKEND", "mysql"),
        ] {
            assert_eq!(config(&[(name, value)]).expect_err(name).name, name);
        }
    }

    #[test]
    fn the_relational_store_is_d1_unless_postgres_is_asked_for() {
        assert_eq!(config(&[]).expect("defaults").db_backend, DbBackend::D1);
        assert_eq!(config(&[("DB_BACKEND", "d1")]).expect("d1").db_backend, DbBackend::D1);
        assert_eq!(config(&[("DB_BACKEND", "postgres")]).expect("postgres").db_backend, DbBackend::Postgres);
    }

    #[test]
    fn the_http_mailer_needs_its_endpoint() {
        assert_eq!(config(&[]).expect("defaults").mailer, MailerKind::None);
        assert_eq!(config(&[("MAILER", "http")]).expect_err("no url").name, "MAIL_API_URL");
        let c = config(&[
            ("MAILER", "http"),
            ("MAIL_API_URL", "https://mail.test/send"),
            ("PUBLIC_BASE_URL", "https://a.test/"),
        ])
        .expect("parses");
        assert_eq!(c.mailer, MailerKind::Http);
        assert_eq!(c.public_base_url.as_deref(), Some("https://a.test"));
    }

    #[test]
    fn short_jwt_secret_is_treated_as_absent() {
        let c = config(&[("JWT_SECRET", "too-short")]).expect("parses");
        assert!(c.jwt_secret.is_none());
        let long = "x".repeat(32);
        let c = config(&[("JWT_SECRET", &long)]).expect("parses");
        assert_eq!(c.jwt_secret.as_deref(), Some(long.as_str()));
    }

    #[test]
    fn malformed_values_are_reported_by_name_only() {
        for (name, value) in [
            ("MAX_QUESTIONS", "many"),
            ("SHOW_LIVE_FEEDBACK", "perhaps"),
            ("INTERVIEW_COST_CAP_USD", "-1"),
            ("ABANDON_AFTER_MINUTES", "NaN"),
            ("MAILER", "carrier-pigeon"),
        ] {
            let err = config(&[(name, value)]).expect_err(name);
            assert_eq!(err.name, name);
            assert!(!err.to_string().contains(value));
        }
        assert_eq!(config(&[("MIN_QUESTIONS", "30")]).expect_err("min > max").name, "MIN_QUESTIONS");
    }

    #[test]
    fn an_api_key_selects_openai_and_origins_are_normalised() {
        let c =
            config(&[("OPENAI_API_KEY", "sk-test"), ("ALLOWED_ORIGINS", " http://a.test/ , ,http://b.test")])
                .expect("parses");
        assert_eq!(c.ai_provider(), AiProviderKind::Openai);
        assert_eq!(c.allowed_origins, vec!["http://a.test", "http://b.test"]);
    }

    #[test]
    fn usd_parsing_is_exact() {
        assert_eq!(usd_to_micros("5.00"), Some(5_000_000));
        assert_eq!(usd_to_micros("0.000001"), Some(1));
        assert_eq!(usd_to_micros("12"), Some(12_000_000));
        for bad in ["", "-1", "1.2345678", "1e3", "abc", ".5", "1.x"] {
            assert_eq!(usd_to_micros(bad), None, "{bad}");
        }
    }
}
