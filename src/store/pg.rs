//! The Postgres adapter of the SQL port (cargo feature `postgres`, docs/decisions/0011):
//! `tokio-postgres` over the Hyperdrive binding's socket (`HYPERDRIVE`), one connection per
//! request, opened by the request's first query. Statements arrive in the SQLite dialect and are
//! translated by `interview_core::sql`; parameters go in the text format, so Postgres parses
//! each into its column's type; result cells come back as D1 would return them (times as RFC 3339
//! milliseconds, uuids hyphenated, JSON as its text, booleans as 0/1).

use std::cell::RefCell;
use std::error::Error as StdError;
use std::rc::Rc;

use bytes::BytesMut;
use interview_core::domain::time::rfc3339_ms;
use interview_core::sql::to_postgres_after;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{to_sql_checked, Format, FromSql, IsNull, ToSql, Type};
use tokio_postgres::{Client, NoTls};
use wasm_bindgen::JsValue;
use worker::Hyperdrive;

type BoxError = Box<dyn StdError + Sync + Send>;

/// One request's connection, opened lazily.
pub struct Session {
    hyperdrive: Hyperdrive,
    client: RefCell<Option<Rc<Client>>>,
}

/// A statement of the Postgres adapter: its SQLite-dialect SQL and its text parameters.
pub struct PgStatement {
    session: Rc<Session>,
    sql: String,
    params: Vec<TextParam>,
}

/// A statement's rows and the number of rows it changed.
pub struct Outcome {
    pub rows: Vec<Map<String, Value>>,
    pub changes: usize,
}

fn error(context: &str, e: impl std::fmt::Display) -> worker::Error {
    worker::Error::RustError(format!("postgres {context}: {e}"))
}

/// A driver error as a `worker::Error`; a unique violation keeps D1's wording, which
/// `store::is_unique_violation` recognises.
fn pg_error(e: &tokio_postgres::Error) -> worker::Error {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        return worker::Error::RustError(format!("UNIQUE constraint failed: {e}"));
    }
    match e.as_db_error() {
        // The message and code only: a detail may quote row values.
        Some(db) => error("query", format_args!("{} ({})", db.message(), db.code().code())),
        None => error("query", e),
    }
}

impl Session {
    pub fn new(hyperdrive: Hyperdrive) -> Session {
        Session { hyperdrive, client: RefCell::new(None) }
    }

    async fn client(&self) -> worker::Result<Rc<Client>> {
        if let Some(client) = self.client.borrow().as_ref() {
            return Ok(Rc::clone(client));
        }
        let config: tokio_postgres::Config =
            self.hyperdrive.connection_string().parse().map_err(|e| error("connection string", e))?;
        let socket = self.hyperdrive.connect().map_err(|e| error("connect", e))?;
        let (client, connection) =
            config.connect_raw(socket, NoTls).await.map_err(|e| error("connect", e))?;
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = connection.await {
                worker::console_error!("postgres connection: {e}");
            }
        });
        let client = Rc::new(client);
        *self.client.borrow_mut() = Some(Rc::clone(&client));
        Ok(client)
    }

    /// Runs one statement (`changed`: the previous statement's count, for `changes()`).
    async fn run(&self, sql: &str, params: &[TextParam], changed: Option<u64>) -> worker::Result<Outcome> {
        let sql = to_postgres_after(sql, changed).map_err(|u| error("unsupported SQL", u.0))?;
        let client = self.client().await?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let returns_rows = {
            let head = sql.trim_start().get(..6).unwrap_or("").to_ascii_uppercase();
            head == "SELECT" || head.starts_with("WITH") || sql.to_ascii_uppercase().contains(" RETURNING ")
        };
        let result = if returns_rows {
            client.query(&sql, &refs).await.map(|rows| {
                let rows: Vec<Map<String, Value>> = rows.iter().map(row_map).collect();
                let changes =
                    if sql.trim_start().to_ascii_uppercase().starts_with("SELECT") { 0 } else { rows.len() };
                Outcome { rows, changes }
            })
        } else {
            client
                .execute(&sql, &refs)
                .await
                .map(|n| Outcome { rows: Vec::new(), changes: usize::try_from(n).unwrap_or(usize::MAX) })
        };
        match result {
            Ok(outcome) => Ok(outcome),
            // A malformed uuid finds no row, as it does on D1 (text ids there).
            Err(e) if e.code() == Some(&SqlState::INVALID_TEXT_REPRESENTATION) => {
                Ok(Outcome { rows: Vec::new(), changes: 0 })
            }
            // The statement's head (SQL text, never a parameter value) says which one failed.
            Err(e) => Err(match pg_error(&e) {
                worker::Error::RustError(m) => {
                    let head: String = sql.chars().take(120).collect();
                    worker::Error::RustError(format!("{m} in `{head}`"))
                }
                other => other,
            }),
        }
    }

    /// Runs `statements` in one transaction, in order; `changes()` in one of them is the
    /// previous one's count.
    pub async fn batch(&self, statements: Vec<PgStatement>) -> worker::Result<Vec<Outcome>> {
        let client = self.client().await?;
        client.batch_execute("BEGIN").await.map_err(|e| pg_error(&e))?;
        let mut outcomes = Vec::with_capacity(statements.len());
        let mut changed = 0u64;
        for s in &statements {
            match self.run(&s.sql, &s.params, Some(changed)).await {
                Ok(outcome) => {
                    changed = outcome.changes as u64;
                    outcomes.push(outcome);
                }
                Err(e) => {
                    let _ = client.batch_execute("ROLLBACK").await;
                    return Err(e);
                }
            }
        }
        client.batch_execute("COMMIT").await.map_err(|e| pg_error(&e))?;
        Ok(outcomes)
    }
}

