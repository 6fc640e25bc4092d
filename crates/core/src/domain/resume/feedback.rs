//! Built-in résumé feedback (docs/resumes.md#feedback, provider "built-in"): from a [`ParsedResume`], a
//! short, constructive email to the candidate, the gaps it names and learning resources.
//!
//! Gaps are judged against what the role expects (for a known [`RoleType`]: React itself, state
//! management and TypeScript for React; a web framework and typing for Python; Node.js and
//! TypeScript for JavaScript; a frontend and a backend framework for full-stack) and against
//! what any engineering résumé benefits from (testing, cloud, containers/CI, Git, databases,
//! dated roles, job titles, a concrete skills list). At most [`MAX_GAPS`] gaps and
//! [`MAX_RESOURCES`] resources, role-specific ones first; resources are stable official
//! documentation. Deterministic: the same input gives the same email.
//!
//! The text is written to encourage: strengths first, gaps as suggestions, no scores.

use serde::{Deserialize, Serialize};

use super::parse::ParsedResume;
use crate::domain::enums::RoleType;

/// At most this many gaps are named.
pub const MAX_GAPS: usize = 6;
/// At most this many resources are recommended.
pub const MAX_RESOURCES: usize = 6;

/// A learning resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub title: String,
    pub url: String,
}

/// The feedback stored in `resume_feedback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeFeedback {
    pub feedback_content: String,
    pub identified_gaps: Vec<String>,
    pub recommended_resources: Vec<Resource>,
}

type Link = (&'static str, &'static str);

const REACT_DOCS: Link = ("React documentation: Learn React", "https://react.dev/learn");
const REDUX_ESSENTIALS: Link =
    ("Redux Essentials tutorial", "https://redux.js.org/tutorials/essentials/part-1-overview-concepts");
const TS_HANDBOOK: Link =
    ("The TypeScript Handbook", "https://www.typescriptlang.org/docs/handbook/intro.html");
const PYTHON_TUTORIAL: Link = ("The Python Tutorial", "https://docs.python.org/3/tutorial/");
const FASTAPI_TUTORIAL: Link = ("FastAPI tutorial", "https://fastapi.tiangolo.com/tutorial/");
const PYTHON_TYPING: Link = ("Python typing documentation", "https://docs.python.org/3/library/typing.html");
const MDN_JS: Link =
    ("MDN JavaScript Guide", "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Guide");
const NODE_LEARN: Link = ("Learn Node.js", "https://nodejs.org/en/learn");
const TEST_PYRAMID: Link =
    ("The Practical Test Pyramid", "https://martinfowler.com/articles/practical-test-pyramid.html");
const JEST_DOCS: Link = ("Jest: Getting Started", "https://jestjs.io/docs/getting-started");
const TESTING_LIBRARY: Link = ("Testing Library documentation", "https://testing-library.com/docs/");
const PYTEST_DOCS: Link = ("pytest: Get Started", "https://docs.pytest.org/en/stable/getting-started.html");
const PLAYWRIGHT_DOCS: Link = ("Playwright: Getting started", "https://playwright.dev/docs/intro");
const AWS_START: Link = ("AWS Getting Started", "https://aws.amazon.com/getting-started/");
const WORKERS_DOCS: Link = ("Cloudflare Workers documentation", "https://developers.cloudflare.com/workers/");
const DOCKER_START: Link = ("Docker: Get started", "https://docs.docker.com/get-started/");
const ACTIONS_DOCS: Link = ("GitHub Actions documentation", "https://docs.github.com/en/actions");
const PRO_GIT: Link = ("Pro Git (free book)", "https://git-scm.com/book/en/v2");
const POSTGRES_TUTORIAL: Link =
    ("PostgreSQL tutorial", "https://www.postgresql.org/docs/current/tutorial.html");

const STATE_MANAGEMENT: &[&str] = &["Redux", "MobX", "Zustand", "React Query"];
const PYTHON_WEB: &[&str] = &["Django", "Flask", "FastAPI"];
const PYTHON_TYPES: &[&str] = &["mypy", "Pydantic"];
const FRONTEND_FRAMEWORKS: &[&str] = &["React", "Next.js", "Vue.js", "Nuxt", "Angular", "Svelte", "Ember.js"];
const BACKEND_FRAMEWORKS: &[&str] = &[
    "Node.js",
    "Express",
    "NestJS",
    "Fastify",
    "Django",
    "Flask",
    "FastAPI",
    "Spring Boot",
    "Ruby on Rails",
    "Laravel",
    "Symfony",
    ".NET",
];

