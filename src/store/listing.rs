//! The recruiter list queries (SPEC.md §4.6) as parameterised SQL, from the filters validated by
//! `http::listing`: only the active filters reach the SQL (so SQLite can pick the matching index;
//! see `tests/query_plans.rs`, which checks the plans against the real schema), and the keyset
//! cursor is a range on the sort key. Pure and compiled on every target; `store::recruiter`
//! (wasm32) runs them on D1.
//!
//! Interviews are listed newest first by `(started_at, id)`; candidates by `(created_at, id)`.
//! Every list is scoped to the caller's organization (always the first parameter, `?1`).

use crate::http::listing::{CandidateFilters, InterviewFilters};

/// A bound SQL parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    Real(f64),
    Int(i64),
}

/// The condition "user `alias` is visible to the organization bound as `?n`": its own staff, the
/// candidates who registered with it, and the candidates who interviewed with it.
#[must_use]
pub fn user_in_org(alias: &str, n: usize) -> String {
    format!(
        "({alias}.org_id = ?{n} OR ({alias}.role = 'candidate' AND EXISTS (SELECT 1 FROM interviews oi \
         WHERE oi.candidate_id = {alias}.id AND oi.org_id = ?{n})))"
    )
}

/// The `GET /recruiter/interviews` page query for organization `org_id`: one row more than
/// `limit` tells whether a next page exists.
#[must_use]
pub fn interviews_query(f: &InterviewFilters, org_id: &str) -> (String, Vec<Param>) {
    let mut clauses = vec!["i.org_id = ?1".to_owned()];
    let mut params = vec![Param::Text(org_id.to_owned())];
    let mut push = |clause: &str, p: Param| {
        params.push(p);
        clauses.push(clause.replace('?', &format!("?{}", params.len())));
    };
    if let Some(s) = f.status {
        push("i.status = ?", Param::Text(s.as_str().to_owned()));
    }
    if let Some(r) = f.role_type {
        push("i.role_type = ?", Param::Text(r.as_str().to_owned()));
    }
    if let Some(from) = &f.from {
        push("i.started_at >= ?", Param::Text(from.clone()));
    }
    if let Some(to) = &f.to {
        push("i.started_at < ?", Param::Text(to.clone()));
    }
    if let Some(m) = f.min_score {
        push("i.overall_score >= ?", Param::Real(m));
    }
    if let Some(m) = f.max_score {
        push("i.overall_score <= ?", Param::Real(m));
    }
    if let Some((key, id)) = &f.cursor {
        params.push(Param::Text(key.clone()));
        params.push(Param::Text(id.clone()));
        let (a, b) = (params.len() - 1, params.len());
        clauses.push(format!("(i.started_at < ?{a} OR (i.started_at = ?{a} AND i.id < ?{b}))"));
    }
    params.push(Param::Int(i64::from(f.limit) + 1));
    let where_sql = format!("WHERE {}", clauses.join(" AND "));
    let sql = format!(
        "SELECT i.id, i.candidate_id, u.full_name AS candidate_name, i.role_type, i.mode, i.status, \
         i.started_at, i.completed_at, i.duration_seconds, i.questions_asked, i.completion_reason, \
         i.total_cost_micros, i.overall_score \
         FROM interviews i JOIN users u ON u.id = i.candidate_id {where_sql} \
         ORDER BY i.started_at DESC, i.id DESC LIMIT ?{}",
        params.len()
    );
    (sql, params)
}

/// The `GET /recruiter/candidates` page query (name or email contains `q`, case-insensitively). A plain substring
/// search with `instr`, not `LIKE`: no wildcards to escape, and D1 refuses `LIKE` patterns
/// longer than 50 bytes ("pattern too complex", a 500), which a 100-character `q` exceeds.
#[must_use]
pub fn candidates_query(f: &CandidateFilters, org_id: &str) -> (String, Vec<Param>) {
    let mut clauses = vec!["u.role = 'candidate'".to_owned(), user_in_org("u", 1)];
    let mut params = vec![Param::Text(org_id.to_owned())];
    if let Some(q) = &f.q {
        params.push(Param::Text(q.to_lowercase()));
        let n = params.len();
        clauses.push(format!("(instr(lower(u.full_name), ?{n}) > 0 OR instr(lower(u.email), ?{n}) > 0)"));
    }
    if let Some((key, id)) = &f.cursor {
        params.push(Param::Text(key.clone()));
        params.push(Param::Text(id.clone()));
        let (a, b) = (params.len() - 1, params.len());
        clauses.push(format!("(u.created_at < ?{a} OR (u.created_at = ?{a} AND u.id < ?{b}))"));
    }
    params.push(Param::Int(i64::from(f.limit) + 1));
    let sql = format!(
        "SELECT u.id, u.email, u.full_name, u.phone, u.status, u.created_at, u.last_login_at FROM users u WHERE {} \
         ORDER BY u.created_at DESC, u.id DESC LIMIT ?{}",
        clauses.join(" AND "),
        params.len()
    );
    (sql, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn only_active_filters_reach_the_sql_and_params_line_up() {
        let f = InterviewFilters::parse(&q(&[("status", "completed"), ("min_score", "50"), ("limit", "10")]))
            .expect("valid");
        let (sql, params) = interviews_query(&f, "org-a");
        assert!(
            sql.contains("i.org_id = ?1")
                && sql.contains("i.status = ?2")
                && sql.contains("i.overall_score >= ?3")
                && sql.ends_with("LIMIT ?4")
        );
        assert!(!sql.contains("role_type ="));
        assert_eq!(
            params,
            vec![
                Param::Text("org-a".into()),
                Param::Text("completed".into()),
                Param::Real(50.0),
                Param::Int(11)
            ]
        );
        let f = InterviewFilters::parse(&q(&[("from", "2026-11-01")])).expect("date");
        assert_eq!(f.from.as_deref(), Some("2026-11-01T00:00:00.000Z"));
    }

    #[test]
    fn candidate_search_is_a_literal_lowercase_substring_without_like() {
        let f = CandidateFilters::parse(&q(&[("q", "50%_OFF")])).expect("valid");
        let (sql, params) = candidates_query(&f, "org-a");
        assert_eq!(params[0], Param::Text("org-a".into()), "scoped to the caller's organization");
        assert_eq!(params[1], Param::Text("50%_off".into()), "wildcards stay literal");
        assert!(sql.contains("u.org_id = ?1") && sql.contains("oi.org_id = ?1"), "{sql}");
        assert!(sql.contains("instr(lower(u.full_name), ?2) > 0"), "{sql}");
        assert!(!sql.contains("LIKE"), "D1 caps LIKE patterns at 50 bytes: {sql}");
        let long = "é".repeat(100);
        assert!(CandidateFilters::parse(&q(&[("q", &long)])).is_ok(), "100 characters are allowed");
        let too_long = "a".repeat(101);
        assert!(CandidateFilters::parse(&q(&[("q", &too_long)])).is_err());
    }
}
