//! Privacy rules (docs/privacy.md): retention settings and their defaults, the signed media
//! links of a data export, and what an erased candidate looks like where a row is kept. Pure;
//! the Worker signs with HMAC and runs the jobs.

use serde::Serialize;

use crate::config::Config;
use crate::http::json::Fields;

/// The address an erased candidate's kept invitation shows instead of theirs.
pub const ERASED_EMAIL: &str = "erased@erased.invalid";
/// The name staff views show for an erased candidate.
pub const ERASED_NAME: &str = "Erased candidate";
/// The longest retention period accepted, in days (100 years).
pub const MAX_RETENTION_DAYS: f64 = 36_500.0;
/// A day in milliseconds.
pub const DAY_MS: f64 = 86_400_000.0;

/// The retention categories, in API order.
pub const CATEGORIES: [&str; 5] =
    ["transcript_days", "audio_days", "resume_days", "assessment_days", "video_days"];

/// An organization's retention periods in days; `None`: the configured default.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Retention {
    pub days: [Option<f64>; 5],
}

/// The settings as the API shows them: what is set, and what applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionView {
    pub transcript_days: Option<f64>,
    pub audio_days: Option<f64>,
    pub resume_days: Option<f64>,
    pub assessment_days: Option<f64>,
    pub video_days: Option<f64>,
    pub effective: EffectiveRetention,
}

/// The periods in force (the organization's, else the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EffectiveRetention {
    pub transcript_days: f64,
    pub audio_days: f64,
    pub resume_days: f64,
    pub assessment_days: f64,
    pub video_days: f64,
}

/// Exports one account may ask for per day (one pending at a time).
pub const EXPORTS_PER_DAY: u32 = 3;

/// The default periods in days of transcripts, audio, résumés and assessments for an
/// organization that sets none (docs/privacy.md#retention; an organization's admin, the default
/// organization's included, sets others).
pub const DEFAULT_DAYS: [f64; 4] = [365.0, 90.0, 365.0, 730.0];

/// The defaults in force, in [`CATEGORIES`] order (videos: `VIDEO_RETENTION_DAYS`).
#[must_use]
pub fn defaults(cfg: &Config) -> [f64; 5] {
    let [t, a, r, s] = DEFAULT_DAYS;
    [t, a, r, s, cfg.video_retention_days]
}

impl Retention {
    /// Reads a `PUT` body: each category absent or null (the default) or a number of days.
    pub fn parse(f: &mut Fields) -> Retention {
        let mut days = [None; 5];
        for (slot, name) in days.iter_mut().zip(CATEGORIES) {
            *slot = f.optional_f64(name, 0.000_001..=MAX_RETENTION_DAYS);
        }
        Retention { days }
    }

    /// The view with the periods in force.
    #[must_use]
    pub fn view(&self, cfg: &Config) -> RetentionView {
        let d = defaults(cfg);
        let e: Vec<f64> = self.days.iter().zip(d).map(|(v, d)| v.unwrap_or(d)).collect();
        RetentionView {
            transcript_days: self.days[0],
            audio_days: self.days[1],
            resume_days: self.days[2],
            assessment_days: self.days[3],
            video_days: self.days[4],
            effective: EffectiveRetention {
                transcript_days: e[0],
                audio_days: e[1],
                resume_days: e[2],
                assessment_days: e[3],
                video_days: e[4],
            },
        }
    }
}

/// The signed part of an export's media links: until when, and whose media.
#[must_use]
pub fn media_payload(user: &str, expires_ms: i64) -> String {
    format!("{expires_ms}.{user}")
}

/// A media link token: the payload and its signature (hex).
#[must_use]
pub fn media_token(payload: &str, signature: &[u8]) -> String {
    format!("{payload}.{}", crate::auth::lockout::hex(signature))
}

/// A token's (payload, hex signature, expires_ms, user); `None` when malformed. The caller
/// verifies the signature before trusting the rest.
#[must_use]
pub fn read_media_token(token: &str) -> Option<(&str, &str, i64, &str)> {
    let (payload, sig) = token.rsplit_once('.')?;
    let (exp, user) = payload.split_once('.')?;
    Some((payload, sig, exp.parse().ok()?, user))
}

/// Whether a link of `user` may name R2 object `key`: `Some(None)` for their own résumé,
/// `Some(Some(interview))` for an interview's video or audio (the caller checks the interview
/// is theirs), `None` for anything else.
#[must_use]
pub fn media_key_owner<'a>(key: &'a str, user: &str) -> Option<Option<&'a str>> {
    if key.contains("..") {
        return None;
    }
    if key.strip_prefix("resumes/").and_then(|k| k.strip_prefix(user)).is_some_and(|k| k.starts_with('/')) {
        return Some(None);
    }
    let rest = key.strip_prefix("videos/").or_else(|| key.strip_prefix("audio/"))?;
    let (interview, file) = rest.split_once('/')?;
    (!interview.is_empty() && !file.is_empty()).then_some(Some(interview))
}

/// Constant-time equality of two MACs.
#[must_use]
pub fn same_mac(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `days` as milliseconds (fractional days allowed).
#[must_use]
#[allow(clippy::cast_possible_truncation)]
pub fn days_ms(days: f64) -> i64 {
    (days * DAY_MS).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg() -> Config {
        Config::from_lookup(|_| None).expect("defaults")
    }

    #[test]
    fn retention_reads_numbers_or_defaults_and_refuses_the_rest() {
        let map = json!({"transcript_days": 30, "video_days": null, "audio_days": 0.5})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut f = Fields::new(map);
        let r = Retention::parse(&mut f);
        assert!(f.finish().is_ok());
        assert_eq!(r.days, [Some(30.0), Some(0.5), None, None, None]);
        let v = r.view(&cfg());
        assert_eq!(v.effective.transcript_days, 30.0);
        assert_eq!(v.effective.video_days, 90.0);
        assert_eq!(v.effective.assessment_days, 730.0);
        for bad in [json!({"resume_days": 0}), json!({"resume_days": "x"}), json!({"resume_days": 40000})] {
            let mut f = Fields::new(bad.as_object().cloned().unwrap_or_default());
            let _ = Retention::parse(&mut f);
            assert!(f.finish().is_err(), "{bad}");
        }
    }

    #[test]
    fn media_tokens_round_trip_and_only_name_the_users_media() {
        let payload = media_payload("u1", 1234);
        let token = media_token(&payload, &[1, 2, 171]);
        assert_eq!(read_media_token(&token), Some(("1234.u1", "0102ab", 1234, "u1")));
        assert_eq!(read_media_token("x.u1.00"), None);
        assert_eq!(media_key_owner("resumes/u1/r", "u1"), Some(None));
        assert_eq!(media_key_owner("resumes/u10/r", "u1"), None);
        assert_eq!(media_key_owner("videos/i1/n.webm", "u1"), Some(Some("i1")));
        assert_eq!(media_key_owner("audio/i1/a.mp3", "u1"), Some(Some("i1")));
        for bad in ["exports/u1/x.json", "videos/../exports/x", "videos/i1", "videos//x", "resumes/u1"] {
            assert_eq!(media_key_owner(bad, "u1"), None, "{bad}");
        }
        assert!(same_mac(&[1, 2], &[1, 2]) && !same_mac(&[1, 2], &[1, 3]) && !same_mac(&[1], &[1, 2]));
        assert_eq!(days_ms(0.5), 43_200_000);
    }
}
