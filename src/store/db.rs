//! The SQL port (docs/decisions/0011): every store function and caller talks to [`Db`], never
//! to a platform binding. Its surface mirrors worker's D1 API (`prepare`, `bind`, `first`, `all`
//! / `results`, `run`, `batch`, `meta().changes`) so that a repository written for D1 converts by
//! a change of type. The statements are written once, in the SQLite dialect D1 speaks; the
//! Postgres adapter (cargo feature `postgres`) translates them (`interview_core::sql`).
//!
//! [`Db::from_env`] is the one place that chooses and opens the backend (`DB_BACKEND`).

use std::future::Future;

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

/// The relational store of one request (or one job run).
pub enum Db {
    D1(D1Database),
    #[cfg(feature = "postgres")]
    Postgres(std::rc::Rc<super::pg::Session>),
}

/// A prepared statement with its parameters bound (or none yet).
pub enum Statement {
    D1(D1PreparedStatement),
    #[cfg(feature = "postgres")]
    Postgres(super::pg::PgStatement),
}

/// What a statement returned: its rows and how many rows it changed.
pub enum DbResult {
    D1(D1Result),
    #[cfg(feature = "postgres")]
    Postgres(super::pg::Outcome),
}

/// Why [`Db::from_env`] fails when `DB_BACKEND` names a backend this build lacks.
pub const UNAVAILABLE: &str =
    "DB_BACKEND names a backend this build does not have (postgres needs the cargo feature `postgres`)";

/// How often a D1 statement refused with `SQLITE_BUSY` is tried again, and the first pause.
const BUSY_RETRIES: u32 = 4;
const BUSY_PAUSE_MS: u64 = 25;

/// Runs `attempt` again (up to [`BUSY_RETRIES`] times, pausing 25, 50, 100, 200 ms) while D1
/// answers busy.
async fn unless_busy<T, F, Fut>(attempt: F) -> worker::Result<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = worker::Result<T>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(e) if tries < BUSY_RETRIES && super::d1::is_busy(&e) => {
                crate::platform::log_event("d1_busy_retry", serde_json::json!({ "attempt": tries + 1 }));
                worker::Delay::from(std::time::Duration::from_millis(BUSY_PAUSE_MS << tries)).await;
                tries += 1;
            }
            outcome => return outcome,
        }
    }
}

/// The part of a result's metadata the store reads.
pub struct Meta {
    pub changes: Option<usize>,
}

impl Db {
    /// The store selected by `DB_BACKEND` (`d1`, the default, or `postgres`).
    ///
    /// # Errors
    /// The binding is missing, or the backend is unknown or not compiled in.
    pub fn from_env(env: &Env) -> worker::Result<Db> {
        let backend = env.var("DB_BACKEND").map(|v| v.to_string()).ok();
        match interview_core::config::DbBackend::parse(backend.as_deref()) {
            Some(interview_core::config::DbBackend::D1) => Ok(Db::D1(env.d1("DB")?)),
            #[cfg(feature = "postgres")]
            Some(interview_core::config::DbBackend::Postgres) => {
                Ok(Db::Postgres(std::rc::Rc::new(super::pg::Session::new(env.hyperdrive("HYPERDRIVE")?))))
            }
            _ => Err(worker::Error::RustError(UNAVAILABLE.to_owned())),
        }
    }

    /// A statement of `sql` (SQLite dialect, `?N` placeholders).
    pub fn prepare(&self, sql: impl Into<String>) -> Statement {
        self.prepare_string(sql.into())
    }

    fn prepare_string(&self, sql: String) -> Statement {
        match self {
            Db::D1(db) => Statement::D1(db.prepare(sql)),
            #[cfg(feature = "postgres")]
            Db::Postgres(session) => Statement::Postgres(super::pg::PgStatement::new(session.clone(), sql)),
        }
    }

    /// Runs `statements` atomically, in order (all or none).
    ///
    /// # Errors
    /// Any statement fails (then none is applied).
    pub async fn batch(&self, statements: Vec<Statement>) -> worker::Result<Vec<DbResult>> {
        match self {
            Db::D1(db) => {
                let statements: Vec<D1PreparedStatement> =
                    statements.into_iter().filter_map(Statement::into_d1).collect();
                let results = unless_busy(|| db.batch(statements.clone())).await?;
                Ok(results.into_iter().map(DbResult::D1).collect())
            }
            #[cfg(feature = "postgres")]
            Db::Postgres(session) => {
                let statements = statements
                    .into_iter()
                    .filter_map(|s| match s {
                        Statement::Postgres(s) => Some(s),
                        Statement::D1(_) => None,
                    })
                    .collect();
                Ok(session.batch(statements).await?.into_iter().map(DbResult::Postgres).collect())
            }
        }
    }
}

