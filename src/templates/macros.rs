//! Known templates: a helpdesk's canned replies (macros), imported with HTML stripped and their
//! placeholders as slots.
//!
//! A macro is indexed as a reference reply, like the built-in stock corpus: its phrases count as
//! stock phrasing, so a reply that instantiates it scores as canned even if the archive never saw
//! it, and it names the template a reply uses ([`Template::name`](crate::Template::name)). Macros
//! are not sent replies: they do not count in a template's usage. Placeholders (`{{...}}`, as
//! Zendesk and Freshdesk write them) become slots by their names (see [`Slot`](crate::Slot)), and
//! the words a reply fills them with never count as personalisation.
//!
//! The `cannery` command reads Zendesk macro exports, Freshdesk canned-response exports and plain
//! lists (`--macros FILE`); from Rust, hand each macro's title and text to [`Index::add_macro`](crate::Index::add_macro).
//!
//! ```
//! use cannery::{Index, Context};
//! let mut index = Index::stock();
//! index.add_macro("Refund sent", "<p>Hi {{ticket.requester.first_name}},</p><p>Your refund for \
//!     order {{ticket.id}} was sent to your card today.</p><p>{{current_user.first_name}}</p>");
//! let r = index.score("Hi Tina, your refund for order 4417 was sent to your card today. Sam",
//!                     &Context::new());
//! assert_eq!(r.template.unwrap().name.as_deref(), Some("Refund sent"));
//! assert!(r.canned > 0.6);
//! ```

use std::sync::OnceLock;

use regex::Regex;

pub use crate::store::MACRO_GROUP;
use crate::store::NewReply;
use crate::text::{Token, tokenize};

/// A macro as the store adds it: a reference reply in [`MACRO_GROUP`] whose id is `macro:` and
/// the title, whose text is the macro's with HTML stripped, and whose `{{placeholders}}` are
/// slots.
pub(crate) struct MacroReply {
    id: String,
    text: String,
    keys: Vec<u32>,
}

impl MacroReply {
    /// The reply of the macro titled `name` with text (or HTML) `text`.
    pub(crate) fn new(name: &str, text: &str) -> Self {
        let plain = strip_html(text);
        let tokens = tokenize(crate::text::capped(&plain).0);
        MacroReply {
            id: format!("macro:{name}"),
            keys: tokens.iter().map(Token::key).collect(),
            text: plain,
        }
    }

    /// The reply as the store's one `add` path takes it.
    pub(crate) fn as_new_reply(&self) -> NewReply<'_> {
        NewReply {
            id: &self.id,
            text: &self.text,
            group: Some(MACRO_GROUP),
            time: None,
            keys: &self.keys,
            reference: true,
        }
    }
}

