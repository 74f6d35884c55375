//! The reply a caller adds to an index: its id, text and optional group, time and customer
//! message, and how the store takes it.

use crate::store::NewReply;

/// A reply to add to an index: its id, its text and, optionally, a group (a brand or an agent).
///
/// ```
/// use cannery::Reply;
/// let reply = Reply::new("42", "Please DM us.").group("AcmeHelp");
/// assert_eq!(reply.id, "42");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reply<'a> {
    /// The reply's id, passed through to reports (ids need not be unique; leave-one-out scoring
    /// by id leaves out the first reply with that id).
    pub id: &'a str,
    /// The reply's text.
    pub text: &'a str,
    /// The group the reply belongs to: a brand, an agent, a queue.
    pub group: Option<&'a str>,
    /// When the reply was sent, in seconds since the Unix epoch (for the first and last use of
    /// a template).
    pub time: Option<i64>,
    /// The customer's message the reply answers: an index built with a sentence encoder keeps
    /// the statistics of its customer messages' vectors (see the `semantic` feature).
    pub message: Option<&'a str>,
}

impl<'a> Reply<'a> {
    /// A reply with no group.
    ///
    /// ```
    /// let r = cannery::Reply::new("1", "Thanks!");
    /// assert!(r.group.is_none());
    /// ```
    pub fn new(id: &'a str, text: &'a str) -> Self {
        Reply {
            id,
            text,
            group: None,
            time: None,
            message: None,
        }
    }

    /// The same reply in `group`.
    ///
    /// ```
    /// let r = cannery::Reply::new("1", "Thanks!").group("Delta");
    /// assert_eq!(r.group, Some("Delta"));
    /// ```
    pub fn group(mut self, group: &'a str) -> Self {
        self.group = Some(group);
        self
    }

    /// The same reply, sent at `time` (seconds since the Unix epoch).
    ///
    /// ```
    /// let r = cannery::Reply::new("1", "Thanks!").time(1_509_487_847);
    /// assert_eq!(r.time, Some(1_509_487_847));
    /// ```
    pub fn time(mut self, time: i64) -> Self {
        self.time = Some(time);
        self
    }

    /// The same reply, answering the customer's `message`.
    ///
    /// ```
    /// let r = cannery::Reply::new("1", "Thanks!").message("my parcel is late");
    /// assert_eq!(r.message, Some("my parcel is late"));
    /// ```
    pub fn message(mut self, message: &'a str) -> Self {
        self.message = Some(message);
        self
    }
}

impl<'a> NewReply<'a> {
    /// A reply with its token keys, as the store takes it (not a reference reply).
    pub(crate) fn of(reply: &Reply<'a>, keys: &'a [u32]) -> NewReply<'a> {
        NewReply {
            id: reply.id,
            text: reply.text,
            group: reply.group,
            time: reply.time,
            keys,
            reference: false,
        }
    }
}