impl PgStatement {
    pub fn new(session: Rc<Session>, sql: String) -> PgStatement {
        PgStatement { session, sql, params: Vec::new() }
    }

    /// Binds D1-style parameters (strings, numbers, booleans, NULL) as text.
    pub fn bind(mut self, values: &[JsValue]) -> PgStatement {
        self.params = values.iter().map(text_param).collect();
        self
    }

    pub async fn run(&self) -> worker::Result<Outcome> {
        self.session.run(&self.sql, &self.params, None).await
    }

    pub async fn first<T: DeserializeOwned>(&self, col: Option<&str>) -> worker::Result<Option<T>> {
        let Some(mut row) = self.run().await?.rows.into_iter().next() else { return Ok(None) };
        let value = match col {
            Some(name) => row.remove(name).unwrap_or(Value::Null),
            None => Value::Object(row),
        };
        serde_json::from_value(value).map(Some).map_err(|e| error("row", e))
    }
}

impl Outcome {
    pub fn results<T: DeserializeOwned>(&self) -> worker::Result<Vec<T>> {
        self.rows
            .iter()
            .map(|r| serde_json::from_value(Value::Object(r.clone())).map_err(|e| error("row", e)))
            .collect()
    }
}

/// A parameter in the text format: Postgres parses it into the type the statement gives it.
#[derive(Debug)]
pub struct TextParam(Option<String>);

fn text_param(v: &JsValue) -> TextParam {
    if let Some(s) = v.as_string() {
        return TextParam(Some(s));
    }
    if let Some(n) = v.as_f64() {
        #[allow(clippy::cast_possible_truncation)]
        let text = if n.fract() == 0.0 && n.abs() < 9.0e15 { (n as i64).to_string() } else { n.to_string() };
        return TextParam(Some(text));
    }
    TextParam(v.as_bool().map(|b| if b { "1" } else { "0" }.to_owned()))
}

impl ToSql for TextParam {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match &self.0 {
            Some(s) => {
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

/// One result cell, decoded from the binary format into what D1 would return.
struct Cell(Value);

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Cell, BoxError> {
        let v = match *ty {
            Type::BOOL => Value::from(u8::from(raw.first() == Some(&1))),
            Type::INT2 => Value::from(i16::from_sql(ty, raw)?),
            Type::INT4 => Value::from(i32::from_sql(ty, raw)?),
            Type::INT8 => Value::from(i64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::from(f64::from(f32::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::from(f64::from_sql(ty, raw)?),
            Type::NUMERIC => numeric(raw)?,
            Type::UUID => Value::from(uuid::Uuid::from_slice(raw)?.hyphenated().to_string()),
            Type::TIMESTAMPTZ | Type::TIMESTAMP => {
                let micros = i64::from_sql(&Type::INT8, raw)?;
                // Postgres counts from 2000-01-01; D1 keeps milliseconds.
                Value::from(rfc3339_ms(micros.div_euclid(1000) + 946_684_800_000))
            }
            Type::JSONB => Value::from(std::str::from_utf8(raw.get(1..).unwrap_or_default())?.to_owned()),
            _ => Value::from(std::str::from_utf8(raw)?.to_owned()),
        };
        Ok(Cell(v))
    }

    fn from_sql_null(_ty: &Type) -> Result<Cell, BoxError> {
        Ok(Cell(Value::Null))
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}

/// A `numeric` (base-10000 digits) as a JSON number: an integer when it has no fraction.
fn numeric(raw: &[u8]) -> Result<Value, BoxError> {
    let word = |i: usize| -> Result<i16, BoxError> {
        raw.get(i..i + 2).map(|b| i16::from_be_bytes([b[0], b[1]])).ok_or_else(|| "short numeric".into())
    };
    let (ndigits, weight, sign) = (word(0)?, word(2)?, word(4)?);
    let mut x = 0f64;
    for d in 0..usize::try_from(ndigits).unwrap_or(0) {
        let exp = i32::from(weight) - i32::try_from(d).unwrap_or(0);
        x += f64::from(word(8 + 2 * d)?) * 10_000f64.powi(exp);
    }
    if sign as u16 == 0x4000 {
        x = -x;
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(if x.fract() == 0.0 && x.abs() < 9.0e15 { Value::from(x as i64) } else { Value::from(x) })
}

fn row_map(row: &tokio_postgres::Row) -> Map<String, Value> {
    let mut map = Map::new();
    for (i, column) in row.columns().iter().enumerate() {
        let cell = row.try_get::<_, Cell>(i).map_or(Value::Null, |c| c.0);
        map.insert(column.name().to_owned(), cell);
    }
    map
}
