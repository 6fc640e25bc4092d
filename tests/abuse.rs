//! Abuse limits end to end against `wrangler dev` (docs/security.md): bodies read with a hard cap
//! whatever the headers say, and the quotas (résumés per candidate, résumé bytes per day, uploads
//! per hour, realtime tickets per minute, video bytes per day) at small configured limits.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::app::{error_code, send};
use common::{unique_ip, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: usize = 1024 * 1024;

/// One server for every quota: small limits so each test reaches them in a few requests.
fn app() -> TestApp {
    TestApp::with(&[
        ("RESUMES_PER_CANDIDATE", "3"),
        ("RESUME_UPLOADS_PER_HOUR", "4"),
        ("RESUME_BYTES_PER_DAY", "5000"),
        ("REALTIME_TICKETS_PER_MINUTE", "3"),
        ("VIDEO_BYTES_PER_DAY", "12582912"),
    ])
}

// ------------------------------------------------------------------------------------ bodies

/// What the client saw of one trickled request.
struct Trickled {
    status: u16,
    body: Value,
    /// Body bytes the client had produced when the response head arrived.
    sent_at_response: usize,
    /// The whole body's length.
    total: usize,
    elapsed: Duration,
}

/// POSTs `total` bytes of JSON-ish filler to `path` with `Transfer-Encoding: chunked` and no
/// `Content-Length`, 64 KiB every 20 ms (so 8 MiB takes about 2.6 s to send), over a raw socket;
/// the writer runs concurrently with the reader and counts what it has sent.
async fn trickle(path: &str, total: usize) -> Trickled {
    trickle_with(path, "Content-Type: application/json\r\n", b"", total).await
}

/// [`trickle`] with extra header lines and a `prefix` sent first (filler after it).
///
/// A server that answers before the body ends and then closes sends a TCP reset when more of the
/// body arrives, and the reset may erase the answer from the client's receive buffer before it
/// is read (RFC 9112 §9.6: why servers linger). Which comes first is a race between the
/// client's writer and reader, so an attempt reset before the response head is tried again, at
/// most three times; a server that resets every time still fails.
async fn trickle_with(path: &str, headers: &str, prefix: &[u8], total: usize) -> Trickled {
    let mut attempt = 1;
    loop {
        match trickle_once(path, headers, prefix, total).await {
            Ok(t) => return t,
            Err(e) if attempt < 3 && e.kind() == std::io::ErrorKind::ConnectionReset => {
                eprintln!("attempt {attempt}: reset before the response head ({e}); again");
                attempt += 1;
            }
            Err(e) => panic!("read: {e:?}"),
        }
    }
}

/// One attempt of [`trickle_with`]: `Err` only when reading the response head failed.
async fn trickle_once(path: &str, headers: &str, prefix: &[u8], total: usize) -> std::io::Result<Trickled> {
    let addr = format!("127.0.0.1:{}", app().server.port);
    let stream = tokio::net::TcpStream::connect(&addr).await.expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let sent = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (sent_w, stop_w) = (sent.clone(), stop.clone());
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}\
         CF-Connecting-IP: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        unique_ip()
    );
    let prefix = prefix.to_vec();
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        if wr.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        if !prefix.is_empty() {
            let frame = [format!("{:x}\r\n", prefix.len()).as_bytes(), &prefix, b"\r\n"].concat();
            if wr.write_all(&frame).await.is_err() {
                return;
            }
        }
        let chunk = vec![b' '; 64 * 1024];
        while sent_w.load(Ordering::SeqCst) < total && !stop_w.load(Ordering::SeqCst) {
            let n = chunk.len().min(total - sent_w.load(Ordering::SeqCst));
            let frame = [format!("{n:x}\r\n").as_bytes(), &chunk[..n], b"\r\n"].concat();
            if wr.write_all(&frame).await.is_err() {
                return; // the server closed the connection: it stopped reading
            }
            sent_w.fetch_add(n, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = wr.write_all(b"0\r\n\r\n").await;
    });
    // Read the response head as soon as it arrives.
    let mut buf = Vec::new();
    let mut byte = [0u8; 4096];
    let head_end = loop {
        let read = tokio::time::timeout(Duration::from_secs(60), rd.read(&mut byte))
            .await
            .expect("a response within 60 s");
        let n = match read {
            Ok(n) => n,
            Err(e) => {
                writer.abort();
                return Err(e);
            }
        };
        assert!(n > 0, "the server closed without answering");
        buf.extend_from_slice(&byte[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let sent_at_response = sent.load(Ordering::SeqCst);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let head_text = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status: u16 = head_text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    // The rest of the (small) body: until the server closes or 5 s pass.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(n) = rd.read(&mut byte).await {
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&byte[..n]);
            if serde_json::from_slice::<Value>(dechunk(&buf[head_end..]).as_slice()).is_ok() {
                break;
            }
        }
    })
    .await;
    writer.abort();
    let body = serde_json::from_slice(&dechunk(&buf[head_end..])).unwrap_or(Value::Null);
    Ok(Trickled { status, body, sent_at_response, total, elapsed })
}

