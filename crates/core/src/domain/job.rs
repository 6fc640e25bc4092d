//! A job (docs/jobs.md): what an organization assesses — title, description, a role family, the
//! skill areas with weights, its own questions with rubrics in the scoring's model (the points a
//! good answer explains, with synonyms, weights and misconceptions), question bounds, whether
//! voice and video are required, a deadline. Pure: validation turns a request body into a
//! [`JobSpec`] or field-named errors; the Worker stores each accepted spec as a new version, so
//! an interview keeps the version it started with.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::bank::for_role;
use super::enums::{Difficulty, JobStatus, RoleFamily};
use super::time::parse_rfc3339_ms;
use crate::error::{ApiError, FieldError};

/// Longest title and description, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// Skill areas, custom questions and rubric points a job may have.
pub const MAX_SKILL_AREAS: usize = 12;
pub const MAX_QUESTIONS: usize = 50;
pub const MAX_RUBRIC_POINTS: usize = 10;
pub const MAX_SYNONYMS: usize = 20;
pub const MAX_MISCONCEPTIONS: usize = 10;
/// A custom-family job has no bank to fall back on: it needs at least this many questions.
pub const MIN_CUSTOM_QUESTIONS: usize = 3;

/// A skill area the job assesses and its weight in the overall score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaWeight {
    pub name: String,
    pub weight: f64,
}

/// One point of a custom question's rubric (a [`super::bank::Concept`] as data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RubricPoint {
    /// What a good answer explains, e.g. "a left join keeps every left row".
    pub point: String,
    /// Lower-case phrases that count as covering the point.
    pub synonyms: Vec<String>,
    pub weight: f64,
    /// Patterns of wrong claims (`+` joins groups, `|` separates alternatives; docs/scoring.md).
    pub misconceptions: Vec<String>,
}

/// One custom question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomQuestion {
    /// Unique within the job (`q1`, `q2`, … when the recruiter gives none).
    pub id: String,
    pub text: String,
    pub skill_area: String,
    pub level: Difficulty,
    pub rubric: Vec<RubricPoint>,
}

/// Everything a version of a job fixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    pub title: String,
    pub description: String,
    pub role_family: RoleFamily,
    pub skill_areas: Vec<AreaWeight>,
    pub questions: Vec<CustomQuestion>,
    pub min_questions: u32,
    pub max_questions: u32,
    pub voice_required: bool,
    pub video_required: bool,
    /// RFC 3339; after it the job takes no new interviews.
    pub deadline: Option<String>,
}

/// The job an interview is started for, as the interview keeps it: the id, the version and that
/// version's spec, copied into the interview at its start so a later edit of the job never
/// changes an interview already started (docs/jobs.md#how-the-job-drives-the-interviewer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobBrief {
    pub job_id: String,
    pub version: u32,
    pub spec: JobSpec,
}

impl JobBrief {
    /// Whether only the job's own questions are asked (the `custom` family: no bank).
    #[must_use]
    pub fn custom_only(&self) -> bool {
        self.spec.role_family == RoleFamily::Custom
    }

    /// The job question with id `id`.
    #[must_use]
    pub fn question(&self, id: &str) -> Option<&CustomQuestion> {
        self.spec.questions.iter().find(|q| q.id == id)
    }

    /// The weight of skill area `area` in the overall score (1 for an area the job does not
    /// list, e.g. a bank substitute's).
    #[must_use]
    pub fn area_weight(&self, area: &str) -> f64 {
        self.spec.skill_areas.iter().find(|a| a.name == area).map_or(1.0, |a| a.weight.max(0.0))
    }
}

/// The fields a request may set (create: all; update: any subset, merged over the current spec).
const SPEC_FIELDS: &[&str] = &[
    "title",
    "description",
    "role_family",
    "skill_areas",
    "questions",
    "min_questions",
    "max_questions",
    "voice_required",
    "video_required",
    "deadline",
];

/// A validated create or update request: the spec, and the status when one was given.
#[derive(Debug, Clone, PartialEq)]
pub struct JobInput {
    pub spec: JobSpec,
    pub status: Option<JobStatus>,
}

struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn text(
    e: &mut Errors,
    v: Option<&Value>,
    field: &str,
    range: std::ops::RangeInclusive<usize>,
) -> Option<String> {
    match v {
        Some(Value::String(s)) if range.contains(&chars(s.trim())) => Some(s.trim().to_owned()),
        Some(Value::String(_)) => {
            e.add(field, format!("Must be {} to {} characters.", range.start(), range.end()));
            None
        }
        Some(_) => {
            e.add(field, "Must be a string.");
            None
        }
        None => {
            e.add(field, "This field is required.");
            None
        }
    }
}

fn weight(e: &mut Errors, v: Option<&Value>, field: &str) -> f64 {
    match v {
        None => 1.0,
        Some(w) => match w.as_f64() {
            Some(x) if (0.1..=5.0).contains(&x) => x,
            _ => {
                e.add(field, "Must be a number from 0.1 to 5.");
                1.0
            }
        },
    }
}

fn array<'a>(e: &mut Errors, v: Option<&'a Value>, field: &str, max: usize) -> &'a [Value] {
    match v {
        None => &[],
        Some(Value::Array(items)) if items.len() <= max => items,
        Some(Value::Array(_)) => {
            e.add(field, format!("At most {max} items."));
            &[]
        }
        Some(_) => {
            e.add(field, "Must be an array.");
            &[]
        }
    }
}

fn strings(
    e: &mut Errors,
    v: Option<&Value>,
    field: &str,
    max: usize,
    len: std::ops::RangeInclusive<usize>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (i, item) in array(e, v, field, max).iter().enumerate() {
        if let Some(s) = text(e, Some(item), &format!("{field}[{i}]"), len.clone()) {
            out.push(s.to_lowercase());
        }
    }
    out
}

/// A misconception pattern is `group + group …`, each group `phrase | phrase …`, none empty.
fn pattern_ok(p: &str) -> bool {
    p.split('+').all(|g| g.split('|').all(|alt| !alt.trim().is_empty()))
}

