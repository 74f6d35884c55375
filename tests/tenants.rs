//! Tenants kept apart: a report scoped to a group uses that group's replies and the reference
//! replies alone, as an index built from those replies alone would, and shows nothing of the
//! other groups.

use cannery::{Context, Index, Reply};
use proptest::prelude::*;

/// Words each group uses, and words all of them use.
const SHARED: [&str; 8] = [
    "please", "DM", "us", "your", "order", "thanks", "sorry", "wait",
];
const OWN: [[&str; 3]; 3] = [
    ["Leeds", "bakery", "Sunday"],
    ["router", "firmware", "reboot"],
    ["flight", "gate", "Rome"],
];
const GROUPS: [&str; 3] = ["Acme", "Globex", "Initech"];

/// Replies of three groups, each holding a word of its group, so that no two groups send the
/// same reply after masking.
fn archive() -> impl Strategy<Value = Vec<(usize, Vec<String>)>> {
    let reply = (
        0..3usize,
        prop::collection::vec((0..11usize, 0..3usize), 1..9),
    )
        .prop_map(|(group, words)| {
            let mut text: Vec<String> = words
                .iter()
                .map(|&(w, own)| match w {
                    0..8 => SHARED[w].to_string(),
                    8 => OWN[group][own].to_string(),
                    9 => format!("@user{own}"),
                    _ => format!("{}", 1000 + own),
                })
                .collect();
            text.push(OWN[group][0].to_string());
            (group, text)
        });
    prop::collection::vec(reply, 1..40)
}

fn replies(rows: &[(usize, Vec<String>)]) -> Vec<(String, String, usize)> {
    rows.iter()
        .enumerate()
        .map(|(i, (g, words))| (format!("{}-{i}", GROUPS[*g]), words.join(" "), *g))
        .collect()
}

fn build<'a>(rows: impl IntoIterator<Item = &'a (String, String, usize)>) -> Index {
    let mut index = Index::builder().build(
        rows.into_iter()
            .map(|(id, text, g)| Reply::new(id, text).group(GROUPS[*g])),
    );
    index.add_macro(
        "Wait",
        "Sorry for the wait, {{ticket.requester.first_name}}!",
    );
    index
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The scope of a group is the index of its replies alone, byte for byte, and scores every
    /// draft alike, leave-one-out included.
    #[test]
    fn a_scope_is_the_index_of_the_group_alone(rows in archive(), draft in archive()) {
        let rows = replies(&rows);
        let whole = build(&rows);
        for (g, name) in GROUPS.iter().enumerate() {
            let alone = build(rows.iter().filter(|r| r.2 == g));
            let scope = whole.scope(Some(name));
            prop_assert_eq!(scope.to_bytes(), alone.to_bytes(), "group {}", name);
            for (_, words) in &draft {
                let text = words.join(" ");
                let ctx = Context::new().message("my order is late").group(name);
                prop_assert_eq!(whole.score(&text, &ctx), alone.score(&text, &Context::new().message("my order is late")));
                if let Some((id, own, _)) = rows.iter().find(|r| r.2 == g) {
                    prop_assert_eq!(
                        whole.score_excluding(own, &ctx, id),
                        alone.score_excluding(own, &Context::new().message("my order is late"), id)
                    );
                }
            }
        }
    }

    /// Inserts reach the scopes built, and only the inserting index's: a clone made before sees
    /// its scopes as they were.
    #[test]
    fn inserts_reach_the_scope_of_their_group(rows in archive(), more in archive()) {
        let rows = replies(&rows);
        let more: Vec<(String, String, usize)> = replies(&more)
            .into_iter()
            .map(|(id, text, g)| (format!("new-{id}"), text, g))
            .collect();
        let mut whole = build(&rows);
        let mut alone = build(rows.iter().filter(|r| r.2 == 0));
        // Reports mine the families of both, which the inserts then carry alike.
        let probe = "Sorry for the wait, please DM us your order Leeds";
        prop_assert_eq!(whole.score(probe, &Context::new().group("Acme")), alone.score(probe, &Context::new()));
        let before = whole.clone();
        let before_bytes = before.scope(Some("Acme")).to_bytes();
        for (id, text, g) in &more {
            whole.insert(Reply::new(id, text).group(GROUPS[*g]));
            if *g == 0 {
                alone.insert(Reply::new(id, text).group(GROUPS[*g]));
            }
        }
        prop_assert_eq!(whole.scope(Some("Acme")).to_bytes(), alone.to_bytes());
        prop_assert_eq!(before.scope(Some("Acme")).to_bytes(), before_bytes);
    }
}

