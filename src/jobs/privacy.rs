//! Privacy jobs (docs/privacy.md): building data exports, processing erasure requests in
//! resumable steps (frequent cron, and kicked after each request), and the daily retention and
//! export-expiry pass. Every step is idempotent: a run that dies is finished by the next one.

use serde_json::{json, Value};
use worker::{Env, HttpMetadata};

use crate::domain::audit::AuditEvent;
use crate::domain::enums::{AuditAction, UserRole};
use crate::domain::privacy::{days_ms, media_payload, media_token};
use crate::domain::time::rfc3339_ms;
use crate::ids::{InterviewId, UserId};
use crate::interview::Caller;
use crate::interview_client::InterviewClient;
use crate::platform::{log_error, now_ms};
use crate::protocol::InterviewRequest;
use crate::store::privacy as store;

/// A claimed export not finished within this long is claimed again by the cron.
const EXPORT_LEASE_MS: i64 = 120_000;

fn rust_err(e: impl std::fmt::Display) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

fn config(env: &Env) -> worker::Result<std::rc::Rc<crate::config::Config>> {
    crate::platform::config(env).map_err(rust_err)
}

/// Where export `id` of `user` is stored.
#[must_use]
pub fn export_key(user: &str, id: &str) -> String {
    format!("exports/{user}/{id}.json")
}

/// The frequent cron's part: exports whose builder never ran or died, then pending erasures.
pub async fn frequent(env: &Env) -> (i64, worker::Result<Value>) {
    let started = now_ms();
    let result = async {
        let cfg = config(env)?;
        let db = env.d1("DB")?;
        let mut built = 0;
        for id in store::due_exports(&db, &rfc3339_ms(started - EXPORT_LEASE_MS)).await? {
            match build_export(env, &cfg, &id).await {
                Ok(()) => built += 1,
                Err(e) => log_error("export build", &e),
            }
        }
        let erasures = run_erasures(env, &cfg, None).await?;
        Ok(json!({ "exports_built": built, "erasures": erasures }))
    }
    .await;
    (started, result)
}

// ------------------------------------------------------------------------------------ exports

/// Builds export `id` if it is still pending and not being built: the document to R2, then in
/// one batch the export marked ready and its email queued; the email is sent right away.
///
/// # Errors
/// D1, R2 or Durable Object failures (the cron tries again after the lease; the fifth failed
/// attempt gives up).
pub async fn build_export(env: &Env, cfg: &crate::config::Config, id: &str) -> worker::Result<()> {
    let db = env.d1("DB")?;
    let now = now_ms();
    let Some(claim) =
        store::claim_export(&db, id, &rfc3339_ms(now), &rfc3339_ms(now - EXPORT_LEASE_MS)).await?
    else {
        return Ok(());
    };
    if claim.attempts > 5 {
        return store::fail_export(&db, id, &rfc3339_ms(now)).await;
    }
    let link_expires = now + days_ms(cfg.export_link_hours / 24.0).min(days_ms(cfg.export_ttl_days));
    let doc = document(env, cfg, &claim, now, link_expires).await?;
    if doc["profile"]["status"] != "active" {
        // The account is being erased: nothing is written.
        return store::fail_export(&db, id, &rfc3339_ms(now)).await;
    }
    let body = doc.to_string();
    let size = i64::try_from(body.len()).unwrap_or(i64::MAX);
    let metadata = HttpMetadata { content_type: Some("application/json".into()), ..HttpMetadata::default() };
    env.bucket("MEDIA")?
        .put(export_key(&claim.user_id, id), body.into_bytes())
        .http_metadata(metadata)
        .execute()
        .await?;
    let expires = rfc3339_ms(now + days_ms(cfg.export_ttl_days));
    let email = doc["profile"]["email"].as_str().unwrap_or_default();
    let link = format!("{}/#/account/privacy", claim.link_base);
    let mail = crate::domain::mail::data_export(email, &link, &expires);
    let now_text = rfc3339_ms(now_ms());
    let mail_id = uuid::Uuid::new_v4().to_string();
    db.batch(vec![
        store::export_ready(&db, id, size, &now_text, &expires)?,
        crate::store::mail::enqueue(&db, &mail_id, &mail, Some(id), &format!("export:{id}"), &now_text)?,
    ])
    .await?;
    if cfg.mailer != crate::config::MailerKind::None {
        crate::jobs::mail::send_due(env, cfg).await?;
    }
    Ok(())
}

/// A signed link to R2 object `key` until `expires_ms`.
async fn media_link(
    cfg: &crate::config::Config,
    base: &str,
    key: &str,
    expires_ms: i64,
) -> worker::Result<String> {
    let payload = media_payload(key, expires_ms);
    let mac = crate::handlers::privacy::media_mac(cfg.jwt_secret.as_deref(), &payload)
        .await
        .map_err(|e| rust_err(e.message))?;
    Ok(format!("{base}/api/v1/media/{}", media_token(&payload, &mac)))
}

