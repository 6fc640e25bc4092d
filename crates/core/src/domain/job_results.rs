//! A job's results (docs/jobs.md#results): each invitation with its candidate, interview and
//! scores, sortable; and a side-by-side comparison of 2–4 of its candidates. Pure: the Worker
//! reads the rows, these functions shape and order them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::enums::{Difficulty, HiringDecision, InterviewStatus, InvitationStatus};
use super::invitation::effective_status;
use super::time::parse_rfc3339_ms;
use crate::error::ApiError;

/// One row of the results query (JSON columns as stored text).
#[derive(Debug, Clone, Deserialize)]
pub struct ResultRow {
    pub invitation_id: String,
    pub email: String,
    pub stored_status: InvitationStatus,
    pub expires_at: String,
    pub candidate_id: Option<String>,
    pub candidate_name: Option<String>,
    pub interview_id: Option<String>,
    pub interview_status: Option<InterviewStatus>,
    pub overall_score: Option<f64>,
    pub skill_scores: Option<String>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub created_at: String,
    #[serde(default)]
    pub skill_boundary_map: Option<String>,
    #[serde(default)]
    pub integrity_flags: Option<String>,
    /// The latest hiring decision and score override (docs/hiring.md).
    #[serde(default)]
    pub decision: Option<HiringDecision>,
    #[serde(default)]
    pub override_score: Option<f64>,
}

/// One line of the results list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultView {
    pub invitation_id: String,
    pub email: String,
    pub candidate_id: Option<String>,
    pub candidate_name: Option<String>,
    pub invitation_status: InvitationStatus,
    pub interview_id: Option<String>,
    pub interview_status: Option<InterviewStatus>,
    /// The assessment's score.
    pub overall_score: Option<f64>,
    /// A recruiter's override in force, else the assessment's score (what the list sorts by).
    pub effective_score: Option<f64>,
    pub skill_scores: BTreeMap<String, f64>,
    /// The highest level passed and the boundary found per area (`null`: none).
    pub levels_reached: BTreeMap<String, Option<Difficulty>>,
    pub boundaries: BTreeMap<String, Option<Difficulty>>,
    /// The integrity flags' types.
    pub integrity_flags: Vec<String>,
    pub decision: Option<HiringDecision>,
    pub invited_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

/// How the list is ordered (`sort=`); a leading `-` is descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Score { desc: bool },
    Invited { desc: bool },
    Name { desc: bool },
    Status { desc: bool },
}

impl Sort {
    /// Parses `score`, `-score`, `invited`, `-invited`, `name`, `-name`, `status`, `-status`.
    ///
    /// # Errors
    /// `VALIDATION_ERROR` on `sort`.
    pub fn parse(s: &str) -> Result<Sort, ApiError> {
        let (desc, key) = s.strip_prefix('-').map_or((false, s), |k| (true, k));
        match key {
            "score" => Ok(Sort::Score { desc }),
            "invited" => Ok(Sort::Invited { desc }),
            "name" => Ok(Sort::Name { desc }),
            "status" => Ok(Sort::Status { desc }),
            _ => Err(ApiError::field(
                "sort",
                "Must be score, invited, name or status, optionally prefixed with '-'.",
            )),
        }
    }
}

impl Default for Sort {
    fn default() -> Self {
        Sort::Score { desc: true }
    }
}

fn scores(text: Option<&str>) -> BTreeMap<String, f64> {
    text.and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
}

