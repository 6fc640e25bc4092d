//! SQL dialects: the store's statements are written once, in the SQLite dialect D1 speaks, and
//! translated here for Postgres (docs/decisions/0011). Pure and total: a construct with no
//! faithful translation is refused with its name, never guessed.
//!
//! Translated: numbered (`?3`) and bare (`?`) placeholders → `$n`; `json_object(` →
//! `json_build_object(`; `json_each(x)` over a JSON array (the store only ever selects its
//! `value`) → `json_array_elements_text((x)::json) AS value`; `json(x)` → `(x)::json`;
//! `json_group_array(x)` → `COALESCE(json_agg(x), '[]'::json)`; the random id
//! `lower(hex(randomblob(16)))` → a random uuid's 32 hex digits; the scalar (two or more
//! arguments) `max(…)` / `min(…)` → `GREATEST(…)` / `LEAST(…)`; the stored times' one date
//! arithmetic, `strftime('%Y-%m-%dT%H:%M:%fZ', t, '-' || (n) || ' seconds')` → `t` minus `n`
//! seconds as a `timestamptz`; `changes()` → the number of rows
//! the batch's previous statement changed, when the adapter knows it ([`to_postgres_after`]: the
//! Postgres adapter runs a batch statement by statement in one transaction, so it has the count
//! SQLite's `changes()` would return). Refused: `changes()` without that count, `INSERT OR …`,
//! `datetime(`, `strftime(`, `julianday(`, `json_valid(`, `rowid`, any other `randomblob(` (SQLite-only). String literals
//! (`'…'`, with `''` escapes), quoted identifiers (`"…"`) and comments are copied untouched.

/// A statement the translator will not rewrite: the SQLite-only construct it contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub &'static str);

/// SQLite-only constructs (matched case-insensitively on word boundaries, outside literals).
const REFUSED: &[&str] =
    &["changes(", "insert or", "datetime(", "strftime(", "julianday(", "json_valid(", "rowid", "randomblob("];

/// SQLite's 32 hex digit random id (`webhook_deliveries.id`), made from a random uuid there.
const RANDOM_ID: &str = "lower(hex(randomblob(16)))";

/// Functions rewritten around their translated arguments: (SQLite call with its `(`, Postgres
/// text before the arguments, after them, whether only the scalar form with two or more
/// arguments is rewritten). `json(x)` validates and minifies JSON text; an empty
/// `json_group_array` is `[]` where `json_agg` is NULL; `json_each` over an array (the store only
/// ever selects its `value`); SQLite's scalar `max`/`min` (the one-argument aggregates stay).
const WRAPPED: &[(&str, &str, &str, bool)] = &[
    ("json(", "(", ")::json", false),
    ("json_group_array(", "COALESCE(json_agg(", "), '[]'::json)", false),
    ("json_each(", "json_array_elements_text((", ")::json) AS value", false),
    ("max(", "GREATEST(", ")", true),
    ("min(", "LEAST(", ")", true),
];

/// `sql` (SQLite dialect) in the Postgres dialect.
///
/// # Errors
/// [`Unsupported`] when the statement uses a construct listed in the module documentation.
pub fn to_postgres(sql: &str) -> Result<String, Unsupported> {
    to_postgres_after(sql, None)
}

