//! Templates: families of near-identical replies mined from an index, each aligned into one text
//! with typed slots and `<*>` where the members differ.
//!
//! # How templates are mined
//!
//! The index already holds clusters of replies identical after slot masking. Mining groups those
//! clusters into **families** of near-duplicates, largest first: the largest cluster not yet in a
//! family becomes a root, and every unassigned cluster that shares enough shingles with it (from
//! the posting lists) and passes a token-level check joins it. The shingles looked up are the
//! rarest of the root overall and the rarest of each quarter of it, so that a variant that changed
//! a word or added a sentence is still found through the parts it kept. The check compares the
//! two token sequences without handles, names and sign-offs (which every reply has) by their
//! longest common subsequence (LCS). A cluster joins when
//! - at most one token in ten of the longer differs (at least one may: a word changed, added or
//!   dropped), or
//! - the shorter has at least five tokens and 90% of it appears, in order, within the longer's
//!   first tokens (words added after the template, not a template's first word matched and the
//!   rest found further on).
//!
//! Replies of fewer than four tokens join only their exact copies. On replies re-sent with small
//! edits (`../shared/bench/gen_corpus.py`) this groups 86% of 100,000 replies exactly right by the
//! loghub metric, against drain3's 6.5% and a ceiling of 89% for any miner that keeps re-sends with
//! one word edited in their group (the README's templates section).
//!
//! Members are then aligned with the root by the same LCS: a root token that a quarter or more of
//! the family's replies lack becomes `<*>`, and so does a place where a quarter or more insert
//! words. Slots print as `<user>`, `<url>`, `<email>`, `<num>`, `<date>`, `<name>` and `<sig>`, and
//! the text between tokens (spaces, punctuation) is the root's own. A template's text is rendered
//! on first use and kept; a saved index carries the texts of all its templates (rendered when it
//! is saved), so that no report after a load pays for the alignment.
//!
//! Inserts keep the families mined before them: a reply that starts a cluster joins the family of
//! the first root, in mining order, that the same test accepts it under (its rarest shingles name
//! the candidates), or starts its own, and the families are recounted from these roots. A fresh
//! build, or [`Index::remine_templates`](crate::Index::remine_templates), mines from scratch.
//!
//! This clusters before it aligns, so it does not fragment short, human-edited replies the way a
//! position-by-position log parser (drain3) does.
//!
//! ```
//! use cannery::{Index, Reply};
//! let replies = [
//!     ("1", "@ann Please send us an email at help@acme.com and we will assist. ^JK"),
//!     ("2", "@bob Please send us an email at help@acme.com and we will assist! -Becky"),
//!     ("3", "@cat Please send us an email at help@acme.com and we will gladly assist. *SR"),
//!     ("4", "Our Leeds store reopens on Monday."),
//! ];
//! let index = Index::builder().stock_corpus(false)
//!     .build(replies.iter().map(|(id, t)| Reply::new(id, t)));
//! let templates = index.templates(2);
//! assert_eq!(templates.len(), 1);
//! assert_eq!(templates[0].count, 3);
//! // One reply in three adds a word: that place prints as <*>.
//! assert_eq!(templates[0].text, "<user> Please send us an email at <email> and we will <*> assist. ^<sig>");
//! ```

mod cache;
mod families;
mod inserts;
mod listing;
pub(crate) mod macros;
mod matching;
mod mine;
mod render;

pub(crate) use cache::FamilyCache;
pub(crate) use families::Families;
pub(crate) use listing::{reply_template_ids, templates};
pub(crate) use matching::{macro_template, template_of_cluster};

/// A template mined from the index: one family of near-identical replies.
///
/// ```
/// use cannery::{Index, Reply};
/// let index = Index::builder().stock_corpus(false).build([
///     Reply::new("a", "Thanks for your patience, we're on it."),
///     Reply::new("b", "Thanks for your patience, we're on it."),
/// ]);
/// let t = &index.templates(2)[0];
/// assert_eq!((t.id, t.count, t.variants), (1, 2, 1));
/// assert_eq!(t.examples, ["a", "b"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Template {
    /// The template's rank, from 1 (the most used), stable for a given index.
    pub id: usize,
    /// The template text with slots and `<*>` where members differ.
    pub text: String,
    /// Replies that instantiate it.
    pub count: u32,
    /// Its share of the index's replies (stock replies not counted).
    pub share: f64,
    /// Distinct variants (replies that differ after slot masking).
    pub variants: u32,
    /// Up to three example reply ids, first sent first.
    pub examples: Vec<String>,
    /// Replies per group (brand, agent), most first; replies with no group are not listed.
    pub groups: Vec<(String, u32)>,
    /// The title of the imported helpdesk macro this template is, if it is one.
    pub name: Option<String>,
    /// When a reply of the template was first sent (seconds since the Unix epoch), when the
    /// corpus has times.
    pub first_seen: Option<i64>,
    /// When a reply of the template was last sent.
    pub last_seen: Option<i64>,
}