/// JSON text columns read back as JSON.
fn parse_json_columns(rows: &mut [Value], columns: &[&str]) {
    for row in rows {
        for c in columns {
            if let Some(parsed) = row[*c].as_str().and_then(|t| serde_json::from_str::<Value>(t).ok()) {
                row[*c] = parsed;
            }
        }
    }
}

/// The export: the candidate's rows (profile, interviews, résumés and parsed data, feedback
/// sent, videos, consents), each interview as the candidate sees it through its Durable Object
/// (view, transcript, assessment), and short-lived links to the media.
async fn document(
    env: &Env,
    cfg: &crate::config::Config,
    claim: &store::ExportClaim,
    now: i64,
    link_expires: i64,
) -> worker::Result<Value> {
    let db = env.d1("DB")?;
    let user = claim.user_id.as_str();
    let base = claim.link_base.as_str();
    let mut doc = json!({
        "format": "interview-edge data export",
        "version": 1,
        "generated_at": rfc3339_ms(now),
        "links_expire_at": rfc3339_ms(link_expires),
    });
    for (name, sql) in store::EXPORT_SECTIONS {
        doc[*name] = Value::Array(store::rows_of(&db, sql, user).await?);
    }
    doc["profile"] = doc["profile"][0].take();
    let caller = Caller { user_id: UserId::new(user), role: UserRole::Candidate, session: None, org: None };
    let bucket = env.bucket("MEDIA")?;
    if let Some(interviews) = doc["interviews"].as_array_mut() {
        for row in interviews {
            let id = row["id"].as_str().unwrap_or_default().to_owned();
            let client =
                InterviewClient::new(env, &InterviewId::new(&id)).map_err(|e| rust_err(e.message))?;
            for (field, request) in [
                ("details", InterviewRequest::View),
                ("transcript", InterviewRequest::Transcript),
                ("assessment", InterviewRequest::Assessment),
            ] {
                row[field] =
                    client.call::<Value>(Some(caller.clone()), request).await.map_or(Value::Null, |(_, v)| v);
            }
            let mut audio = Vec::new();
            for key in list_keys(&bucket, &format!("audio/{id}/")).await? {
                audio.push(json!({ "key": key, "link": media_link(cfg, base, &key, link_expires).await? }));
            }
            row["audio"] = Value::Array(audio);
        }
    }
    for section in ["resumes", "videos"] {
        if let Some(rows) = doc[section].as_array_mut() {
            for row in rows.iter_mut() {
                let key = row["storage_path"].as_str().unwrap_or_default().to_owned();
                row["link"] = json!(media_link(cfg, base, &key, link_expires).await?);
                if let Some(map) = row.as_object_mut() {
                    map.remove("storage_path");
                }
            }
        }
    }
    if let Some(rows) = doc["resumes"].as_array_mut() {
        parse_json_columns(rows, &["parsed_data"]);
    }
    if let Some(rows) = doc["feedback_sent"].as_array_mut() {
        parse_json_columns(rows, &["identified_gaps", "recommended_resources"]);
    }
    Ok(doc)
}

/// Every key under `prefix`.
async fn list_keys(bucket: &worker::Bucket, prefix: &str) -> worker::Result<Vec<String>> {
    let mut keys = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut list = bucket.list().prefix(prefix).limit(1000);
        if let Some(c) = cursor.take() {
            list = list.cursor(c);
        }
        let page = list.execute().await?;
        keys.extend(page.objects().iter().map(worker::Object::key));
        match page.cursor() {
            Some(c) if page.truncated() => cursor = Some(c),
            _ => return Ok(keys),
        }
    }
}

