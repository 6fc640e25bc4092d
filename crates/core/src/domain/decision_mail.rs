//! Decision messages to candidates (docs/hiring.md#decision-messages): one org-editable
//! template per decision (`advance`, `hold`, `reject`), each a subject and a body with a small
//! set of `{{placeholders}}`, and built-in defaults for an organization that has set none. Pure:
//! the Worker stores the templates and queues the rendered message in the decision's batch.
//! A message carries only the template — never the decision's reason or any note.

use serde::Serialize;
use serde_json::{Map, Value};

use super::enums::{HiringDecision, MailKind};
use super::mail::{clip, one_line, OutgoingMail, MAX_SUBJECT_BYTES, MAX_TEXT_BYTES};
use crate::error::ApiError;
use crate::http::json::Fields;

/// The placeholders a template may use, each written `{{name}}`.
pub const PLACEHOLDERS: &[&str] = &["candidate_name", "job_title", "org_name"];
/// Longest subject and body of a template, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 5000;

/// One decision's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

/// The built-in message of `decision` (docs/hiring.md#decision-messages).
#[must_use]
pub fn default_template(decision: HiringDecision) -> Template {
    let (subject, middle) = match decision {
        HiringDecision::Advance => (
            "Next steps for {{job_title}} at {{org_name}}",
            "We are pleased to tell you that we would like to move forward with your application. \
             We will be in touch soon about the next steps.",
        ),
        HiringDecision::Hold => (
            "Your application for {{job_title}} at {{org_name}}",
            "Your application is still under consideration. We will get back to you as soon as we can.",
        ),
        HiringDecision::Reject => (
            "Your application for {{job_title}} at {{org_name}}",
            "After careful consideration, we have decided not to move forward with your application \
             at this time. We appreciate the time you spent with us and wish you every success.",
        ),
    };
    Template {
        subject: subject.to_owned(),
        body: format!(
            "Hello {{{{candidate_name}}}},\n\nThank you for interviewing for {{{{job_title}}}}. {middle}\n\n\
             Best regards,\n{{{{org_name}}}}"
        ),
    }
}

/// `text` with every `{{name}}` (spaces inside allowed) replaced by `value(name)`.
///
/// # Errors
/// The problem, for the field's error: an unknown placeholder or an unclosed `{{`.
fn fill(text: &str, value: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err("A placeholder opened with {{ is not closed with }}.".to_owned());
        };
        let name = after[..end].trim();
        match value(name) {
            Some(v) => out.push_str(&v),
            None => {
                return Err(format!(
                    "Unknown placeholder {{{{{}}}}}: use {}.",
                    clip(name, 40),
                    PLACEHOLDERS.iter().map(|p| format!("{{{{{p}}}}}")).collect::<Vec<_>>().join(", ")
                ))
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// What `PUT …/decision-templates` changes: per decision given, its new template, or `None`
/// (`null`) to go back to the built-in one.
pub type Changes = Vec<(HiringDecision, Option<Template>)>;

/// Validates `{advance?, hold?, reject?}`, each `{subject, body}` or `null`.
///
/// # Errors
/// 422 `VALIDATION_ERROR` naming each bad field (`reject.body`), unknown fields, or an empty body.
pub fn parse_templates(mut body: Map<String, Value>) -> Result<Changes, ApiError> {
    let mut changes = Changes::new();
    let mut given = Vec::new();
    for &decision in HiringDecision::ALL {
        match body.get(decision.as_str()) {
            Some(Value::Null) => {
                body.remove(decision.as_str());
                changes.push((decision, None));
            }
            Some(_) => given.push(decision),
            None => {}
        }
    }
    let mut f = Fields::new(body);
    for decision in given {
        let template = f.optional_object(decision.as_str(), |n| {
            let subject = n.required_str("subject", 1..=MAX_SUBJECT_CHARS, true);
            let body = n.required_str("body", 1..=MAX_BODY_CHARS, true);
            if subject.as_deref().is_some_and(|s| s.contains(['\n', '\r'])) {
                n.error("subject", "A subject is one line.");
            }
            let known = |p: &str| PLACEHOLDERS.contains(&p).then(String::new);
            for (field, text) in [("subject", &subject), ("body", &body)] {
                if let Some(Err(problem)) = text.as_deref().map(|t| fill(t, &known)) {
                    n.error(field, problem);
                }
            }
            Some(Template { subject: subject?, body: body? })
        });
        if let Some(t) = template {
            changes.push((decision, Some(t)));
        }
    }
    if changes.is_empty() && !f.has_errors() {
        f.error("advance", "Give a template for advance, hold or reject (null restores the default).");
    }
    f.finish()?;
    Ok(changes)
}

/// One decision's template as `GET …/decision-templates` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateView {
    pub subject: String,
    pub body: String,
    /// Whether this is the built-in message (the organization has not set its own).
    pub is_default: bool,
    pub updated_at: Option<String>,
}

/// Every decision's template.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateViews {
    pub advance: TemplateView,
    pub hold: TemplateView,
    pub reject: TemplateView,
}

/// `GET …/decision-templates`: every decision's template and the placeholders.
#[derive(Debug, Clone, Serialize)]
pub struct TemplatesView {
    pub templates: TemplateViews,
    pub placeholders: &'static [&'static str],
}

