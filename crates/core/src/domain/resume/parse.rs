//! The built-in résumé parser (docs/resumes.md#parsing, provider "built-in"): extracted text →
//! `parsed_data {skills, experience_years, education, previous_roles, technical_domains}`.
//! Deterministic, no I/O; the current year is a parameter (for "2021 – present").
//!
//! - **Skills** come from a taxonomy of about 150 technologies, each with aliases, matched on
//!   whole tokens (a token is a run of letters and digits, with `+`, `#` and inner dots kept:
//!   `C++`, `C#`, `Node.js`, `.NET`). Multi-word aliases match across spaces, hyphens and
//!   slashes (`CI/CD`, `front-end`). An alias written with capitals matches case-sensitively
//!   (`Go`, `React`, `REST`, `Spring`: everyday words in lower case); one- and two-letter ones
//!   (`C`, `Go`, `R`) also need list-like neighbours (not `C-level`, not `R&D`). Skills are
//!   listed in order of first mention, under their canonical names, and grouped by domain in
//!   `technical_domains`.
//! - **Experience**: the largest explicit "N years … experience", or the total of date ranges
//!   (`2019 – 2023`, `Jan 2019 - Jun 2021`, `03/2018 – present`, `since 2020`) outside the
//!   education section, overlapping ranges counted once; whichever is larger, in whole years.
//! - **Education**: lines naming a degree (BSc, MSc, PhD, Bachelor, Master, …), plus institution
//!   lines within an "Education" section.
//! - **Previous roles**: capitalized job titles such as "Senior Software Engineer", "Full-Stack
//!   Developer", "Tech Lead", "Data Scientist" (a title noun with at least one known modifier).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// The structured résumé (`resumes.parsed_data`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ParsedResume {
    pub skills: Vec<String>,
    pub experience_years: Option<u32>,
    pub education: Vec<String>,
    pub previous_roles: Vec<String>,
    /// Domain (`languages`, `frontend`, `backend`, `databases`, `cloud`, `devops`, `testing`,
    /// `data_ml`, `mobile`, `apis`, `tooling`, `practices`) → skills in that domain.
    pub technical_domains: BTreeMap<String, Vec<String>>,
}

impl ParsedResume {
    /// Whether a skill (canonical name, any case) was found.
    #[must_use]
    pub fn has_skill(&self, name: &str) -> bool {
        self.skills.iter().any(|s| s.eq_ignore_ascii_case(name))
    }

    /// Whether any skill of `domain` was found.
    #[must_use]
    pub fn has_domain(&self, domain: &str) -> bool {
        self.technical_domains.get(domain).is_some_and(|s| !s.is_empty())
    }
}

/// At most this many entries in `education` and `previous_roles`.
const MAX_LIST: usize = 10;