/// The payload of a body that may be chunked (or plain).
fn dechunk(raw: &[u8]) -> Vec<u8> {
    if raw.first() == Some(&b'{') {
        return raw.to_vec();
    }
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        let Ok(size) = usize::from_str_radix(String::from_utf8_lossy(&rest[..i]).trim(), 16) else { break };
        if size == 0 || rest.len() < i + 2 + size {
            break;
        }
        out.extend_from_slice(&rest[i + 2..i + 2 + size]);
        rest = &rest[(i + 4 + size).min(rest.len())..];
    }
    out
}

/// The attack: an 8 MiB chunked body (no `Content-Length`) to unauthenticated login.
///
/// What proves "without reading past the cap": the client trickles the body (64 KiB per 20 ms,
/// about 2.6 s for 8 MiB) and records how much it had sent when the response arrived. A Worker
/// that read the whole body before checking its size (the old `req.bytes()`) could not answer
/// before the last byte was sent, so it would see all 8 MiB sent and at least ~2.6 s elapsed.
/// Reading as a stream and stopping at 64 KiB + 1 answers after the first few chunks.
#[tokio::test]
async fn a_chunked_8_mib_login_body_is_refused_at_the_cap_before_it_is_sent() {
    let t = trickle("/api/v1/auth/login", 8 * MIB).await;
    eprintln!("413 after {} of {} bytes sent, in {:?}", t.sent_at_response, t.total, t.elapsed);
    assert_eq!(t.status, 413, "{}", t.body);
    assert_eq!(error_code(&t.body), "PAYLOAD_TOO_LARGE", "{}", t.body);
    assert!(
        t.sent_at_response < t.total / 4,
        "the response came after {} of {} bytes were sent ({:?}): the body was read past the cap",
        t.sent_at_response,
        t.total,
        t.elapsed
    );
    assert!(t.elapsed < Duration::from_secs(2), "answered in {:?}", t.elapsed);
}

/// A body the Worker answers without reading (401 before authentication, 404, 413 by the
/// declared length) leaves the server answering the requests after it (a known `wrangler dev`
/// failure mode otherwise: the next request fails with a 500 "Network connection lost",
/// workers-sdk#15203).
#[tokio::test]
async fn requests_after_unread_bodies_are_answered() {
    let body = "x".repeat(100_000);
    let refused = [
        (Method::POST, "/api/v1/interviews/start", 401),
        (Method::PATCH, "/api/v1/no-such-route", 404),
        (Method::POST, "/api/v1/auth/login", 413),
    ];
    for round in 0..10 {
        for (method, path, expected) in &refused {
            let req = app()
                .request(method.clone(), path, "")
                .header("Content-Type", "application/json")
                .header("CF-Connecting-IP", unique_ip())
                .body(body.clone());
            let (status, answer) = send(req).await;
            assert_eq!(status, *expected, "round {round}: {method} {path}: {answer}");
            let (status, answer) = app().get("", "/health").await;
            assert_eq!(status, 200, "round {round}: /health after {method} {path}: {answer}");
        }
    }
}

