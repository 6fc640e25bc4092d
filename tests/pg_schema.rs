//! The Postgres schema (migrations/postgres/) is the D1 schema (migrations/) in native types
//! (docs/postgres.md): a throwaway cluster (`scripts/pg`) and a fresh in-memory SQLite are both
//! migrated, then compared through their catalogs — the same tables, the same columns per table
//! with mapped types and nullability, the same unique keys (by column set), the same foreign keys,
//! the same named indexes (columns, order, partial or not), the same enum CHECK lists and the
//! D1 triggers. Also: the audit trail refuses UPDATE, DELETE and TRUNCATE on Postgres, migrating
//! twice applies nothing twice, and the recruiter list queries walk their indexes (`EXPLAIN`,
//! like tests/query_plans.rs for D1).
//!
//! Skips (with a printed reason) only when PostgreSQL is not installed and `CI` is unset.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::pg::Cluster;
use interview_edge::config::DEFAULT_ORG_ID;
use interview_edge::http::listing::{CandidateFilters, InterviewFilters};
use interview_edge::store::listing::{candidates_query, interviews_query, Param};
use rusqlite::Connection;
use serde_json::Value;

fn sqlite() -> Connection {
    common::sqlite::migrated()
}

fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).expect("prepare");
    stmt.query_map([], |r| r.get::<_, String>(0)).expect("query").map(|r| r.expect("row")).collect()
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// One column as both sides describe it: (type family, not null).
type Columns = BTreeMap<String, (String, bool)>;
/// One named index: (columns with " DESC" where descending, partial).
type Indexes = BTreeMap<String, (Vec<String>, bool)>;
/// One foreign key: (from columns, referenced table, referenced columns, on delete).
type ForeignKey = (Vec<String>, String, Vec<String>, String);

struct Schema {
    columns: BTreeMap<String, Columns>,
    uniques: BTreeMap<String, BTreeSet<Vec<String>>>,
    foreign_keys: BTreeMap<String, BTreeSet<ForeignKey>>,
    indexes: BTreeMap<String, Indexes>,
    /// (table, column) → the values its CHECK lists.
    enums: BTreeMap<(String, String), BTreeSet<String>>,
    triggers: BTreeSet<String>,
}

/// The Postgres type a D1 column must have (docs/postgres.md#schema-mapping). Returns the set
/// of acceptable Postgres types.
fn expected_pg_types(table_sql: &str, column: &str, d1_type: &str) -> &'static [&'static str] {
    let sql = table_sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match d1_type {
        "REAL" => &["double precision"],
        "INTEGER" if sql.contains(&format!("{column} IN (0, 1)")) => &["boolean"],
        "INTEGER" => &["integer", "bigint"],
        "TEXT" if sql.contains(&format!("json_valid({column})")) => &["jsonb"],
        "TEXT" if column.ends_with("_at") || column == "deadline" || column == "locked_until" => {
            &["timestamp with time zone"]
        }
        "TEXT" => &["text", "uuid"],
        other => panic!("unexpected D1 type {other} for {column}"),
    }
}

