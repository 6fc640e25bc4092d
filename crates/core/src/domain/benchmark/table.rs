//! The benchmark's figures table (docs/scoring.md#benchmark).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::hand::Split;
use super::{Figures, Profile, Report, INTERVIEWS_PER_ROLE};
use crate::domain::enums::RoleType;

fn rows(out: &mut String, figures: &BTreeMap<Profile, Figures>, suffix: &str) {
    for (profile, f) in figures {
        let highest: Vec<String> = f.highest.iter().map(|(l, c)| format!("{l} {c}")).collect();
        #[allow(clippy::cast_precision_loss)]
        let bmean = f.boundaries.iter().sum::<usize>() as f64 / f.boundaries.len().max(1) as f64;
        let two = f.boundaries.iter().filter(|b| **b >= 2).count();
        let flags: Vec<String> = f.flags.iter().map(|(k, c)| format!("{k} {c}")).collect();
        let _ = writeln!(
            out,
            "| {}{suffix} | {:.1} | {:.1} | {:.1} | {} | {:.1} | {}/{} | {}/{} | {} |",
            profile.as_str(),
            f.mean(),
            f.min(),
            f.max(),
            highest.join(", "),
            bmean,
            two,
            f.interviews,
            f.content_flagged,
            f.interviews,
            if flags.is_empty() { "none".to_owned() } else { flags.join(", ") }
        );
    }
}

impl Report {
    /// The figures table of docs/scoring.md (Markdown).
    #[must_use]
    pub fn table(&self) -> String {
        let mut out = String::new();
        let n = self.profiles.values().next().map_or(0, |f| f.interviews);
        let _ = writeln!(
            out,
            "{n} interviews per profile ({} roles × {INTERVIEWS_PER_ROLE} ids), built-in interviewer, default limits. \
             Rows marked *held-out* ask only the held-out half's bank questions.\n",
            RoleType::ALL.len()
        );
        out.push_str("| profile | overall mean | min | max | highest level reached (interviews) | boundaries (mean) | ≥ 2 boundaries | flagged (content) | flags (interviews) |\n");
        out.push_str("|---|---:|---:|---:|---|---:|---:|---:|---|\n");
        rows(&mut out, &self.held_out, ", held-out");
        rows(&mut out, &self.profiles, "");

        let splits = [Split::HeldOut, Split::Dev, Split::All];
        out.push_str("\nHand-written answers to each bank question asked on its own: mean composite × 100, and the share of strong answers rated *excellent*.\n\n");
        let header: Vec<String> = splits
            .iter()
            .map(|s| format!("{} ({} questions)", s.as_str(), self.checks.hand(*s).questions))
            .collect();
        let _ = writeln!(out, "| answer | {} |\n|---|---:|---:|---:|", header.join(" | "));
        for p in Profile::HAND {
            let cells: Vec<String> = splits
                .iter()
                .map(|s| format!("{:.1}", self.checks.hand(*s).mean.get(p).copied().unwrap_or(0.0)))
                .collect();
            let _ = writeln!(out, "| {} | {} |", p.as_str(), cells.join(" | "));
        }
        let cells: Vec<String> = splits
            .iter()
            .map(|s| format!("{:.1} %", 100.0 * self.checks.hand(*s).strong_excellent))
            .collect();
        let _ = writeln!(out, "| strong rated *excellent* | {} |", cells.join(" | "));

        let _ = writeln!(
            out,
            "\nGaming answers to each bank question ({} questions): share scoring a composite below 0.5\n",
            self.checks.questions
        );
        out.push_str("| answer | below 0.5 |\n|---|---:|\n");
        for (k, v) in &self.checks.below_half {
            let _ = writeln!(out, "| {k} | {:.1} % |", v * 100.0);
        }
        let _ = writeln!(
            out,
            "\nRepeated questions: {}. Invalid evidence references: {}. Strengths/weaknesses citing the wrong kind of answer: {}.",
            self.repeated_questions, self.invalid_evidence, self.miscited
        );
        out
    }
}