/// Deletes every object under `prefix` (listed, so nothing is missed).
async fn delete_prefix(bucket: &worker::Bucket, prefix: &str) -> worker::Result<u32> {
    let keys = list_keys(bucket, prefix).await?;
    let n = u32::try_from(keys.len()).unwrap_or(u32::MAX);
    for chunk in keys.chunks(1000) {
        bucket.delete_multiple(chunk.to_vec()).await?;
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------ erasure

/// Processes pending erasure requests (`only`: that one), at most `ERASURE_STEPS_PER_RUN`
/// units in all (0: no limit). Each unit is idempotent and recorded as done only after it
/// succeeded, so a run that dies midway is completed by the next.
///
/// # Errors
/// D1 failures reading the requests (a failing request is logged and left for the next run).
pub async fn run_erasures(
    env: &Env,
    cfg: &crate::config::Config,
    only: Option<&str>,
) -> worker::Result<Value> {
    let db = env.d1("DB")?;
    let budget = if cfg.erasure_steps_per_run == 0 { u32::MAX } else { cfg.erasure_steps_per_run };
    let (mut used, mut finished, mut failed) = (0u32, 0u32, 0u32);
    for r in store::pending_erasures(&db, only).await? {
        if used >= budget {
            break;
        }
        store::count_run(&db, &r.id, &rfc3339_ms(now_ms())).await?;
        match erase(env, &db, &r, budget - used).await {
            Ok((units, done)) => {
                used += units;
                finished += u32::from(done);
            }
            Err(e) => {
                log_error("erasure step", &e);
                failed += 1;
            }
        }
    }
    Ok(json!({ "units": used, "finished": finished, "failed": failed }))
}

/// Up to `budget` units of request `r`: its items, then the final D1 batch. Whether it finished.
async fn erase(
    env: &Env,
    db: &worker::D1Database,
    r: &store::ErasureRow,
    budget: u32,
) -> worker::Result<(u32, bool)> {
    let bucket = env.bucket("MEDIA")?;
    let mut used = 0;
    loop {
        let items = store::items(db, &r.id).await?;
        if items.is_empty() {
            break;
        }
        for item in items {
            if used >= budget {
                return Ok((used, false));
            }
            let (kind, reference) = (&item.0, &item.1);
            if kind == "interview" {
                let client = InterviewClient::new(env, &InterviewId::new(reference))
                    .map_err(|e| rust_err(e.message))?;
                let _: (u16, Value) =
                    client.call(None, InterviewRequest::Erase).await.map_err(|e| rust_err(e.message))?;
                delete_prefix(&bucket, &format!("videos/{reference}/")).await?;
                delete_prefix(&bucket, &format!("audio/{reference}/")).await?;
            } else {
                delete_prefix(&bucket, reference).await?;
            }
            store::item_done(db, &r.id, &item).await?;
            used += 1;
        }
    }
    if used >= budget {
        return Ok((used, false));
    }
    let now = rfc3339_ms(now_ms());
    let orgs = store::erasure_orgs(db, r).await?;
    let mut batch = vec![store::finish_erasure(db, &r.id, &now)?];
    let own = r.org_id.is_none();
    let event = AuditEvent::new(AuditAction::CandidateErased, "candidate", r.subject_id.clone())
        .with_detail(if own { "the candidate's own request" } else { "an org admin's request" });
    for org in &orgs {
        let actor = crate::store::audit::Actor {
            org_id: org,
            actor_id: &r.actor_id,
            client: "erasure job",
            now: &now,
        };
        batch.push(crate::store::audit::insert(db, &actor, &event, true)?);
    }
    batch.extend(store::erase_rows(db, r, &now)?);
    db.batch(batch).await?;
    Ok((used + 1, true))
}

// ---------------------------------------------------------------------------------- retention

/// The daily pass: each organization's retention periods (else the defaults) for transcripts,
/// assessments, audio and résumés, then expired exports. Videos: `video_retention`.
pub async fn daily(env: &Env) -> (i64, worker::Result<Value>) {
    let started = now_ms();
    (started, retention(env, started).await)
}

async fn retention(env: &Env, now: i64) -> worker::Result<Value> {
    let cfg = config(env)?;
    let db = env.d1("DB")?;
    let bucket = env.bucket("MEDIA")?;
    let now_text = rfc3339_ms(now);
    let mut counts = json!({ "failed": 0 });
    let mut failed = 0u32;
    for (category, days) in [
        ("transcript", cfg.retention_transcript_days),
        ("assessment", cfg.retention_assessment_days),
        ("audio", cfg.retention_audio_days),
    ] {
        let mut n = 0u32;
        for id in store::interviews_past(&db, category, &now_text, days).await? {
            let purged = if category == "audio" {
                delete_prefix(&bucket, &format!("audio/{id}/")).await.map(|_| ())
            } else {
                purge(env, &id, category == "transcript").await
            };
            match purged {
                Ok(()) => {
                    db.batch(store::purge_rows(&db, category, &id, &now_text)?).await?;
                    n += 1;
                }
                Err(e) => {
                    log_error("retention purge", &e);
                    failed += 1;
                }
            }
        }
        counts[format!("{category}s_deleted")] = json!(n);
    }
    let mut resumes = 0u32;
    for row in store::resumes_past(&db, &now_text, cfg.retention_resume_days).await? {
        let id = row["id"].as_str().unwrap_or_default();
        bucket.delete(row["storage_path"].as_str().unwrap_or_default()).await?;
        db.batch(store::purge_rows(&db, "resume", id, &now_text)?).await?;
        resumes += 1;
    }
    counts["resumes_deleted"] = json!(resumes);
    let mut exports = 0u32;
    for row in store::expired_exports(&db, &now_text).await? {
        let (id, user) =
            (row["id"].as_str().unwrap_or_default(), row["user_id"].as_str().unwrap_or_default());
        bucket.delete(export_key(user, id)).await?;
        store::expire_export(&db, id, &now_text).await?;
        exports += 1;
    }
    counts["exports_expired"] = json!(exports);
    counts["failed"] = json!(failed);
    Ok(counts)
}

/// Asks the interview's object to delete its transcript or its assessment (an object that holds
/// nothing any more has nothing to delete).
async fn purge(env: &Env, id: &str, transcript: bool) -> worker::Result<()> {
    let client = InterviewClient::new(env, &InterviewId::new(id)).map_err(|e| rust_err(e.message))?;
    let request = InterviewRequest::Purge { transcript, assessment: !transcript };
    match client.call::<Value>(None, request).await {
        Ok(_) => Ok(()),
        Err(e) if e.status() == 404 => Ok(()),
        Err(e) => Err(rust_err(e.message)),
    }
}