fn d1_schema(conn: &Connection) -> (Schema, BTreeMap<String, String>) {
    let tables = strings(
        conn,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    );
    let mut out = Schema {
        columns: BTreeMap::new(),
        uniques: BTreeMap::new(),
        foreign_keys: BTreeMap::new(),
        indexes: BTreeMap::new(),
        enums: BTreeMap::new(),
        triggers: strings(conn, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .into_iter()
            .collect(),
    };
    let mut sqls = BTreeMap::new();
    let enum_list = regex_lite_in_lists;
    for t in tables {
        let sql: String = conn
            .query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1", [&t], |r| r.get(0))
            .expect("table sql");
        let mut cols = Columns::new();
        let mut pk: Vec<(i64, String)> = Vec::new();
        let mut stmt = conn.prepare(&format!("PRAGMA table_info({t})")).expect("table_info");
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .expect("columns");
        for row in rows {
            let (name, ty, notnull, pk_index) = row.expect("column");
            if pk_index > 0 {
                pk.push((pk_index, name.clone()));
            }
            // D1 only declares NOT NULL on non-key columns (a TEXT primary key is nullable in
            // SQLite); key columns are compared as NOT NULL.
            cols.insert(name, (ty, notnull || pk_index > 0));
        }
        pk.sort();
        let mut uniques: BTreeSet<Vec<String>> = BTreeSet::new();
        uniques.insert(sorted(pk.into_iter().map(|(_, n)| n).collect()));
        let mut indexes = Indexes::new();
        let mut stmt = conn.prepare(&format!("PRAGMA index_list({t})")).expect("index_list");
        let list: Vec<(String, bool, String, bool)> = stmt
            .query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .expect("indexes")
            .map(|r| r.expect("index"))
            .collect();
        for (name, unique, origin, partial) in list {
            let mut stmt = conn.prepare(&format!("PRAGMA index_xinfo({name})")).expect("index_xinfo");
            let keys: Vec<(Option<String>, bool, bool)> = stmt
                .query_map([], |r| Ok((r.get(2)?, r.get(3)?, r.get(5)?)))
                .expect("index columns")
                .map(|r| r.expect("index column"))
                .filter(|(_, _, key)| *key)
                .collect();
            let names: Vec<String> = keys.iter().map(|(n, _, _)| n.clone().expect("column index")).collect();
            if unique {
                uniques.insert(sorted(names.clone()));
            }
            if origin == "c" {
                let described = keys
                    .iter()
                    .map(|(n, desc, _)| described(n.as_deref().unwrap_or_default(), *desc))
                    .collect();
                indexes.insert(name, (described, partial));
            }
        }
        let mut stmt = conn.prepare(&format!("PRAGMA foreign_key_list({t})")).expect("foreign_key_list");
        let fk_rows: Vec<(i64, String, String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(6)?)))
            .expect("foreign keys")
            .map(|r| r.expect("foreign key"))
            .collect();
        let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for (id, table, from, to, on_delete) in fk_rows {
            let e = by_id.entry(id).or_insert_with(|| (vec![], table, vec![], on_delete));
            e.0.push(from);
            e.2.push(to);
        }
        for (column, values) in enum_list(&sql) {
            out.enums.insert((t.clone(), column), values);
        }
        out.foreign_keys.insert(t.clone(), by_id.into_values().collect());
        out.uniques.insert(t.clone(), uniques);
        out.indexes.insert(t.clone(), indexes);
        out.columns.insert(t.clone(), cols);
        sqls.insert(t, sql);
    }
    (out, sqls)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn described(column: &str, desc: bool) -> String {
    if desc {
        format!("{column} DESC")
    } else {
        column.to_owned()
    }
}

/// `column IN ('a', 'b')` lists in a D1 CREATE TABLE (numeric lists such as `IN (0, 1)` are
/// booleans, not enums).
fn regex_lite_in_lists(sql: &str) -> Vec<(String, BTreeSet<String>)> {
    let flat = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    let mut rest = flat.as_str();
    while let Some(at) = rest.find(" IN (") {
        let before = &rest[..at];
        let column =
            before.rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default().to_owned();
        let after = &rest[at + 5..];
        let end = after.find(')').unwrap_or(after.len());
        let list = &after[..end];
        if list.trim_start().starts_with('\'') {
            let values = list.split(',').map(|v| v.trim().trim_matches('\'').to_owned()).collect();
            out.push((column, values));
        }
        rest = &after[end..];
    }
    out
}

/// `column = ANY (ARRAY['a'::text, 'b'::text])` lists in Postgres's CHECK definitions.
fn pg_any_lists(def: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut out = Vec::new();
    let mut rest = def;
    while let Some(at) = rest.find(" = ANY (ARRAY[") {
        let column = rest[..at]
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or_default()
            .to_owned();
        let after = &rest[at + 14..];
        let end = after.find(']').unwrap_or(after.len());
        let values = after[..end]
            .split(',')
            .map(|v| v.trim().trim_end_matches("::text").trim_matches('\'').to_owned())
            .collect();
        out.push((column, values));
        rest = &after[end..];
    }
    out
}

