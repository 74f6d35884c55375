//! Property tests of the invariants every report keeps, on arbitrary Unicode input.

use cannery::{Context, Index, Reply, tokenize};
use proptest::prelude::*;

fn index() -> &'static Index {
    static INDEX: std::sync::OnceLock<Index> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        Index::builder().build([
            Reply::new(
                "a",
                "@1 Please DM us your order number and we'll look into this. ^JK",
            ),
            Reply::new(
                "b",
                "@2 Please DM us your order number and we'll look into this. -Becky",
            ),
            Reply::new(
                "c",
                "Your parcel left our Leeds depot at 7:40 this morning.",
            ),
            Reply::new("d", "您好，请私信我们您的订单号。"),
        ])
    })
}

/// Text that mixes the scripts, slots and disguises the pipeline handles.
fn text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "Please",
        "DM",
        "us",
        "your",
        "order",
        "number",
        "@ann",
        "^JK",
        "-Becky",
        "https://t.co/x",
        "12345",
        "8am",
        "Hi Tina,",
        "sorry",
        "订单",
        "مرحبا",
        "🙂",
        "\u{200B}",
        "\u{202E}",
        "е",
        "ｆｕｌｌ",
        "e\u{301}",
        " ",
        "  ",
        "\n",
        ".",
        "!!",
        "p l e a s e",
        "\u{0}",
        "ß",
        "İ",
    ]);
    prop_oneof![
        prop::collection::vec(pieces, 0..40).prop_map(|v| v.join(" ")),
        any::<String>(),
        "\\PC{0,200}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn reports_keep_their_invariants(reply in text(), customer in text()) {
        let ctx = Context::new().message(&customer).name(&customer);
        let r = index().score(&reply, &ctx);
        prop_assert!((0.0..=1.0).contains(&r.canned));
        prop_assert!((0.0..=1.0).contains(&r.personalisation));
        let mut prev_end = 0;
        for span in &r.spans {
            prop_assert!(span.bytes.start < span.bytes.end);
            prop_assert!(span.bytes.start >= prev_end, "spans overlap or are out of order");
            prop_assert!(span.bytes.end <= reply.len());
            prop_assert!(reply.is_char_boundary(span.bytes.start) && reply.is_char_boundary(span.bytes.end));
            prop_assert_eq!(span.chars.start, reply[..span.bytes.start].chars().count());
            prop_assert_eq!(span.chars.end, reply[..span.bytes.end].chars().count());
            prop_assert_eq!(span.utf16.start, reply[..span.bytes.start].encode_utf16().count());
            prop_assert_eq!(span.utf16.end, reply[..span.bytes.end].encode_utf16().count());
            prev_end = span.bytes.end;
        }
        for n in &r.nearest {
            prop_assert!((0.0..=1.0).contains(&n.similarity));
        }
        // Deterministic.
        prop_assert_eq!(&r, &index().score(&reply, &ctx));
    }

    #[test]
    fn tokens_lie_on_char_boundaries_in_order(text in text()) {
        let mut prev = 0;
        for t in tokenize(&text) {
            let r = t.range();
            prop_assert!(r.start < r.end && r.end <= text.len());
            prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            prop_assert!(r.start >= prev);
            prev = r.end;
        }
    }

    #[test]
    fn leave_one_out_never_reports_the_left_out_reply(text in text()) {
        let mut index = Index::builder().stock_corpus(false).build([Reply::new("other", "Please DM us.")]);
        index.insert(Reply::new("self", &text));
        let r = index.score_excluding(&text, &Context::new(), "self");
        prop_assert!(r.nearest.iter().all(|n| n.id != "self"));
        prop_assert!(r.spans.iter().all(|s| s.example.as_deref() != Some("self")));
        // And it scores as if the reply had never been inserted.
        let without = Index::builder().stock_corpus(false).build([Reply::new("other", "Please DM us.")]);
        let expected = without.score(&text, &Context::new());
        prop_assert_eq!(r.canned, expected.canned);
        prop_assert_eq!(r.signals, expected.signals);
    }

    #[test]
    fn save_then_load_gives_identical_reports(rows in prop::collection::vec(text(), 0..8), query in text()) {
        let ids: Vec<String> = (0..rows.len()).map(|i| format!("r{i}")).collect();
        let index = Index::builder().build(ids.iter().zip(&rows).map(|(i, t)| Reply::new(i, t)));
        let back = Index::from_bytes(&index.to_bytes()).unwrap();
        prop_assert_eq!(index.score(&query, &Context::new()), back.score(&query, &Context::new()));
    }

    #[test]
    fn corrupt_bytes_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), cut in any::<prop::sample::Index>()) {
        let bytes = index().to_bytes();
        let mut b = bytes.clone();
        for (at, v) in flips {
            let i = at.index(b.len());
            b[i] ^= v | 1;
        }
        prop_assert!(Index::from_bytes(&b).is_err());
        let len = cut.index(bytes.len());
        prop_assert!(Index::from_bytes(&bytes[..len]).is_err());
    }
}
