//! `cannery mcp`: a Model Context Protocol server over stdio with one tool, `lint_reply`, that an
//! AI agent calls on its draft before it sends it, and acts on the instruction it returns.
//!
//! rmcp is the official Rust SDK of the protocol: its `#[tool]` macros derive the tool's input
//! and output schemas from the types below (schemars), and its stdio transport speaks JSON-RPC on
//! standard input and output. Nothing else is written to standard output; warnings go to
//! standard error.

use std::sync::Arc;

use cannery::{Index, Report, Verdict};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::{tool, tool_handler, tool_router, Json, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::check::{Asked, Checker};

/// The arguments of `lint_reply`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintRequest {
    /// The draft reply to check before it is sent.
    pub draft: String,
    /// The customer's message the draft answers. Give it: without it, cannery cannot tell how
    /// much of the draft answers this customer.
    pub customer: Option<String>,
    /// The customer's name, if the draft may use it.
    pub name: Option<String>,
    /// The brand (tenant, group) whose past replies the draft is compared with.
    pub group: Option<String>,
}

/// A boilerplate span of the draft.
#[derive(Serialize, JsonSchema)]
pub struct SpanOut {
    /// The span's text.
    pub text: String,
    /// Where it starts in the draft, in bytes of UTF-8.
    pub byte_start: usize,
    /// Where it ends, in bytes.
    pub byte_end: usize,
    /// Where it starts, in characters (code points).
    pub char_start: usize,
    /// Where it ends, in characters.
    pub char_end: usize,
    /// How many past replies use it.
    pub support: u32,
    /// Whether it is stock customer-service wording.
    pub stock: bool,
}

/// The template the draft instantiates.
#[derive(Serialize, JsonSchema)]
pub struct TemplateOut {
    /// The template's id (as `cannery templates` lists them).
    pub id: usize,
    /// Its text, with slots such as `<NUM>`.
    pub text: String,
    /// How close the draft is to it, 0 to 1.
    pub similarity: f64,
    /// How many past replies use it.
    pub count: u32,
}

/// The past reply nearest the draft.
#[derive(Serialize, JsonSchema)]
pub struct NearestOut {
    /// Its id.
    pub id: String,
    /// Its text.
    pub text: String,
    /// How close the draft is to it, 0 to 1.
    pub similarity: f64,
}

/// What `lint_reply` returns.
#[derive(Serialize, JsonSchema)]
pub struct LintResult {
    /// canned, templated, personal or unjudged.
    pub verdict: String,
    /// How canned the draft is, 0 to 1.
    pub canned: f64,
    /// How much of it answers this customer, 0 to 1.
    pub personalisation: f64,
    /// Whether the draft fails the check (canned at or above fail_at): rewrite before sending.
    pub fails: bool,
    /// The canned score from which a draft fails.
    pub fail_at: f64,
    /// The draft's language (ISO 639-1), when told.
    pub language: Option<String>,
    /// The boilerplate spans, in order.
    pub spans: Vec<SpanOut>,
    /// The template the draft instantiates, if any.
    pub template: Option<TemplateOut>,
    /// The nearest past reply, if any.
    pub nearest: Option<NearestOut>,
    /// What to do next, in a sentence or two.
    pub instruction: String,
}

/// The MCP server: the index and how drafts are linted.
#[derive(Clone)]
pub struct Linter {
    checker: Arc<Checker>,
    index: Index,
    tool_router: ToolRouter<Self>,
}

#[tool_router(router = tool_router)]
impl Linter {
    /// A server linting against `index` under `checker`.
    pub fn new(checker: Checker, index: Index) -> Self {
        Linter {
            checker: Arc::new(checker),
            index,
            tool_router: Self::tool_router(),
        }
    }

    /// The tool.
    #[tool(
        name = "lint_reply",
        description = "Check a customer-service reply before sending it: is it canned (stock wording, a copy of a template or past reply) or written for this customer? Returns the verdict, the canned and personalisation scores (0 to 1), the boilerplate spans with their text, the template and nearest past reply it copies, and an instruction. Pass the customer's message so the check can tell whether the draft answers it."
    )]
    pub async fn lint_reply(
        &self,
        Parameters(request): Parameters<LintRequest>,
    ) -> Result<Json<LintResult>, String> {
        if crate::is_blank(&request.draft) {
            return Err("the draft is empty or white space only: there is nothing to lint".into());
        }
        let asked = Asked {
            customer: request.customer.as_deref(),
            name: request.name.as_deref(),
            group: request.group.as_deref(),
        };
        let report = self.checker.report(&self.index, &request.draft, asked);
        Ok(Json(result(&self.checker, &request, &report)))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Linter {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("cannery", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Call lint_reply on every customer-service reply you draft, with the customer's message, before sending it. If it fails, follow its instruction and call it again.",
            )
    }
}