fn pg_schema(pg: &Cluster) -> Schema {
    let mut out = Schema {
        columns: BTreeMap::new(),
        uniques: BTreeMap::new(),
        foreign_keys: BTreeMap::new(),
        indexes: BTreeMap::new(),
        enums: BTreeMap::new(),
        triggers: pg
            .json_rows("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            .iter()
            .map(|r| s(&r["tgname"]))
            .collect(),
    };
    let tables = "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                  WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'schema_migrations'";
    for r in pg.json_rows(&format!(
        "SELECT t.relname AS t, a.attname AS c, format_type(a.atttypid, NULL) AS ty, a.attnotnull AS nn \
         FROM ({tables}) t JOIN pg_attribute a ON a.attrelid = t.oid WHERE a.attnum > 0 AND NOT a.attisdropped"
    )) {
        out.columns.entry(s(&r["t"])).or_default().insert(s(&r["c"]), (s(&r["ty"]), r["nn"] == true));
    }
    // Every index with its key columns in order (expressions such as lower(full_name) by their text).
    for r in pg.json_rows(&format!(
        "SELECT t.relname AS t, i.relname AS name, ix.indisunique AS uniq, ix.indpred IS NOT NULL AS partial, \
         EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid) AS by_constraint, \
         (SELECT json_agg(json_build_object('col', pg_get_indexdef(ix.indexrelid, k, true), \
                 'desc', (ix.indoption[k - 1] & 1) = 1) ORDER BY k) \
          FROM generate_series(1, ix.indnkeyatts) k) AS cols \
         FROM ({tables}) t JOIN pg_index ix ON ix.indrelid = t.oid JOIN pg_class i ON i.oid = ix.indexrelid"
    )) {
        let table = s(&r["t"]);
        let cols: Vec<(String, bool)> = r["cols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let expr = s(&c["col"]);
                // lower(full_name) stands for D1's full_name COLLATE NOCASE.
                let column = expr.trim_start_matches("lower(").trim_end_matches(')').to_owned();
                (column, c["desc"] == true)
            })
            .collect();
        if r["uniq"] == true {
            out.uniques.entry(table.clone()).or_default().insert(sorted(cols.iter().map(|c| c.0.clone()).collect()));
        }
        let indexes = out.indexes.entry(table).or_default();
        if r["by_constraint"] != true {
            indexes.insert(s(&r["name"]), (cols.iter().map(|(c, d)| described(c, *d)).collect(), r["partial"] == true));
        }
    }
    for r in pg.json_rows(&format!(
        "SELECT t.relname AS t, f.relname AS ref, k.confdeltype AS del, \
         (SELECT json_agg(a.attname ORDER BY x.n) FROM unnest(k.conkey) WITH ORDINALITY x(attnum, n) \
          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.attnum) AS cols, \
         (SELECT json_agg(a.attname ORDER BY x.n) FROM unnest(k.confkey) WITH ORDINALITY x(attnum, n) \
          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = x.attnum) AS refcols \
         FROM ({tables}) t JOIN pg_constraint k ON k.conrelid = t.oid AND k.contype = 'f' \
         JOIN pg_class f ON f.oid = k.confrelid"
    )) {
        let names = |v: &Value| v.as_array().unwrap().iter().map(s).collect::<Vec<_>>();
        let on_delete = match s(&r["del"]).as_str() {
            "c" => "CASCADE",
            "a" => "NO ACTION",
            "r" => "RESTRICT",
            "n" => "SET NULL",
            other => panic!("on delete {other}"),
        };
        out.foreign_keys.entry(s(&r["t"])).or_default().insert((
            names(&r["cols"]),
            s(&r["ref"]),
            names(&r["refcols"]),
            on_delete.to_owned(),
        ));
    }
    for r in pg.json_rows(&format!(
        "SELECT t.relname AS t, pg_get_constraintdef(k.oid) AS def FROM ({tables}) t \
         JOIN pg_constraint k ON k.conrelid = t.oid AND k.contype = 'c'"
    )) {
        for (column, values) in pg_any_lists(&s(&r["def"])) {
            out.enums.insert((s(&r["t"]), column), values);
        }
    }
    out
}

fn migrated_cluster(name: &str) -> Option<Cluster> {
    let pg = Cluster::start(name)?;
    let log = pg.migrate();
    assert!(log.contains("applied 0001_schema.sql"), "{log}");
    Some(pg)
}

