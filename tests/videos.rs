//! Interview video (docs/video.md) against the real stack: chunked upload to a local R2 multipart
//! upload through the interview's Durable Object, resume after a dropped connection, finalize,
//! ranged streaming, the chunk rules, consent and access, delete, parallel chunks, and the
//! retention cron on a server with a tiny retention period.
//!
//! Video bytes are deterministic pseudo-random data (with a WebM signature in front), so any
//! corruption, reordering or truncation is caught byte for byte.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::app::send;
use common::{d1_query, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const MIB: usize = 1024 * 1024;
const PART: usize = 5 * MIB;
const DAILY_CRON: &str = "17+3+*+*+*";

/// `len` pseudo-random bytes from `seed` (xorshift64*), starting with the WebM (EBML) magic.
fn video_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    let magic = [0x1A, 0x45, 0xDF, 0xA3];
    let n = magic.len().min(len);
    out[..n].copy_from_slice(&magic[..n]);
    out
}

/// Splits a video into R2-compatible chunks: `PART`-sized slices and the remainder last.
fn chunks(video: &[u8]) -> Vec<&[u8]> {
    video.chunks(PART).collect()
}

/// A candidate with an interview that has video consent: (token, interview id).
async fn consenting(srv: TestApp) -> (String, String) {
    let (token, _) = srv.candidate_with_id("Vera Video").await;
    let id = srv.start_id(&token, "react").await;
    let (status, body) =
        srv.post(&token, &format!("/api/v1/interviews/{id}/video-consent"), &json!({"consent": true})).await;
    assert_eq!(status, 200, "consent: {body}");
    (token, id)
}

fn video_path(id: &str, tail: &str) -> String {
    format!("/api/v1/videos/{id}{tail}")
}

/// Uploads a chunk as a raw body.
async fn put_raw(
    srv: TestApp,
    token: &str,
    id: &str,
    index: usize,
    total: usize,
    bytes: &[u8],
) -> (u16, Value) {
    let path = video_path(id, &format!("/upload-chunk?chunk_index={index}&total_chunks={total}"));
    send(srv.request(Method::POST, &path, token).header("Content-Type", "video/webm").body(bytes.to_vec()))
        .await
}

/// Uploads a chunk as `multipart/form-data`.
async fn put_multipart(
    srv: TestApp,
    token: &str,
    id: &str,
    index: usize,
    total: usize,
    bytes: &[u8],
) -> (u16, Value) {
    let (index_text, total_text) = (index.to_string(), total.to_string());
    let file_name = format!("chunk{index}.webm");
    let parts = [
        ("chunk_index", None, index_text.as_bytes()),
        ("total_chunks", None, total_text.as_bytes()),
        ("video_chunk", Some((file_name.as_str(), "video/webm;codecs=vp9")), bytes),
    ];
    srv.post_multipart(token, &video_path(id, "/upload-chunk"), &parts).await
}