/// The same stream cap serves every JSON route (register too), and a chunked body within the
/// cap is read whole.
#[tokio::test]
async fn chunked_bodies_within_the_cap_are_read_and_above_it_refused_on_every_json_route() {
    let t = trickle("/api/v1/auth/register", 2 * MIB).await;
    assert_eq!((t.status, error_code(&t.body)), (413, "PAYLOAD_TOO_LARGE"), "{}", t.body);
    assert!(t.sent_at_response < t.total, "answered before the body ended");
    // 100 KiB of spaces is over 64 KiB: 413 even though it is small.
    let t = trickle("/api/v1/auth/login", 100 * 1024).await;
    assert_eq!((t.status, error_code(&t.body)), (413, "PAYLOAD_TOO_LARGE"), "{}", t.body);
    // 32 KiB of spaces is whitespace only: read whole, then refused as JSON (400), not as size.
    let t = trickle("/api/v1/auth/login", 32 * 1024).await;
    assert_eq!((t.status, error_code(&t.body)), (400, "MALFORMED_JSON"), "{}", t.body);
}

/// A multipart résumé upload with no `Content-Length` is read under the 10 MiB cap too: 24 MiB
/// trickled (about 7.7 s to send) are refused after about 10 MiB, and nothing is stored.
#[tokio::test]
async fn a_chunked_oversized_resume_upload_is_refused_at_the_cap() {
    let token = app().candidate().await;
    let boundary = "----capped";
    let prefix = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cv.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    );
    let headers = format!(
        "Content-Type: multipart/form-data; boundary={boundary}\r\nAuthorization: Bearer {token}\r\n"
    );
    let t = trickle_with("/api/v1/resumes", &headers, prefix.as_bytes(), 24 * MIB).await;
    assert_eq!((t.status, error_code(&t.body)), (413, "PAYLOAD_TOO_LARGE"), "{}", t.body);
    assert!(
        t.sent_at_response < 16 * MIB,
        "the response came after {} of {} bytes ({:?}): read past the cap",
        t.sent_at_response,
        t.total,
        t.elapsed
    );
    let (status, list) = app().get(&token, "/api/v1/resumes").await;
    assert_eq!((status, list["total_count"].as_u64()), (200, Some(0)), "nothing stored: {list}");
}

// ------------------------------------------------------------------------------------ quotas

/// A plain-text résumé of `len` bytes.
fn resume(len: usize) -> Vec<u8> {
    let line = b"Jane Doe - Software Engineer. Skills: Rust, TypeScript, SQL, React.\n";
    line.iter().copied().cycle().take(len).collect()
}

async fn upload(token: &str, len: usize) -> (u16, Value) {
    app().upload_resume(token, &resume(len), "cv.txt", "text/plain").await
}

/// `RESUMES_PER_CANDIDATE` = 3 and `RESUME_UPLOADS_PER_HOUR` = 4: three uploads are stored, the
/// fourth is over the count (429 `QUOTA_EXCEEDED`, nothing stored), the fifth over the hourly
/// rate (429 `RATE_LIMITED` with `Retry-After`), checked before the body is read.
#[tokio::test]
async fn resume_count_and_hourly_upload_quotas() {
    let token = app().candidate().await;
    for i in 0..3 {
        let (status, body) = upload(&token, 200).await;
        assert_eq!(status, 202, "upload {i}: {body}");
    }
    let (status, body) = upload(&token, 200).await;
    assert_eq!((status, error_code(&body)), (429, "QUOTA_EXCEEDED"), "{body}");
    let resp = app()
        .request(Method::POST, "/api/v1/resumes", &token)
        .header(
            "Content-Type",
            common::app::multipart(&[("file", Some(("cv.txt", "text/plain")), &resume(200))]).0,
        )
        .body(Vec::new())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "one upload per 15 min refills: {retry}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&body), "RATE_LIMITED", "{body}");
    let (_, list) = app().get(&token, "/api/v1/resumes").await;
    assert_eq!(list["total_count"], 3, "{list}");
    // Another candidate is unaffected.
    let other = app().candidate().await;
    assert_eq!(upload(&other, 200).await.0, 202);
}

