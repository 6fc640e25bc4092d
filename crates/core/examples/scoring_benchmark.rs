//! Prints the adversarial scoring benchmark's figures table (docs/scoring.md#benchmark):
//! `cargo run -p interview-core --example scoring_benchmark`.
//!
//! With `--dev`, prints instead the per-question scores of the hand-written answers on the dev
//! half of the bank (never the held-out half), for working on the scorer; `--dev ID` shows how
//! the scorer read each hand-written answer to dev question ID.

use interview_core::domain::benchmark;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--dev") {
        match args.get(1) {
            Some(id) => print!(
                "{}",
                benchmark::dev_explain(id).unwrap_or_else(|| format!("{id}: not a dev question\n"))
            ),
            None => print!("{}", benchmark::dev_details()),
        }
    } else {
        print!("{}", benchmark::report().table());
    }
}
