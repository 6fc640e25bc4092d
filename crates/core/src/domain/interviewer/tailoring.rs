//! Which skill areas an interview covers, and in what order: a resume's free-text skills
//! (`"React Hooks"`, `"asyncio"`, `"PostgreSQL"`, `"Jest"`) mapped to the role's area ids with a small
//! keyword table, and the final order a [`super::Session`] starts with.
//!
//! Tailoring only *reorders*: the areas the resume mentions come first, and every other area of
//! the role stays available after them, so an interview can always run its full course (a
//! resume that names one area must not leave the engine a single area to probe twenty times).

use crate::domain::bank::for_role;
use crate::domain::enums::RoleType;

/// Keywords per area id, lower-case, written as words (a keyword matches whole words of the
/// skill, in order; punctuation in the skill counts as a space, so "node.js" is "node js").
type KeywordTable = &'static [(&'static str, &'static [&'static str])];

// Data tables: one area per line reads better than rustfmt's one-keyword-per-line layout.
#[rustfmt::skip]
const REACT: KeywordTable = &[
    ("components_jsx", &["jsx", "tsx", "component", "props", "fragment", "html", "css", "styled components",
        "tailwind"]),
    ("state_hooks", &["hook", "react hooks", "custom hooks", "usestate", "usereducer", "useref",
        "usecontext"]),
    ("effects_lifecycle", &["useeffect", "effect", "side effects", "lifecycle", "data fetching",
        "react query", "swr", "suspense"]),
    ("performance", &["performance", "memo", "usememo", "usecallback", "profiling", "code splitting",
        "lazy loading"]),
    ("state_management", &["redux", "zustand", "mobx", "recoil", "jotai", "context", "state management",
        "apollo"]),
    ("testing", &["jest", "vitest", "testing library", "rtl", "cypress", "playwright", "enzyme", "testing",
        "tdd"]),
];

#[rustfmt::skip]
const PYTHON: KeywordTable = &[
    ("data_model_types", &["typing", "type hints", "mypy", "dataclass", "pydantic", "oop",
        "object oriented", "data model", "dunder"]),
    ("functions_closures_decorators", &["decorator", "closure", "functional programming", "lambda",
        "functools", "functions"]),
    ("iteration_generators", &["generator", "iterator", "itertools", "comprehension", "yield"]),
    ("concurrency_async", &["asyncio", "async", "await", "threading", "thread", "multiprocessing",
        "concurrency", "celery", "gil"]),
    ("testing_quality", &["pytest", "unittest", "testing", "tdd", "mock", "ruff", "flake8", "pylint",
        "black", "linting", "coverage"]),
    ("packaging_performance", &["pip", "poetry", "packaging", "setuptools", "virtualenv", "venv", "conda",
        "pypi", "performance", "profiling", "cython", "numpy"]),
];

#[rustfmt::skip]
const JAVASCRIPT: KeywordTable = &[
    ("types_coercion", &["types", "type coercion", "coercion", "typescript", "equality"]),
    ("scope_closures", &["closure", "scope", "hoisting", "functional programming"]),
    ("async_event_loop", &["async", "await", "promise", "event loop", "callback", "asynchronous", "rxjs",
        "node js", "nodejs", "node"]),
    ("prototypes_classes", &["prototype", "class", "oop", "object oriented", "inheritance"]),
    ("dom_browser", &["dom", "browser", "html", "css", "web api", "jquery", "dom events",
        "event listener"]),
    ("modules_tooling", &["webpack", "vite", "babel", "npm", "yarn", "pnpm", "module", "esm", "commonjs",
        "rollup", "esbuild", "eslint", "jest", "tooling"]),
];

