//! A fake OpenAI-compatible server for the integration tests (scaffold: later issues add chat
//! completions with structured output, transcription, speech and the Realtime WebSocket).
//!
//! It listens on a free loopback port, counts requests per path, and can inject latency and
//! failures, so tests point the Worker at it with `--var OPENAI_BASE_URL:http://127.0.0.1:P/v1`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the fake answers and how.
#[derive(Debug, Default)]
pub struct Behaviour {
    /// Added before every answer.
    pub latency: Duration,
    /// Statuses to answer with, in order, before answering normally (e.g. `[429, 500]`).
    pub fail_with: Vec<u16>,
}

/// A running fake.
pub struct FakeOpenAi {
    pub base_url: String,
    pub behaviour: Arc<Mutex<Behaviour>>,
    pub calls: Arc<Mutex<HashMap<String, usize>>>,
}

impl FakeOpenAi {
    /// Starts the fake on a free loopback port, on the current tokio runtime.
    pub async fn start() -> FakeOpenAi {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind fake");
        let port = listener.local_addr().expect("addr").port();
        let behaviour = Arc::new(Mutex::new(Behaviour::default()));
        let calls = Arc::new(Mutex::new(HashMap::new()));
        let (b, c) = (behaviour.clone(), calls.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (b, c) = (b.clone(), c.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let Ok(n) = socket.read(&mut buf).await else { return };
                    let head = String::from_utf8_lossy(&buf[..n]).to_string();
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    *c.lock().expect("lock").entry(path).or_default() += 1;
                    let (latency, status) = {
                        let mut b = b.lock().expect("lock");
                        let status = if b.fail_with.is_empty() { 200 } else { b.fail_with.remove(0) };
                        (b.latency, status)
                    };
                    tokio::time::sleep(latency).await;
                    let body = if status == 200 {
                        r#"{"object":"list","data":[]}"#.to_owned()
                    } else {
                        format!(r#"{{"error":{{"message":"injected {status}","type":"server_error"}}}}"#)
                    };
                    let response = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        FakeOpenAi { base_url: format!("http://127.0.0.1:{port}/v1"), behaviour, calls }
    }

    /// How many requests reached `path` (e.g. `/v1/models`).
    pub fn calls_to(&self, path: &str) -> usize {
        self.calls.lock().expect("lock").get(path).copied().unwrap_or(0)
    }
}