#[test]
fn the_postgres_schema_matches_the_d1_schema() {
    let Some(pg) = migrated_cluster("parity") else { return };
    let conn = sqlite();
    let (mut d1, sqls) = d1_schema(&conn);
    let mut pgs = pg_schema(&pg);
    for schema in [&mut d1, &mut pgs] {
        schema.foreign_keys.retain(|_, keys| !keys.is_empty());
        schema.indexes.retain(|_, indexes| !indexes.is_empty());
    }

    let d1_tables: Vec<_> = d1.columns.keys().collect();
    let pg_tables: Vec<_> = pgs.columns.keys().collect();
    assert_eq!(d1_tables, pg_tables, "tables");

    for (table, columns) in &d1.columns {
        let pg_columns = &pgs.columns[table];
        assert_eq!(
            columns.keys().collect::<Vec<_>>(),
            pg_columns.keys().collect::<Vec<_>>(),
            "{table}: columns"
        );
        for (column, (d1_type, d1_not_null)) in columns {
            let (pg_type, pg_not_null) = &pg_columns[column];
            let allowed = expected_pg_types(&sqls[table], column, d1_type);
            assert!(
                allowed.contains(&pg_type.as_str()),
                "{table}.{column}: {d1_type} became {pg_type}, not {allowed:?}"
            );
            assert_eq!(d1_not_null, pg_not_null, "{table}.{column}: NOT NULL");
        }
    }
    // Not vacuous: the catalogs were read.
    assert!(d1.indexes.values().map(BTreeMap::len).sum::<usize>() > 40, "{:?}", d1.indexes);
    assert!(d1.foreign_keys.values().map(BTreeSet::len).sum::<usize>() > 30, "{:?}", d1.foreign_keys);
    assert!(d1.enums.len() > 20, "{:?}", d1.enums);
    assert_eq!(d1.uniques, pgs.uniques, "unique keys (by column set)");
    assert_eq!(d1.foreign_keys, pgs.foreign_keys, "foreign keys");
    assert_eq!(d1.indexes, pgs.indexes, "named indexes (columns, order, partial)");
    assert_eq!(d1.enums, pgs.enums, "enumerated columns' CHECK lists");
    assert!(!d1.triggers.is_empty());
    assert!(
        d1.triggers.is_subset(&pgs.triggers),
        "triggers: D1 {:?}, Postgres {:?}",
        d1.triggers,
        pgs.triggers
    );

    // Every column is one of the mapped types, and every time is a timestamptz.
    let pg_types: BTreeSet<&str> =
        pgs.columns.values().flat_map(|c| c.values().map(|(t, _)| t.as_str())).collect();
    let known: BTreeSet<&str> = [
        "text",
        "uuid",
        "timestamp with time zone",
        "jsonb",
        "boolean",
        "integer",
        "bigint",
        "double precision",
    ]
    .into_iter()
    .collect();
    assert!(
        pg_types.is_subset(&known),
        "unexpected types: {:?}",
        pg_types.difference(&known).collect::<Vec<_>>()
    );

    // The default organization exists on both.
    let d1_orgs = strings(&conn, "SELECT id FROM organizations");
    assert_eq!(d1_orgs, vec![DEFAULT_ORG_ID.to_owned()]);
    assert_eq!(pg.psql("SELECT id FROM organizations"), DEFAULT_ORG_ID);
}

#[test]
fn the_audit_trail_is_append_only_on_postgres_and_migrations_apply_once() {
    let Some(pg) = migrated_cluster("audit") else { return };
    pg.psql(&format!(
        "INSERT INTO audit_log (id, org_id, actor_id, action, target_type, target_id, client, created_at) \
         VALUES ('a0000000-0000-4000-8000-000000000001', '{DEFAULT_ORG_ID}', 'a0000000-0000-4000-8000-0000000000a1', 'decision.recorded', \
         'interview', 'i1', 'curl', '2026-11-22T01:02:03.456Z')"
    ));
    let err = pg.try_psql("UPDATE audit_log SET detail = 'x'").expect_err("update refused");
    assert!(err.contains("audit entries cannot be changed"), "{err}");
    let err = pg.try_psql("DELETE FROM audit_log").expect_err("delete refused");
    assert!(err.contains("audit entries cannot be deleted"), "{err}");
    let err = pg.try_psql("TRUNCATE audit_log").expect_err("truncate refused");
    assert!(err.contains("audit entries cannot be deleted"), "{err}");
    assert_eq!(pg.psql("SELECT count(*) FROM audit_log"), "1");
    // The time is a timestamptz, the same instant.
    assert_eq!(
        pg.psql("SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM audit_log"),
        "2026-11-22T01:02:03.456Z"
    );

    // A second migrate applies nothing and keeps the data.
    let log = pg.migrate();
    assert!(!log.contains("applied"), "{log}");
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .expect("migrations/postgres")
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql")))
        .count();
    assert_eq!(pg.psql("SELECT count(*) FROM schema_migrations"), files.to_string(), "each file once");
    assert_eq!(pg.psql("SELECT count(*) FROM audit_log"), "1");
}

