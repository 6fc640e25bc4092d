//! Privacy jobs (docs/privacy.md): building data exports, processing erasure requests in
//! resumable steps (the frequent cron), and the daily retention and
//! export-expiry pass. Every step is idempotent: a run that dies is finished by the next one.

use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{Env, HttpMetadata};

use crate::config::Config;
use crate::domain::audit::AuditEvent;
use crate::domain::enums::{AuditAction, UserRole};
use crate::domain::privacy::{days_ms, media_payload, media_token, DEFAULT_DAYS};
use crate::domain::time::rfc3339_ms;
use crate::ids::{InterviewId, UserId};
use crate::interview::Caller;
use crate::interview_client::InterviewClient;
use crate::platform::{log_error, now_ms};
use crate::protocol::InterviewRequest;
use crate::store::privacy as sql;
use crate::store::{all_rows, exec, first_row, int, opt_text, text};

/// A claimed export not finished within this long is claimed again by the cron.
const EXPORT_LEASE_MS: i64 = 120_000;

fn rust_err(e: impl std::fmt::Display) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

fn s<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key].as_str().unwrap_or_default()
}

/// Where export `id` of `user` is stored.
#[must_use]
pub fn export_key(user: &str, id: &str) -> String {
    format!("exports/{user}/{id}.json")
}

fn client(env: &Env, id: &str) -> worker::Result<InterviewClient> {
    InterviewClient::new(env, &InterviewId::new(id)).map_err(|e| rust_err(e.message))
}

