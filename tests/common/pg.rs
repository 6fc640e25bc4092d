//! A throwaway PostgreSQL cluster for a test (`scripts/pg`, docs/postgres.md), driven through the
//! `psql` CLI (no Rust driver in the tests). Stopped, and its directory removed, when dropped; if
//! the test binary is killed, `scripts/pg`'s `--owner` watchdog stops it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A running cluster with the product's Postgres migrations optionally applied.
pub struct Cluster {
    pub url: String,
    dir: PathBuf,
}

fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether Debian's PostgreSQL server and `psql` are installed.
fn installed() -> bool {
    let server = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().any(|e| e.path().join("bin/initdb").exists()))
        .unwrap_or(false);
    let client =
        Command::new("psql").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    server && client
}

impl Cluster {
    /// Starts a cluster, or returns `None` (printing why) when PostgreSQL is not installed and
    /// `CI` is not set. In CI a missing PostgreSQL fails the test.
    pub fn start(name: &str) -> Option<Cluster> {
        if !installed() {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL is not installed (scripts/setup installs Debian's postgresql) and CI is set"
            );
            println!(
                "skipped: PostgreSQL is not installed (run scripts/setup, or apt-get install postgresql)"
            );
            return None;
        }
        let dir = std::env::temp_dir().join(format!("interview-edge-pg-{name}-{}", std::process::id()));
        let out = Command::new("bash")
            .arg(project_root().join("scripts/pg"))
            .args(["start", "--dir"])
            .arg(&dir)
            .args(["--owner", &std::process::id().to_string()])
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/pg start");
        assert!(out.status.success(), "scripts/pg start failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(url.starts_with("postgres://app:"), "connection string: {url}");
        Some(Cluster { url, dir })
    }

    /// The cluster's directory (data, socket, log, password).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `scripts/pg` with `args`, which must succeed; its error output (progress lines).
    fn script(&self, args: &[&std::ffi::OsStr]) -> String {
        let out = Command::new("bash")
            .arg(project_root().join("scripts/pg"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/pg");
        assert!(
            out.status.success(),
            "scripts/pg {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Applies `migrations/postgres/*.sql` (`scripts/pg migrate`).
    pub fn migrate(&self) -> String {
        self.script(&["migrate".as_ref(), self.url.as_ref()])
    }

    /// Stops the server and keeps its data: an outage (`scripts/pg pause`).
    pub fn pause(&self) {
        self.script(&["pause".as_ref(), "--dir".as_ref(), self.dir.as_os_str()]);
    }

    /// Starts a paused server again on the same port (`scripts/pg resume`).
    pub fn resume(&self) {
        self.script(&["resume".as_ref(), "--dir".as_ref(), self.dir.as_os_str()]);
    }

    /// Runs `sql` (one or more statements) and returns psql's unaligned, tuples-only output,
    /// or psql's error output.
    pub fn try_psql(&self, sql: &str) -> Result<String, String> {
        let out = Command::new("psql")
            .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", &self.url, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .expect("run psql");
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// [`Cluster::try_psql`] that must succeed.
    pub fn psql(&self, sql: &str) -> String {
        self.try_psql(sql).unwrap_or_else(|e| panic!("psql failed: {e}\n{sql}"))
    }

    /// Runs a SQL file with psql (stops at the first error).
    pub fn psql_file(&self, file: &Path) {
        let out = Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", &self.url, "-f"])
            .arg(file)
            .stdin(Stdio::null())
            .output()
            .expect("run psql -f");
        assert!(out.status.success(), "psql -f {file:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }

    /// The rows of a query, through `json_agg` (so text needs no escaping).
    pub fn json_rows(&self, select: &str) -> Vec<serde_json::Value> {
        let out = self.psql(&format!("SELECT coalesce(json_agg(q), '[]') FROM ({select}) q"));
        match serde_json::from_str(&out).expect("json_agg output") {
            serde_json::Value::Array(rows) => rows,
            other => panic!("not an array: {other}"),
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(project_root().join("scripts/pg"))
            .args(["stop", "--dir"])
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