/// `(canonical name, domain, aliases)`. Aliases in lower case match in any case; aliases with
/// a capital letter match exactly.
type Taxonomy = &'static [(&'static str, &'static str, &'static [&'static str])];

#[rustfmt::skip]
const TAXONOMY: Taxonomy = &[
    // Languages
    ("Python", "languages", &["python", "python3"]),
    ("JavaScript", "languages", &["javascript", "js", "es6", "ecmascript", "es2015"]),
    ("TypeScript", "languages", &["typescript"]),
    ("Java", "languages", &["java", "java 8", "java 11", "java 17"]),
    ("Kotlin", "languages", &["kotlin"]),
    ("Scala", "languages", &["scala"]),
    ("C", "languages", &["C", "ansi c"]),
    ("C++", "languages", &["c++", "cpp"]),
    ("C#", "languages", &["c#", "csharp"]),
    ("Go", "languages", &["Go", "golang"]),
    ("Rust", "languages", &["rust"]),
    ("Ruby", "languages", &["ruby"]),
    ("PHP", "languages", &["php"]),
    ("Swift", "languages", &["Swift"]),
    ("Objective-C", "languages", &["objective-c", "objective c", "objc"]),
    ("Dart", "languages", &["Dart"]),
    ("Elixir", "languages", &["elixir"]),
    ("Erlang", "languages", &["erlang"]),
    ("Haskell", "languages", &["haskell"]),
    ("Clojure", "languages", &["clojure"]),
    ("F#", "languages", &["f#"]),
    ("Perl", "languages", &["perl"]),
    ("Lua", "languages", &["lua"]),
    ("R", "languages", &["R", "rstudio"]),
    ("MATLAB", "languages", &["matlab"]),
    ("Bash", "languages", &["bash", "shell scripting", "zsh"]),
    ("PowerShell", "languages", &["powershell"]),
    ("SQL", "databases", &["sql"]),
    ("HTML", "frontend", &["html", "html5"]),
    ("CSS", "frontend", &["css", "css3"]),
    ("WebAssembly", "languages", &["webassembly", "wasm"]),
    // Frontend
    ("React", "frontend", &["React", "react.js", "reactjs", "react js"]),
    ("React Hooks", "frontend", &["react hooks"]),
    ("Next.js", "frontend", &["next.js", "nextjs"]),
    ("Vue.js", "frontend", &["vue", "vue.js", "vuejs", "vue 3"]),
    ("Nuxt", "frontend", &["nuxt", "nuxt.js", "nuxtjs"]),
    ("Angular", "frontend", &["angular", "angularjs", "angular.js"]),
    ("Svelte", "frontend", &["svelte", "sveltekit"]),
    ("jQuery", "frontend", &["jquery"]),
    ("Redux", "frontend", &["redux", "redux toolkit", "rtk query"]),
    ("MobX", "frontend", &["mobx"]),
    ("Zustand", "frontend", &["zustand"]),
    ("React Query", "frontend", &["react query", "tanstack query"]),
    ("Tailwind CSS", "frontend", &["tailwind", "tailwindcss", "tailwind css"]),
    ("Bootstrap", "frontend", &["Bootstrap"]),
    ("Sass", "frontend", &["sass", "scss"]),
    ("Material UI", "frontend", &["material ui", "material-ui", "mui"]),
    ("Styled Components", "frontend", &["styled components", "styled-components"]),
    ("Storybook", "frontend", &["storybook"]),
    ("Gatsby", "frontend", &["gatsby", "gatsbyjs"]),
    ("Remix", "frontend", &["Remix", "remix.run"]),
    ("Ember.js", "frontend", &["ember.js", "emberjs", "Ember"]),
    ("Three.js", "frontend", &["three.js", "threejs"]),
    ("D3.js", "frontend", &["d3", "d3.js"]),
    ("Accessibility", "frontend", &["accessibility", "wcag", "a11y"]),
    ("Web Performance", "frontend", &["core web vitals", "lighthouse"]),
    // Backend
    ("Node.js", "backend", &["node.js", "nodejs", "Node", "node js"]),
    ("Express", "backend", &["express.js", "expressjs", "Express"]),
    ("NestJS", "backend", &["nestjs", "nest.js"]),
    ("Fastify", "backend", &["fastify"]),
    ("Django", "backend", &["django", "django rest framework", "drf"]),
    ("Flask", "backend", &["flask"]),
    ("FastAPI", "backend", &["fastapi"]),
    ("Spring Boot", "backend", &["spring boot", "Spring", "spring framework"]),
    ("Ruby on Rails", "backend", &["ruby on rails", "Rails"]),
    ("Laravel", "backend", &["laravel"]),
    ("Symfony", "backend", &["symfony"]),
    (".NET", "backend", &[".net", "dotnet", "asp.net", ".net core", "asp.net core"]),
    ("Celery", "backend", &["celery"]),
    ("SQLAlchemy", "backend", &["sqlalchemy"]),
    ("Pydantic", "backend", &["pydantic"]),
    ("asyncio", "backend", &["asyncio", "async io"]),
    ("Prisma", "backend", &["prisma"]),
    ("Sequelize", "backend", &["sequelize"]),
    ("TypeORM", "backend", &["typeorm"]),
    ("Hibernate", "backend", &["hibernate"]),
    ("Kafka", "backend", &["kafka", "apache kafka"]),
    ("RabbitMQ", "backend", &["rabbitmq"]),
    // APIs and architecture
    ("REST APIs", "apis", &["REST", "restful", "rest api", "rest apis", "restful api"]),
    ("GraphQL", "apis", &["graphql", "apollo graphql", "apollo"]),
    ("gRPC", "apis", &["grpc"]),
    ("WebSockets", "apis", &["websocket", "websockets", "socket.io"]),
    ("OpenAPI", "apis", &["openapi", "swagger"]),
    ("OAuth", "apis", &["oauth", "oauth2", "oauth 2.0", "openid connect", "oidc"]),
    ("JWT", "apis", &["jwt", "json web tokens"]),
    ("Microservices", "apis", &["microservices", "microservice", "micro-services"]),
    // Databases
    ("PostgreSQL", "databases", &["postgresql", "postgres", "psql"]),
    ("MySQL", "databases", &["mysql"]),
    ("MariaDB", "databases", &["mariadb"]),
    ("SQLite", "databases", &["sqlite"]),
    ("SQL Server", "databases", &["sql server", "mssql", "t-sql"]),
    ("Oracle Database", "databases", &["Oracle", "oracle db", "pl/sql"]),
    ("MongoDB", "databases", &["mongodb", "mongo", "mongoose"]),
    ("Redis", "databases", &["redis"]),
    ("Elasticsearch", "databases", &["elasticsearch", "elastic search", "opensearch"]),
    ("DynamoDB", "databases", &["dynamodb"]),
    ("Cassandra", "databases", &["cassandra"]),
    ("Neo4j", "databases", &["neo4j"]),
    ("Supabase", "databases", &["supabase"]),
    ("Snowflake", "databases", &["Snowflake"]),
    ("BigQuery", "databases", &["bigquery"]),
    ("NoSQL", "databases", &["nosql"]),
    ("Memcached", "databases", &["memcached"]),
    // Cloud
    ("AWS", "cloud", &["aws", "amazon web services", "ec2", "s3", "aws lambda", "cloudformation", "ecs", "eks"]),
    ("Google Cloud", "cloud", &["gcp", "google cloud", "google cloud platform", "cloud run"]),
    ("Azure", "cloud", &["azure", "microsoft azure"]),
    ("Cloudflare", "cloud", &["cloudflare", "cloudflare workers"]),
    ("Heroku", "cloud", &["heroku"]),
    ("Vercel", "cloud", &["vercel"]),
    ("Netlify", "cloud", &["netlify"]),
    ("DigitalOcean", "cloud", &["digitalocean", "digital ocean"]),
    ("Firebase", "cloud", &["firebase", "firestore"]),
    ("Serverless", "cloud", &["serverless", "lambda functions"]),
    // DevOps
    ("Docker", "devops", &["docker", "docker compose", "docker-compose", "dockerfile", "containers"]),
    ("Kubernetes", "devops", &["kubernetes", "k8s", "kubectl"]),
    ("Helm", "devops", &["Helm"]),
    ("Terraform", "devops", &["terraform"]),
    ("Ansible", "devops", &["ansible"]),
    ("Jenkins", "devops", &["jenkins"]),
    ("GitHub Actions", "devops", &["github actions"]),
    ("GitLab CI", "devops", &["gitlab ci", "gitlab ci/cd", "gitlab pipelines"]),
    ("CircleCI", "devops", &["circleci", "circle ci"]),
    ("CI/CD", "devops", &["ci/cd", "ci cd", "continuous integration", "continuous delivery", "continuous deployment"]),
    ("Linux", "devops", &["linux", "ubuntu", "debian", "centos", "red hat"]),
    ("Nginx", "devops", &["nginx"]),
    ("Prometheus", "devops", &["prometheus"]),
    ("Grafana", "devops", &["grafana"]),
    ("Datadog", "devops", &["datadog"]),
    ("Sentry", "devops", &["Sentry"]),
    ("OpenTelemetry", "devops", &["opentelemetry", "otel"]),
    // Testing
    ("Jest", "testing", &["jest"]),
    ("Vitest", "testing", &["vitest"]),
    ("Mocha", "testing", &["Mocha", "mocha.js"]),
    ("Chai", "testing", &["Chai"]),
    ("Jasmine", "testing", &["Jasmine"]),
    ("Cypress", "testing", &["cypress"]),
    ("Playwright", "testing", &["playwright"]),
    ("Selenium", "testing", &["selenium", "webdriver"]),
    ("Puppeteer", "testing", &["puppeteer"]),
    ("React Testing Library", "testing", &["react testing library", "testing library", "testing-library"]),
    ("Enzyme", "testing", &["Enzyme"]),
    ("pytest", "testing", &["pytest", "py.test"]),
    ("unittest", "testing", &["unittest"]),
    ("JUnit", "testing", &["junit"]),
    ("Mockito", "testing", &["mockito"]),
    ("RSpec", "testing", &["rspec"]),
    ("Postman", "testing", &["postman"]),
    ("TDD", "testing", &["tdd", "test-driven development", "test driven development"]),
    ("Automated testing", "testing", &["unit testing", "unit tests", "integration testing", "integration tests",
        "end-to-end testing", "e2e testing", "e2e tests", "test automation"]),
    // Data and machine learning
    ("Pandas", "data_ml", &["pandas"]),
    ("NumPy", "data_ml", &["numpy"]),
    ("SciPy", "data_ml", &["scipy"]),
    ("scikit-learn", "data_ml", &["scikit-learn", "sklearn", "scikit learn"]),
    ("TensorFlow", "data_ml", &["tensorflow"]),
    ("PyTorch", "data_ml", &["pytorch", "torch"]),
    ("Keras", "data_ml", &["keras"]),
    ("Apache Spark", "data_ml", &["Spark", "pyspark", "apache spark"]),
    ("Airflow", "data_ml", &["airflow", "apache airflow"]),
    ("Jupyter", "data_ml", &["jupyter", "jupyter notebooks"]),
    ("Hadoop", "data_ml", &["hadoop"]),
    ("dbt", "data_ml", &["dbt"]),
    ("Machine Learning", "data_ml", &["machine learning", "ML"]),
    ("Deep Learning", "data_ml", &["deep learning", "neural networks"]),
    ("NLP", "data_ml", &["nlp", "natural language processing"]),
    ("LLMs", "data_ml", &["llm", "llms", "large language models", "openai", "langchain"]),
    ("Tableau", "data_ml", &["tableau"]),
    ("Power BI", "data_ml", &["power bi", "powerbi"]),
    ("Matplotlib", "data_ml", &["matplotlib"]),
    // Mobile
    ("React Native", "mobile", &["react native", "react-native"]),
    ("Flutter", "mobile", &["flutter"]),
    ("Android", "mobile", &["android"]),
    ("iOS", "mobile", &["ios"]),
    ("SwiftUI", "mobile", &["swiftui"]),
    ("Xamarin", "mobile", &["xamarin"]),
    // Tooling
    ("Git", "tooling", &["git"]),
    ("GitHub", "tooling", &["github"]),
    ("GitLab", "tooling", &["gitlab"]),
    ("Bitbucket", "tooling", &["bitbucket"]),
    ("Jira", "tooling", &["jira"]),
    ("npm", "tooling", &["npm"]),
    ("Yarn", "tooling", &["yarn"]),
    ("pnpm", "tooling", &["pnpm"]),
    ("Webpack", "tooling", &["webpack"]),
    ("Vite", "tooling", &["vite", "vitejs"]),
    ("Babel", "tooling", &["babel"]),
    ("ESLint", "tooling", &["eslint"]),
    ("Prettier", "tooling", &["prettier"]),
    ("Poetry", "tooling", &["Poetry"]),
    ("pip", "tooling", &["pip"]),
    ("Conda", "tooling", &["conda", "anaconda"]),
    ("mypy", "tooling", &["mypy"]),
    ("Ruff", "tooling", &["Ruff"]),
    ("Maven", "tooling", &["maven"]),
    ("Gradle", "tooling", &["gradle"]),
    ("Figma", "tooling", &["figma"]),
    // Practices
    ("Agile", "practices", &["agile", "scrum", "kanban"]),
    ("System design", "practices", &["system design", "distributed systems"]),
    ("Application security", "practices", &["owasp", "application security", "secure coding"]),
    ("Code review", "practices", &["code review", "code reviews"]),
    ("Design patterns", "practices", &["design patterns", "solid principles"]),
];

// ---------------------------------------------------------------------------------------------
// Tokens.

/// A token of the text: its original spelling, lower case, byte span and line.
#[derive(Debug, Clone)]
struct Token<'a> {
    text: &'a str,
    lower: String,
    start: usize,
    end: usize,
    line: usize,
}

fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || c == '+' || c == '#'
}

/// Splits `text` into tokens (see the module docs).
fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut line = 0;
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let next_alnum = chars.get(i + 1).is_some_and(|(_, n)| n.is_alphanumeric());
        let leading_dot = c == '.' && next_alnum && (i == 0 || !is_token_char(chars[i - 1].1));
        if c == '\n' {
            line += 1;
        }
        if !(is_token_char(c) || leading_dot) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() {
            let (_, d) = chars[j];
            let inner_dot = d == '.'
                && chars[j - 1].1.is_alphanumeric()
                && chars.get(j + 1).is_some_and(|(_, n)| n.is_alphanumeric());
            if is_token_char(d) || inner_dot {
                j += 1;
            } else {
                break;
            }
        }
        let end = chars.get(j).map_or(text.len(), |(at, _)| *at);
        let slice = &text[start..end];
        tokens.push(Token { text: slice, lower: slice.to_lowercase(), start, end, line });
        i = j;
    }
    tokens
}

/// Whether only joining punctuation (spaces, hyphens, slashes, underscores) separates two
/// tokens of a multi-word alias.
fn joined(text: &str, a: &Token, b: &Token) -> bool {
    a.line == b.line
        && text
            .get(a.end..b.start)
            .is_some_and(|gap| gap.chars().all(|c| matches!(c, ' ' | '\t' | '-' | '/' | '_')))
}