/// The frequent cron's part: exports whose builder never ran or died, then pending erasures.
pub async fn frequent(env: &Env) -> (i64, worker::Result<Value>) {
    let started = now_ms();
    let result = async {
        let cfg = crate::platform::config(env).map_err(rust_err)?;
        let db = crate::store::Db::from_env(env)?;
        let mut built = 0;
        for row in all_rows(&db, sql::DUE_EXPORTS, &[text(&rfc3339_ms(started - EXPORT_LEASE_MS))]).await? {
            match build_export(env, &cfg, s(&row, "id")).await {
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

/// Builds export `id` (the frequent cron's) if it is still pending and not being built: the
/// document to R2, then in one batch the export marked ready and its email queued; the email
/// is sent right away.
///
/// # Errors
/// D1, R2 or Durable Object failures (the cron tries again after the lease; the fifth failed
/// attempt gives up).
async fn build_export(env: &Env, cfg: &Config, id: &str) -> worker::Result<()> {
    let db = crate::store::Db::from_env(env)?;
    let now = now_ms();
    let claim = [text(id), text(&rfc3339_ms(now)), text(&rfc3339_ms(now - EXPORT_LEASE_MS))];
    let Some(claim) = first_row(&db, sql::CLAIM_EXPORT, &claim).await? else {
        return Ok(());
    };
    let fail = [text(id), text(&rfc3339_ms(now))];
    if claim["attempts"].as_i64().unwrap_or(0) > 5 {
        return exec(&db, sql::FAIL_EXPORT, &fail).await.map(|_| ());
    }
    let (user, base) = (s(&claim, "user_id"), s(&claim, "link_base"));
    let link_expires = now + days_ms(cfg.export_link_hours / 24.0).min(days_ms(cfg.export_ttl_days));
    // One signature for all the export's links: whose media, until when (the media route
    // checks each object is theirs).
    let payload = media_payload(user, link_expires);
    let mac = crate::handlers::privacy::media_mac(cfg.jwt_secret.as_deref(), &payload)
        .await
        .map_err(|e| rust_err(e.message))?;
    let links = format!("{base}/api/v1/media/{}?key=", media_token(&payload, &mac));
    let head = [text(user), text(&links), text(&rfc3339_ms(now)), text(&rfc3339_ms(link_expires))];
    let head = first_row(&db, sql::EXPORT_HEAD, &head).await?.unwrap_or_default();
    if head["status"] != "active" {
        // The account is gone or being erased: nothing is written.
        return exec(&db, sql::FAIL_EXPORT, &fail).await.map(|_| ());
    }
    let mut doc = s(&head, "doc").strip_suffix('}').unwrap_or_default().to_owned();
    doc.push_str(",\"interviews\":[");
    let caller = Caller { user_id: UserId::new(user), role: UserRole::Candidate, session: None, org: None };
    let bucket = env.bucket("MEDIA")?;
    for (n, row) in
        all_rows(&db, sql::EXPORT_INTERVIEWS, &[text(user), text(&links)]).await?.iter().enumerate()
    {
        let id = s(row, "id");
        let client = client(env, id)?;
        doc.push_str(if n == 0 { "" } else { "," });
        doc.push_str(s(row, "j").strip_suffix('}').unwrap_or_default());
        // What the candidate sees of it (their view, transcript and assessment).
        for (field, request) in [
            ("details", InterviewRequest::View),
            ("transcript", InterviewRequest::Transcript),
            ("assessment", InterviewRequest::Assessment),
        ] {
            let text = client.text(Some(caller.clone()), request).await.unwrap_or_else(|_| "null".into());
            doc.push_str(&format!(",\"{field}\":{text}"));
        }
        doc.push('}');
    }
    doc.push_str("]}");
    let size = i64::try_from(doc.len()).unwrap_or(i64::MAX);
    let metadata = HttpMetadata { content_type: Some("application/json".into()), ..HttpMetadata::default() };
    bucket.put(export_key(user, id), doc.into_bytes()).http_metadata(metadata).execute().await?;
    let expires = rfc3339_ms(now + days_ms(cfg.export_ttl_days));
    let mail =
        crate::domain::mail::data_export(s(&head, "email"), &format!("{base}/#/account/privacy"), &expires);
    let now_text = rfc3339_ms(now_ms());
    let ready = [text(id), int(size), text(&now_text), text(&expires)];
    db.batch(vec![
        db.prepare(sql::EXPORT_READY).bind(&ready)?,
        crate::store::mail::enqueue(
            &db,
            &uuid::Uuid::new_v4().to_string(),
            &mail,
            Some(id),
            &format!("export:{id}"),
            &now_text,
        )?,
    ])
    .await?;
    // The frequent cron's mail job, right after this one, sends it.
    Ok(())
}

/// Deletes every object under each prefix (listed, so nothing is missed: a page at a time
/// until none is left).
async fn delete_prefixes(bucket: &worker::Bucket, prefixes: &[String]) -> worker::Result<()> {
    for prefix in prefixes {
        loop {
            let page = bucket.list().prefix(prefix.clone()).limit(1000).execute().await?;
            let keys: Vec<String> = page.objects().iter().map(worker::Object::key).collect();
            if keys.is_empty() {
                break;
            }
            bucket.delete_multiple(keys).await?;
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------------ erasure

/// Processes pending erasure requests (`only`: that one), at most `ERASURE_STEPS_PER_RUN`
/// units in all (0: no limit). Each unit is idempotent and recorded as done only after it
/// succeeded, so a run that dies midway is completed by the next.
///
/// # Errors
/// D1 failures reading the requests (a failing request is logged and left for the next run).
async fn run_erasures(env: &Env, cfg: &Config, only: Option<&str>) -> worker::Result<Value> {
    let db = crate::store::Db::from_env(env)?;
    let budget = if cfg.erasure_steps_per_run == 0 { u32::MAX } else { cfg.erasure_steps_per_run };
    let (mut used, mut finished, mut failed) = (0u32, 0u32, 0u32);
    for r in all_rows(&db, sql::PENDING_ERASURES, &[opt_text(only), text(&rfc3339_ms(now_ms()))]).await? {
        if used >= budget {
            break;
        }
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

/// Up to `budget` units of request `r`: its items (an interview's object and R2 objects, or an
/// R2 prefix), then the final D1 batch. Whether it finished.
async fn erase(env: &Env, db: &crate::store::Db, r: &Value, budget: u32) -> worker::Result<(u32, bool)> {
    let bucket = env.bucket("MEDIA")?;
    let id = s(r, "id");
    let mut used = 0;
    loop {
        let items = all_rows(db, sql::ITEMS, &[text(id)]).await?;
        if items.is_empty() {
            break;
        }
        for item in &items {
            if used >= budget {
                return Ok((used, false));
            }
            let (kind, reference) = (s(item, "kind"), s(item, "ref"));
            if kind == "interview" {
                client(env, reference)?
                    .text(None, InterviewRequest::Erase)
                    .await
                    .map_err(|e| rust_err(e.message))?;
                delete_prefixes(&bucket, &[format!("videos/{reference}/"), format!("audio/{reference}/")])
                    .await?;
            } else {
                delete_prefixes(&bucket, &[reference.to_owned()]).await?;
            }
            exec(db, sql::ITEM_DONE, &[text(id), text(kind), text(reference)]).await?;
            used += 1;
        }
    }
    if used >= budget {
        return Ok((used, false));
    }
    let now = rfc3339_ms(now_ms());
    let (user, email, org) = (s(r, "user_id"), s(r, "email"), r["org_id"].as_str());
    let own = org.is_none();
    let orgs = all_rows(db, sql::ERASURE_ORGS, &[text(user), text(email), opt_text(org)]).await?;
    let mut batch = vec![db.prepare(sql::FINISH_ERASURE).bind(&[text(id), text(&now)])?];
    let event = AuditEvent::new(AuditAction::CandidateErased, "candidate", s(r, "subject_id"))
        .with_detail(if own { "the candidate's own request" } else { "an org admin's request" });
    for org in &orgs {
        let actor = crate::store::audit::Actor {
            org_id: s(org, "id"),
            actor_id: s(r, "actor_id"),
            client: "erasure job",
            now: &now,
        };
        batch.push(crate::store::audit::insert(db, &actor, &event, true)?);
    }
    let binds = [text(user), opt_text(org), text(email), text(&now), text(id)];
    batch.extend(sql::erase_rows(db, &binds, own)?);
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
    let db = crate::store::Db::from_env(env)?;
    let bucket = env.bucket("MEDIA")?;
    let now_text = rfc3339_ms(now);
    let mut counts = json!({});
    let mut failed = 0u32;
    for (category, days) in [
        ("transcript", DEFAULT_DAYS[0]),
        ("assessment", DEFAULT_DAYS[3]),
        ("audio", DEFAULT_DAYS[1]),
        ("resume", DEFAULT_DAYS[2]),
    ] {
        let mut n = 0u32;
        let binds = [text(&now_text), JsValue::from_f64(days), text(category)];
        for row in all_rows(&db, &sql::past_sql(category), &binds).await? {
            let id = s(&row, "id");
            let purged = match category {
                "audio" => delete_prefixes(&bucket, &[format!("audio/{id}/")]).await,
                "resume" => bucket.delete(s(&row, "key")).await,
                _ => purge(env, id, category == "transcript").await,
            };
            match purged {
                Ok(()) => {
                    db.batch(sql::purge_rows(&db, category, id, &now_text)?).await?;
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
    let expired = all_rows(&db, sql::EXPIRED_EXPORTS, &[text(&now_text)]).await?;
    let keys: Vec<String> = expired.iter().map(|r| s(r, "key").to_owned()).collect();
    if !keys.is_empty() {
        bucket.delete_multiple(keys).await?;
        exec(&db, sql::EXPIRE_EXPORTS, &[text(&now_text)]).await?;
    }
    counts["exports_expired"] = json!(expired.len());
    counts["failed"] = json!(failed);
    Ok(counts)
}

/// Asks the interview's object to delete its transcript or its assessment (an object that holds
/// nothing any more has nothing to delete).
async fn purge(env: &Env, id: &str, transcript: bool) -> worker::Result<()> {
    let request = InterviewRequest::Purge { transcript, assessment: !transcript };
    match client(env, id)?.text(None, request).await {
        Ok(_) => Ok(()),
        Err(e) if e.status() == 404 => Ok(()),
        Err(e) => Err(rust_err(e.message)),
    }
}
