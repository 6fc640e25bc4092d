//! Starts the bench-only relay controls (`controls.mjs` beside this file, issue #16) under their own
//! `wrangler dev -c tests/relay_bench/controls.toml` on a free loopback port, relaying to the
//! fake upstream; killed (its whole process group) when dropped. Used by `tests/relay_bench.rs`
//! only; the product's Worker never contains the controls.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Controls {
    pub port: u16,
    child: Child,
    state_dir: PathBuf,
}

impl Controls {
    /// Starts the controls relaying to `upstream_url` with `Authorization: Bearer key`.
    pub async fn start(upstream_url: &str, key: &str) -> Controls {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        let state_dir = root.join("tests/.state").join(format!("relay-controls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state_dir);
        std::fs::create_dir_all(&state_dir).expect("state dir");
        let path = format!(
            "{}:{}",
            root.join("node_modules/.bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new(root.join("node_modules/.bin/wrangler"));
        cmd.current_dir(&root)
            .env("PATH", path)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("X_LOCAL_OBSERVABILITY", "false") // as the harness (tests/common/mod.rs)
            .env("NO_COLOR", "1")
            .args(["dev", "-c", "tests/relay_bench/controls.toml", "--local", "--ip", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--inspector-port", "0"])
            .args(["--show-interactive-dev-session=false", "--persist-to"])
            .arg(&state_dir)
            .args(["--var", &format!("UPSTREAM_URL:{upstream_url}"), "--var", &format!("UPSTREAM_KEY:{key}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let child = cmd.spawn().expect("spawn wrangler dev for the relay controls");
        let controls = Controls { port, child, state_dir };
        let health = format!("http://127.0.0.1:{port}/health");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
                return controls;
            }
            assert!(Instant::now() < deadline, "the relay controls did not start in 120 s");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Controls {
    fn drop(&mut self) {
        let pgid = self.child.id();
        if pgid > 1 {
            // Only while the group still holds a wrangler/workerd process (see tests/common).
            let script = format!("pgrep -g {pgid} -f 'wrangler|workerd' >/dev/null && kill -TERM -{pgid}");
            let _ = Command::new("sh").args(["-c", &script]).status();
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}
