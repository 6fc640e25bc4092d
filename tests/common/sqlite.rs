//! A fresh in-memory SQLite (the engine D1 runs) with every D1 migration applied in order, for the
//! tests that inspect the schema or its query plans without a server.

use rusqlite::Connection;

/// The D1 migrations (`migrations/*.sql`, not the Postgres folder), applied to a new database.
pub fn migrated() -> Connection {
    let conn = Connection::open_in_memory().expect("sqlite");
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no migrations found");
    for f in files {
        conn.execute_batch(&std::fs::read_to_string(&f).expect("read"))
            .unwrap_or_else(|e| panic!("{f:?}: {e}"));
    }
    conn
}