/// Streams with an optional `Range`: (status, Content-Range, body).
async fn stream(srv: TestApp, token: &str, id: &str, range: Option<&str>) -> (u16, Option<String>, Vec<u8>) {
    let mut req = srv.request(Method::GET, &video_path(id, "/stream"), token);
    if let Some(r) = range {
        req = req.header("Range", r);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let content_range = resp.headers().get("Content-Range").map(|v| v.to_str().unwrap().to_owned());
    (status, content_range, resp.bytes().await.unwrap().to_vec())
}

/// Uploads every chunk of `video` in order and finalizes.
async fn upload_all(srv: TestApp, token: &str, id: &str, video: &[u8]) {
    let n = chunks(video).len();
    upload_all_from(srv, token, id, video, 0, n).await;
}

/// Uploads chunks `from..to` of `video` and finalizes.
async fn upload_all_from(srv: TestApp, token: &str, id: &str, video: &[u8], from: usize, to: usize) {
    let parts = chunks(video);
    for (i, c) in parts.iter().enumerate().take(to).skip(from) {
        let (status, body) = put_raw(srv, token, id, i, parts.len(), c).await;
        assert_eq!(status, 200, "chunk {i}: {body}");
    }
    let (status, body) = srv.post_empty(token, &video_path(id, "/finalize")).await;
    assert_eq!(status, 200, "finalize: {body}");
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_chunked_upload_resumes_finalizes_and_streams_exact_ranges() {
    let srv = TestApp::new();
    let (token, id) = consenting(srv).await;
    let video = video_bytes(7, 2 * PART + 1234);
    let parts = chunks(&video);
    assert_eq!(parts.len(), 3);

    // Nothing yet.
    let (status, body) = srv.get(&token, &video_path(&id, "/upload-status")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("not_started")));

    // Chunk 0 raw, then the last chunk (multipart, out of order); the connection "drops" before 1.
    let (status, body) = put_raw(srv, &token, &id, 0, 3, parts[0]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["chunk_uploaded"], true);
    assert_eq!((body["chunk_index"].as_u64(), body["total_uploaded"].as_u64()), (Some(0), Some(1)));
    let (status, body) = put_multipart(srv, &token, &id, 2, 3, parts[2]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_uploaded"], 2);

    // Resume: the status names the missing chunk, and finalize refuses until it arrives.
    let (status, body) = srv.get(&token, &video_path(&id, "/upload-status")).await;
    assert_eq!(status, 200);
    assert_eq!(body["received"], json!([0, 2]));
    assert_eq!(body["missing"], json!([1]));
    assert_eq!(body["total_chunks"], 3);
    assert!(body["upload_id"].as_str().is_some_and(|u| !u.is_empty()));
    let (status, body) = srv.post_empty(&token, &video_path(&id, "/finalize")).await;
    assert_eq!((status, code(&body)), (409, "UPLOAD_INCOMPLETE"));
    assert_eq!(body["error"]["missing_chunks"], json!([1]));

    let (status, body) = put_raw(srv, &token, &id, 1, 3, parts[1]).await;
    assert_eq!((status, body["total_uploaded"].as_u64()), (200, Some(3)));
    // A repeated chunk replaces the part (same bytes here, so the video stays the same).
    let (status, body) = put_multipart(srv, &token, &id, 2, 3, parts[2]).await;
    assert_eq!(
        (status, body["total_uploaded"].as_u64(), body["replaced"].as_bool()),
        (200, Some(3), Some(true))
    );

    let (status, body) = srv.post_empty(&token, &video_path(&id, "/finalize")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["file_size_bytes"].as_u64(), Some(video.len() as u64));
    assert_eq!(body["total_chunks"], 3);
    assert_eq!(body["video_recording_url"], format!("/api/v1/videos/{id}/stream"));
    // Idempotent.
    let (status, again) = srv.post_empty(&token, &video_path(&id, "/finalize")).await;
    assert_eq!((status, &again["file_size_bytes"]), (200, &body["file_size_bytes"]));

    let (status, meta) = srv.get(&token, &video_path(&id, "")).await;
    assert_eq!(status, 200);
    assert_eq!(meta["status"], "completed");
    assert_eq!(meta["interview_id"], id.as_str());
    assert_eq!(meta["chunk_count"], 3);
    assert_eq!(meta["file_size_bytes"].as_u64(), Some(video.len() as u64));
    assert!(meta["uploaded_at"].as_str().is_some());
    assert!(meta["storage_path"].as_str().is_some_and(|p| p.starts_with(&format!("videos/{id}/"))));

    // The whole video, then ranges: plain, across the part boundary, suffix, open-ended, several.
    let resp = srv.request(Method::GET, &video_path(&id, "/stream"), &token).send().await.unwrap();
    let header = |name: &str| resp.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("Content-Type").as_deref(), Some("video/webm"));
    assert_eq!(header("Accept-Ranges").as_deref(), Some("bytes"));
    assert_eq!(header("Content-Length"), Some(video.len().to_string()));
    let (status, range, body) = stream(srv, &token, &id, None).await;
    assert_eq!((status, range), (200, None));
    assert!(body == video, "the streamed video equals the uploaded bytes");
    let n = video.len();
    let cases: Vec<(String, usize, usize)> = vec![
        ("bytes=0-99".into(), 0, 99),
        (format!("bytes={}-{}", PART - 10, PART + 9), PART - 10, PART + 9),
        ("bytes=-500".into(), n - 500, n - 1),
        (format!("bytes={}-", 2 * PART - 3), 2 * PART - 3, n - 1),
        (format!("bytes={}-{}", n - 10, n + 1000), n - 10, n - 1),
        ("bytes=0-".into(), 0, n - 1),
        (format!("bytes={n}-, 5-9"), 5, 9),
    ];
    for (header, first, last) in cases {
        let (status, range, body) = stream(srv, &token, &id, Some(&header)).await;
        assert_eq!(status, 206, "{header}");
        assert_eq!(range.as_deref(), Some(format!("bytes {first}-{last}/{n}").as_str()), "{header}");
        assert!(body == video[first..=last], "{header}: exact bytes");
    }
    let (status, range, body) = stream(srv, &token, &id, Some(&format!("bytes={n}-"))).await;
    assert_eq!((status, range), (416, Some(format!("bytes */{n}"))));
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(code(&error), "RANGE_NOT_SATISFIABLE");
    // An invalid Range header is ignored: the whole video.
    let (status, _, body) = stream(srv, &token, &id, Some("bytes=9-2")).await;
    assert_eq!((status, body.len()), (200, n));

    // Completed: no more chunks.
    let (status, body) = put_raw(srv, &token, &id, 2, 3, parts[2]).await;
    assert_eq!((status, code(&body)), (409, "UPLOAD_CONFLICT"));

    // Staff read it; D1 and the recruiter view carry the projection.
    let admin = srv.admin().await;
    let (status, range, body) = stream(srv, &admin, &id, Some("bytes=100-199")).await;
    assert_eq!((status, range.as_deref()), (206, Some(format!("bytes 100-199/{n}").as_str())));
    assert!(body == video[100..200]);
    let (status, detail) = srv.get(&admin, &format!("/api/v1/recruiter/interviews/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["video"]["status"], "completed");
    assert_eq!(detail["video"]["file_size_bytes"].as_u64(), Some(n as u64));
    assert_eq!(detail["video"]["chunk_count"], 3);
    assert_eq!(detail["interview"]["video_recording_status"], "completed");
    let rows = d1_query(
        srv.server,
        &format!(
            "SELECT video_recording_status AS s, video_recording_url AS u FROM interviews WHERE id = '{id}'"
        ),
    );
    assert_eq!(rows[0]["s"], "completed");
    assert_eq!(rows[0]["u"], format!("/api/v1/videos/{id}/stream"));
}

#[tokio::test]
async fn chunk_rules_refuse_bad_chunks_with_clear_errors() {
    let srv = TestApp::new();
    let (token, id) = consenting(srv).await;
    let video = video_bytes(11, 2 * PART + 10);
    let parts = chunks(&video);

    // Another content type, a missing parameter, a non-video first chunk.
    let resp = srv
        .request(Method::POST, &video_path(&id, "/upload-chunk?chunk_index=0&total_chunks=3"), &token)
        .header("Content-Type", "text/plain")
        .body(parts[0].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    let resp = srv
        .request(Method::POST, &video_path(&id, "/upload-chunk?chunk_index=0"), &token)
        .header("Content-Type", "video/webm")
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["details"][0]["field"], "total_chunks");
    let mut not_webm = parts[0].to_vec();
    not_webm[..4].copy_from_slice(b"%PDF");
    let (status, body) = put_raw(srv, &token, &id, 0, 3, &not_webm).await;
    assert_eq!((status, code(&body)), (415, "UNSUPPORTED_MEDIA_TYPE"));

    // A video that can never fit VIDEO_MAX_BYTES (2 GiB): 1000 chunks of 5 MiB.
    let (status, body) = put_raw(srv, &token, &id, 0, 1000, parts[0]).await;
    assert_eq!((status, code(&body)), (413, "PAYLOAD_TOO_LARGE"));

    // A middle chunk below 5 MiB: 422 naming the chunk.
    let (status, body) = put_raw(srv, &token, &id, 0, 3, parts[0]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = put_raw(srv, &token, &id, 1, 3, &parts[1][..MIB]).await;
    assert_eq!((status, code(&body)), (422, "VALIDATION_ERROR"));
    assert_eq!(body["error"]["details"][0]["field"], "video_chunk");
    // Another total_chunks than the upload's, an index out of range, an empty chunk.
    let (status, body) = put_raw(srv, &token, &id, 1, 4, parts[1]).await;
    assert_eq!((status, code(&body)), (409, "UPLOAD_CONFLICT"));
    let (status, body) = put_raw(srv, &token, &id, 3, 3, parts[1]).await;
    assert_eq!((status, body["error"]["details"][0]["field"].as_str()), (422, Some("chunk_index")));
    let (status, _) = put_raw(srv, &token, &id, 2, 3, &[]).await;
    assert_eq!(status, 422);
    // Nothing bad was recorded.
    let (_, body) = srv.get(&token, &video_path(&id, "/upload-status")).await;
    assert_eq!((body["received"].clone(), body["missing"].clone()), (json!([0]), json!([1, 2])));
}

#[tokio::test]
async fn consent_ownership_and_roles_are_enforced() {
    let srv = TestApp::new();
    let (token, _) = srv.candidate_with_id("Nora Noconsent").await;
    let id = srv.start_id(&token, "python").await;
    let chunk = video_bytes(3, 1000);

    // No consent: 403 for upload, status and metadata.
    let (status, body) = put_raw(srv, &token, &id, 0, 1, &chunk).await;
    assert_eq!((status, code(&body)), (403, "VIDEO_CONSENT_REQUIRED"));
    let (status, body) = srv.get(&token, &video_path(&id, "/upload-status")).await;
    assert_eq!((status, code(&body)), (403, "VIDEO_CONSENT_REQUIRED"));

    // Another candidate's interview looks like no interview at all.
    let (owner, id) = consenting(srv).await;
    let (status, _) = put_raw(srv, &owner, &id, 0, 1, &chunk).await;
    assert_eq!(status, 200);
    let (other, _) = srv.candidate_with_id("Otto Other").await;
    let (status, body) = put_raw(srv, &other, &id, 0, 1, &chunk).await;
    assert_eq!((status, code(&body)), (404, "NOT_FOUND"));
    for tail in ["/upload-status", "", "/stream"] {
        let (status, _) = srv.get(&other, &video_path(&id, tail)).await;
        assert_eq!(status, 404, "GET {tail}");
    }
    assert_eq!(srv.post_empty(&other, &video_path(&id, "/finalize")).await.0, 404);
    assert_eq!(srv.delete(&other, &video_path(&id, "")).await.0, 404);
    // Unknown and malformed ids, and no token.
    let missing = uuid::Uuid::new_v4().to_string();
    assert_eq!(srv.get(&owner, &video_path(&missing, "")).await.0, 404);
    assert_eq!(srv.get(&owner, &video_path("not-a-uuid", "")).await.0, 404);
    let resp = srv.request(Method::GET, &video_path(&id, ""), "").send().await.unwrap();
    assert_eq!(resp.status(), 401);

    // Staff may read but not upload or delete a candidate's video.
    let admin = srv.admin().await;
    let (status, body) = srv.get(&admin, &video_path(&id, "/upload-status")).await;
    assert_eq!((status, body["received"].clone()), (200, json!([0])));
    let (status, _) = put_raw(srv, &admin, &id, 0, 1, &chunk).await;
    assert_eq!(status, 403);
    assert_eq!(srv.delete(&admin, &video_path(&id, "")).await.0, 403);
    // Not finalized yet: no stream.
    assert_eq!(stream(srv, &owner, &id, None).await.0, 404);
}

/// Whether local R2 (Miniflare's object index under the server's state directory) still holds
/// an object under `prefix`.
fn r2_has_objects(srv: TestApp, prefix: &str) -> bool {
    let mut found = false;
    let mut stack = vec![srv.server.state_dir.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "sqlite")
                && path.to_string_lossy().contains("R2BucketObject")
            {
                let conn =
                    rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                        .expect("open r2 index");
                let n: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM _mf_objects WHERE key LIKE ?1",
                        [format!("{prefix}%")],
                        |r| r.get(0),
                    )
                    .unwrap_or(0);
                found |= n > 0;
            }
        }
    }
    found
}

#[tokio::test]
async fn deleting_removes_the_object_and_marks_it_deleted() {
    let srv = TestApp::new();
    let (token, id) = consenting(srv).await;
    let video = video_bytes(21, PART + 77);
    upload_all(srv, &token, &id, &video).await;
    let (status, _, body) = stream(srv, &token, &id, None).await;
    assert!(status == 200 && body == video);
    assert!(r2_has_objects(srv, &format!("videos/{id}/")), "the finished object is in R2");

    let (status, body) = srv.delete(&token, &video_path(&id, "")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("deleted")));
    assert!(!r2_has_objects(srv, &format!("videos/{id}/")), "the object is gone from R2");
    assert_eq!(stream(srv, &token, &id, None).await.0, 404);
    let (status, meta) = srv.get(&token, &video_path(&id, "")).await;
    assert_eq!((status, meta["status"].as_str()), (200, Some("deleted")));
    assert_eq!(srv.delete(&token, &video_path(&id, "")).await.0, 404, "nothing left to delete");
    let rows = d1_query(srv.server,
        &format!(
            "SELECT v.status AS v, v.deleted_at AS d, i.video_recording_status AS i, i.video_recording_url AS u \
             FROM video_recordings v JOIN interviews i ON i.id = v.interview_id WHERE v.interview_id = '{id}'"
        ),
    );
    assert_eq!((rows[0]["v"].as_str(), rows[0]["i"].as_str()), (Some("deleted"), Some("deleted")));
    assert!(rows[0]["d"].is_string() && rows[0]["u"].is_null());

    // Deleting an upload in progress aborts it; a new recording can start afterwards.
    let (status, _) = put_raw(srv, &token, &id, 0, 2, &video[..PART]).await;
    assert_eq!(status, 200);
    let (status, body) = srv.delete(&token, &video_path(&id, "")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("deleted")));
    let (_, body) = srv.get(&token, &video_path(&id, "/upload-status")).await;
    assert_eq!((body["status"].as_str(), body["received"].clone()), (Some("deleted"), json!([])));
    let (status, body) = srv.post_empty(&token, &video_path(&id, "/finalize")).await;
    assert_eq!((status, code(&body)), (409, "UPLOAD_INCOMPLETE"));
}