#[test]
fn the_schema_checks_values_like_d1() {
    let Some(pg) = migrated_cluster("checks") else { return };
    let user = "INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at) VALUES";
    pg.psql(&format!(
        "{user} ('00000000-0000-4000-8000-0000000000a1', 'a@example.com', 'h', 'Ada', 'candidate', now(), now())"
    ));
    for (bad, why) in [
        (format!("{user} (gen_random_uuid(), 'B@example.com', 'h', 'Bea', 'candidate', now(), now())"), "upper-case email"),
        (format!("{user} (gen_random_uuid(), 'a@example.com', 'h', 'Bea', 'candidate', now(), now())"), "duplicate email"),
        (format!("{user} (gen_random_uuid(), 'b@example.com', 'h', 'Bea', 'bogus', now(), now())"), "unknown role"),
        (format!("{user} ('u2', 'b@example.com', 'h', 'Bea', 'candidate', now(), now())"), "an id that is not a UUID"),
        (format!("{user} (gen_random_uuid(), 'b@example.com', 'h', 'Bea', 'candidate', 'yesterday-ish', now())"), "a time that is not a time"),
    ] {
        assert!(pg.try_psql(&bad).is_err(), "accepted {why}");
    }
    let interview =
        "INSERT INTO interviews (id, candidate_id, role_type, status, started_at, last_activity_at, \
                     created_at, updated_at, skill_boundaries) VALUES";
    let ok = format!(
        "{interview} ('00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000a1', 'react', \
         'completed', now(), now(), now(), now(), '[]')"
    );
    pg.psql(&ok);
    let bad_json = ok.replace("b1'", "b2'").replace("'[]'", "'not json'");
    assert!(pg.try_psql(&bad_json).is_err(), "accepted invalid JSON");
    let message =
        "INSERT INTO interview_messages (id, interview_id, sequence_number, message_type, content_text, \
                   created_at) VALUES";
    pg.psql(&format!(
        "{message} (gen_random_uuid(), '00000000-0000-4000-8000-0000000000b1', 1, 'ai_question', 'Hello?', now())"
    ));
    let dup = format!(
        "{message} (gen_random_uuid(), '00000000-0000-4000-8000-0000000000b1', 1, 'candidate_response', 'x', now())"
    );
    assert!(pg.try_psql(&dup).is_err(), "duplicate sequence number accepted");
    let orphan = format!(
        "{message} (gen_random_uuid(), '00000000-0000-4000-8000-0000000000ff', 1, 'ai_question', 'x', now())"
    );
    assert!(pg.try_psql(&orphan).is_err(), "a message of no interview accepted");
}

/// A value as a SQL literal for `EXECUTE` (Postgres infers each parameter's type from its use).
fn literal(p: &Param) -> String {
    match p {
        Param::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Param::Real(x) => x.to_string(),
        Param::Int(n) => n.to_string(),
    }
}

/// The plan of the store's own (SQLite-dialect) statement, translated for Postgres by the core.
fn plan(pg: &Cluster, sql: &str, params: &[Param]) -> String {
    let translated = interview_core::sql::to_postgres(sql).expect("translatable");
    let args = params.iter().map(literal).collect::<Vec<_>>().join(", ");
    pg.psql(&format!("PREPARE q AS {translated}; EXPLAIN EXECUTE q({args})"))
}

