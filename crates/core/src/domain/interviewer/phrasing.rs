//! What the built-in interviewer says around its questions: the greeting, the short neutral
//! acknowledgement before each question, the transition when the skill area changes, and the
//! closing message. Also the stable seed every choice is made from.
//!
//! Wording is varied by a seed derived from the interview id, so one interview always reads the
//! same while different interviews read differently. The texts must stay neutral: no scores, no
//! praise, no criticism (live feedback is a separate setting), and the closing message asks
//! nothing.

use crate::domain::enums::RoleType;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// A stable 64-bit seed for one choice in one interview: FNV-1a over the interview id, a
/// `purpose` label (so the acknowledgement and the question choice of one turn are independent)
/// and the question number, then a murmur3 finaliser. FNV-1a alone leaves its low bits poorly
/// mixed (the lowest bit is just the parity of the input bytes), and choices take the seed modulo
/// small numbers.
#[must_use]
pub(crate) fn seed(interview_id: &str, purpose: &str, question_number: u32) -> u64 {
    let bytes = interview_id
        .bytes()
        .chain([0xff])
        .chain(purpose.bytes())
        .chain([0xff])
        .chain(question_number.to_le_bytes());
    let hash = bytes.fold(FNV_OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME));
    fmix64(hash)
}

/// murmur3's 64-bit finaliser: every input bit affects every output bit.
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// `options[seed % len]`; `""` for no options.
pub(crate) fn pick<'a>(options: &[&'a str], seed: u64) -> &'a str {
    let len = u64::try_from(options.len()).unwrap_or(u64::MAX);
    if len == 0 {
        return "";
    }
    usize::try_from(seed % len).ok().and_then(|i| options.get(i)).copied().unwrap_or("")
}

/// How a role is named in a sentence ("this React session").
#[must_use]
pub fn role_display_name(role: RoleType) -> &'static str {
    match role {
        RoleType::React => "React",
        RoleType::Python => "Python",
        RoleType::Javascript => "JavaScript",
        RoleType::Fullstack => "full-stack",
    }
}

/// How a skill area id is named in a sentence (`state_hooks` → "state and hooks"). Unknown ids
/// read as their words (`some_area` → "some area").
#[must_use]
pub fn area_display_name(skill_area: &str) -> String {
    let known = match skill_area {
        // react
        "components_jsx" => "components and JSX",
        "state_hooks" => "state and hooks",
        "effects_lifecycle" => "effects and the component lifecycle",
        "performance" => "performance",
        "state_management" => "state management",
        "testing" => "testing",
        // python
        "data_model_types" => "the data model and types",
        "functions_closures_decorators" => "functions, closures and decorators",
        "iteration_generators" => "iteration and generators",
        "concurrency_async" => "concurrency and async code",
        "testing_quality" => "testing and code quality",
        "packaging_performance" => "packaging and performance",
        // javascript
        "types_coercion" => "types and coercion",
        "scope_closures" => "scope and closures",
        "async_event_loop" => "async code and the event loop",
        "prototypes_classes" => "prototypes and classes",
        "dom_browser" => "the DOM and the browser",
        "modules_tooling" => "modules and tooling",
        // fullstack
        "http_api_design" => "HTTP API design",
        "databases_sql" => "databases and SQL",
        "frontend_architecture" => "frontend architecture",
        "auth_security" => "authentication and security",
        "caching_performance" => "caching and performance",
        "deployment_observability" => "deployment and observability",
        other => return other.trim().replace('_', " "),
    };
    known.to_owned()
}

/// The first message: a short greeting naming the interview `role` ("React", "technical"), then
/// the first question.
#[must_use]
pub fn greeting(role: &str, question: &str, seed: u64) -> String {
    match seed % 4 {
        0 => format!(
            "Hi, I'm your interviewer for this {role} session. We'll begin with a couple of warm-up \
             questions and adjust as we go. Let's start: {question}"
        ),
        1 => format!(
            "Hello, and thanks for joining. I'll be your interviewer for this {role} interview. There \
             are no trick questions, so feel free to think out loud. First question: {question}"
        ),
        2 => format!(
            "Hi there, welcome to your {role} technical interview. We'll start gently and go deeper \
             as we go. To begin: {question}"
        ),
        _ => format!(
            "Welcome! I'm the interviewer for today's {role} session. Take your time with each answer \
             and explain your reasoning. Here's the first question: {question}"
        ),
    }
}

const ACKNOWLEDGEMENTS: &[&str] =
    &["Thanks.", "Okay, got it.", "Understood.", "Thank you.", "Alright, thanks.", "Okay, noted."];

/// The message that carries the next question: a neutral acknowledgement, a transition when the
/// skill area changes (never for a follow-up, which stays on the topic), then the question.
#[must_use]
pub fn reply(question: &str, area_change: Option<&str>, ack_seed: u64, transition_seed: u64) -> String {
    let ack = pick(ACKNOWLEDGEMENTS, ack_seed);
    match area_change {
        Some(area) => {
            let area = area_display_name(area);
            let transition = match transition_seed % 4 {
                0 => format!("Let's switch to {area}."),
                1 => format!("Let's move on to {area}."),
                2 => format!("Next, a question about {area}."),
                _ => format!("Now let's look at {area}."),
            };
            format!("{ack} {transition} {question}")
        }
        None => format!("{ack} {question}"),
    }
}

/// The message that ends the interview: thanks, and the assessment is being prepared. It asks
/// nothing.
#[must_use]
pub fn closing_message(seed: u64) -> String {
    let text = pick(
        &[
            "Thank you, that's all the questions I have. I appreciate you walking me through your \
             thinking. Your assessment is being prepared now and will be ready shortly.",
            "That brings us to the end of the interview. Thanks for your time and for explaining \
             your reasoning so openly. We're preparing your assessment now.",
            "We're done, thank you for taking part. I enjoyed hearing how you approach these \
             problems. Your assessment is being put together and will be available soon.",
            "That's the end of our session. Thank you for your answers and your time. The \
             assessment is being prepared and you'll be able to see it shortly.",
        ],
        seed,
    );
    text.to_owned()
}

/// A question of last resort, when every bank question the interview could use was already
/// asked (only possible with a `MAX_QUESTIONS` far above the bank's size).
#[must_use]
pub fn generic_question(skill_area: &str, seed: u64) -> String {
    let area = area_display_name(skill_area);
    match seed % 3 {
        0 => format!(
            "Tell me about a problem you solved that involved {area}. What made it tricky, and how \
             did you approach it?"
        ),
        1 => format!(
            "Walk me through a design decision you made around {area}. What alternatives did you \
             consider, and why did you choose the one you did?"
        ),
        _ => format!(
            "What is a common mistake people make with {area}, and how would you spot and fix it in \
             a code review?"
        ),
    }
}