/// [`to_postgres`] for a statement of a batch: `changes()` becomes `changed`, the number of rows
/// the previous statement changed (refused when `None`).
///
/// # Errors
/// [`Unsupported`] as [`to_postgres`], and for `changes()` when `changed` is `None`.
pub fn to_postgres_after(sql: &str, changed: Option<u64>) -> Result<String, Unsupported> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next_bare = 1u32;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' | b'"' => {
                let end = quoted_end(bytes, i, c);
                out.push_str(&sql[i..end]);
                i = end;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                let end = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
                out.push_str(&sql[i..end]);
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = sql[i + 2..].find("*/").map_or(bytes.len(), |n| i + 2 + n + 2);
                out.push_str(&sql[i..end]);
                i = end;
            }
            b'?' => {
                let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                out.push('$');
                if digits == 0 {
                    out.push_str(&next_bare.to_string());
                    next_bare += 1;
                } else {
                    out.push_str(&sql[i + 1..=i + digits]);
                }
                i += 1 + digits;
            }
            _ if starts_word(bytes, i) => {
                let rest = &sql[i..];
                if let (Some(n), true) = (changed, starts_with_word(rest, "changes()")) {
                    out.push_str(&n.to_string());
                    i += "changes()".len();
                    continue;
                }
                if let Some((name, open_with, close_with, scalar)) =
                    WRAPPED.iter().find(|w| starts_with_word(rest, w.0))
                {
                    let open = i + name.len() - 1;
                    let close = closing_paren(bytes, open).ok_or(Unsupported(name))?;
                    // A scalar-only rewrite leaves the one-argument form (the aggregate) alone.
                    if !scalar || has_top_level_comma(&bytes[open + 1..close]) {
                        out.push_str(open_with);
                        out.push_str(&to_postgres_after(&sql[open + 1..close], changed)?);
                        out.push_str(close_with);
                        i = close + 1;
                        continue;
                    }
                }
                if starts_with_word(rest, "strftime(") {
                    if let Some((end, shifted)) = time_minus_seconds(sql, i, changed)? {
                        out.push_str(&shifted);
                        i = end;
                        continue;
                    }
                }
                if starts_with_word(rest, RANDOM_ID) {
                    out.push_str("replace(gen_random_uuid()::text, '-', '')");
                    i += RANDOM_ID.len();
                    continue;
                }
                if let Some(refused) = REFUSED.iter().find(|r| starts_with_word(rest, r)) {
                    return Err(Unsupported(refused));
                }
                if starts_with_word(rest, "json_object(") {
                    out.push_str("json_build_object(");
                    i += "json_object(".len();
                } else {
                    // Word characters are ASCII, so the count is a char boundary.
                    let len = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
                    out.push_str(&rest[..len]);
                    i += len;
                }
            }
            _ => {
                let len = sql[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&sql[i..i + len]);
                i += len;
            }
        }
    }
    Ok(out)
}