/// The tool's answer for `report` on `request`.
fn result(checker: &Checker, request: &LintRequest, report: &Report) -> LintResult {
    let draft = &request.draft;
    let fails = checker.fails(report);
    let shown = checker.rules.boilerplate_span;
    LintResult {
        verdict: report.verdict.as_str().into(),
        canned: report.canned,
        personalisation: report.personalisation,
        fails,
        fail_at: checker.fail_at,
        language: report.language.map(|l| l.code().to_string()),
        spans: report
            .spans
            .iter()
            .filter(|_| shown)
            .map(|s| SpanOut {
                text: draft[s.bytes.clone()].to_string(),
                byte_start: s.bytes.start,
                byte_end: s.bytes.end,
                char_start: s.chars.start,
                char_end: s.chars.end,
                support: s.support,
                stock: s.stock,
            })
            .collect(),
        template: report.template.as_ref().map(|t| TemplateOut {
            id: t.id,
            text: t.text.clone(),
            similarity: t.similarity,
            count: t.count,
        }),
        nearest: report.nearest.first().map(|n| NearestOut {
            id: n.id.clone(),
            text: n.text.clone(),
            similarity: n.similarity,
        }),
        instruction: instruction(report, draft, request.customer.as_deref(), fails, checker),
    }
}

/// What the agent should do next.
fn instruction(
    report: &Report,
    draft: &str,
    customer: Option<&str>,
    fails: bool,
    checker: &Checker,
) -> String {
    if report.verdict == Verdict::Unjudged {
        let language = report.language.map_or("this language", |l| l.name());
        return format!("cannery cannot judge this draft: it is in {language}, which has no built-in stock corpus, and the brand's past replies hold nothing like it. Check it yourself before sending.");
    }
    let question = customer.map(question);
    if !fails {
        return match (report.verdict, &question) {
            (Verdict::Personal, _) => format!(
                "Send it: the draft reads as written for this customer (canned {:.2}, below {:.2}).",
                report.canned, checker.fail_at
            ),
            (_, Some(q)) if report.personalisation < 0.5 => format!(
                "It passes (canned {:.2}, below {:.2}), but little of it is about this customer: consider answering their message directly (\"{q}\").",
                report.canned, checker.fail_at
            ),
            _ => format!(
                "It passes (canned {:.2}, below {:.2}).",
                report.canned, checker.fail_at
            ),
        };
    }
    let mut out = format!(
        "Rewrite before sending: the draft reads as canned (canned {:.2}, fails at {:.2}).",
        report.canned, checker.fail_at
    );
    let spans: Vec<String> = report
        .spans
        .iter()
        .take(3)
        .map(|s| format!("\"{}\"", elide(draft[s.bytes.clone()].trim(), 100)))
        .collect();
    if !spans.is_empty() && checker.rules.boilerplate_span {
        let more = report.spans.len().saturating_sub(spans.len());
        out.push_str(&format!(
            " Rewrite the marked span{} ({}{})",
            if report.spans.len() == 1 { "" } else { "s" },
            spans.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    } else {
        out.push_str(" Rewrite it");
    }
    match &question {
        Some(q) => out.push_str(&format!(
            " to answer the customer's message: \"{q}\"; say what you will do about their case, in your own words."
        )),
        None => out.push_str(
            " in words about this customer's case (pass the customer's message to lint_reply so that it can tell whether the draft answers it).",
        ),
    }
    if let Some(t) = &report.template {
        out.push_str(&format!(
            " It follows template #{} (used by {} past replies).",
            t.id, t.count
        ));
    } else if let Some(n) = report.nearest.first().filter(|n| n.similarity >= 0.8) {
        out.push_str(&format!(
            " It nearly copies past reply {} (similarity {:.2}).",
            n.id, n.similarity
        ));
    }
    out
}

/// The customer's message as the instruction quotes it: whole when short (200 characters or
/// fewer), else its first sentence with a question mark (or its first sentence), at most 120
/// characters.
fn question(message: &str) -> String {
    let message = message.trim();
    if message.chars().count() <= 200 {
        return message.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    let sentences: Vec<&str> = message
        .split_inclusive(['.', '?', '!', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let chosen = sentences
        .iter()
        .find(|s| s.ends_with('?'))
        .or(sentences.first())
        .copied()
        .unwrap_or(message);
    elide(chosen, 120)
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn elide(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Serves `lint_reply` on standard input and output until the client closes them.
pub fn run(checker: Checker, index: Index) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the MCP server's runtime: {e}"))?;
    runtime.block_on(async {
        let service = Linter::new(checker, index)
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| format!("the MCP client did not initialise: {e}"))?;
        service
            .waiting()
            .await
            .map_err(|e| format!("the MCP server stopped: {e}"))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_quoted_whole_when_short_else_by_their_question() {
        let long = format!(
            "{} Where is my order 4417? {}",
            "Hello there.".repeat(10),
            "More.".repeat(30)
        );
        for (message, quoted) in [
            (
                "Hi. Where is my order 4417?\n It was due  Monday.",
                "Hi. Where is my order 4417? It was due Monday.",
            ),
            ("my parcel never came", "my parcel never came"),
            ("", ""),
            (long.as_str(), "Where is my order 4417?"),
        ] {
            assert_eq!(question(message), quoted, "{message:?}");
        }
        assert_eq!(question(&"é".repeat(300)).chars().count(), 121);
    }
}