/// One gap: what is missing and where to learn it.
struct Gap {
    text: &'static str,
    links: Vec<Link>,
}

fn has_any(parsed: &ParsedResume, names: &[&str]) -> bool {
    names.iter().any(|n| parsed.has_skill(n))
}

fn role_name(role: RoleType) -> &'static str {
    match role {
        RoleType::React => "React",
        RoleType::Python => "Python",
        RoleType::Javascript => "JavaScript",
        RoleType::Fullstack => "full-stack",
    }
}

fn role_gaps(parsed: &ParsedResume, role: RoleType) -> Vec<Gap> {
    let mut gaps = Vec::new();
    let mut gap = |missing: bool, text: &'static str, links: Vec<Link>| {
        if missing {
            gaps.push(Gap { text, links });
        }
    };
    match role {
        RoleType::React => {
            gap(
                !parsed.has_skill("React"),
                "React itself is not mentioned; name the React work you have done.",
                vec![REACT_DOCS],
            );
            gap(
                !has_any(parsed, STATE_MANAGEMENT),
                "No state-management approach (Redux, Zustand, React Query, …) is listed.",
                vec![REDUX_ESSENTIALS],
            );
            gap(
                !parsed.has_skill("TypeScript"),
                "TypeScript is not listed; most React teams use it.",
                vec![TS_HANDBOOK],
            );
        }
        RoleType::Python => {
            gap(
                !parsed.has_skill("Python"),
                "Python itself is not mentioned; describe your Python work.",
                vec![PYTHON_TUTORIAL],
            );
            gap(
                !has_any(parsed, PYTHON_WEB),
                "No Python web framework (Django, Flask, FastAPI) is listed.",
                vec![FASTAPI_TUTORIAL],
            );
            gap(
                !has_any(parsed, PYTHON_TYPES),
                "Type hints and checking (mypy, Pydantic) are not mentioned.",
                vec![PYTHON_TYPING],
            );
        }
        RoleType::Javascript => {
            gap(
                !has_any(parsed, &["JavaScript", "TypeScript"]),
                "JavaScript itself is not mentioned; describe your JavaScript work.",
                vec![MDN_JS],
            );
            gap(
                !parsed.has_skill("Node.js"),
                "No server-side JavaScript (Node.js) is listed.",
                vec![NODE_LEARN],
            );
            gap(!parsed.has_skill("TypeScript"), "TypeScript is not listed.", vec![TS_HANDBOOK]);
        }
        RoleType::Fullstack => {
            gap(
                !has_any(parsed, FRONTEND_FRAMEWORKS),
                "No frontend framework (React, Vue, Angular, …) is listed.",
                vec![REACT_DOCS],
            );
            gap(
                !has_any(parsed, BACKEND_FRAMEWORKS),
                "No backend framework (Node.js, Django, Spring, …) is listed.",
                vec![NODE_LEARN],
            );
        }
    }
    gaps
}

fn general_gaps(parsed: &ParsedResume, role: Option<RoleType>) -> Vec<Gap> {
    let testing_links = match role {
        Some(RoleType::React | RoleType::Javascript) => vec![TESTING_LIBRARY, JEST_DOCS],
        Some(RoleType::Python) => vec![PYTEST_DOCS],
        Some(RoleType::Fullstack) => vec![TEST_PYRAMID, PLAYWRIGHT_DOCS],
        None => vec![TEST_PYRAMID],
    };
    let mut gaps = Vec::new();
    let mut gap = |missing: bool, text: &'static str, links: Vec<Link>| {
        if missing {
            gaps.push(Gap { text, links });
        }
    };
    gap(
        !parsed.has_domain("testing"),
        "No testing tools or practices are listed (unit, integration or end-to-end tests).",
        testing_links,
    );
    gap(
        !parsed.has_domain("cloud"),
        "No cloud platform experience is listed.",
        vec![AWS_START, WORKERS_DOCS],
    );
    gap(
        !has_any(
            parsed,
            &["Docker", "Kubernetes", "CI/CD", "GitHub Actions", "GitLab CI", "Jenkins", "CircleCI"],
        ),
        "No containers or CI/CD tooling are listed.",
        vec![DOCKER_START, ACTIONS_DOCS],
    );
    gap(!parsed.has_skill("Git"), "Version control (Git) is not mentioned.", vec![PRO_GIT]);
    gap(
        role != Some(RoleType::React) && !parsed.has_domain("databases"),
        "No databases are listed.",
        vec![POSTGRES_TUTORIAL],
    );
    gap(
        parsed.experience_years.is_none(),
        "Your roles have no dates; add start and end dates (month and year) to each position.",
        Vec::new(),
    );
    gap(
        parsed.previous_roles.is_empty(),
        "No job titles stand out; state your title for each position.",
        Vec::new(),
    );
    gap(
        parsed.skills.len() < 5,
        "The skills listed are few; name the concrete languages, frameworks and tools you have used.",
        Vec::new(),
    );
    gaps
}