/// Shapes and orders the rows. Unscored candidates sort after scored ones in either direction;
/// ties keep the newest invitation first.
#[must_use]
pub fn present(rows: Vec<ResultRow>, now_ms: i64, sort: Sort) -> Vec<ResultView> {
    let mut views: Vec<ResultView> = rows
        .into_iter()
        .map(|r| {
            let expires = parse_rfc3339_ms(&r.expires_at).unwrap_or(i64::MAX);
            let map = boundary_map(r.skill_boundary_map.as_deref());
            let flags: Vec<Value> =
                r.integrity_flags.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default();
            ResultView {
                effective_score: r.override_score.or(r.overall_score),
                levels_reached: map.iter().map(|(k, b)| (k.clone(), b.highest_level_passed)).collect(),
                boundaries: map.iter().map(|(k, b)| (k.clone(), b.boundary_level)).collect(),
                integrity_flags: flags.iter().filter_map(|f| f["type"].as_str().map(str::to_owned)).collect(),
                decision: r.decision,
                invitation_status: effective_status(r.stored_status, expires, now_ms, r.interview_status),
                skill_scores: scores(r.skill_scores.as_deref()),
                invitation_id: r.invitation_id,
                email: r.email,
                candidate_id: r.candidate_id,
                candidate_name: r.candidate_name,
                interview_id: r.interview_id,
                interview_status: r.interview_status,
                overall_score: r.overall_score,
                invited_at: r.created_at,
                started_at: r.started_at,
                completed_at: r.completed_at,
            }
        })
        .collect();
    let flip = |o: std::cmp::Ordering, desc: bool| if desc { o.reverse() } else { o };
    views.sort_by(|a, b| match sort {
        Sort::Score { desc } => match (a.effective_score, b.effective_score) {
            (Some(x), Some(y)) => flip(x.total_cmp(&y), desc),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        },
        Sort::Invited { desc } => flip(a.invited_at.cmp(&b.invited_at), desc),
        Sort::Name { desc } => {
            let key =
                |v: &ResultView| v.candidate_name.clone().unwrap_or_else(|| v.email.clone()).to_lowercase();
            flip(key(a).cmp(&key(b)), desc)
        }
        Sort::Status { desc } => flip(a.invitation_status.as_str().cmp(b.invitation_status.as_str()), desc),
    });
    views
}

/// Interviews a comparison takes.
pub const COMPARE_MIN: usize = 2;
pub const COMPARE_MAX: usize = 4;

/// Parses `interview_ids=a,b,c`: 2–4 distinct UUIDs.
///
/// # Errors
/// `VALIDATION_ERROR` on `interview_ids`.
pub fn parse_compare_ids(raw: &str) -> Result<Vec<String>, ApiError> {
    let mut ids: Vec<String> = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = part.to_ascii_lowercase();
        if !crate::config::is_canonical_uuid(&id) {
            return Err(ApiError::field("interview_ids", "Each id must be an interview id."));
        }
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if (COMPARE_MIN..=COMPARE_MAX).contains(&ids.len()) {
        Ok(ids)
    } else {
        Err(ApiError::field("interview_ids", "Give 2 to 4 different interview ids, comma-separated."))
    }
}

/// One row of the comparison query.
#[derive(Debug, Clone, Deserialize)]
pub struct CompareRow {
    pub interview_id: String,
    pub candidate_name: String,
    pub interview_status: InterviewStatus,
    pub overall_score: Option<f64>,
    pub skill_scores: Option<String>,
    pub skill_boundary_map: Option<String>,
    pub integrity_flags: Option<String>,
}

/// One candidate in the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareView {
    pub interview_id: String,
    pub candidate_name: String,
    pub interview_status: InterviewStatus,
    pub overall_score: Option<f64>,
    pub skill_scores: BTreeMap<String, f64>,
    /// The highest level passed per area (`null`: none).
    pub levels_reached: BTreeMap<String, Option<Difficulty>>,
    /// The level where the candidate's knowledge stopped per area (`null`: no boundary found).
    pub boundaries: BTreeMap<String, Option<Difficulty>>,
    pub integrity_flags: Vec<Value>,
    /// Every area any compared candidate has a score in (the same list on every row, so the
    /// columns line up).
    pub areas: Vec<String>,
}

#[derive(Deserialize)]
struct Boundary {
    highest_level_passed: Option<Difficulty>,
    boundary_level: Option<Difficulty>,
}

fn boundary_map(text: Option<&str>) -> BTreeMap<String, Boundary> {
    text.and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
}