/// For one- and two-letter aliases: the neighbours must look like a list or prose boundary.
fn list_like(text: &str, token: &Token) -> bool {
    let before = text[..token.start].chars().next_back();
    let mut after_chars = text[token.end..].chars();
    let after = after_chars.next();
    let ok_before =
        before.is_none_or(|c| c.is_whitespace() || matches!(c, ',' | '/' | '(' | '|' | ':' | ';' | '•'));
    let ok_after = match after {
        None => true,
        Some('.') => after_chars.next().is_none_or(char::is_whitespace),
        Some(c) => c.is_whitespace() || matches!(c, ',' | '/' | ')' | '|' | ';'),
    };
    ok_before && ok_after
}

/// An alias prepared for matching.
struct Alias {
    words: Vec<String>,
    exact: bool,
    short: bool,
}

fn alias(spelling: &str) -> Alias {
    let exact = spelling.chars().any(char::is_uppercase);
    let words: Vec<String> =
        tokenize(spelling).into_iter().map(|t| if exact { t.text.to_owned() } else { t.lower }).collect();
    let short = exact && spelling.chars().count() <= 2;
    Alias { words, exact, short }
}

/// The index of the first token where `alias` matches, if any.
fn first_match(
    text: &str,
    tokens: &[Token],
    by_lower: &HashMap<&str, Vec<usize>>,
    alias: &Alias,
) -> Option<usize> {
    let first = alias.words.first()?;
    let candidates = by_lower.get(first.to_lowercase().as_str())?;
    candidates.iter().copied().find(|&i| {
        alias.words.iter().enumerate().all(|(k, word)| {
            let Some(token) = tokens.get(i + k) else { return false };
            let same = if alias.exact { token.text == word } else { token.lower == *word };
            same && (k == 0 || joined(text, &tokens[i + k - 1], token))
        }) && (!alias.short || list_like(text, &tokens[i]))
    })
}

// ---------------------------------------------------------------------------------------------
// Sections.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Other,
    Education,
    Experience,
}