#[tokio::test]
async fn parallel_chunk_uploads_end_consistent() {
    let srv = TestApp::new();
    let (token, id) = consenting(srv).await;
    let video = video_bytes(42, 3 * PART + 4321);
    let parts = chunks(&video);
    let total = parts.len();
    // Every chunk at once on a fresh upload (each request may try to create the multipart
    // upload), plus a duplicate of one of them.
    let (a, b, c, d, e) = tokio::join!(
        put_raw(srv, &token, &id, 0, total, parts[0]),
        put_raw(srv, &token, &id, 1, total, parts[1]),
        put_multipart(srv, &token, &id, 2, total, parts[2]),
        put_raw(srv, &token, &id, 3, total, parts[3]),
        put_raw(srv, &token, &id, 1, total, parts[1]),
    );
    for (i, (status, body)) in [a, b, c, d, e].into_iter().enumerate() {
        assert_eq!(status, 200, "request {i}: {body}");
    }
    let (_, status) = srv.get(&token, &video_path(&id, "/upload-status")).await;
    assert_eq!((status["received"].clone(), status["missing"].clone()), (json!([0, 1, 2, 3]), json!([])));
    let (status, body) = srv.post_empty(&token, &video_path(&id, "/finalize")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["file_size_bytes"].as_u64(), Some(video.len() as u64));
    let (status, _, body) = stream(srv, &token, &id, None).await;
    assert_eq!(status, 200);
    assert!(body == video, "parallel chunks assemble into exactly the uploaded video");

    // Small first requests race harder (their bodies arrive at once): six copies of the last
    // chunk open a fresh upload together. Whatever number of multipart uploads they create, one
    // is kept, the others are aborted, and the video still assembles exactly.
    let (token, id) = consenting(srv).await;
    let video = video_bytes(43, PART + 999);
    let parts = chunks(&video);
    let send = || put_raw(srv, &token, &id, 1, 2, parts[1]);
    let results = tokio::join!(send(), send(), send(), send(), send(), send());
    for (status, body) in [results.0, results.1, results.2, results.3, results.4, results.5] {
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["total_uploaded"], 1, "{body}");
    }
    let (_, status) = srv.get(&token, &video_path(&id, "/upload-status")).await;
    assert_eq!((status["received"].clone(), status["missing"].clone()), (json!([1]), json!([0])));
    upload_all_from(srv, &token, &id, &video, 0, 1).await;
    let (status, _, body) = stream(srv, &token, &id, None).await;
    assert!(status == 200 && body == video);
    let logs = srv.server.logs();
    assert!(!logs.contains("\"context\":\"r2 upload part\""), "no part upload failed");
    eprintln!("duplicate uploads aborted: {}", logs.matches("video_upload_duplicate_aborted").count());
}