/// The text of an HTML fragment: tags dropped (block tags and `<br>` as line breaks), character
/// references decoded. Plain text passes through unchanged, but for its character references.
///
/// ```
/// assert_eq!(cannery::strip_html("<p>Hi&nbsp;there,</p><p>Thanks &amp; bye</p>"),
///            "Hi there,\nThanks & bye");
/// ```
pub fn strip_html(html: &str) -> String {
    static TAG: OnceLock<Regex> = OnceLock::new();
    static BREAK: OnceLock<Regex> = OnceLock::new();
    static ENTITY: OnceLock<Regex> = OnceLock::new();
    let brk = BREAK.get_or_init(|| {
        Regex::new(r"(?i)<\s*(?:br\s*/?|/\s*(?:p|div|li|h[1-6]|tr|blockquote))\s*>")
            .expect("break pattern")
    });
    let tag = TAG.get_or_init(|| {
        Regex::new(r"(?s)<!--.*?-->|<\s*/?\s*[a-zA-Z][^<>]*>").expect("tag pattern")
    });
    let entity = ENTITY.get_or_init(|| {
        Regex::new(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});").expect("entity pattern")
    });
    let text = brk.replace_all(html, "\n");
    let text = tag.replace_all(&text, "");
    let text = entity.replace_all(&text, |caps: &regex::Captures<'_>| {
        let name = &caps[1];
        let decoded = if let Some(num) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
        {
            u32::from_str_radix(num, 16).ok().and_then(char::from_u32)
        } else if let Some(num) = name.strip_prefix('#') {
            num.parse().ok().and_then(char::from_u32)
        } else {
            match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                "rsquo" | "lsquo" => Some('\''),
                "rdquo" | "ldquo" => Some('"'),
                "hellip" => Some('…'),
                "mdash" => Some('—'),
                "ndash" => Some('–'),
                _ => None,
            }
        };
        decoded.map_or_else(|| caps[0].to_string(), |c| c.to_string())
    });
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, Index, Reply};

    #[test]
    fn strip_html_table() {
        let cases = [
            ("plain text", "plain text"),
            ("<b>bold</b> and <a href=\"x\">link</a>", "bold and link"),
            ("line<br>next<br/>last", "line\nnext\nlast"),
            ("<!-- c --><p>a</p>\n\n<p>b</p>", "a\nb"),
            ("5 &lt; 6 &#38; &#x41; &unknown;", "5 < 6 & A &unknown;"),
            ("{{ticket.id}} stays", "{{ticket.id}} stays"),
        ];
        for (html, text) in cases {
            assert_eq!(strip_html(html), text, "{html:?}");
        }
    }

    #[test]
    fn a_macro_the_archive_never_saw_makes_its_instances_canned() {
        let archive = [Reply::new(
            "a",
            "Our Leeds store reopens on Monday after the flood.",
        )];
        let plain = Index::builder().build(archive);
        let mut with_macro = plain.clone();
        with_macro.add_macro(
            "Warranty",
            "Hi {{ticket.requester.first_name}}, your Zephyr blender is covered by our two-year warranty: bring it to any store with the receipt.",
        );
        let reply = "Hi Tina, your Zephyr blender is covered by our two-year warranty: bring it to any store with the receipt.";
        let before = plain.score(reply, &Context::new());
        let after = with_macro.score(reply, &Context::new());
        assert!(after.canned >= 0.6, "{}", after.canned);
        assert!(
            after.canned > before.canned + 0.2,
            "{} vs {}",
            after.canned,
            before.canned
        );
        let t = after.template.expect("the macro names the template");
        assert_eq!(t.name.as_deref(), Some("Warranty"));
        // The macro is not a sent reply: its template is listed, with no usage yet.
        assert_eq!(t.count, 0);
        let listed = with_macro.templates(2);
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].name.as_deref(), listed[0].count),
            (Some("Warranty"), 0)
        );
    }

    #[test]
    fn filled_placeholders_do_not_count_as_personalisation() {
        let mut index = Index::builder().build([]);
        index.add_macro(
            "Order status",
            "Your order {{ticket.custom_field_123}} ships from {{ticket.organization.city}} today.",
        );
        let filled = "Your order of blue Zephyr trainers ships from Doncaster today.";
        let r = index.score(filled, &Context::new());
        assert_eq!(
            r.template.as_ref().and_then(|t| t.name.as_deref()),
            Some("Order status")
        );
        assert_eq!(r.signals.specific, 0.0, "{:?}", r.signals);
        assert_eq!(r.signals.novelty, 0.0, "{:?}", r.signals);
        // A number that fills a {{ticket.id}} placeholder is the macro's too.
        index.add_macro(
            "Refund",
            "Your refund for order {{ticket.id}} is on its way to your card.",
        );
        let r = index.score(
            "Your refund for order 4417 is on its way to your card.",
            &Context::new(),
        );
        assert_eq!(
            r.template.as_ref().and_then(|t| t.name.as_deref()),
            Some("Refund")
        );
        assert_eq!(r.signals.specific, 0.0, "{:?}", r.signals);
        // A reply that adds its own words outside the placeholders does not instantiate it.
        let other = index.score("Your order of blue trainers ships from Doncaster today, and I added a free gift for the wait.", &Context::new());
        assert!(other.template.is_none());
    }
}