impl Statement {
    #[allow(clippy::unnecessary_wraps)]
    fn into_d1(self) -> Option<D1PreparedStatement> {
        match self {
            Statement::D1(s) => Some(s),
            #[cfg(feature = "postgres")]
            Statement::Postgres(_) => None,
        }
    }

    /// Binds the parameters (`?1` is `values[0]`).
    ///
    /// # Errors
    /// A value the backend cannot bind.
    pub fn bind(self, values: &[JsValue]) -> worker::Result<Statement> {
        match self {
            Statement::D1(s) => Ok(Statement::D1(s.bind(values)?)),
            #[cfg(feature = "postgres")]
            Statement::Postgres(s) => Ok(Statement::Postgres(s.bind(values))),
        }
    }

    /// The first row (or the column `col` of it), `None` when there is no row. For reads: unlike
    /// [`Statement::run`], [`Statement::all`] and [`Db::batch`] it is not run again when local D1
    /// is busy (writes with `RETURNING` use [`Statement::returning`]).
    ///
    /// # Errors
    /// The query fails, or the row does not deserialize into `T`.
    /// (Not an `async fn`: the D1 build returns D1's own future, no wrapper per row type.)
    pub fn first<'a, T: DeserializeOwned + 'a>(
        &'a self,
        col: Option<&'a str>,
    ) -> impl Future<Output = worker::Result<Option<T>>> + 'a {
        #[cfg(not(feature = "postgres"))]
        match self {
            Statement::D1(s) => s.first::<T>(col),
        }
        #[cfg(feature = "postgres")]
        match self {
            Statement::D1(s) => futures_util::future::Either::Left(s.first::<T>(col)),
            Statement::Postgres(s) => futures_util::future::Either::Right(s.first::<T>(col)),
        }
    }

    /// Runs the statement and keeps its rows.
    ///
    /// # Errors
    /// The query fails.
    pub async fn all(&self) -> worker::Result<DbResult> {
        match self {
            Statement::D1(s) => Ok(DbResult::D1(unless_busy(|| s.all()).await?)),
            #[cfg(feature = "postgres")]
            Statement::Postgres(s) => Ok(DbResult::Postgres(s.run().await?)),
        }
    }

    /// The row a write with `RETURNING` gave (`None` when it changed nothing); run again when
    /// local D1 is busy, like [`Statement::run`] (and unlike [`Statement::first`]).
    ///
    /// # Errors
    /// The statement fails, or the row does not deserialize into `T`.
    pub async fn returning<T: DeserializeOwned>(&self) -> worker::Result<Option<T>> {
        Ok(self.all().await?.results::<T>()?.into_iter().next())
    }

    /// Runs the statement (a write).
    ///
    /// # Errors
    /// The statement fails.
    pub async fn run(&self) -> worker::Result<DbResult> {
        match self {
            Statement::D1(s) => Ok(DbResult::D1(unless_busy(|| s.run()).await?)),
            #[cfg(feature = "postgres")]
            Statement::Postgres(s) => Ok(DbResult::Postgres(s.run().await?)),
        }
    }
}

impl DbResult {
    /// The rows, deserialized.
    ///
    /// # Errors
    /// A row does not deserialize into `T`.
    pub fn results<T: DeserializeOwned>(&self) -> worker::Result<Vec<T>> {
        match self {
            DbResult::D1(r) => r.results::<T>(),
            #[cfg(feature = "postgres")]
            DbResult::Postgres(r) => r.results::<T>(),
        }
    }

    /// How many rows the statement changed; 0 when the backend reports nothing (or its metadata
    /// cannot be read), which every caller treats as "did not apply".
    #[must_use]
    pub fn changed(&self) -> usize {
        self.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0)
    }

    /// The metadata (how many rows changed).
    ///
    /// # Errors
    /// The backend's metadata cannot be read.
    pub fn meta(&self) -> worker::Result<Option<Meta>> {
        match self {
            DbResult::D1(r) => Ok(r.meta()?.map(|m| Meta { changes: m.changes })),
            #[cfg(feature = "postgres")]
            DbResult::Postgres(r) => Ok(Some(Meta { changes: Some(r.changes) })),
        }
    }
}