#[tokio::test]
async fn the_retention_job_deletes_expired_videos_and_aborts_idle_uploads() {
    // Its own server: a retention of 0.00001 days (0.864 s) and an idle window of 0.0003 h
    // (1.08 s), so the shared server's videos are never touched.
    let srv = TestApp::with(&[("VIDEO_RETENTION_DAYS", "0.00001"), ("VIDEO_UPLOAD_IDLE_HOURS", "0.0003")]);
    let (token, done) = consenting(srv).await;
    let video = video_bytes(5, 4096);
    upload_all(srv, &token, &done, &video).await;
    let (token2, idle) = consenting(srv).await;
    let (status, _) = put_raw(srv, &token2, &idle, 0, 2, &video_bytes(6, PART)).await;
    assert_eq!(status, 200);
    assert!(r2_has_objects(srv, &format!("videos/{done}/")));
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let resp = srv.request(Method::GET, &format!("/__scheduled?cron={DAILY_CRON}"), "").send().await.unwrap();
    assert!(resp.status().is_success(), "cron trigger");
    // The scheduled handler may finish after the trigger answers: poll job_runs.
    let mut details = Value::Null;
    for _ in 0..40 {
        let rows = d1_query(
            srv.server,
            "SELECT details FROM job_runs WHERE job = 'video_retention' ORDER BY id DESC LIMIT 1",
        );
        if let Some(text) = rows.first().and_then(|r| r["details"].as_str()) {
            details = serde_json::from_str(text).unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(details["videos_deleted"], 1, "{details}");
    assert_eq!(details["uploads_aborted"], 1, "{details}");
    assert_eq!(details["failed"], 0, "{details}");

    assert_eq!(stream(srv, &token, &done, None).await.0, 404);
    let (_, meta) = srv.get(&token, &video_path(&done, "")).await;
    assert_eq!(meta["status"], "deleted");
    assert!(!r2_has_objects(srv, &format!("videos/{done}/")), "the expired object is gone from R2");
    let (_, status) = srv.get(&token2, &video_path(&idle, "/upload-status")).await;
    assert_eq!((status["status"].as_str(), status["upload_id"].clone()), (Some("deleted"), Value::Null));
    let rows = d1_query(srv.server,
        &format!("SELECT interview_id AS i, status AS s FROM video_recordings WHERE interview_id IN ('{done}', '{idle}')"),
    );
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["s"] == "deleted"), "{rows:?}");
}