/// "a", "a and b", "a, b and c".
fn join_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Feedback for a parsed résumé; `role` is the role the candidate applies for, when known, and
/// `candidate_name` the name to greet (else "Hi there").
#[must_use]
pub fn generate_feedback(
    parsed: &ParsedResume,
    role: Option<RoleType>,
    candidate_name: Option<&str>,
) -> ResumeFeedback {
    let mut gaps: Vec<Gap> = role.map(|r| role_gaps(parsed, r)).unwrap_or_default();
    gaps.extend(general_gaps(parsed, role));
    gaps.truncate(MAX_GAPS);

    let mut resources: Vec<Resource> = Vec::new();
    for (title, url) in gaps.iter().flat_map(|g| g.links.iter()) {
        if resources.len() < MAX_RESOURCES && !resources.iter().any(|r| r.url == *url) {
            resources.push(Resource { title: (*title).to_owned(), url: (*url).to_owned() });
        }
    }

    let name = candidate_name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or("there");
    let mut text = format!("Hi {name},\n\n");
    text.push_str("Thank you for sharing your resume");
    if let Some(role) = role {
        text.push_str(&format!(" for the {} role", role_name(role)));
    }
    text.push_str(". We have read it carefully and would like to share some feedback.\n\n");

    let mut strengths = Vec::new();
    let top: Vec<String> = parsed.skills.iter().take(5).cloned().collect();
    if !top.is_empty() {
        strengths.push(format!("hands-on experience with {}", join_list(&top)));
    }
    match parsed.experience_years {
        Some(years) if years >= 1 => {
            strengths.push(format!(
                "{years} year{} of professional experience",
                if years == 1 { "" } else { "s" }
            ));
        }
        _ => {}
    }
    if let Some(title) = parsed.previous_roles.first() {
        strengths.push(format!("your work as {title}"));
    }
    if strengths.is_empty() {
        text.push_str("Your resume gives us a first picture of your background.\n\n");
    } else {
        text.push_str(&format!("What stands out: {}.\n\n", join_list(&strengths)));
    }

    if gaps.is_empty() {
        text.push_str(
            "It covers the areas we look for well. Keep it current with your most recent projects and the \
             results they achieved.\n\n",
        );
    } else {
        text.push_str("A few suggestions to make it stronger:\n");
        for gap in &gaps {
            text.push_str(&format!("- {}\n", gap.text));
        }
        text.push('\n');
    }
    if !resources.is_empty() {
        text.push_str("Resources that may help:\n");
        for r in &resources {
            text.push_str(&format!("- {}: {}\n", r.title, r.url));
        }
        text.push('\n');
    }
    text.push_str("We wish you every success with your application.\n\nKind regards,\nThe Recruitment Team");

    ResumeFeedback {
        feedback_content: text,
        identified_gaps: gaps.iter().map(|g| g.text.to_owned()).collect(),
        recommended_resources: resources,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::resume::parse::parse_resume;

    fn parsed(text: &str) -> ParsedResume {
        parse_resume(text, 2026)
    }

    #[test]
    fn a_thin_resume_gets_gaps_and_resources() {
        let p = parsed("Jo Bloggs\nI like computers. JavaScript.");
        let f = generate_feedback(&p, Some(RoleType::React), Some("Jo"));
        assert!(f.feedback_content.starts_with("Hi Jo,\n"));
        assert!(f.feedback_content.contains("for the React role"));
        assert!(f.identified_gaps.iter().any(|g| g.contains("React itself")));
        assert!(f.identified_gaps.iter().any(|g| g.contains("state-management")));
        assert!(f.identified_gaps.iter().any(|g| g.contains("testing")));
        assert_eq!(f.identified_gaps.len(), MAX_GAPS);
        assert!(!f.recommended_resources.is_empty() && f.recommended_resources.len() <= MAX_RESOURCES);
        assert!(f.recommended_resources.iter().all(|r| r.url.starts_with("https://")));
        for gap in &f.identified_gaps {
            assert!(f.feedback_content.contains(gap.as_str()), "{gap}");
        }
        assert!(f.feedback_content.contains("https://react.dev/learn"));
        assert!(f.feedback_content.ends_with("The Recruitment Team"));
    }

    #[test]
    fn a_strong_resume_names_its_strengths_and_few_gaps() {
        let p = parsed(
            "Senior Software Engineer 2018 - 2025\nReact, TypeScript, Redux, Jest, Node.js, PostgreSQL, AWS, \
             Docker, GitHub Actions, Git",
        );
        let f = generate_feedback(&p, Some(RoleType::React), None);
        assert!(f.feedback_content.starts_with("Hi there,\n"));
        assert!(f.identified_gaps.is_empty(), "{:?}", f.identified_gaps);
        assert!(f.recommended_resources.is_empty());
        assert!(f.feedback_content.contains("React, TypeScript, Redux, Jest and Node.js"));
        assert!(f.feedback_content.contains("7 years of professional experience"));
        assert!(f.feedback_content.contains("your work as Senior Software Engineer"));
        assert!(f.feedback_content.contains("covers the areas we look for"));
    }

    #[test]
    fn gaps_follow_the_role() {
        let p = parsed(
            "Python developer 2020 - 2024. Django, pytest, PostgreSQL, AWS, Docker, Git.\nBackend Developer",
        );
        let python = generate_feedback(&p, Some(RoleType::Python), None);
        assert_eq!(
            python.identified_gaps,
            vec!["Type hints and checking (mypy, Pydantic) are not mentioned."]
        );
        let react = generate_feedback(&p, Some(RoleType::React), None);
        assert!(react.identified_gaps.iter().any(|g| g.contains("React itself")));
        let fullstack = generate_feedback(&p, Some(RoleType::Fullstack), None);
        assert!(fullstack.identified_gaps.iter().any(|g| g.contains("frontend framework")));
        assert!(!fullstack.identified_gaps.iter().any(|g| g.contains("backend framework")));
        let general = generate_feedback(&p, None, None);
        assert!(general.identified_gaps.is_empty(), "{:?}", general.identified_gaps);
        assert!(!general.feedback_content.contains(" role."));
    }

    #[test]
    fn missing_testing_cloud_and_dates_are_named() {
        let p = parsed("Frontend Developer\nReact, Redux, TypeScript, Git, Webpack");
        let f = generate_feedback(&p, Some(RoleType::React), None);
        let gaps = f.identified_gaps.join("\n");
        assert!(gaps.contains("testing"), "{gaps}");
        assert!(gaps.contains("cloud"), "{gaps}");
        assert!(gaps.contains("dates"), "{gaps}");
        assert!(!gaps.contains("databases"), "React roles are not asked for databases: {gaps}");
        assert!(f.recommended_resources.iter().any(|r| r.url.contains("testing-library.com")));
    }

    #[test]
    fn feedback_is_deterministic_and_serializable() {
        let p = parsed("Data Scientist, Python, Pandas 2019 - 2022");
        let a = generate_feedback(&p, Some(RoleType::Python), Some("Ana"));
        assert_eq!(a, generate_feedback(&p, Some(RoleType::Python), Some("Ana")));
        let json = serde_json::to_value(&a).unwrap();
        assert!(json["feedback_content"].is_string());
        assert!(json["identified_gaps"].is_array());
        assert!(json["recommended_resources"][0]["title"].is_string());
        assert!(json["recommended_resources"][0]["url"].is_string());
        let empty = generate_feedback(&ParsedResume::default(), None, Some("  "));
        assert!(empty.feedback_content.starts_with("Hi there,"));
        assert!(empty.feedback_content.contains("first picture of your background"));
    }

    #[test]
    fn lists_read_naturally() {
        let s = |v: &[&str]| join_list(&v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>());
        assert_eq!(s(&[]), "");
        assert_eq!(s(&["a"]), "a");
        assert_eq!(s(&["a", "b"]), "a and b");
        assert_eq!(s(&["a", "b", "c"]), "a, b and c");
    }
}
