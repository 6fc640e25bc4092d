//! Prints the adversarial scoring benchmark's figures table (docs/scoring.md#benchmark):
//! `cargo run -p interview-core --example scoring_benchmark`.

fn main() {
    print!("{}", interview_core::domain::benchmark::report().table());
}
