//! The built-in stock corpus: a few hundred stock customer-service replies written for this crate.
//!
//! Apologies, requests to DM, e-mail or call, requests for details, troubleshooting steps,
//! escalations, holding replies, thanks, greetings, closings and policy lines, in the generic
//! wording that customers recognise as canned. [`Index::stock`](crate::Index::stock) indexes them
//! alone; every index built with the default settings includes them, in the group
//! [`STOCK_GROUP`](crate::STOCK_GROUP), so that scoring works with no archive at all.
//!
//! ```
//! assert!(cannery::stock_replies().any(|r| r.starts_with("Please DM us")));
//! ```

/// The stock corpus file, one reply a line; `#` lines are category headers.
const STOCK_FILE: &str = include_str!("stock_replies.txt");

/// The replies of the stock corpus, in file order.
pub(crate) static STOCK_REPLIES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| {
        STOCK_FILE
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    });

/// The replies of the built-in stock corpus, in order (the stock reply `n` has the id
/// `stock:n`, counting from 1).
///
/// ```
/// let first = cannery::stock_replies().next().unwrap();
/// assert_eq!(first, "We're sorry to hear that.");
/// ```
pub fn stock_replies() -> impl ExactSizeIterator<Item = &'static str> {
    STOCK_REPLIES.iter().copied()
}
