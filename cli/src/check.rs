//! A lint's settings once settled (the rules, the allowed boilerplate, `fail-at`, the group), and
//! the report of one draft under them: what `lint`, `serve` and `mcp` share.

use cannery::{Allowed, Context, Index, Report};

use crate::lint::Rules;

/// Loads an index file again with the model, macros and thresholds a long-running command
/// started with.
#[cfg(any(feature = "serve", feature = "mcp"))]
pub type Reloader = Box<dyn Fn(&std::path::Path) -> Result<Index, String> + Send + Sync>;

/// How drafts are linted, whatever asks.
pub struct Checker {
    /// A draft at or above this canned score fails.
    pub fail_at: f64,
    /// Which findings are reported.
    pub rules: Rules,
    /// The boilerplate the brand must send: never a finding.
    pub allowed: Allowed,
    /// The group to score within when a draft names none.
    pub group: Option<String>,
}

/// One draft's context, as a caller gives it.
#[derive(Default, Clone, Copy)]
pub struct Asked<'a> {
    /// The customer's message the draft answers.
    pub customer: Option<&'a str>,
    /// The customer's name.
    pub name: Option<&'a str>,
    /// The group to score it within (else the checker's).
    pub group: Option<&'a str>,
}

impl Checker {
    /// The report on `draft` against `index`.
    pub fn report(&self, index: &Index, draft: &str, asked: Asked<'_>) -> Report {
        let mut ctx = Context::new();
        if let Some(c) = asked.customer {
            ctx = ctx.message(c);
        }
        if let Some(n) = asked.name {
            ctx = ctx.name(n);
        }
        if let Some(g) = asked.group.or(self.group.as_deref()) {
            ctx = ctx.group(g);
        }
        if !self.allowed.is_empty() {
            ctx = ctx.allowed(&self.allowed);
        }
        index.score(draft, &ctx)
    }

    /// Whether `report` fails the lint.
    pub fn fails(&self, report: &Report) -> bool {
        self.rules.fails(report, self.fail_at)
    }
}