/// The template a scored reply instantiates.
///
/// ```
/// use cannery::{Index, Reply, Context};
/// let index = Index::builder().stock_corpus(false).build([
///     Reply::new("a", "@1 Your refund is on its way and should arrive in 5 days. ^AB"),
///     Reply::new("b", "@2 Your refund is on its way and should arrive in 3 days. -CD"),
/// ]);
/// let r = index.score("@3 Your refund is on its way and should arrive in 7 days. ~EF", &Context::new());
/// let t = r.template.unwrap();
/// assert_eq!(t.id, 1);
/// assert_eq!(t.similarity, 1.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct TemplateMatch {
    /// The template's id (its rank in [`Index::templates`](crate::Index::templates) with the index's `min_support`).
    pub id: usize,
    /// The template text.
    pub text: String,
    /// Token-level similarity of the reply to the template's root reply, in [0, 1].
    pub similarity: f64,
    /// Replies of the corpus that instantiate the template.
    pub count: u32,
    /// The title of the imported helpdesk macro this template is, if it is one.
    pub name: Option<String>,
}

/// A template a reply instantiates, with the cluster of its macro when it is an imported one
/// (what the scorer aligns the reply with to find the words that fill the macro's
/// placeholders).
pub(crate) struct Matched {
    template: TemplateMatch,
    macro_cluster: Option<u32>,
}

impl Matched {
    /// The template matched.
    pub(crate) fn into_template(self) -> TemplateMatch {
        self.template
    }