fn area_name_ok(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

fn rubric(e: &mut Errors, v: Option<&Value>, field: &str) -> Vec<RubricPoint> {
    let items = array(e, v, field, MAX_RUBRIC_POINTS);
    if items.is_empty() && !e.0.iter().any(|f| f.field == field) {
        e.add(field, "At least one rubric point: what a good answer explains.");
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let Some(obj) = item.as_object() else {
            e.add(
                at,
                "Must be an object with `point`, and optionally `synonyms`, `weight`, `misconceptions`.",
            );
            continue;
        };
        let point = text(e, obj.get("point"), &format!("{at}.point"), 2..=120);
        let synonyms = strings(e, obj.get("synonyms"), &format!("{at}.synonyms"), MAX_SYNONYMS, 1..=80);
        let w = weight(e, obj.get("weight"), &format!("{at}.weight"));
        let misconceptions = strings(
            e,
            obj.get("misconceptions"),
            &format!("{at}.misconceptions"),
            MAX_MISCONCEPTIONS,
            3..=200,
        );
        for (j, m) in misconceptions.iter().enumerate() {
            if !pattern_ok(m) {
                e.add(
                    format!("{at}.misconceptions[{j}]"),
                    "Groups joined by `+` and alternatives split by `|` must not be empty.",
                );
            }
        }
        if let Some(point) = point {
            out.push(RubricPoint { point, synonyms, weight: w, misconceptions });
        }
    }
    out
}

fn questions(e: &mut Errors, v: Option<&Value>, areas: &[AreaWeight]) -> Vec<CustomQuestion> {
    let mut out: Vec<CustomQuestion> = Vec::new();
    for (i, item) in array(e, v, "questions", MAX_QUESTIONS).iter().enumerate() {
        let at = format!("questions[{i}]");
        let Some(obj) = item.as_object() else {
            e.add(at, "Must be an object with `text`, `skill_area`, `level` and `rubric`.");
            continue;
        };
        let id = match obj.get("id") {
            None | Some(Value::Null) => format!("q{}", i + 1),
            Some(v) => text(e, Some(v), &format!("{at}.id"), 1..=40).unwrap_or_default(),
        };
        if !id.is_empty()
            && !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        {
            e.add(format!("{at}.id"), "Letters, digits, `_`, `-` and `.` only.");
        }
        if out.iter().any(|q| q.id == id) {
            e.add(format!("{at}.id"), "Question ids must be unique within the job.");
        }
        let q_text = text(e, obj.get("text"), &format!("{at}.text"), 10..=1000);
        let area = text(e, obj.get("skill_area"), &format!("{at}.skill_area"), 1..=60);
        if let Some(a) = &area {
            if !areas.iter().any(|x| &x.name == a) {
                e.add(format!("{at}.skill_area"), "Must be one of the job's skill_areas.");
            }
        }
        let level = match obj.get("level").and_then(Value::as_str).and_then(Difficulty::parse) {
            Some(l) => Some(l),
            None => {
                e.add(
                    format!("{at}.level"),
                    "Must be one of warmup, fundamental, intermediate, advanced, expert.",
                );
                None
            }
        };
        let points = rubric(e, obj.get("rubric"), &format!("{at}.rubric"));
        if let (Some(text), Some(skill_area), Some(level)) = (q_text, area, level) {
            out.push(CustomQuestion { id, text, skill_area, level, rubric: points });
        }
    }
    out
}

fn skill_areas(e: &mut Errors, v: Option<&Value>, family: Option<RoleFamily>) -> Vec<AreaWeight> {
    let Some(v) = v else {
        // A bank family without explicit areas assesses the bank's areas, equally weighted.
        return match family.and_then(RoleFamily::bank_role) {
            Some(role) => for_role(role)
                .skill_areas
                .iter()
                .map(|a| AreaWeight { name: (*a).to_owned(), weight: 1.0 })
                .collect(),
            None => {
                if family.is_some() {
                    e.add("skill_areas", "A custom job names its skill areas.");
                }
                Vec::new()
            }
        };
    };
    let items = array(e, Some(v), "skill_areas", MAX_SKILL_AREAS);
    if items.is_empty() && v.is_array() {
        e.add("skill_areas", "At least one skill area.");
    }
    let mut out: Vec<AreaWeight> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("skill_areas[{i}]");
        let (name, w) = match item {
            Value::String(s) => (Some(s.trim().to_owned()), 1.0),
            Value::Object(o) => {
                let name = text(e, o.get("name"), &format!("{at}.name"), 1..=60);
                (name, weight(e, o.get("weight"), &format!("{at}.weight")))
            }
            _ => {
                e.add(at, "Must be a name or an object with `name` and `weight`.");
                continue;
            }
        };
        let Some(name) = name else { continue };
        if !area_name_ok(&name) || chars(&name) > 60 {
            e.add(
                format!("{at}.name"),
                "Lower-case letters, digits and `_`, starting with a letter (at most 60).",
            );
        } else if out.iter().any(|a| a.name == name) {
            e.add(format!("{at}.name"), "Skill areas must be unique.");
        } else {
            out.push(AreaWeight { name, weight: w });
        }
    }
    out
}

fn bounded_u32(e: &mut Errors, v: Option<&Value>, field: &str, default: u32) -> u32 {
    match v {
        None => default,
        Some(x) => match x.as_u64() {
            Some(n) if (1..=50).contains(&n) => u32::try_from(n).unwrap_or(default),
            _ => {
                e.add(field, "Must be an integer from 1 to 50.");
                default
            }
        },
    }
}

fn boolean(e: &mut Errors, v: Option<&Value>, field: &str) -> bool {
    match v {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            e.add(field, "Must be true or false.");
            false
        }
    }
}