/// `RESUME_BYTES_PER_DAY` = 5000: 3000 bytes fit; another 3000 do not (429 `QUOTA_EXCEEDED`,
/// decided by the conditional insert, and the stored object is removed); 1500 more still fit.
#[tokio::test]
async fn resume_bytes_per_day_quota() {
    let token = app().candidate().await;
    assert_eq!(upload(&token, 3000).await.0, 202);
    let (status, body) = upload(&token, 3000).await;
    assert_eq!((status, error_code(&body)), (429, "QUOTA_EXCEEDED"), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("5000"), "{body}");
    let (status, body) = upload(&token, 1500).await;
    assert_eq!(status, 202, "{body}");
    let (_, list) = app().get(&token, "/api/v1/resumes").await;
    assert_eq!(list["total_count"], 2, "the refused upload is not stored: {list}");
    // 4500 of 5000 used: the pre-check passes, the insert refuses.
    let (status, body) = upload(&token, 600).await;
    assert_eq!((status, error_code(&body)), (429, "QUOTA_EXCEEDED"), "{body}");
}

/// `REALTIME_TICKETS_PER_MINUTE` = 3 per user: the fourth ticket in a minute is 429 with
/// `Retry-After`; another user still gets tickets.
#[tokio::test]
async fn realtime_tickets_per_minute_quota() {
    let token = app().candidate().await;
    let id = app().start_id(&token, "react").await;
    for i in 0..3 {
        let (status, body) = app().ticket(&token, &id).await;
        assert_eq!(status, 200, "ticket {i}: {body}");
    }
    let resp = app()
        .request(Method::POST, &format!("/api/v1/interviews/{id}/realtime-ticket"), &token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    assert_eq!(error_code(&resp.json::<Value>().await.unwrap()), "RATE_LIMITED");
    let other = app().candidate().await;
    let other_id = app().start_id(&other, "react").await;
    assert_eq!(app().ticket(&other, &other_id).await.0, 200);
}

/// A raw video chunk.
async fn chunk(token: &str, id: &str, index: usize, total: usize, bytes: Vec<u8>) -> (u16, Value) {
    let path = format!("/api/v1/videos/{id}/upload-chunk?chunk_index={index}&total_chunks={total}");
    send(app().request(Method::POST, &path, token).header("Content-Type", "video/webm").body(bytes)).await
}

fn webm(len: usize) -> Vec<u8> {
    let mut v = vec![0x42; len];
    v[..4].copy_from_slice(&[0x1A, 0x45, 0xDF, 0xA3]);
    v
}

/// `VIDEO_BYTES_PER_DAY` = 12 MiB per candidate, over all interviews: two 5 MiB chunks pass, a
/// third 5 MiB chunk (another interview) is 429 `RATE_LIMITED` with `Retry-After`; the 2 MiB
/// left still fit; one chunk larger than the whole day's quota is 413. (Per interview,
/// `VIDEO_MAX_BYTES` is enforced by the interview's DO: tests/videos.rs.)
#[tokio::test]
async fn video_bytes_per_day_quota() {
    let token = app().candidate().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = app().start_id(&token, "react").await;
        let (status, body) = app()
            .post(&token, &format!("/api/v1/interviews/{id}/video-consent"), &json!({"consent": true}))
            .await;
        assert_eq!(status, 200, "consent: {body}");
        ids.push(id);
    }
    assert_eq!(chunk(&token, &ids[0], 0, 3, webm(5 * MIB)).await.0, 200);
    assert_eq!(chunk(&token, &ids[0], 1, 3, webm(5 * MIB)).await.0, 200);
    let path = format!("/api/v1/videos/{}/upload-chunk?chunk_index=0&total_chunks=2", ids[1]);
    let resp = app()
        .request(Method::POST, &path, &token)
        .header("Content-Type", "video/webm")
        .body(webm(5 * MIB))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 3600, "3 MiB of a 12 MiB/day quota take hours to refill: {retry}");
    assert_eq!(error_code(&resp.json::<Value>().await.unwrap()), "RATE_LIMITED");
    let (status, body) = chunk(&token, &ids[0], 2, 3, webm(2 * MIB - 1024)).await;
    assert_eq!(status, 200, "what is left of the day still fits: {body}");
    let other = app().candidate().await;
    let id = app().start_id(&other, "react").await;
    app().post(&other, &format!("/api/v1/interviews/{id}/video-consent"), &json!({"consent": true})).await;
    let (status, body) = chunk(&other, &id, 0, 1, webm(13 * MIB)).await;
    assert_eq!((status, error_code(&body)), (413, "PAYLOAD_TOO_LARGE"), "{body}");
}