#[test]
fn the_recruiter_lists_walk_their_indexes_on_postgres() {
    let Some(pg) = migrated_cluster("plans") else { return };
    // A populated database: 20 organizations, 2,000 candidates, 20,000 interviews.
    pg.psql(
        "INSERT INTO organizations (id, name, created_at, updated_at) \
           SELECT ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'Org ' || n, now(), now() \
           FROM generate_series(2, 20) n; \
         INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at, org_id) \
           SELECT gen_random_uuid(), 'c' || n || '@example.com', 'h', 'Candidate ' || n, 'candidate', \
                  now() - n * interval '1 minute', now(), \
                  ('00000000-0000-4000-8000-' || lpad((1 + n % 20)::text, 12, '0'))::uuid \
           FROM generate_series(1, 2000) n; \
         INSERT INTO interviews (id, candidate_id, role_type, status, started_at, last_activity_at, created_at, \
                                 updated_at, org_id, overall_score) \
           SELECT gen_random_uuid(), u.id, (ARRAY['react', 'python', 'javascript', 'fullstack'])[1 + g % 4], \
                  (ARRAY['in_progress', 'completed', 'abandoned'])[1 + g % 3], \
                  timestamptz '2026-12-01' - (g * 2000 + n) * interval '37 minutes', \
                  now(), now(), now(), u.org_id, (g * 7 + u.n) % 100 \
           FROM (SELECT id, org_id, row_number() OVER (ORDER BY id) AS n FROM users) u \
           CROSS JOIN generate_series(0, 9) g; \
         ANALYZE;",
    );
    let cursor = interview_edge::http::listing::encode_cursor("2026-11-22T00:00:00.000Z", DEFAULT_ORG_ID);
    for pairs in [
        vec![],
        vec![("status", "completed")],
        vec![("role_type", "react")],
        vec![("status", "completed"), ("cursor", cursor.as_str())],
        vec![("from", "2026-11-01"), ("to", "2026-11-30")],
        vec![("min_score", "50")],
    ] {
        let q: Vec<(String, String)> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let (sql, params) = interviews_query(&InterviewFilters::parse(&q).expect("filters"), DEFAULT_ORG_ID);
        let p = plan(&pg, &sql, &params);
        if pairs.iter().any(|(k, _)| *k == "from") {
            // A selective date range: Postgres reads just the range from the index (and may
            // sort those few rows), never the organization's whole list.
            assert!(p.contains("idx_interviews_org_started"), "{pairs:?}:\n{p}");
            assert!(
                p.lines().any(|l| l.contains("Index Cond") && l.contains("started_at >=")),
                "{pairs:?}:\n{p}"
            );
        } else {
            // Newest first: walks an index in order and stops after the page (no sort).
            assert!(p.contains("Index Scan using idx_interviews_"), "{pairs:?}:\n{p}");
            assert!(!p.contains("Sort"), "{pairs:?} sorts:\n{p}");
        }
    }
    for q in [vec![], vec![("q", "ada")]] {
        let pairs: Vec<(String, String)> =
            q.iter().map(|(k, v): &(&str, &str)| ((*k).to_owned(), (*v).to_owned())).collect();
        let (sql, params) =
            candidates_query(&CandidateFilters::parse(&pairs).expect("filters"), DEFAULT_ORG_ID);
        let p = plan(&pg, &sql, &params);
        assert!(p.contains("idx_users_role_created"), "{q:?}:\n{p}");
    }
}

/// `scripts/pg`'s cluster signs `app` in with its password only (Hyperdrive's local connection
/// string carries one), `start` again finds the running cluster, and `stop` leaves nothing.
#[test]
fn a_throwaway_cluster_needs_its_password_and_stops_cleanly() {
    let Some(pg) = Cluster::start("lifecycle") else { return };
    assert_eq!(pg.psql("SELECT current_user"), "app");
    let (userinfo, host) = pg.url.trim_start_matches("postgres://").split_once('@').expect("user@host");
    let wrong = format!("postgres://app:wrong-{}@{host}", &userinfo[4..8]);
    let out = std::process::Command::new("psql")
        .args(["-X", "-At", "-w", &wrong, "-c", "SELECT 1"])
        .env_remove("PGPASSWORD")
        .output()
        .expect("psql");
    assert!(!out.status.success(), "signed in with a wrong password");
    assert!(String::from_utf8_lossy(&out.stderr).contains("password authentication failed"));

    let dir = pg.dir().to_owned();
    let again = std::process::Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg"))
        .args(["start", "--dir"])
        .arg(&dir)
        .output()
        .expect("scripts/pg start");
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        pg.url,
        "a second start found the same cluster"
    );

    let port: u16 = host.split(['/', ':']).nth(1).expect("port").parse().expect("port number");
    drop(pg);
    assert!(!dir.exists(), "stop left {dir:?}");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "something still listens on {port}");
}