#[test]
fn a_scoped_report_shows_nothing_of_another_group() {
    // Globex sends a reply first that Acme later sends too, the same after masking: the index
    // keeps one text for the two, Globex's.
    let rows = [
        (
            "g1",
            "Globex",
            "@dana_k Please DM us your order number and we'll look into it. -Gus",
        ),
        (
            "g2",
            "Globex",
            "@lee9 Your Globex router needs firmware 4.2; reboot it after. -Gus",
        ),
        (
            "a1",
            "Acme",
            "@sam Please DM us your order number and we'll look into it. ^Amy",
        ),
        ("a2", "Acme", "Our Leeds bakery closes at 6pm on Sundays."),
    ];
    let index = Index::builder().build(
        rows.iter()
            .map(|(id, group, text)| Reply::new(id, text).group(group)),
    );
    let globex_only = ["g1", "g2", "dana_k", "lee9", "Gus", "router", "firmware"];
    let drafts = [
        "@kim Please DM us your order number and we'll look into it. ^Amy",
        "Your Globex router needs firmware 4.2; reboot it after.",
        "Our Leeds bakery closes at 6pm on Sundays.",
        "Please DM us",
    ];
    for draft in drafts {
        let report = index.score(draft, &Context::new().group("Acme"));
        let shown = format!(
            "{:?} {:?} {:?}",
            report.nearest,
            report.spans.iter().map(|s| &s.example).collect::<Vec<_>>(),
            report.template
        );
        for secret in globex_only {
            assert!(
                !shown.contains(secret),
                "{draft:?} shows {secret:?}: {shown}"
            );
        }
    }
    // The shared reply is Acme's own nearest reply, its id Acme's and its slots masked.
    let report = index.score(drafts[0], &Context::new().group("Acme"));
    assert_eq!(report.nearest[0].id, "a1");
    assert_eq!(
        report.nearest[0].text,
        "<user> Please DM us your order number and we'll look into it. -<sig>"
    );
    assert_eq!(report.signals.copies, 1, "Globex's copy does not count");
    // Unscoped, the whole index answers, Globex included.
    assert_eq!(index.score(drafts[0], &Context::new()).signals.copies, 2);
    // A group the index has never seen gets the reference replies alone.
    let stranger = index.scope(Some("Hooli"));
    assert_eq!(stranger.len(), Index::stock().len());
    assert_eq!(index.scope(None).len(), Index::stock().len());
    let report = index.score(drafts[1], &Context::new().group("Hooli"));
    assert!(report.nearest.iter().all(|n| n.id.starts_with("stock:")));
}

#[test]
fn scopes_follow_macros_thresholds_and_merges() {
    let mut index = Index::builder().build([
        Reply::new("a1", "Our Leeds bakery closes at 6pm on Sundays.").group("Acme"),
        Reply::new("g1", "Reboot the router after the update.").group("Globex"),
    ]);
    let draft = "Hi Tina, your refund for order 4417 was sent to your card today. Sam";
    let before = index.score(draft, &Context::new().group("Acme"));
    assert!(before.template.is_none());
    index.add_macro(
        "Refund sent",
        "Hi {{ticket.requester.first_name}}, your refund for order {{ticket.id}} was sent to your card today. {{current_user.first_name}}",
    );
    let after = index.score(draft, &Context::new().group("Acme"));
    assert_eq!(
        after.template.map(|t| t.name),
        Some(Some("Refund sent".to_string()))
    );
    index.set_verdict_thresholds(1.0, 0.5);
    assert_eq!(index.scope(Some("Acme")).config().canned_at, 1.0);
    let mut shard =
        Index::builder().build([Reply::new("a2", "Our Leeds bakery is open.").group("Acme")]);
    shard.merge(&index).unwrap();
    index.merge(&shard).unwrap();
    assert!(index.scope(Some("Acme")).contains_id("a2"));
    assert!(!index.scope(Some("Acme")).contains_id("g1"));
}
