//! SQL dialects: the store's statements are written once, in the SQLite dialect D1 speaks, and
//! translated here for Postgres (docs/decisions/0011). Pure and total: a construct with no
//! faithful translation is refused with its name, never guessed.
//!
//! Translated: numbered (`?3`) and bare (`?`) placeholders → `$n`; `json_object(` →
//! `json_build_object(`; `json_each(x)` over a JSON array (the store only ever selects its
//! `value`) → `json_array_elements_text((x)::json) AS value`; `changes()` → the number of rows
//! the batch's previous statement changed, when the adapter knows it ([`to_postgres_after`]: the
//! Postgres adapter runs a batch statement by statement in one transaction, so it has the count
//! SQLite's `changes()` would return). Refused: `changes()` without that count, `INSERT OR …`,
//! `datetime(`, `strftime(`, `julianday(`, `json_valid(`, `rowid` (SQLite-only). String literals
//! (`'…'`, with `''` escapes), quoted identifiers (`"…"`) and comments are copied untouched.

/// A statement the translator will not rewrite: the SQLite-only construct it contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub &'static str);

/// SQLite-only constructs (matched case-insensitively on word boundaries, outside literals).
const REFUSED: &[&str] =
    &["changes(", "insert or", "datetime(", "strftime(", "julianday(", "json_valid(", "rowid"];

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
                if starts_with_word(rest, "json_each(") {
                    let open = i + "json_each".len();
                    let close = closing_paren(bytes, open).ok_or(Unsupported("json_each("))?;
                    let inner = to_postgres_after(&sql[open + 1..close], changed)?;
                    out.push_str("json_array_elements_text((");
                    out.push_str(&inner);
                    out.push_str(")::json) AS value");
                    i = close + 1;
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
    fn upserts_and_returning_are_already_portable() {
        let sql = "INSERT INTO q (k, n) VALUES (?1, 1) ON CONFLICT (k) DO UPDATE SET n = q.n + 1 RETURNING n";
        assert_eq!(
            to_postgres(sql).unwrap(),
            "INSERT INTO q (k, n) VALUES ($1, 1) ON CONFLICT (k) DO UPDATE SET n = q.n + 1 RETURNING n"
        );
    }
}
