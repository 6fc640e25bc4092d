//! Jobs end to end against `wrangler dev` (docs/jobs.md): recruiters create and edit their
//! organization's jobs with custom questions; every accepted change of the spec is a new version
//! (a status change is not); validation names each field; viewers and candidates cannot write.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::app::error_code;
use common::TestApp;
use reqwest::Method;
use serde_json::{json, Value};

fn custom_job() -> Value {
    json!({
        "title": "Data engineer",
        "description": "Pipelines and warehouses for the billing team.",
        "role_family": "custom",
        "skill_areas": [{"name": "sql", "weight": 2}, "pipelines"],
        "questions": [
            {"text": "What does a LEFT JOIN keep that an INNER JOIN drops?", "skill_area": "sql", "level": "fundamental",
             "rubric": [{"point": "every row of the left table is kept", "synonyms": ["all left rows", "unmatched rows"], "weight": 2,
                         "misconceptions": ["left join + drops|removes + unmatched"]},
                        {"point": "missing right columns are NULL", "synonyms": ["null"]}]},
            {"text": "How would you make a nightly load idempotent?", "skill_area": "pipelines", "level": "intermediate",
             "rubric": [{"point": "upserts keyed by a natural key", "synonyms": ["upsert", "merge"]},
                        {"point": "rerunning gives the same result", "synonyms": ["rerun", "idempotent"]}]},
            {"id": "backfill", "text": "Plan a backfill of two years of events without hurting production.", "skill_area": "pipelines",
             "level": "advanced", "rubric": [{"point": "batches with throttling", "synonyms": ["batch", "throttle"]}]}
        ],
        "min_questions": 3,
        "max_questions": 8,
        "video_required": true,
        "deadline": "2027-03-31T17:00:00Z"
    })
}

#[tokio::test]
async fn a_recruiter_creates_and_versions_a_job_with_custom_questions() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let (status, job) = app.post(&recruiter, "/api/v1/jobs", &custom_job()).await;
    assert_eq!(status, 201, "{job}");
    let id = job["id"].as_str().expect("id").to_owned();
    assert_eq!((job["status"].as_str(), job["version"].as_i64()), (Some("draft"), Some(1)));
    let ids: Vec<&str> =
        job["questions"].as_array().expect("questions").iter().filter_map(|q| q["id"].as_str()).collect();
    assert_eq!(ids, ["q1", "q2", "backfill"]);
    assert_eq!(job["questions"][0]["rubric"][0]["synonyms"], json!(["all left rows", "unmatched rows"]));
    assert_eq!(job["deadline"], "2027-03-31T17:00:00.000Z");

    // Opening it changes the status only: same version.
    let path = format!("/api/v1/jobs/{id}");
    let (status, opened) = patch(&app, &recruiter, &path, &json!({"status": "open"})).await;
    assert_eq!(status, 200, "{opened}");
    assert_eq!((opened["status"].as_str(), opened["version"].as_i64()), (Some("open"), Some(1)));

    // Editing a question is a new version; the untouched fields stay.
    let mut questions = job["questions"].clone();
    questions[1]["text"] = json!("How do you make a nightly load safe to rerun?");
    let (status, edited) = patch(&app, &recruiter, &path, &json!({"questions": questions})).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["questions"][1]["text"], "How do you make a nightly load safe to rerun?");
    assert_eq!((edited["title"].as_str(), edited["status"].as_str()), (Some("Data engineer"), Some("open")));
    // The same spec again is no new version.
    let (_, same) = patch(&app, &recruiter, &path, &json!({"title": "Data engineer"})).await;
    assert_eq!(same["version"], 2);
    // An editor that started from version 1 is refused (someone else saved version 2) and
    // nothing changes; the current version is accepted.
    let stale = json!({"title": "Stale title", "version": 1});
    let (status, body) = patch(&app, &recruiter, &path, &stale).await;
    assert_eq!((status, error_code(&body)), (409, "EDIT_CONFLICT"), "{body}");
    let (status, fresh) =
        patch(&app, &recruiter, &path, &json!({"title": "Data engineer", "version": 2})).await;
    assert_eq!(
        (status, fresh["title"].as_str(), fresh["version"].as_i64()),
        (200, Some("Data engineer"), Some(2))
    );

    // Staff of the organization read it and list it; a status filter narrows the list.
    let viewer = app.staff(&admin, "viewer").await;
    let (status, read) = app.get(&viewer, &path).await;
    assert_eq!((status, read["version"].as_i64()), (200, Some(2)));
    let (_, open) = app.get(&viewer, "/api/v1/jobs?status=open").await;
    assert!(open["jobs"].as_array().expect("jobs").iter().any(|j| j["id"] == id.as_str()), "{open}");
    let (_, drafts) = app.get(&viewer, "/api/v1/jobs?status=draft").await;
    assert!(drafts["jobs"].as_array().expect("jobs").iter().all(|j| j["id"] != id.as_str()), "{drafts}");

    // Viewers and candidates cannot write; candidates cannot read.
    let (status, _) = app.post(&viewer, "/api/v1/jobs", &custom_job()).await;
    assert_eq!(status, 403);
    let (status, _) = patch(&app, &viewer, &path, &json!({"status": "closed"})).await;
    assert_eq!(status, 403);
    let candidate = app.candidate().await;
    let (status, _) = app.get(&candidate, &path).await;
    assert_eq!(status, 403);
    let (status, _) = app.get(&candidate, "/api/v1/jobs").await;
    assert_eq!(status, 403);
    // Unknown and malformed ids are 404.
    for bad in ["/api/v1/jobs/00000000-0000-4000-8000-00000000dead", "/api/v1/jobs/not-a-uuid"] {
        let (status, _) = app.get(&recruiter, bad).await;
        assert_eq!(status, 404, "{bad}");
    }
}

