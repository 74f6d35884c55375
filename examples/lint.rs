//! Lints a draft reply on the built-in stock corpus and prints the verdict, the scores and the
//! draft with its boilerplate spans underlined.
//!
//! ```text
//! cargo run --example lint -- "Thank you for your message. You can find our policies by clicking this link."
//! cargo run --example lint -- --customer "My parcel to Leeds is two days late" "Sorry! Please DM us."
//! ```
//!
//! With no draft it lints a few sample replies. Exit code 0 when every draft's verdict is
//! personal, 1 when one is canned or templated.

use std::process::ExitCode;

use cannery::{Context, Index, OffsetConverter, Report, Verdict};

const SAMPLES: &[(&str, Option<&str>)] = &[
    (
        "Thank you for your message. You can find our policies by clicking this link.",
        None,
    ),
    (
        "@115712 We're sorry to hear that. Please DM us your order number and we'll look into this. ^JK",
        Some("@AcmeHelp my order 4417 never arrived and nobody answers the phone"),
    ),
    (
        "Hi Maria, the 7:40 from Leeds was held at Doncaster by a signal fault. Your ticket is valid on the 8:10.",
        Some("@TrainCo why is the 7:40 from Leeds stuck at Doncaster?? I have a meeting at 9"),
    ),
];

fn main() -> ExitCode {
    let mut customer = None;
    let mut drafts = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--customer" {
            customer = args.next();
        } else {
            drafts.push(arg);
        }
    }
    let index = Index::stock();
    let items: Vec<(String, Option<String>)> = if drafts.is_empty() {
        SAMPLES
            .iter()
            .map(|(d, c)| (d.to_string(), c.map(str::to_string)))
            .collect()
    } else {
        drafts.into_iter().map(|d| (d, customer.clone())).collect()
    };
    let mut any_canned = false;
    for (draft, customer) in &items {
        let ctx = match customer {
            Some(c) => Context::new().message(c),
            None => Context::new(),
        };
        let report = index.score(draft, &ctx);
        any_canned |= report.verdict != Verdict::Personal;
        print_report(draft, customer.as_deref(), &report);
    }
    if any_canned {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_report(draft: &str, customer: Option<&str>, report: &Report) {
    println!(
        "{}: canned {:.2}, personalisation {:.2}",
        report.verdict, report.canned, report.personalisation
    );
    if let Some(c) = customer {
        println!("  customer: {c}");
    }
    // The draft, then a line of carets under each boilerplate span (columns in chars).
    println!("  | {draft}");
    let conv = OffsetConverter::new(draft);
    let mut marks = String::new();
    for span in &report.spans {
        let (start, end) = (
            conv.char_offset(span.bytes.start),
            conv.char_offset(span.bytes.end),
        );
        while marks.chars().count() < start {
            marks.push(' ');
        }
        marks.extend(std::iter::repeat('^').take(end - start));
    }
    if !marks.is_empty() {
        println!("  | {marks}");
    }
    for span in &report.spans {
        println!(
            "  = boilerplate {:?}: shared by {} corpus {}{}",
            &draft[span.bytes.clone()],
            span.support,
            if span.support == 1 {
                "reply"
            } else {
                "replies"
            },
            span.example
                .as_deref()
                .map(|id| format!(", e.g. {id}"))
                .unwrap_or_default()
        );
    }
    if let Some(n) = report.nearest.first() {
        println!(
            "  = nearest past reply ({:.2} similar): {} {:?}",
            n.similarity, n.id, n.text
        );
    }
    println!();
}
