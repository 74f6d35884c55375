//! Readers of helpdesk canned-reply libraries: Zendesk macro exports, Freshdesk canned-response
//! exports, plain lists (a template a line) and JSON lines.

use clap::ValueEnum;
use serde_json::Value;

/// The format of a canned-reply library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MacroFormat {
    /// Tell from the extension (.txt lines, .jsonl JSON lines) or, for .json, from the content.
    Auto,
    /// A Zendesk macros export: `{"macros": [{"title", "actions": [{"field": "comment_value" |
    /// "comment_value_html", "value"}]}]}` (or the bare list, or one `{"macro": {...}}`).
    Zendesk,
    /// A Freshdesk canned-responses export: `[{"title", "content" | "content_html"}]` (or under
    /// `"canned_responses"`, or in folders with their own `"canned_responses"`).
    Freshdesk,
    /// One template a line; blank lines and lines starting with `#` are skipped.
    Lines,
    /// One JSON object a line with `name` or `title`, and `text` or `content`.
    Jsonl,
}

/// A canned reply: its title and its text (HTML allowed).
pub struct Macro {
    pub name: String,
    pub text: String,
}

/// Reads a library. Fails when the file cannot be read or parsed, or holds no macro.
pub fn read(path: &str, format: MacroFormat) -> Result<Vec<Macro>, String> {
    let data = crate::records::read_text(path).map_err(|e| format!("the macros: {e}"))?;
    let data = data.strip_prefix('\u{feff}').unwrap_or(&data);
    let format = match format {
        MacroFormat::Auto => detect(path, data),
        f => f,
    };
    let macros = match format {
        MacroFormat::Lines => Ok(data
            .lines()
            .enumerate()
            .map(|(n, l)| (n, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
            .map(|(n, l)| Macro {
                name: format!("line {}", n + 1),
                text: l.to_string(),
            })
            .collect()),
        MacroFormat::Jsonl => data
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| {
                let v: Value =
                    serde_json::from_str(l).map_err(|e| format!("{path}:{}: {e}", n + 1))?;
                let name =
                    str_field(&v, &["name", "title"]).unwrap_or_else(|| format!("line {}", n + 1));
                let text = str_field(&v, &["text", "content", "content_html"])
                    .ok_or_else(|| format!("{path}:{}: no \"text\" field", n + 1))?;
                Ok(Macro { name, text })
            })
            .collect::<Result<Vec<_>, String>>(),
        MacroFormat::Zendesk | MacroFormat::Freshdesk => {
            let v: Value =
                serde_json::from_str(data).map_err(|e| format!("{path}: not valid JSON: {e}"))?;
            Ok(if format == MacroFormat::Zendesk {
                zendesk(&v)
            } else {
                freshdesk(&v)
            })
        }
        MacroFormat::Auto => unreachable!("detected above"),
    }?;
    if macros.is_empty() {
        return Err(format!(
            "{path} holds no macro with a reply text ({format:?} format)"
        ));
    }
    Ok(macros)
}

fn detect(path: &str, data: &str) -> MacroFormat {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
        return MacroFormat::Jsonl;
    }
    if !lower.ends_with(".json") && !data.trim_start().starts_with(['{', '[']) {
        return MacroFormat::Lines;
    }
    if data.contains("\"actions\"") || data.contains("\"macros\"") || data.contains("\"macro\"") {
        MacroFormat::Zendesk
    } else {
        MacroFormat::Freshdesk
    }
}

fn str_field(v: &Value, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| v.get(n).and_then(Value::as_str))
        .map(str::to_string)
        .filter(|s| !s.trim().is_empty())
}

/// The reply text of a Zendesk action value: a string, or a list whose last string is the text
/// (`["channel:all", "text"]`).
fn action_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items
            .iter()
            .rev()
            .find_map(Value::as_str)
            .map(str::to_string),
        _ => None,
    }
}

fn zendesk(v: &Value) -> Vec<Macro> {
    let list: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        Value::Object(o) => match (o.get("macros"), o.get("macro")) {
            (Some(Value::Array(items)), _) => items.iter().collect(),
            (_, Some(m)) => vec![m],
            _ => vec![v],
        },
        _ => Vec::new(),
    };
    list.into_iter()
        .enumerate()
        .filter_map(|(n, m)| {
            let actions = m.get("actions")?.as_array()?;
            let field = |name: &str| {
                actions
                    .iter()
                    .filter(|a| a.get("field").and_then(Value::as_str) == Some(name))
                    .find_map(|a| a.get("value").and_then(action_text))
            };
            let text = field("comment_value").or_else(|| field("comment_value_html"))?;
            let name =
                str_field(m, &["title", "raw_title"]).unwrap_or_else(|| format!("macro {}", n + 1));
            Some(Macro { name, text })
        })
        .collect()
}

fn freshdesk(v: &Value) -> Vec<Macro> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<Macro>) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(o) => {
                if let Some(inner) = o.get("canned_responses") {
                    walk(inner, out);
                    return;
                }
                if let Some(text) = str_field(v, &["content", "content_html"]) {
                    let name = str_field(v, &["title", "name"])
                        .unwrap_or_else(|| format!("response {}", out.len() + 1));
                    out.push(Macro { name, text });
                }
            }
            _ => {}
        }
    }
    walk(v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zendesk_shapes() {
        let export: Value = serde_json::from_str(
            r#"{"macros":[
              {"title":"Refund","actions":[{"field":"status","value":"solved"},{"field":"comment_value","value":"Your refund for {{ticket.id}} is on its way."}]},
              {"title":"Html","actions":[{"field":"comment_value_html","value":"<p>Hi {{ticket.requester.first_name}}</p>"}]},
              {"title":"Channel","actions":[{"field":"comment_value","value":["channel:all","Thanks for waiting!"]}]},
              {"title":"No reply","actions":[{"field":"priority","value":"high"}]}
            ]}"#,
        )
        .unwrap();
        let m = zendesk(&export);
        let names: Vec<&str> = m.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Refund", "Html", "Channel"]);
        assert_eq!(m[2].text, "Thanks for waiting!");
    }

    #[test]
    fn freshdesk_shapes() {
        let flat: Value = serde_json::from_str(r#"[{"title":"A","content":"Hello {{ticket.requester.name}}"},{"title":"B","content_html":"<b>Bye</b>"}]"#).unwrap();
        assert_eq!(freshdesk(&flat).len(), 2);
        let folders: Value = serde_json::from_str(
            r#"[{"name":"Billing","canned_responses":[{"title":"C","content":"Paid."}]}]"#,
        )
        .unwrap();
        let m = freshdesk(&folders);
        assert_eq!((m.len(), m[0].name.as_str()), (1, "C"));
    }

    #[test]
    fn detection() {
        assert_eq!(detect("m.txt", "Thanks!\n"), MacroFormat::Lines);
        assert_eq!(detect("m.jsonl", "{}"), MacroFormat::Jsonl);
        assert_eq!(detect("m.json", r#"{"macros": []}"#), MacroFormat::Zendesk);
        assert_eq!(
            detect("m.json", r#"[{"content": "x"}]"#),
            MacroFormat::Freshdesk
        );
    }
}