impl TemplatesView {
    /// The organization's stored templates (`(decision, template, updated_at)`), the built-in
    /// one for every decision it has not set.
    #[must_use]
    pub fn new(stored: &[(HiringDecision, Template, String)]) -> Self {
        let view = |d: HiringDecision| match stored.iter().find(|(x, _, _)| *x == d) {
            Some((_, t, at)) => TemplateView {
                subject: t.subject.clone(),
                body: t.body.clone(),
                is_default: false,
                updated_at: Some(at.clone()),
            },
            None => {
                let t = default_template(d);
                TemplateView { subject: t.subject, body: t.body, is_default: true, updated_at: None }
            }
        };
        let templates = TemplateViews {
            advance: view(HiringDecision::Advance),
            hold: view(HiringDecision::Hold),
            reject: view(HiringDecision::Reject),
        };
        Self { templates, placeholders: PLACEHOLDERS }
    }
}

/// What the placeholders stand for in one message.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub candidate_name: Option<&'a str>,
    pub job_title: &'a str,
    pub org_name: &'a str,
}

/// The decision message to `to`: the template with its placeholders filled (names on one line,
/// clipped), and the unsubscribe link (a decision message is optional mail).
#[must_use]
pub fn render(template: &Template, to: &str, facts: &Facts<'_>, unsubscribe: &str) -> OutgoingMail {
    let name = one_line(facts.candidate_name.filter(|n| !n.trim().is_empty()).unwrap_or("candidate"), 120);
    let title = one_line(facts.job_title, 200);
    let org = one_line(facts.org_name, 120);
    let value = |p: &str| match p {
        "candidate_name" => Some(name.clone()),
        "job_title" => Some(title.clone()),
        "org_name" => Some(org.clone()),
        _ => None,
    };
    // Stored templates were validated; an unknown placeholder left by any other path stays as
    // written rather than failing the decision.
    let subject = fill(&template.subject, &value).unwrap_or_else(|_| template.subject.clone());
    let body = fill(&template.body, &value).unwrap_or_else(|_| template.body.clone());
    let footer = format!(
        "\n\n--\nYou receive this because you interviewed with {org}. \
         To stop receiving optional emails like this one: {unsubscribe}\n"
    );
    OutgoingMail {
        kind: MailKind::Decision,
        to: to.to_owned(),
        subject: clip(&one_line(&subject, MAX_SUBJECT_BYTES), MAX_SUBJECT_BYTES),
        text: format!("{}{footer}", clip(&body, MAX_TEXT_BYTES.saturating_sub(footer.len()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn fields(e: &ApiError) -> Vec<&str> {
        e.details.iter().map(|d| d.field.as_str()).collect()
    }

    #[test]
    fn defaults_use_only_known_placeholders_and_render_completely() {
        for &d in HiringDecision::ALL {
            let t = default_template(d);
            let body = map(json!({ d.as_str(): { "subject": t.subject, "body": t.body } }));
            assert_eq!(parse_templates(body).ok(), Some(vec![(d, Some(t.clone()))]));
            let facts = Facts { candidate_name: Some("Ada\nLovelace"), job_title: "Dev", org_name: "Acme" };
            let m = render(&t, "ada@example.com", &facts, "https://x.test/#/unsubscribe/T");
            assert_eq!(m.kind, MailKind::Decision);
            assert!(!m.subject.contains("{{") && !m.text.contains("{{"), "{m:?}");
            assert!(m.subject.contains("Dev") && m.subject.contains("Acme"));
            assert!(m.text.contains("Hello Ada Lovelace,"));
            assert_eq!(m.text.matches("/#/unsubscribe/T").count(), 1);
        }
    }

    #[test]
    fn unknown_placeholders_and_bad_fields_are_named() {
        let e = parse_templates(map(json!({
            "advance": { "subject": "Hi {{ candidate_name }}", "body": "Your {{salary}} offer" },
            "reject": { "subject": "Line\nbreak", "body": "unclosed {{org_name" },
            "hold": { "subject": "" },
            "extra": 1,
        })))
        .err()
        .map(|e| fields(&e).into_iter().map(str::to_owned).collect::<Vec<_>>());
        let e = e.unwrap_or_default();
        for f in ["advance.body", "reject.subject", "reject.body", "hold.subject", "hold.body", "extra"] {
            assert!(e.iter().any(|x| x == f), "{f} in {e:?}");
        }
        assert!(!e.iter().any(|x| x == "advance.subject"), "{e:?}");
        assert!(parse_templates(map(json!({}))).is_err());
        assert!(parse_templates(map(json!({ "hold": "text" }))).is_err());
        let long = "x".repeat(MAX_BODY_CHARS + 1);
        assert!(parse_templates(map(json!({ "hold": { "subject": "s", "body": long } }))).is_err());
    }

    #[test]
    fn null_restores_the_default_and_views_fill_the_gaps() {
        assert_eq!(
            parse_templates(map(json!({ "reject": null }))).ok(),
            Some(vec![(HiringDecision::Reject, None)])
        );
        let mine = Template { subject: "S".into(), body: "B {{org_name}}".into() };
        let v = TemplatesView::new(&[(HiringDecision::Hold, mine, "2026-12-03T00:00:00.000Z".into())]);
        assert!(!v.templates.hold.is_default && v.templates.hold.subject == "S");
        assert!(v.templates.advance.is_default && v.templates.advance.updated_at.is_none());
        assert!(v.templates.reject.is_default);
    }

    #[test]
    fn a_message_is_the_template_only_and_stays_within_bounds() {
        let t = Template { subject: "{{org_name}}: {{job_title}}".into(), body: "x".repeat(MAX_BODY_CHARS) };
        let facts = Facts { candidate_name: None, job_title: &"t".repeat(5_000), org_name: "Acme\r\nBcc: y" };
        let m = render(&t, "a@b.co", &facts, "u");
        assert!(m.subject.len() <= MAX_SUBJECT_BYTES && !m.subject.contains(['\r', '\n']));
        assert!(m.text.len() <= MAX_TEXT_BYTES);
        assert!(crate::domain::mail::optional(m.kind));
    }
}