#[tokio::test]
async fn invalid_jobs_are_refused_field_by_field_and_nothing_is_stored() {
    let app = TestApp::new();
    // An organization of its own, so the other test's jobs never show up in this one's list.
    let admin = app.admin_of_new_org("Validation Test Ltd").await;
    let (_, before) = app.get(&admin, "/api/v1/jobs?limit=100").await;
    let mut job = custom_job();
    job["questions"][1]["skill_area"] = json!("cooking");
    job["questions"][2]["level"] = json!("guru");
    job["questions"][0]["rubric"][0]["weight"] = json!(50);
    job["max_questions"] = json!(2);
    job["salary"] = json!(100_000);
    let (status, body) = app.post(&admin, "/api/v1/jobs", &job).await;
    assert_eq!((status, error_code(&body)), (422, "VALIDATION_ERROR"), "{body}");
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    for f in [
        "questions[1].skill_area",
        "questions[2].level",
        "questions[0].rubric[0].weight",
        "min_questions",
        "salary",
    ] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }
    // A custom job with too few questions, and a missing title.
    let (status, body) = app
        .post(
            &admin,
            "/api/v1/jobs",
            &json!({"role_family": "custom", "skill_areas": ["sql"], "questions": []}),
        )
        .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert!(fields.contains(&"title") && fields.contains(&"questions"), "{fields:?}");
    let (_, after) = app.get(&admin, "/api/v1/jobs?limit=100").await;
    assert_eq!(before["jobs"], after["jobs"], "a refused job stores nothing");

    // An update that would break the merged spec is refused and changes nothing.
    let (status, created) = app.post(&admin, "/api/v1/jobs", &custom_job()).await;
    assert_eq!(status, 201);
    let path = format!("/api/v1/jobs/{}", created["id"].as_str().expect("id"));
    let (status, body) = patch(&app, &admin, &path, &json!({"skill_areas": ["sql"]})).await;
    assert_eq!(status, 422, "{body}");
    let (_, unchanged) = app.get(&admin, &path).await;
    assert_eq!(unchanged["version"], 1);
}

async fn patch(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    common::app::send(app.request(Method::PATCH, path, token).json(body)).await
}