/// Validates a create (`current` = `None`) or update body (`current` = the job's spec: given
/// fields replace it, the rest is kept) into the job's next spec; every problem is named by its
/// field path (`questions[2].rubric[0].point`).
///
/// # Errors
/// 422 `VALIDATION_ERROR` with one detail per problem (unknown fields included).
pub fn validate(body: &Map<String, Value>, current: Option<&JobSpec>) -> Result<JobInput, ApiError> {
    let mut e = Errors(Vec::new());
    for key in body.keys() {
        if key != "status" && !SPEC_FIELDS.contains(&key.as_str()) {
            e.add(key.clone(), "Unknown field.");
        }
    }
    // An update starts from the current spec as JSON, so both paths validate the same way.
    let mut merged = match current {
        Some(spec) => {
            serde_json::to_value(spec).ok().and_then(|v| v.as_object().cloned()).unwrap_or_default()
        }
        None => Map::new(),
    };
    for (k, v) in body {
        if SPEC_FIELDS.contains(&k.as_str()) {
            merged.insert(k.clone(), v.clone());
        }
    }
    if merged.get("deadline").is_some_and(Value::is_null) {
        merged.remove("deadline");
    }
    let title = text(&mut e, merged.get("title"), "title", 1..=MAX_TITLE_CHARS);
    let description = match merged.get("description") {
        None => Some(String::new()),
        v => text(&mut e, v, "description", 0..=MAX_DESCRIPTION_CHARS),
    };
    let family = match merged.get("role_family") {
        Some(v) => {
            let f = v.as_str().and_then(RoleFamily::parse);
            if f.is_none() {
                e.add("role_family", "Must be one of react, python, javascript, fullstack, custom.");
            }
            f
        }
        None => {
            e.add("role_family", "This field is required.");
            None
        }
    };
    let areas = skill_areas(&mut e, merged.get("skill_areas"), family);
    let questions = questions(&mut e, merged.get("questions"), &areas);
    if family == Some(RoleFamily::Custom) && questions.len() < MIN_CUSTOM_QUESTIONS {
        e.add(
            "questions",
            format!(
                "A custom job has no bank to fall back on: give at least {MIN_CUSTOM_QUESTIONS} questions."
            ),
        );
    }
    let min_questions = bounded_u32(&mut e, merged.get("min_questions"), "min_questions", 12);
    let max_questions = bounded_u32(&mut e, merged.get("max_questions"), "max_questions", 20);
    if min_questions > max_questions {
        e.add("min_questions", "Must not exceed max_questions.");
    }
    let voice_required = boolean(&mut e, merged.get("voice_required"), "voice_required");
    let video_required = boolean(&mut e, merged.get("video_required"), "video_required");
    let deadline = match merged.get("deadline") {
        None => None,
        Some(v) => match v.as_str().and_then(parse_rfc3339_ms) {
            Some(ms) => Some(super::time::rfc3339_ms(ms)),
            None => {
                e.add("deadline", "Must be an RFC 3339 date-time, e.g. 2027-01-31T17:00:00Z.");
                None
            }
        },
    };
    let status = match body.get("status") {
        None => None,
        Some(v) => {
            let s = v.as_str().and_then(JobStatus::parse);
            if s.is_none() {
                e.add("status", "Must be one of draft, open, closed.");
            }
            s
        }
    };
    if !e.0.is_empty() {
        return Err(ApiError::validation(e.0));
    }
    match (title, description, family) {
        (Some(title), Some(description), Some(role_family)) => Ok(JobInput {
            spec: JobSpec {
                title,
                description,
                role_family,
                skill_areas: areas,
                questions,
                min_questions,
                max_questions,
                voice_required,
                video_required,
                deadline,
            },
            status,
        }),
        _ => Err(ApiError::internal()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn fields(r: Result<JobInput, ApiError>) -> Vec<String> {
        let e = r.expect_err("invalid");
        assert_eq!(e.code, ErrorCode::ValidationError);
        e.details.into_iter().map(|d| d.field).collect()
    }

    fn three_questions() -> Value {
        json!([
            {"text": "How would you index a table for this query?", "skill_area": "sql", "level": "fundamental",
             "rubric": [{"point": "a composite index in the filter's order", "synonyms": ["Composite index"], "weight": 2}]},
            {"text": "Explain what a left join keeps and drops.", "skill_area": "sql", "level": "intermediate",
             "rubric": [{"point": "every left row is kept", "misconceptions": ["left join + drops|removes"]}]},
            {"id": "capacity", "text": "Plan capacity for a billing pipeline.", "skill_area": "systems", "level": "advanced",
             "rubric": [{"point": "peak load", "synonyms": ["peak"]}, {"point": "headroom"}]}
        ])
    }

    #[test]
    fn a_custom_job_with_three_questions_at_three_levels_is_accepted() {
        let input = validate(
            &body(json!({"title": "Data engineer", "role_family": "custom",
                         "skill_areas": [{"name": "sql", "weight": 2}, "systems"],
                         "questions": three_questions(), "status": "open", "deadline": "2027-01-31T17:00:00Z"})),
            None,
        )
        .expect("valid");
        let spec = input.spec;
        assert_eq!(input.status, Some(JobStatus::Open));
        assert_eq!(
            spec.questions.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
            ["q1", "q2", "capacity"]
        );
        assert_eq!(spec.questions[0].rubric[0].synonyms, ["composite index"], "synonyms are lower-cased");
        assert_eq!(
            spec.questions.iter().map(|q| q.level).collect::<Vec<_>>(),
            [Difficulty::Fundamental, Difficulty::Intermediate, Difficulty::Advanced]
        );
        assert_eq!(spec.skill_areas[0], AreaWeight { name: "sql".into(), weight: 2.0 });
        assert_eq!((spec.min_questions, spec.max_questions), (12, 20));
        assert_eq!(spec.deadline.as_deref(), Some("2027-01-31T17:00:00.000Z"));
    }

    #[test]
    fn a_bank_family_defaults_to_the_banks_areas() {
        let spec = validate(&body(json!({"title": "React developer", "role_family": "react"})), None)
            .expect("ok")
            .spec;
        assert_eq!(spec.skill_areas.len(), for_role(crate::domain::enums::RoleType::React).skill_areas.len());
        assert!(spec.questions.is_empty());
    }

    #[test]
    fn every_problem_is_named_by_its_path() {
        let got = fields(validate(
            &body(json!({"title": "", "role_family": "cobol", "min_questions": 30, "max_questions": 10,
                         "skill_areas": ["sql", "sql", "Bad Name"],
                         "questions": [{"text": "short", "skill_area": "nope", "level": "guru",
                                        "rubric": [{"point": "x", "weight": 9, "misconceptions": ["a + "]}]}],
                         "voice_required": "yes", "deadline": "tomorrow", "status": "paused", "salary": 1})),
            None,
        ));
        for f in [
            "salary",
            "title",
            "role_family",
            "skill_areas[1].name",
            "skill_areas[2].name",
            "questions[0].text",
            "questions[0].skill_area",
            "questions[0].level",
            "questions[0].rubric[0].point",
            "questions[0].rubric[0].weight",
            "questions[0].rubric[0].misconceptions[0]",
            "min_questions",
            "voice_required",
            "deadline",
            "status",
        ] {
            assert!(got.iter().any(|g| g == f), "{f} missing from {got:?}");
        }
    }

    #[test]
    fn a_custom_job_needs_named_areas_and_enough_questions() {
        let got = fields(validate(&body(json!({"title": "Odd job", "role_family": "custom"})), None));
        assert!(got.contains(&"skill_areas".to_owned()) && got.contains(&"questions".to_owned()), "{got:?}");
        let got = fields(validate(
            &body(json!({"title": "Dup", "role_family": "custom", "skill_areas": ["sql", "systems"],
                         "questions": [three_questions()[0].clone(), {"id": "q1", "text": "Another question here", "skill_area": "sql",
                                        "level": "warmup", "rubric": [{"point": "anything"}]}, three_questions()[2].clone()]})),
            None,
        ));
        assert_eq!(got, ["questions[1].id"], "duplicate ids");
    }

    #[test]
    fn an_update_merges_over_the_current_spec() {
        let current = validate(
            &body(
                json!({"title": "Data engineer", "role_family": "custom", "skill_areas": ["sql", "systems"],
                         "questions": three_questions()}),
            ),
            None,
        )
        .expect("valid")
        .spec;
        let next =
            validate(&body(json!({"title": "Senior data engineer", "max_questions": 15})), Some(&current))
                .expect("valid update");
        assert_eq!(next.spec.title, "Senior data engineer");
        assert_eq!(next.spec.questions, current.questions, "untouched fields are kept");
        assert_eq!(next.spec.max_questions, 15);
        assert_eq!(next.status, None);
        let got = fields(validate(&body(json!({"skill_areas": ["sql"]})), Some(&current)));
        assert_eq!(got, ["questions[2].skill_area"], "the merged spec is validated as a whole");
        let cleared = validate(&body(json!({"deadline": null})), Some(&current)).expect("valid");
        assert_eq!(cleared.spec.deadline, None);
    }
}