    /// The cluster of the imported macro the reply fills in, if the template is one.
    pub(crate) fn macro_cluster(&self) -> Option<u32> {
        self.macro_cluster
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Column;

    use super::families::families_from_roots;
    use super::render::template_text;
    use crate::align::same_template;
    use crate::store::Corpus;
    use crate::{Index, Reply, tokenize};

    /// The token keys of a text.
    fn keys(text: &str) -> Vec<u32> {
        tokenize(text).iter().map(crate::Token::key).collect()
    }

    #[test]
    fn families_are_deterministic_and_exclude_stock() {
        let rows = [
            (
                "1",
                "Please DM us your order number and we'll look into this.",
            ),
            (
                "2",
                "Please DM us your order number and we'll look into this.",
            ),
            (
                "3",
                "Please DM us your order number, we'll look into this today.",
            ),
            ("4", "The Leeds store's bakery closes at 6pm on Sundays."),
        ];
        let index = Index::builder().build(rows.iter().map(|(i, t)| Reply::new(i, t)));
        let a = index.templates(1);
        let b = Index::from_bytes(&index.to_bytes()).unwrap().templates(1);
        assert_eq!(a, b);
        assert_eq!(a[0].count, 3, "{a:?}");
        assert!(
            a.iter()
                .all(|t| t.examples.iter().all(|e| !e.starts_with("stock:")))
        );
        assert_eq!(a.iter().map(|t| t.count).sum::<u32>(), 4);
    }

    #[test]
    fn first_and_last_seen_come_from_reply_times() {
        let rows = [
            Reply::new("a", "Your parcel is with the courier now.").time(300),
            Reply::new("b", "Your parcel is with the courier now."),
            Reply::new("c", "Your parcel is with the courier now.").time(100),
        ];
        let index = Index::builder().stock_corpus(false).build(rows);
        let t = &index.templates(2)[0];
        assert_eq!((t.first_seen, t.last_seen), (Some(100), Some(300)));
        let back = Index::from_bytes(&index.to_bytes()).unwrap();
        assert_eq!(back.templates(2), index.templates(2));
        let mut merged = Index::builder().stock_corpus(false).build([]);
        merged.merge(&index).unwrap();
        assert_eq!(merged.templates(2)[0].first_seen, Some(100));
        let untimed = Index::builder()
            .stock_corpus(false)
            .build([rows[1], rows[1]]);
        assert_eq!(untimed.templates(2)[0].first_seen, None);
    }

    #[test]
    fn inserts_keep_the_mined_families_and_join_them() {
        let family = [
            "@a Please send us an email at help@acme.com and we will assist. ^JK",
            "@b Please send us an email at help@acme.com and we will assist! -Al",
            "@c Please send us an email at help@acme.com and we will gladly assist. *SR",
        ];
        let rows = vec![
            Reply::new("0", family[0]),
            Reply::new("1", family[1]),
            Reply::new("x", "Our Leeds store reopens on Monday."),
        ];
        let mut index = Index::builder().stock_corpus(false).build(rows.clone());
        let before = index.templates(2);
        assert_eq!(before.len(), 1);
        // A variant with a masked text of its own joins the family, without mining again.
        index.insert(Reply::new("2", family[2]));
        assert!(
            index.state().templates().roots().is_some(),
            "the roots are carried over"
        );
        let families = index.state().families();
        let new_cluster = index.state().corpus().reply_cluster(index.len() as u32 - 1);
        assert_eq!(
            families.root(new_cluster),
            families.root(index.state().corpus().reply_cluster(0))
        );
        let after = index.templates(2);
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].count, before[0].count + 1);
        // Here a fresh build groups them the same way.
        let mut all = rows.clone();
        all.push(Reply::new("2", family[2]));
        let fresh = Index::builder().stock_corpus(false).build(all.clone());
        assert_eq!(fresh.templates(2), after);
        // An unrelated reply starts a family of its own.
        let unrelated = Reply::new("y", "Thanks for the photo of your dog, Sam!");
        index.insert(unrelated);
        let families = index.state().families();
        let c = index.state().corpus().reply_cluster(index.len() as u32 - 1);
        assert_eq!(families.root(c), c);
        // The carried families travel with the index.
        let back = Index::from_bytes(&index.to_bytes()).unwrap();
        assert_eq!(back.templates(1), index.templates(1));
        // Mining afresh forgets them.
        index.remine_templates();
        assert!(index.state().templates().roots().is_none());
        all.push(unrelated);
        let fresh = Index::builder().stock_corpus(false).build(all);
        assert_eq!(index.templates(1), fresh.templates(1));
    }

    /// Found by the `inserts` fuzz target: a reply with no token (here `*`) re-sent into a family
    /// whose root has no token either, which is not ranked however many replies it has.
    #[test]
    fn inserting_a_reply_without_tokens_into_an_unranked_family_does_not_panic() {
        for built in [
            vec![""],
            vec!["", "Please DM us."],
            vec!["Please DM us.", "Please DM us."],
        ] {
            let mut index = Index::builder()
                .stock_corpus(false)
                .build(built.iter().map(|t| Reply::new("b", t)));
            index.templates(1);
            for text in ["*", "", "🙂", "Please DM us."] {
                index.insert(Reply::new("i", text));
                let families = index.state().families();
                let derived = families_from_roots(inner_roots(&index).0, inner_roots(&index).1);
                assert_eq!(families.ranked, derived.ranked);
                assert_eq!(families.rank_at_config, derived.rank_at_config);
                assert_eq!(
                    index.templates(1),
                    Index::from_bytes(&index.to_bytes()).unwrap().templates(1)
                );
            }
        }
    }

    fn inner_roots(index: &Index) -> (&Corpus, Column<u32>) {
        (
            index.state().corpus(),
            (index.state().templates().roots().cloned()).expect("roots carried"),
        )
    }

    #[test]
    fn an_insert_joins_a_family_through_a_member_its_root_would_not_take() {
        // Twelve words: one edit is allowed between two replies of one template, not two.
        let root = "please send the receipt and the order number to our billing team today";
        let member = "please send the receipt and the invoice number to our billing team today";
        let new = "please send the receipt and the invoice number to our accounts team today";
        assert!(same_template(&keys(root), &keys(member)).0);
        assert!(same_template(&keys(member), &keys(new)).0);
        assert!(!same_template(&keys(root), &keys(new)).0);
        let mut index = Index::builder().stock_corpus(false).build([
            Reply::new("r1", root),
            Reply::new("r2", root),
            Reply::new("r3", root),
            Reply::new("m", member),
        ]);
        assert_eq!(index.templates(1)[0].count, 4);
        index.insert(Reply::new("n", new));
        let families = index.state().families();
        let cluster = |reply: usize| index.state().corpus().reply_cluster(reply as u32) as usize;
        assert_eq!(
            families.root(cluster(4) as u32),
            families.root(cluster(0) as u32)
        );
        assert_eq!(index.templates(1)[0].count, 5);
    }

    /// After every insert the families are updated, not derived again: they must equal the
    /// families derived afresh from the same roots, field by field and text by text. Inserts
    /// re-send existing replies, vary them, and add new ones, into indexes with and without the
    /// stock corpus and macros, loaded from bytes (template texts saved) or not.
    #[test]
    fn families_updated_after_inserts_equal_families_derived_again() {
        let texts = [
            "@a Please send us an email at help@acme.com and we will assist. ^JK",
            "@b Please DM us your order number and we'll look into this. -Al",
            "Our Leeds store reopens on Monday.",
            "@c Thanks for reaching out! Your refund went out this morning. *SR",
            "Sorry for the wait, we're looking into it now.",
            "Your parcel is with the courier now.",
        ];
        let extra = ["gladly", "today", "Tom", "again", "soon", "please"];
        let mut rng = crate::testing::XorShift(0x243f_6a88_85a3_08d3);
        let mut next = |n: usize| rng.below(n as u64) as usize;
        for setting in 0..4 {
            let rows: Vec<Reply> = texts
                .iter()
                .enumerate()
                .flat_map(|(i, t)| (0..=i % 3).map(move |_| Reply::new("seed", t)))
                .collect();
            let mut index = Index::builder()
                .stock_corpus(setting % 2 == 0)
                .min_support(2)
                .build(rows);
            if setting >= 2 {
                index.add_macro("Courier", "Your parcel is with the courier now.");
                index = Index::from_bytes(&index.to_bytes()).unwrap();
            }
            index.templates(2); // the families derived (or counted from the saved roots)
            for step in 0..80 {
                let base = texts[next(texts.len())];
                let text = match next(3) {
                    0 => base.to_string(),
                    1 => format!("{base} {}", extra[next(extra.len())]),
                    _ => format!(
                        "{} {} {step}",
                        extra[next(extra.len())],
                        extra[next(extra.len())]
                    ),
                };
                let batch = 1 + next(3);
                let mut inserted = vec![text; batch];
                // Now and then other families change in the same insert: a re-send of another
                // reply and a variant of it (their places in the ranking are updated together).
                if step % 4 == 3 {
                    let other = texts[step % texts.len()];
                    inserted.push(other.to_string());
                    inserted.push(format!("{other} {}", extra[step % extra.len()]));
                }
                index.extend(inserted.iter().map(|t| Reply::new("new", t)));
                let inner = index.state();
                let updated = (inner.templates().derived().cloned()).expect("updated, not dropped");
                let roots = (inner.templates().roots().cloned()).expect("roots carried");
                let derived = families_from_roots(inner.corpus(), roots);
                let at = format!("setting {setting}, step {step}");
                assert_eq!(updated.root_of, derived.root_of, "{at}");
                assert_eq!(updated.replies, derived.replies, "{at}");
                assert_eq!(updated.ranked, derived.ranked, "{at}");
                for root in 0..inner.corpus().cluster_count() as u32 {
                    assert!(
                        updated.members_of(root).eq(derived.members_of(root)),
                        "{at}: the members of {root}"
                    );
                }
                assert_eq!(updated.rank_at_config, derived.rank_at_config, "{at}");
                assert_eq!(updated.references, derived.references, "{at}");
                assert_eq!(updated.macros, derived.macros, "{at}");
                assert_eq!(updated.macro_roots, derived.macro_roots, "{at}");
                assert_eq!(updated.texts.len(), derived.texts.len(), "{at}");
                for root in derived.chosen(2) {
                    assert_eq!(
                        template_text(inner.corpus(), &updated, root),
                        template_text(inner.corpus(), &derived, root),
                        "{at}"
                    );
                }
                // Some texts rendered now, so that later steps keep them.
                if step % 5 == 0 {
                    index.templates(2);
                }
            }
        }
    }

    #[test]
    fn insert_invalidates_mined_families() {
        let mut index = Index::builder()
            .stock_corpus(false)
            .build([Reply::new("1", "Your parcel is with the courier now.")]);
        assert!(index.templates(2).is_empty());
        index.insert(Reply::new("2", "Your parcel is with the courier now."));
        assert_eq!(index.templates(2).len(), 1);
    }
}