/// The section a heading line starts, if the line is a heading.
fn heading(line: &str) -> Option<Section> {
    let clean = line.trim().trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    if clean.is_empty() || clean.split_whitespace().count() > 4 || clean.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    const EDUCATION: &[&str] = &["education", "academic", "qualifications", "certifications"];
    const EXPERIENCE: &[&str] =
        &["experience", "employment", "work history", "career", "professional background"];
    const OTHER: &[&str] = &[
        "skills",
        "technical skills",
        "technologies",
        "tech stack",
        "projects",
        "summary",
        "profile",
        "about",
        "contact",
        "languages",
        "interests",
        "hobbies",
        "awards",
        "publications",
        "references",
        "volunteering",
        "objective",
    ];
    let starts = |list: &[&str]| list.iter().any(|h| clean == *h || clean.starts_with(&format!("{h} ")));
    let mentions = |list: &[&str]| list.iter().any(|h| clean.contains(h));
    if starts(OTHER) {
        Some(Section::Other)
    } else if mentions(EDUCATION) {
        Some(Section::Education)
    } else if mentions(EXPERIENCE) {
        Some(Section::Experience)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Experience.

const MONTHS: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

fn month_of(word: &str) -> Option<i64> {
    let word = word.to_lowercase();
    if word.len() < 3 {
        return None;
    }
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    MONTHS
        .iter()
        .zip(full)
        .position(|(short, long)| word == *short || word == long || (word == "sept" && *short == "sep"))
        .and_then(|i| i64::try_from(i).ok())
}

const NUMBER_WORDS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

/// A date in a line: its byte span and month number (year × 12 + month), or "present".
#[derive(Debug, Clone, Copy)]
struct DateMark {
    start: usize,
    end: usize,
    months: i64,
    has_month: bool,
}

fn dates_in_line(line: &str, current_year: i32) -> Vec<DateMark> {
    let tokens = tokenize(line);
    let mut out = Vec::new();
    let max_year = i64::from(current_year) + 1;
    for (i, t) in tokens.iter().enumerate() {
        let lower = t.lower.as_str();
        if matches!(lower, "present" | "current" | "now" | "today" | "date" | "ongoing") {
            out.push(DateMark {
                start: t.start,
                end: t.end,
                months: i64::from(current_year) * 12,
                has_month: false,
            });
            continue;
        }
        let year = if t.text.len() == 4 { t.text.parse::<i64>().ok() } else { None };
        let Some(year) = year.filter(|y| (1950..=max_year).contains(y)) else { continue };
        let mut start = t.start;
        let mut month = None;
        if let Some(prev) = i.checked_sub(1).map(|p| &tokens[p]) {
            let gap = &line[prev.end..t.start];
            if let Some(m) =
                month_of(prev.text).filter(|_| gap.chars().all(|c| c == ' ' || c == '.' || c == ','))
            {
                month = Some(m);
                start = prev.start;
            } else if gap == "/" || gap == "." {
                if let Some(m) = prev.text.parse::<i64>().ok().filter(|m| (1..=12).contains(m)) {
                    month = Some(m - 1);
                    start = prev.start;
                }
            }
        }
        out.push(DateMark {
            start,
            end: t.end,
            months: year * 12 + month.unwrap_or(0),
            has_month: month.is_some(),
        });
    }
    out
}

/// Date ranges (start, end in months) of one line.
fn ranges_in_line(line: &str, current_year: i32) -> Vec<(i64, i64)> {
    let dates = dates_in_line(line, current_year);
    let mut out = Vec::new();
    let mut i = 0;
    while i < dates.len() {
        let a = dates[i];
        if let Some(b) = dates.get(i + 1) {
            let gap = line[a.end..b.start].trim().to_lowercase();
            let dash =
                matches!(gap.as_str(), "-" | "–" | "—" | "−" | "to" | "until" | "till" | "--" | "->" | "→");
            if dash {
                let end = if a.has_month && b.has_month { b.months + 1 } else { b.months };
                out.push((a.months, end));
                i += 2;
                continue;
            }
        }
        // "since 2020" / "from 2020" with nothing after it.
        let before = line[..a.start].trim_end().to_lowercase();
        if (before.ends_with("since") || before.ends_with("from")) && dates.get(i + 1).is_none() {
            out.push((a.months, i64::from(current_year) * 12));
        }
        i += 1;
    }
    out.retain(|(s, e)| e >= s && e - s <= 50 * 12);
    out
}

/// Whole years covered by the ranges, overlaps counted once.
fn years_covered(mut ranges: Vec<(i64, i64)>) -> u32 {
    ranges.sort_unstable();
    let mut total = 0i64;
    let mut current: Option<(i64, i64)> = None;
    for (s, e) in ranges {
        match current {
            Some((cs, ce)) if s <= ce => current = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                current = Some((s, e));
            }
            None => current = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = current {
        total += ce - cs;
    }
    u32::try_from(total / 12).unwrap_or(0)
}

/// The largest "N years (of) … experience" figure.
fn explicit_years(text: &str, tokens: &[Token]) -> Option<u32> {
    let mut best: Option<u32> = None;
    for (i, t) in tokens.iter().enumerate() {
        let number = t.lower.trim_end_matches('+');
        let value = number
            .parse::<u32>()
            .ok()
            .or_else(|| NUMBER_WORDS.iter().position(|w| *w == number).and_then(|n| u32::try_from(n).ok()));
        let Some(value) = value.filter(|v| (1..=50).contains(v)) else { continue };
        let Some(unit) = tokens.get(i + 1) else { continue };
        if !matches!(unit.lower.as_str(), "years" | "year" | "yrs" | "yr" | "years'") || unit.line != t.line {
            continue;
        }
        // A range like "2-3 years" or a duration of something else ("a 2 year project").
        if text[..t.start].ends_with('-') {
            continue;
        }
        let near = |k: &Token| k.line == t.line && (k.lower.starts_with("experience") || k.lower == "exp");
        let after = tokens.iter().skip(i + 2).take(8).any(near);
        let before = tokens[i.saturating_sub(5)..i].iter().any(near);
        if after || before {
            best = Some(best.map_or(value, |b| b.max(value)));
        }
    }
    best
}

// ---------------------------------------------------------------------------------------------
// Education and roles.

fn degree_line(line: &str) -> bool {
    const EXACT: &[&str] = &[
        "BSc", "B.Sc", "BS", "B.S", "BA", "B.A", "BEng", "B.Eng", "B.Tech", "BTech", "MSc", "M.Sc", "MS",
        "M.S", "MA", "MEng", "M.Eng", "M.Tech", "MTech", "MBA", "PhD", "Ph.D", "DPhil", "HND", "GCSE",
        "A-levels",
    ];
    const WORDS: &[&str] = &[
        "bachelor",
        "bachelors",
        "bachelor's",
        "master",
        "masters",
        "master's",
        "doctorate",
        "diploma",
        "degree",
        "associate's",
        "bootcamp",
        "baccalaureate",
    ];
    let tokens = tokenize(line);
    tokens.iter().enumerate().any(|(i, t)| {
        let previous = i.checked_sub(1).map(|p| tokens[p].lower.as_str());
        let bare = t.text.trim_end_matches('.');
        EXACT.contains(&bare) || (WORDS.contains(&t.lower.as_str()) && previous != Some("scrum"))
    })
}

fn institution_line(line: &str) -> bool {
    let lower = line.to_lowercase();
    ["university", "college", "institute", "school", "academy", "polytechnic"]
        .iter()
        .any(|w| lower.contains(w))
}

#[rustfmt::skip]
const ROLE_MODIFIERS: &[&str] = &[
    "senior", "sr", "junior", "jr", "lead", "principal", "staff", "chief", "head", "associate", "graduate",
    "trainee", "apprentice", "software", "frontend", "front", "end", "backend", "back", "full", "stack",
    "fullstack", "web", "mobile", "ios", "android", "data", "ml", "machine", "learning", "ai", "devops", "cloud",
    "qa", "test", "automation", "platform", "site", "reliability", "systems", "system", "embedded", "security",
    "python", "react", "javascript", "typescript", "java", "node", "ruby", "golang", "rust", "php", ".net",
    "database", "solutions", "infrastructure", "application", "applications", "game", "ui", "ux", "product",
    "technical", "tech", "team", "engineering", "research", "analytics", "business", "network", "computer",
    "vision", "nlp", "integration", "support", "release", "build",
];
const ROLE_NOUNS: &[&str] = &[
    "engineer",
    "developer",
    "programmer",
    "architect",
    "scientist",
    "analyst",
    "consultant",
    "manager",
    "administrator",
    "intern",
    "lead",
    "designer",
    "tester",
    "specialist",
];
const STANDALONE_ROLES: &[&str] = &["SRE", "CTO", "VP of Engineering"];

/// Capitalized job titles, in order of appearance, deduplicated.
fn roles(text: &str, tokens: &[Token]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |title: String, out: &mut Vec<String>| {
        if out.len() < MAX_LIST && seen.insert(title.to_lowercase()) {
            out.push(title);
        }
    };
    for (i, t) in tokens.iter().enumerate() {
        if STANDALONE_ROLES.contains(&t.text) {
            push(t.text.to_owned(), &mut out);
            continue;
        }
        let capitalized = t.text.chars().next().is_some_and(char::is_uppercase);
        if !capitalized || !ROLE_NOUNS.contains(&t.lower.as_str()) {
            continue;
        }
        let mut first = i;
        while first > 0 && i - first < 4 {
            let prev = &tokens[first - 1];
            if ROLE_MODIFIERS.contains(&prev.lower.as_str())
                && joined(text, prev, &tokens[first])
                && prev.text.chars().next().is_some_and(|c| c.is_uppercase() || c == '.')
            {
                first -= 1;
            } else {
                break;
            }
        }
        if first < i {
            let title = text[tokens[first].start..t.end].split_whitespace().collect::<Vec<_>>().join(" ");
            push(title, &mut out);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------

/// Parses extracted résumé text. `current_year` dates open ranges ("2021 – present").
#[must_use]
pub fn parse_resume(text: &str, current_year: i32) -> ParsedResume {
    let tokens = tokenize(text);
    let mut by_lower: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, t) in tokens.iter().enumerate() {
        by_lower.entry(t.lower.as_str()).or_default().push(i);
    }

    // Skills, by first mention.
    let mut found: Vec<(usize, usize)> = Vec::new(); // (token index, taxonomy index)
    for (index, (_, _, aliases)) in TAXONOMY.iter().enumerate() {
        let first = aliases.iter().filter_map(|a| first_match(text, &tokens, &by_lower, &alias(a))).min();
        if let Some(position) = first {
            found.push((position, index));
        }
    }
    found.sort_unstable();
    let mut skills = Vec::with_capacity(found.len());
    let mut technical_domains: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, index) in found {
        let (name, domain, _) = TAXONOMY[index];
        skills.push(name.to_owned());
        technical_domains.entry(domain.to_owned()).or_default().push(name.to_owned());
    }

    // Sections, education and date ranges.
    let mut section = Section::Other;
    let mut education = Vec::new();
    let mut ranges = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(s) = heading(trimmed) {
            section = s;
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        let is_degree = degree_line(trimmed);
        let in_education = section == Section::Education;
        if (is_degree || (in_education && institution_line(trimmed))) && education.len() < MAX_LIST {
            let entry: String = trimmed.chars().take(200).collect();
            if !education.contains(&entry) {
                education.push(entry);
            }
        }
        if !in_education && !is_degree {
            ranges.extend(ranges_in_line(trimmed, current_year));
        }
    }
    let from_ranges = (!ranges.is_empty()).then(|| years_covered(ranges));
    let experience_years = match (explicit_years(text, &tokens), from_ranges) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };

    ParsedResume {
        skills,
        experience_years,
        education,
        previous_roles: roles(text, &tokens),
        technical_domains,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::resume::extract::extract_text;
    use crate::domain::resume::fixtures::{tiny_docx, tiny_pdf};
    use crate::domain::resume::{detect, ResumeKind};

    const YEAR: i32 = 2026;

    const RESUME: &str = "Jane Doe\n\
        jane@example.com | github.com/jane\n\
        \n\
        SUMMARY\n\
        Senior Software Engineer with 7+ years of experience building web platforms in Python and TypeScript.\n\
        \n\
        EXPERIENCE\n\
        Senior Software Engineer, Acme Corp — Jan 2021 – Present\n\
        - Built REST APIs with FastAPI and PostgreSQL; deployed on AWS with Docker and Kubernetes.\n\
        - Led migration of the React front-end to Next.js; introduced Jest and Playwright tests.\n\
        Full-Stack Developer, Beta Ltd — 2017 - 2020\n\
        - Node.js/Express services, Redis caching, CI/CD with GitHub Actions.\n\
        \n\
        EDUCATION\n\
        BSc Computer Science, University of Leeds, 2013 – 2016\n\
        \n\
        SKILLS\n\
        Python, TypeScript, JavaScript, C++, C#, Go, SQL, Git, Linux, Agile\n";

    #[test]
    fn a_full_resume_is_parsed() {
        let p = parse_resume(RESUME, YEAR);
        for skill in [
            "Python",
            "TypeScript",
            "REST APIs",
            "FastAPI",
            "PostgreSQL",
            "AWS",
            "Docker",
            "Kubernetes",
            "React",
            "Next.js",
            "Jest",
            "Playwright",
            "Node.js",
            "Express",
            "Redis",
            "CI/CD",
            "GitHub Actions",
            "JavaScript",
            "C++",
            "C#",
            "Go",
            "SQL",
            "Git",
            "Linux",
            "Agile",
        ] {
            assert!(p.has_skill(skill), "{skill} missing from {:?}", p.skills);
        }
        // First mention order: the summary names Python before TypeScript before REST.
        assert_eq!(&p.skills[..2], &["Python", "TypeScript"]);
        // Jan 2021 – 2026 (5 y) + 2017 – 2020 (3 y) = 8 > the 7 stated; education excluded.
        assert_eq!(p.experience_years, Some(8));
        assert_eq!(p.education, vec!["BSc Computer Science, University of Leeds, 2013 – 2016"]);
        assert_eq!(p.previous_roles, vec!["Senior Software Engineer", "Full-Stack Developer"]);
        assert_eq!(p.technical_domains["testing"], vec!["Jest", "Playwright"]);
        assert!(p.technical_domains["cloud"].contains(&"AWS".to_owned()));
        assert!(p.has_domain("devops") && !p.has_domain("mobile"));
    }

    #[test]
    fn skills_match_whole_tokens_only() {
        let p = parse_resume(
            "JavaScript and Scalability; gooey; ReactiveX; rusty; expressive; C-level; R&D",
            YEAR,
        );
        assert!(p.has_skill("JavaScript"));
        for absent in ["Java", "Scala", "Go", "React", "Rust", "Express", "C", "R"] {
            assert!(!p.has_skill(absent), "{absent} wrongly found in {:?}", p.skills);
        }
        // "react to incidents" is prose; "React" is the library.
        assert!(!parse_resume("I react quickly to incidents.", YEAR).has_skill("React"));
        assert!(parse_resume("Frontend: React, Redux.", YEAR).has_skill("React"));
        // Short names stand alone in lists.
        let p = parse_resume("Languages: C, Go, R.", YEAR);
        assert!(p.has_skill("C") && p.has_skill("Go") && p.has_skill("R"), "{:?}", p.skills);
    }

    #[test]
    fn aliases_and_punctuation_variants_match() {
        let cases = [
            ("NodeJS", "Node.js"),
            ("node.js", "Node.js"),
            ("ReactJS", "React"),
            ("Postgres", "PostgreSQL"),
            ("k8s", "Kubernetes"),
            ("CI / CD", "CI/CD"),
            ("ci-cd", "CI/CD"),
            (".NET Core", ".NET"),
            ("scikit learn", "scikit-learn"),
            ("Test-Driven Development", "TDD"),
            ("GCP", "Google Cloud"),
            ("Front-end with Vue 3", "Vue.js"),
            ("py.test", "pytest"),
        ];
        for (text, skill) in cases {
            assert!(parse_resume(text, YEAR).has_skill(skill), "{text:?} should give {skill}");
        }
        // A multi-word alias does not span a comma or a line break.
        assert!(!parse_resume("GitHub, Actions", YEAR).has_skill("GitHub Actions"));
        assert!(!parse_resume("Power\nBI", YEAR).has_skill("Power BI"));
    }

    #[test]
    fn experience_from_statements_and_ranges() {
        let cases: &[(&str, Option<u32>)] = &[
            ("Over 10 years of professional experience", Some(10)),
            ("5+ yrs experience in backend development", Some(5)),
            ("Experience: 3 years", Some(3)),
            ("five years of experience with Python", Some(5)),
            ("Built a 2-3 years roadmap", None),
            ("Delivered a 2 year project", None),
            ("Engineer 2019 – 2023", Some(4)),
            ("Engineer 2019-2023", Some(4)),
            ("Jan 2019 - Jun 2021", Some(2)),
            ("03/2018 – 02/2021", Some(3)),
            ("2022 to present", Some(4)),
            ("Since 2020", Some(6)),
            ("2015 – 2020\n2018 – 2022", Some(7)),
            ("Education\nMSc, MIT 2010 - 2012\nExperience\n2020 - 2021", Some(1)),
            ("2024 – 2019", None),
            ("No dates here", None),
        ];
        for (text, years) in cases {
            assert_eq!(parse_resume(text, YEAR).experience_years, *years, "{text:?}");
        }
    }

    #[test]
    fn education_lines_are_collected() {
        let text = "Education\nUniversity of Toronto\nMaster of Science in Computer Science\n\
                    Experience\nCertified Scrum Master\nPhD candidate? no — Ph.D. in Physics, 2015";
        let p = parse_resume(text, YEAR);
        assert_eq!(
            p.education,
            vec![
                "University of Toronto",
                "Master of Science in Computer Science",
                "PhD candidate? no — Ph.D. in Physics, 2015"
            ]
        );
        assert!(parse_resume("Skills: Python", YEAR).education.is_empty());
    }

    #[test]
    fn roles_need_a_title_noun_and_a_modifier() {
        let text = "Tech Lead at X\nworked with senior engineers\nData Scientist\nEngineer\nSRE on call\n\
                    Software Engineering Intern\nsenior developer (lower case prose)\nFrontend Developer, Frontend Developer";
        let p = parse_resume(text, YEAR);
        assert_eq!(
            p.previous_roles,
            vec!["Tech Lead", "Data Scientist", "SRE", "Software Engineering Intern", "Frontend Developer"]
        );
    }

    #[test]
    fn parsed_data_serializes_with_the_documented_fields() {
        let p = parse_resume("Python developer. Senior Python Developer 2020 - 2022", YEAR);
        let json = serde_json::to_value(&p).unwrap();
        for field in ["skills", "experience_years", "education", "previous_roles", "technical_domains"] {
            assert!(json.get(field).is_some(), "{field}");
        }
        assert_eq!(json["technical_domains"]["languages"], serde_json::json!(["Python"]));
        let back: ParsedResume = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
        assert_eq!(parse_resume("", YEAR), ParsedResume::default());
    }

    #[test]
    fn the_taxonomy_is_well_formed() {
        assert!(TAXONOMY.len() >= 150, "{}", TAXONOMY.len());
        let mut names = HashSet::new();
        for (name, domain, aliases) in TAXONOMY {
            assert!(names.insert(*name), "duplicate {name}");
            assert!(!aliases.is_empty(), "{name}");
            assert!(
                [
                    "languages",
                    "frontend",
                    "backend",
                    "databases",
                    "cloud",
                    "devops",
                    "testing",
                    "data_ml",
                    "mobile",
                    "apis",
                    "tooling",
                    "practices"
                ]
                .contains(domain),
                "{name}: {domain}"
            );
            for a in *aliases {
                assert!(!alias(a).words.is_empty(), "{name}: {a}");
                // Every alias finds its own skill.
                assert!(parse_resume(&format!("Skills: {a}, more"), YEAR).has_skill(name), "{name}: {a}");
            }
        }
    }

    #[test]
    fn skills_in_a_real_pdf_and_docx_are_found() {
        let text =
            "Alex Kim\nBackend Developer\nSkills: Django, Celery, Redis, pytest, Terraform\n2018 - 2024";
        for (kind, bytes) in [(ResumeKind::Pdf, tiny_pdf(text)), (ResumeKind::Docx, tiny_docx(text))] {
            assert_eq!(detect(&bytes), Some(kind));
            let p = parse_resume(&extract_text(kind, &bytes).unwrap(), YEAR);
            assert_eq!(p.skills, vec!["Django", "Celery", "Redis", "pytest", "Terraform"], "{kind:?}");
            assert_eq!(p.experience_years, Some(6));
            assert_eq!(p.previous_roles, vec!["Backend Developer"]);
        }
    }

    #[test]
    fn tokens_keep_symbols_and_inner_dots() {
        let words: Vec<String> =
            tokenize("C++, C#, Node.js. .NET end.").into_iter().map(|t| t.text.to_owned()).collect();
        assert_eq!(words, vec!["C++", "C#", "Node.js", ".NET", "end"]);
    }
}
