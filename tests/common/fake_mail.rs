//! A fake HTTP email API (the `MAILER = "http"` provider) for the mail tests: one per test
//! binary, on a free local port.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

/// Answers 503 to the first two attempts for an address containing `flaky`, 422 (refused) for
/// one containing `bounce`, 202 otherwise; records what it accepted.
pub struct FakeMailApi {
    pub port: u16,
    accepted: Mutex<Vec<Value>>,
    attempts: Mutex<Vec<String>>,
}

impl FakeMailApi {
    /// The `MAIL_API_URL` to configure.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/emails", self.port)
    }

    /// The messages it accepted for `to`.
    pub fn accepted_for(&self, to: &str) -> Vec<Value> {
        self.accepted.lock().unwrap().iter().filter(|m| m["to"][0] == to).cloned().collect()
    }
}

/// The binary's fake mail API, started on first use.
pub fn fake_mail_api() -> &'static FakeMailApi {
    static API: OnceLock<&'static FakeMailApi> = OnceLock::new();
    API.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let api: &'static FakeMailApi = Box::leak(Box::new(FakeMailApi {
            port: listener.local_addr().expect("addr").port(),
            accepted: Mutex::new(Vec::new()),
            attempts: Mutex::new(Vec::new()),
        }));
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let _ = stream.set_nodelay(true);
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let body = loop {
                    let n = stream.read(&mut chunk).unwrap_or(0);
                    if n == 0 {
                        break None;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break Some(buf[end + 4..end + 4 + len].to_vec());
                    }
                };
                let Some(body) = body else { continue };
                let message: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let to = message["to"][0].as_str().unwrap_or_default().to_owned();
                let tries = {
                    let mut attempts = api.attempts.lock().unwrap();
                    attempts.push(to.clone());
                    attempts.iter().filter(|a| **a == to).count()
                };
                let status = if to.contains("bounce") {
                    "422 Unprocessable Entity"
                } else if to.contains("flaky") && tries <= 2 {
                    "503 Service Unavailable"
                } else {
                    api.accepted.lock().unwrap().push(message);
                    "202 Accepted"
                };
                let reply = format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}");
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        api
    })
}