#[rustfmt::skip]
const FULLSTACK: KeywordTable = &[
    ("http_api_design", &["rest", "api", "graphql", "http", "grpc", "openapi", "express", "fastapi",
        "django", "flask", "microservice", "node js", "nodejs", "node"]),
    ("databases_sql", &["sql", "postgres", "postgresql", "mysql", "sqlite", "database", "mongodb", "nosql",
        "orm", "prisma", "sqlalchemy"]),
    ("frontend_architecture", &["react", "vue", "angular", "svelte", "next js", "nextjs", "frontend",
        "front end", "typescript", "javascript"]),
    ("auth_security", &["auth", "authentication", "authorization", "oauth", "jwt", "security", "owasp",
        "sso", "cors", "xss", "csrf"]),
    ("caching_performance", &["redis", "memcached", "caching", "cache", "cdn", "performance",
        "scalability"]),
    ("deployment_observability", &["docker", "kubernetes", "k8s", "ci cd", "ci", "aws", "gcp", "azure",
        "terraform", "devops", "monitoring", "logging", "observability", "deployment", "serverless"]),
];

fn keyword_table(role: RoleType) -> KeywordTable {
    match role {
        RoleType::React => REACT,
        RoleType::Python => PYTHON,
        RoleType::Javascript => JAVASCRIPT,
        RoleType::Fullstack => FULLSTACK,
    }
}

/// Lower-case words of `text`, any non-alphanumeric character separating them.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// A word equal to a keyword word, allowing a plural `s` on either side ("hooks" ↔ "hook").
fn same_word(word: &str, keyword: &str) -> bool {
    word == keyword
        || word.strip_suffix('s').is_some_and(|w| w == keyword)
        || keyword.strip_suffix('s').is_some_and(|k| k == word)
}

/// Whether the keyword's words occur in `skill` as a contiguous run of whole words.
fn mentions(skill: &[String], keyword: &str) -> bool {
    let keyword: Vec<String> = words(keyword);
    !keyword.is_empty()
        && skill.len() >= keyword.len()
        && skill.windows(keyword.len()).any(|w| w.iter().zip(&keyword).all(|(a, b)| same_word(a, b)))
}

/// The role's area ids ordered for a candidate whose resume lists `resume_skills`: areas the
/// skills mention come first (most mentioned first, then by first mention), then every other
/// area of the role in the bank's order. Always a permutation of the role's areas.
#[must_use]
pub fn tailor_skill_areas(role: RoleType, resume_skills: &[String]) -> Vec<String> {
    let table = keyword_table(role);
    // (area, hits, first mention) for areas the resume mentions.
    let mut matched: Vec<(&str, usize, usize)> = Vec::new();
    for (index, skill) in resume_skills.iter().enumerate() {
        let skill = words(skill);
        for (area, keywords) in table {
            if keywords.iter().any(|k| mentions(&skill, k)) {
                match matched.iter_mut().find(|(a, _, _)| a == area) {
                    Some(entry) => entry.1 += 1,
                    None => matched.push((area, 1, index)),
                }
            }
        }
    }
    matched.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    order_areas(role, matched.iter().map(|(a, _, _)| *a), 0)
}

/// The area order an interview starts with: the known areas of `preferred` first (in their
/// order, unknown ids and duplicates dropped), then the role's other areas in bank order,
/// starting at index `rotate` (so interviews without a preference do not all open on the same
/// area).
#[must_use]
pub(crate) fn order_areas<'a>(
    role: RoleType,
    preferred: impl IntoIterator<Item = &'a str>,
    rotate: usize,
) -> Vec<String> {
    let all = for_role(role).skill_areas;
    let mut areas: Vec<String> = Vec::with_capacity(all.len());
    for area in preferred {
        let area = area.trim();
        if all.contains(&area) && !areas.iter().any(|a| a == area) {
            areas.push(area.to_owned());
        }
    }
    let n = all.len();
    for k in 0..n {
        if let Some(area) = all.get((rotate % n + k) % n) {
            if !areas.iter().any(|a| a == area) {
                areas.push((*area).to_owned());
            }
        }
    }
    areas
}
