//! What the scorer knows of a reply besides its text: the customer's message and name, and the
//! group it is scored for.

/// What the scorer knows of the reply: the customer's message it answers, their name, and the
/// group (brand, tenant) whose replies it is scored against.
///
/// ```
/// use cannery::Context;
/// let ctx = Context::new().message("My flight to Rome was cancelled").name("Maria").group("Delta");
/// assert_eq!(ctx.customer_name, Some("Maria"));
/// assert_eq!(ctx.group, Some("Delta"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Context<'a> {
    /// The customer's message that the reply answers (its first [`MAX_INPUT_BYTES`](crate::MAX_INPUT_BYTES) are read).
    pub customer_message: Option<&'a str>,
    /// The customer's name (its first 256 bytes are read; its first word is matched).
    pub customer_name: Option<&'a str>,
    /// The group (brand, tenant) the reply is scored for: when set, the report uses that
    /// group's replies and the reference replies (stock corpus, macros) alone, and never shows
    /// another group's text or ids (see [`Index::scope`](crate::Index::scope)). `None` scores against the whole
    /// index.
    pub group: Option<&'a str>,
    /// The language the reply is written in, when the caller knows it (a helpdesk's ticket
    /// locale): the report takes it instead of telling the language from the text.
    pub language: Option<crate::text::Language>,
    /// Phrases and patterns the brand is allowed to send unchanged: found in the reply, they
    /// are neither boilerplate spans nor counted towards `canned` (see
    /// [`Report::allowed`](crate::Report::allowed)).
    pub allowed: Option<&'a super::Allowed>,
}

impl<'a> Context<'a> {
    /// An empty context.
    ///
    /// ```
    /// assert!(cannery::Context::new().customer_message.is_none());
    /// ```
    pub fn new() -> Self {
        Context::default()
    }

    /// The same context with the customer's message.
    ///
    /// ```
    /// let ctx = cannery::Context::new().message("Where is my parcel?");
    /// assert!(ctx.customer_message.is_some());
    /// ```
    pub fn message(mut self, message: &'a str) -> Self {
        self.customer_message = Some(message);
        self
    }

    /// The same context with the customer's name.
    ///
    /// ```
    /// let ctx = cannery::Context::new().name("Tina");
    /// assert_eq!(ctx.customer_name, Some("Tina"));
    /// ```
    pub fn name(mut self, name: &'a str) -> Self {
        self.customer_name = Some(name);
        self
    }

    /// The same context, scoped to `group`: the reply is scored against that group's replies
    /// and the reference replies alone (see [`Index::scope`](crate::Index::scope)).
    ///
    /// ```
    /// use cannery::{Context, Index, Reply};
    /// let index = Index::builder().build([
    ///     Reply::new("g1", "Your Globex router needs the 4.2 firmware update.").group("Globex"),
    /// ]);
    /// let draft = "Your Globex router needs the 4.2 firmware update.";
    /// assert_eq!(index.score(draft, &Context::new()).nearest[0].id, "g1");
    /// assert!(index.score(draft, &Context::new().group("Acme")).nearest.iter().all(|n| n.id != "g1"));
    /// ```
    pub fn group(mut self, group: &'a str) -> Self {
        self.group = Some(group);
        self
    }

    /// The same context with the phrases and patterns the brand is allowed to send unchanged
    /// (a legal disclosure, a mandated closing): the report is of the reply without them.
    ///
    /// ```
    /// use cannery::{Allowed, Context, Index};
    /// let allowed = Allowed::new(["Thank you for your message."], [] as [&str; 0]).unwrap();
    /// let draft = "Thank you for your message. Your parcel left Leeds at 9:40 and arrives on Friday.";
    /// let plain = Index::stock().score(draft, &Context::new());
    /// let with = Index::stock().score(draft, &Context::new().allowed(&allowed));
    /// assert!(with.canned < plain.canned);
    /// assert_eq!(with.allowed.len(), 1);
    /// ```
    pub fn allowed(mut self, allowed: &'a super::Allowed) -> Self {
        self.allowed = Some(allowed);
        self
    }
}

impl Context<'_> {
    /// The same context with the language the reply is written in (see
    /// [`Report::language`](crate::Report::language)), which the report then takes as given.
    ///
    /// ```
    /// use cannery::{Context, Index, Language};
    /// let de = Language::from_code("de").unwrap();
    /// let report = Index::stock().score("Danke!", &Context::new().language(de));
    /// assert_eq!(report.language, Some(de));
    /// ```
    pub fn language(mut self, language: crate::text::Language) -> Self {
        self.language = Some(language);
        self
    }
}

/// `context` without its group (for the scope that stands for the group).
pub(super) fn unscoped<'a>(context: &Context<'a>) -> Context<'a> {
    Context {
        group: None,
        ..*context
    }
}