/// The results as CSV rows (docs/hiring.md#export): a header, then one row per invitation, with
/// a score, level and boundary column per skill area any candidate has.
#[must_use]
pub fn csv_rows(views: &[ResultView]) -> Vec<Vec<String>> {
    let mut areas: Vec<&String> = views.iter().flat_map(|v| v.skill_scores.keys()).collect();
    areas.sort();
    areas.dedup();
    let mut header: Vec<String> = [
        "candidate_name",
        "email",
        "invitation_status",
        "interview_status",
        "invited_at",
        "started_at",
        "completed_at",
        "overall_score",
        "effective_score",
        "decision",
        "integrity_flags",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for a in &areas {
        header.extend([format!("score_{a}"), format!("level_{a}"), format!("boundary_{a}")]);
    }
    let level = |l: Option<&Option<Difficulty>>| {
        l.copied().flatten().map(|d| d.as_str().to_owned()).unwrap_or_default()
    };
    let mut rows = vec![header];
    for v in views {
        let mut row = vec![
            v.candidate_name.clone().unwrap_or_default(),
            v.email.clone(),
            v.invitation_status.as_str().to_owned(),
            v.interview_status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            v.invited_at.clone(),
            v.started_at.clone().unwrap_or_default(),
            v.completed_at.clone().unwrap_or_default(),
            crate::http::csv::number(v.overall_score),
            crate::http::csv::number(v.effective_score),
            v.decision.map(|d| d.as_str().to_owned()).unwrap_or_default(),
            v.integrity_flags.join(";"),
        ];
        for a in &areas {
            row.push(crate::http::csv::number(v.skill_scores.get(*a).copied()));
            row.push(level(v.levels_reached.get(*a)));
            row.push(level(v.boundaries.get(*a)));
        }
        rows.push(row);
    }
    rows
}

/// Shapes the comparison in the order the ids were given.
#[must_use]
pub fn compare(rows: Vec<CompareRow>, order: &[String]) -> Vec<CompareView> {
    let mut views: Vec<CompareView> = rows
        .into_iter()
        .map(|r| {
            let map = boundary_map(r.skill_boundary_map.as_deref());
            CompareView {
                skill_scores: scores(r.skill_scores.as_deref()),
                levels_reached: map.iter().map(|(k, b)| (k.clone(), b.highest_level_passed)).collect(),
                boundaries: map.iter().map(|(k, b)| (k.clone(), b.boundary_level)).collect(),
                integrity_flags: r
                    .integrity_flags
                    .as_deref()
                    .and_then(|t| serde_json::from_str(t).ok())
                    .unwrap_or_default(),
                interview_id: r.interview_id,
                candidate_name: r.candidate_name,
                interview_status: r.interview_status,
                overall_score: r.overall_score,
                areas: Vec::new(),
            }
        })
        .collect();
    let mut areas: Vec<String> = views.iter().flat_map(|v| v.skill_scores.keys().cloned()).collect();
    areas.sort();
    areas.dedup();
    for v in &mut views {
        v.areas.clone_from(&areas);
    }
    views.sort_by_key(|v| order.iter().position(|id| *id == v.interview_id).unwrap_or(usize::MAX));
    views
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        id: &str,
        name: Option<&str>,
        score: Option<f64>,
        stored: InvitationStatus,
        created: &str,
    ) -> ResultRow {
        ResultRow {
            invitation_id: id.into(),
            email: format!("{id}@example.com"),
            stored_status: stored,
            expires_at: "2030-01-01T00:00:00.000Z".into(),
            candidate_id: name.map(|_| format!("u-{id}")),
            candidate_name: name.map(Into::into),
            interview_id: score.map(|_| format!("i-{id}")),
            interview_status: score.map(|_| InterviewStatus::Completed),
            overall_score: score,
            skill_scores: score.map(|s| format!("{{\"sql\": {s}}}")),
            started_at: None,
            completed_at: None,
            created_at: created.into(),
            skill_boundary_map: None,
            integrity_flags: None,
            decision: None,
            override_score: None,
        }
    }

    #[test]
    fn an_override_orders_the_list_and_the_csv_has_a_column_per_area() {
        let mut a = row(
            "a",
            Some("=cmd|' /C calc'!A0"),
            Some(40.0),
            InvitationStatus::Started,
            "2026-01-01T00:00:01.000Z",
        );
        a.override_score = Some(95.0);
        a.decision = Some(HiringDecision::Advance);
        a.skill_boundary_map =
            Some(r#"{"sql": {"highest_level_passed": "intermediate", "boundary_level": "advanced"}}"#.into());
        a.integrity_flags = Some(r#"[{"type": "pasted_text", "severity": "low"}]"#.into());
        let c = row("c", Some("Cy"), Some(90.0), InvitationStatus::Started, "2026-01-01T00:00:03.000Z");
        let b = row("b", None, None, InvitationStatus::Sent, "2026-01-01T00:00:02.000Z");
        let views = present(vec![a, b, c], 0, Sort::default());
        assert_eq!(views.iter().map(|v| v.invitation_id.as_str()).collect::<Vec<_>>(), ["a", "c", "b"]);
        assert_eq!(views[0].overall_score, Some(40.0), "the original is kept");
        assert_eq!(views[0].effective_score, Some(95.0));
        let rows = csv_rows(&views);
        assert_eq!(rows.len(), 4);
        let col = |name: &str| rows[0].iter().position(|h| h == name).expect(name);
        assert_eq!(rows[1][col("decision")], "advance");
        assert_eq!(rows[1][col("score_sql")], "40");
        assert_eq!(rows[1][col("level_sql")], "intermediate");
        assert_eq!(rows[1][col("boundary_sql")], "advanced");
        assert_eq!(rows[1][col("integrity_flags")], "pasted_text");
        assert_eq!(rows[3][col("score_sql")], "", "no interview yet");
        assert!(rows.iter().all(|r| r.len() == rows[0].len()));
        let text: String = rows.iter().map(|r| crate::http::csv::row(r)).collect();
        assert!(text.contains("\r\n'=cmd|' /C calc'!A0,a@example.com,"), "{text}");
    }

    #[test]
    fn results_sort_by_score_with_unscored_last_and_derive_statuses() {
        let rows = vec![
            row("a", Some("Ada"), Some(40.0), InvitationStatus::Started, "2026-01-01T00:00:01.000Z"),
            row("b", None, None, InvitationStatus::Sent, "2026-01-01T00:00:02.000Z"),
            row("c", Some("Cy"), Some(90.0), InvitationStatus::Started, "2026-01-01T00:00:03.000Z"),
        ];
        let views = present(rows.clone(), 0, Sort::default());
        let ids: Vec<&str> = views.iter().map(|v| v.invitation_id.as_str()).collect();
        assert_eq!(ids, ["c", "a", "b"]);
        assert_eq!(views[0].invitation_status, InvitationStatus::Completed);
        assert_eq!(views[0].skill_scores.get("sql"), Some(&90.0));
        assert_eq!(views[2].invitation_status, InvitationStatus::Sent);
        let asc = present(rows.clone(), 0, Sort::parse("score").expect("sort"));
        assert_eq!(asc.iter().map(|v| v.invitation_id.as_str()).collect::<Vec<_>>(), ["a", "c", "b"]);
        let expired = present(
            rows,
            parse_rfc3339_ms("2031-01-01T00:00:00.000Z").unwrap_or(0),
            Sort::parse("-invited").expect("sort"),
        );
        assert_eq!(expired.iter().map(|v| v.invitation_id.as_str()).collect::<Vec<_>>(), ["c", "b", "a"]);
        assert_eq!(expired[1].invitation_status, InvitationStatus::Expired, "a sent link past its expiry");
        assert_eq!(expired[0].invitation_status, InvitationStatus::Completed, "a started one is not expired");
        assert!(Sort::parse("salary").is_err());
    }

    #[test]
    fn compare_takes_two_to_four_distinct_ids_and_keeps_their_order() {
        let a = "00000000-0000-4000-8000-00000000000a";
        let b = "00000000-0000-4000-8000-00000000000b";
        assert!(parse_compare_ids(a).is_err());
        assert!(parse_compare_ids(&format!("{a},{a}")).is_err());
        assert!(parse_compare_ids("x,y").is_err());
        let five =
            (1..=5).map(|i| format!("00000000-0000-4000-8000-00000000000{i}")).collect::<Vec<_>>().join(",");
        assert!(parse_compare_ids(&five).is_err());
        let ids = parse_compare_ids(&format!("{b}, {}", a.to_uppercase())).expect("two ids");
        assert_eq!(ids, vec![b.to_owned(), a.to_owned()]);
        let mk = |id: &str, area: &str| {
            CompareRow {
            interview_id: id.into(),
            candidate_name: id.into(),
            interview_status: InterviewStatus::Completed,
            overall_score: Some(50.0),
            skill_scores: Some(format!("{{\"{area}\": 50}}")),
            skill_boundary_map: Some(format!(
                "{{\"{area}\": {{\"highest_level_passed\": \"intermediate\", \"boundary_level\": \"advanced\"}}}}"
            )),
            integrity_flags: Some("[]".into()),
        }
        };
        let views = compare(vec![mk(a, "sql"), mk(b, "apis")], &ids);
        assert_eq!(views[0].interview_id, b);
        assert_eq!(views[0].areas, vec!["apis", "sql"]);
        assert_eq!(views[1].levels_reached.get("sql"), Some(&Some(Difficulty::Intermediate)));
        assert_eq!(views[1].boundaries.get("sql"), Some(&Some(Difficulty::Advanced)));
    }
}