/// The index just past the literal or identifier opened by `quote` at `start` (a doubled quote
/// is an escaped one); the end of `bytes` if it is never closed.
fn quoted_end(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// The index of the `)` closing the `(` at `open` (literals skipped); `None` if unbalanced.
fn closing_paren(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0u32;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => {
                i = quoted_end(bytes, i, bytes[i]);
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The stored time format's one date arithmetic, `strftime('%Y-%m-%dT%H:%M:%fZ', t, '-' || (n)
/// || ' seconds')` (`t` minus `n` seconds as a stored time), starting at `start`: its end and its
/// Postgres form `(CAST(t AS timestamptz) - (n) * interval '1 second')`. `None` for any other
/// `strftime` (refused by the caller).
fn time_minus_seconds(
    sql: &str,
    start: usize,
    changed: Option<u64>,
) -> Result<Option<(usize, String)>, Unsupported> {
    const HEAD: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', ";
    const SECONDS: &str = " || ' seconds'";
    let bytes = sql.as_bytes();
    let open = start + "strftime".len();
    let Some(close) = closing_paren(bytes, open) else { return Ok(None) };
    let call = &sql[start..close];
    let Some(args) = call.strip_prefix(HEAD) else { return Ok(None) };
    let Some((time, amount)) = args.split_once(", '-' || ") else { return Ok(None) };
    let Some(amount) = amount.strip_suffix(SECONDS) else { return Ok(None) };
    if has_top_level_comma(time.as_bytes()) {
        return Ok(None);
    }
    let (time, amount) = (to_postgres_after(time, changed)?, to_postgres_after(amount, changed)?);
    Ok(Some((close + 1, format!("(CAST({time} AS timestamptz) - ({amount}) * interval '1 second')"))))
}

/// Whether `args` (a call's argument list) has a comma outside nested parentheses and literals.
fn has_top_level_comma(args: &[u8]) -> bool {
    let mut depth = 0i32;
    let mut i = 0;
    while i < args.len() {
        match args[i] {
            b'\'' | b'"' => {
                i = quoted_end(args, i, args[i]);
                continue;
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// Whether a word starts at `i` (a letter or `_` not preceded by a word character).
fn starts_word(bytes: &[u8], i: usize) -> bool {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') && (i == 0 || !is_word(bytes[i - 1]))
}

/// Whether `rest` starts with `word` (ASCII case-insensitive), not followed by a word character
/// when `word` ends in one.
fn starts_with_word(rest: &str, word: &str) -> bool {
    let n = word.len();
    rest.len() >= n
        && rest.as_bytes()[..n].eq_ignore_ascii_case(word.as_bytes())
        && (!word.as_bytes()[n - 1].is_ascii_alphanumeric()
            || !rest.as_bytes().get(n).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_and_bare_placeholders_become_dollar_parameters() {
        assert_eq!(
            to_postgres("SELECT * FROM users WHERE id = ?1 AND org_id = ?12").unwrap(),
            "SELECT * FROM users WHERE id = $1 AND org_id = $12"
        );
        assert_eq!(
            to_postgres("INSERT INTO t (a, b) VALUES (?, ?)").unwrap(),
            "INSERT INTO t (a, b) VALUES ($1, $2)"
        );
    }

    #[test]
    fn literals_identifiers_and_comments_are_copied_untouched() {
        let sql =
            "SELECT 'it''s ?1 changes()', \"odd?2\" -- ?3 rowid\n FROM t /* ?4 datetime( */ WHERE x = ?5";
        assert_eq!(
            to_postgres(sql).unwrap(),
            "SELECT 'it''s ?1 changes()', \"odd?2\" -- ?3 rowid\n FROM t /* ?4 datetime( */ WHERE x = $5"
        );
        assert_eq!(to_postgres("SELECT 'héllo ?1', ?2 -- é").unwrap(), "SELECT 'héllo ?1', $2 -- é");
    }

    #[test]
    fn json_object_becomes_json_build_object() {
        assert_eq!(
            to_postgres("SELECT JSON_OBJECT('id', ?1, 'n', x.n) FROM x").unwrap(),
            "SELECT json_build_object('id', $1, 'n', x.n) FROM x"
        );
        // A column that merely starts with the name is left alone.
        assert_eq!(to_postgres("SELECT json_object_id FROM x").unwrap(), "SELECT json_object_id FROM x");
    }

    #[test]
    fn sqlite_only_constructs_are_refused_by_name() {
        assert_eq!(to_postgres("INSERT INTO a SELECT 1 WHERE changes() > 0"), Err(Unsupported("changes(")));
        assert_eq!(to_postgres("insert or ignore into a values (1)"), Err(Unsupported("insert or")));
        assert_eq!(to_postgres("SELECT rowid FROM a"), Err(Unsupported("rowid")));
        assert_eq!(to_postgres("SELECT strftime('%s', t) FROM a"), Err(Unsupported("strftime(")));
        // Words that only contain them are fine.
        assert_eq!(
            to_postgres("SELECT rowids, mychanges() FROM a").unwrap(),
            "SELECT rowids, mychanges() FROM a"
        );
    }

    #[test]
    fn changes_becomes_the_previous_statements_count_when_known() {
        let sql = "INSERT INTO audit_log (id) SELECT ?1 WHERE changes() > 0";
        assert_eq!(
            to_postgres_after(sql, Some(1)).unwrap(),
            "INSERT INTO audit_log (id) SELECT $1 WHERE 1 > 0"
        );
        assert_eq!(
            to_postgres_after(sql, Some(0)).unwrap(),
            "INSERT INTO audit_log (id) SELECT $1 WHERE 0 > 0"
        );
        assert_eq!(to_postgres_after(sql, None), Err(Unsupported("changes(")));
        assert_eq!(to_postgres(sql), Err(Unsupported("changes(")));
    }

    #[test]
    fn json_each_over_an_array_becomes_json_array_elements_text() {
        assert_eq!(
            to_postgres("SELECT 1 FROM t WHERE email IN (SELECT value FROM json_each(?2)) AND x = ?3").unwrap(),
            "SELECT 1 FROM t WHERE email IN (SELECT value FROM json_array_elements_text(($2)::json) AS value) AND x = $3"
        );
        assert_eq!(
            to_postgres("EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = ?2)").unwrap(),
            "EXISTS (SELECT 1 FROM json_array_elements_text((w.events)::json) AS value WHERE value = $2)"
        );
        assert_eq!(to_postgres("SELECT value FROM json_each(?1"), Err(Unsupported("json_each(")));
    }

    #[test]
    fn json_text_aggregates_and_random_ids_have_postgres_forms() {
        assert_eq!(
            to_postgres("SELECT json(?4), json_object('p', json(CASE WHEN ?6 = 1 THEN 'true' ELSE 'false' END))")
                .unwrap(),
            "SELECT ($4)::json, json_build_object('p', (CASE WHEN $6 = 1 THEN 'true' ELSE 'false' END)::json)"
        );
        assert_eq!(
            to_postgres("SELECT json_group_array(json_object('k', k)) FROM (SELECT k FROM t WHERE a = ?1)").unwrap(),
            "SELECT COALESCE(json_agg(json_build_object('k', k)), '[]'::json) FROM (SELECT k FROM t WHERE a = $1)"
        );
        assert_eq!(
            to_postgres("INSERT INTO d (id) SELECT LOWER(HEX(RANDOMBLOB(16)))").unwrap(),
            "INSERT INTO d (id) SELECT replace(gen_random_uuid()::text, '-', '')"
        );
        // Other names and an unbalanced call.
        assert_eq!(
            to_postgres("SELECT jsonb(x), json_type(x) FROM t").unwrap(),
            "SELECT jsonb(x), json_type(x) FROM t"
        );
        assert_eq!(to_postgres("SELECT json(?1"), Err(Unsupported("json(")));
        assert_eq!(to_postgres("SELECT randomblob(8)"), Err(Unsupported("randomblob(")));
    }

    #[test]
    fn scalar_max_and_min_become_greatest_and_least_and_the_aggregates_stay() {
        assert_eq!(
            to_postgres(
                "UPDATE r SET n = MAX(n, ?3), e = min(a.t, COALESCE(b.t, a.t)) WHERE x = max((1), 2)"
            )
            .unwrap(),
            "UPDATE r SET n = GREATEST(n, $3), e = LEAST(a.t, COALESCE(b.t, a.t)) WHERE x = GREATEST((1), 2)"
        );
        assert_eq!(
            to_postgres("SELECT MAX(id), min(f(a, b)), max(',') FROM t").unwrap(),
            "SELECT MAX(id), min(f(a, b)), max(',') FROM t"
        );
    }

    #[test]
    fn the_stored_times_seconds_arithmetic_becomes_an_interval() {
        assert_eq!(
            to_postgres(
                "SELECT 1 FROM x WHERE t < strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '-' || (COALESCE(r.d, ?2) * 86400.0) || ' seconds')"
            )
            .unwrap(),
            "SELECT 1 FROM x WHERE t < (CAST($1 AS timestamptz) - ((COALESCE(r.d, $2) * 86400.0)) * interval '1 second')"
        );
        assert_eq!(to_postgres("SELECT strftime('%s', t) FROM a"), Err(Unsupported("strftime(")));
        assert_eq!(
            to_postgres("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '+1 day')"),
            Err(Unsupported("strftime("))
        );
    }

    #[test]
    fn upserts_and_returning_are_already_portable() {
        let sql = "INSERT INTO q (k, n) VALUES (?1, 1) ON CONFLICT (k) DO UPDATE SET n = q.n + 1 RETURNING n";
        assert_eq!(
            to_postgres(sql).unwrap(),
            "INSERT INTO q (k, n) VALUES ($1, 1) ON CONFLICT (k) DO UPDATE SET n = q.n + 1 RETURNING n"
        );
    }
}
