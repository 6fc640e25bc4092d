//! A local HTTP receiver for the Worker's outgoing webhooks (résumé feedback, ATS events): it
//! records every delivery (headers, body, the status it answered) and can be told to fail the
//! next N deliveries of one key, to exercise retries.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

/// One delivery as received.
#[derive(Clone, Debug)]
pub struct Hook {
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
    pub body: String,
    /// What the receiver answered.
    pub status: u16,
}

impl Hook {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

pub struct Receiver {
    /// The URL to register with the Worker.
    pub url: String,
    received: Mutex<Vec<Hook>>,
    /// Deliveries still to fail, per key.
    failures: Mutex<HashMap<String, u32>>,
    key: fn(&Value) -> String,
    fail_status: u16,
}

/// Starts a receiver serving `path` (any path is accepted; `path` only shapes the URL). `key`
/// names the failure counter a delivery draws from (e.g. its résumé id; a constant for one shared
/// counter); a failed delivery is answered `fail_status`, others 200.
pub fn start(path: &str, key: fn(&Value) -> String, fail_status: u16) -> &'static Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind receiver");
    let port = listener.local_addr().expect("addr").port();
    let receiver: &'static Receiver = Box::leak(Box::new(Receiver {
        url: format!("http://127.0.0.1:{port}{path}"),
        received: Mutex::new(Vec::new()),
        failures: Mutex::new(HashMap::new()),
        key,
        fail_status,
    }));
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || receiver.serve(stream));
        }
    });
    receiver
}

impl Receiver {
    /// Answers the next `n` deliveries whose key is `key` with the failure status.
    pub fn fail_next(&self, key: &str, n: u32) {
        self.failures.lock().unwrap().insert(key.to_owned(), n);
    }

    /// The deliveries so far whose JSON body matches `pred`, in arrival order.
    pub fn hooks(&self, pred: impl Fn(&Value) -> bool) -> Vec<Hook> {
        self.received.lock().unwrap().iter().filter(|h| pred(&h.json())).cloned().collect()
    }

    fn serve(&self, mut stream: std::net::TcpStream) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut headers = HashMap::new();
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let body = String::from_utf8_lossy(&body).into_owned();
        let key = (self.key)(&serde_json::from_str(&body).unwrap_or(Value::Null));
        let fail = match self.failures.lock().unwrap().get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        };
        let status = if fail { self.fail_status } else { 200 };
        self.received.lock().unwrap().push(Hook { headers, body, status });
        let reason = if fail { "Failed" } else { "OK" };
        let _ =
            write!(stream, "HTTP/1.1 {status} {reason}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    }
}
