//! Behaviour of the public API on the built-in corpus and small archives: tables of cases.

use cannery::{Context, Index, Reply, Verdict};

fn stock() -> &'static Index {
    static INDEX: std::sync::OnceLock<Index> = std::sync::OnceLock::new();
    INDEX.get_or_init(Index::stock)
}

#[test]
fn stock_phrasing_is_canned_and_specific_replies_are_not() {
    let canned = [
        "Thank you for your message. You can find our policies by clicking this link.",
        "We're sorry to hear that. Please DM us so we can help.",
        "Thanks for reaching out! We've shared your feedback with the team.",
        "Hi, this link should help: https://t.co/abc123",
        "@115712 Sorry for the trouble. Please DM us your order number and we'll look into this. ^JK",
        "We apologise for the inconvenience. Our team is looking into this.",
        "Happy to help! Have a great day!",
    ];
    let personal = [
        (
            "Nope! Still just the $3 for the large fries at the Leeds store.",
            "Is it still $3 for large fries in Leeds?",
        ),
        (
            "The 7:40 from Leeds was held at Doncaster by a signal fault; take the 8:10, your ticket is valid on it.",
            "Why is the 7:40 from Leeds stuck at Doncaster?",
        ),
        (
            "Your blue trainers in size 9 are back in stock at our Oxford Street store from Friday.",
            "When will the blue trainers in size 9 be back at Oxford Street?",
        ),
    ];
    for text in canned {
        let r = stock().score(text, &Context::new());
        assert!(r.canned >= 0.5, "{text:?} scored canned {}", r.canned);
        assert_eq!(r.verdict, Verdict::Canned, "{text:?}");
        assert!(!r.spans.is_empty(), "{text:?} has no span");
    }
    for (text, customer) in personal {
        let r = stock().score(text, &Context::new().message(customer));
        assert!(r.canned < 0.5, "{text:?} scored canned {}", r.canned);
        assert!(
            r.personalisation >= 0.5,
            "{text:?} scored personal {}",
            r.personalisation
        );
        assert_eq!(r.verdict, Verdict::Personal, "{text:?}");
    }
}

/// Disguises of a stock phrase keep its canned score within 0.1 of the plain phrase.
#[test]
fn disguises_do_not_hide_a_stock_phrase() {
    let plain = "Please DM us your order number and we'll look into this.";
    let disguised = [
        (
            "look-alike letters",
            "Plеasе DM us yоur оrder number and we'll lооk into this.",
        ),
        (
            "Greek capitals",
            "ΡLΕΑSΕ DM US YOUR ORDER NUMBER AND WE'LL LOOK INTO THIS.",
        ),
        (
            "zero-width characters",
            "Ple\u{200B}ase D\u{200C}M us your or\u{200D}der number and we'll look in\u{2060}to this.",
        ),
        (
            "spaced-out letters",
            "p l e a s e  d m  u s your order number and we'll look into this.",
        ),
        (
            "doubled punctuation",
            "Please!! DM... us your order number,, and we'll look into this!!!",
        ),
        (
            "emoji between words",
            "Please 🙏 DM 📩 us your 📦 order number and we'll 👀 look into this.",
        ),
        (
            "case games",
            "pLeAsE dM uS yOuR oRdEr NuMbEr AnD wE'lL lOoK iNtO tHiS.",
        ),
        (
            "full-width forms",
            "Ｐｌｅａｓｅ ＤＭ ｕｓ ｙｏｕｒ ｏｒｄｅｒ ｎｕｍｂｅｒ ａｎｄ ｗｅ'ｌｌ ｌｏｏｋ ｉｎｔｏ ｔｈｉｓ.",
        ),
        (
            "combining accents",
            "Pléäse DM ús yóur órder númber and wé'll lóók íntó thís.",
        ),
        (
            "dotted letters",
            "P.l.e.a.s.e DM us your order number and we'll look into this.",
        ),
        (
            "bidi marks",
            "Please\u{200F} DM\u{202A} us your order number and we'll look into this.",
        ),
        (
            "swapped word order",
            "Your order number, please DM us and we'll look into this.",
        ),
        // Each kind of the evasion suite (the README's evasion table).
        (
            "Armenian look-alikes",
            "Please DM \u{057D}s y\u{0585}\u{057D}r \u{0585}rder \u{0578}umber and we'll l\u{0585}\u{0585}k i\u{0578}to this.",
        ),
        (
            "Cherokee capitals",
            "\u{13E2}\u{13DE}\u{13AC}\u{13AA}\u{13DA}\u{13AC} \u{13A0}\u{13B7} US YOUR ORDER NUMBER AND WE'LL LOOK INTO THIS.",
        ),
        (
            "Lisu capitals",
            "\u{A4D1}\u{A4E1}\u{A4F0}\u{A4EE}\u{A4E2}\u{A4F0} \u{A4D3}\u{A4DF} \u{A4F4}\u{A4E2} YOUR ORDER NUMBER AND WE'LL LOOK INTO THIS.",
        ),
        (
            "small capitals",
            "\u{1D18}\u{029F}\u{1D07}\u{1D00}\u{A731}\u{1D07} \u{1D05}\u{1D0D} \u{1D1C}\u{A731} your order number and we'll look into this.",
        ),
        (
            "Latin alpha and iota",
            "Ple\u{0251}se DM us your order number \u{0251}nd we'll look \u{0269}nto th\u{0269}s.",
        ),
        (
            "palochka and nu",
            "P\u{04CF}ease DM us your order number and we'\u{04CF}\u{04CF} look into this.",
        ),
        (
            "digits for letters",
            "Pl3453 DM u5 y0ur 0rd3r numb3r 4nd w3'll l00k 1nt0 th15.",
        ),
        (
            "capital I for l",
            "PIease DM us your order number and we'II Iook into this.",
        ),
        (
            "HTML inside words",
            "Ple<b></b>ase DM us y<!-- -->our or&#100;er number and we'll look into this.",
        ),
        (
            "markdown emphasis",
            "Ple**ase** DM us y~~our~~ order number and we'll look into this.",
        ),
        (
            "space-like characters inside words",
            "Ple\u{200A}ase DM us yo\u{A0}ur or\u{3000}der num\u{2800}ber and we'll look into this.",
        ),
        (
            "line breaks inside words",
            "Plea\r\nse DM us your or\r\nder number and we'll look into this.",
        ),
        (
            "words run together",
            "PleaseDMusyourordernumberandwe'lllookintothis.",
        ),
        (
            "a right-to-left override",
            "\u{202E}.siht otni kool ll'ew dna rebmun redro ruoy su MD esaelP\u{202C}",
        ),
        (
            "regional indicators",
            "\u{1F1F5}\u{1F1F1}\u{1F1EA}\u{1F1E6}\u{1F1F8}\u{1F1EA} DM us your order number and we'll look into this.",
        ),
        (
            "letters dropped",
            "Plase DM us your oder numer and we'll lok into this.",
        ),
        (
            "letters swapped",
            "Plaese DM us your odrer nubmer and we'll loko into this.",
        ),
    ];
    let base = stock().score(plain, &Context::new()).canned;
    for (name, text) in disguised {
        let score = stock().score(text, &Context::new()).canned;
        assert!(
            (score - base).abs() <= 0.1,
            "{name}: {score:.3} vs plain {base:.3}"
        );
    }
}

#[test]
fn leave_one_out_never_matches_itself() {
    let rows = [
        ("a", "Our Leeds store reopens on Monday after the flood."),
        ("b", "@1 Please DM us. ^JK"),
        ("c", "@2 Please DM us. -Becky"),
    ];
    let index = Index::builder().build(rows.iter().map(|(i, t)| Reply::new(i, t)));
    for (id, text) in rows {
        let r = index.score_excluding(text, &Context::new(), id);
        assert!(r.nearest.iter().all(|n| n.id != id), "{id} matched itself");
        for span in &r.spans {
            assert_ne!(span.example.as_deref(), Some(id));
        }
    }
    let a = index.score_excluding(rows[0].1, &Context::new(), "a");
    assert_eq!(a.signals.copies, 0);
    let b = index.score_excluding(rows[1].1, &Context::new(), "b");
    assert_eq!(b.signals.copies, 1);
    assert_eq!(b.nearest[0].id, "c");
    assert_eq!(b.nearest[0].count, 1);
}

#[test]
fn an_archive_makes_its_own_templates_canned() {
    let template = |n: usize| {
        format!("@{n} Your Acme Rewards points post within 3 working days of your visit. ^AB")
    };
    let rows: Vec<(String, String)> = (0..20).map(|n| (format!("r{n}"), template(n))).collect();
    let index = Index::builder().build(rows.iter().map(|(i, t)| Reply::new(i, t)));
    let draft = "@999 Your Acme Rewards points post within 5 working days of your visit. -Zed";
    let with_archive = index.score(draft, &Context::new());
    let without = stock().score(draft, &Context::new());
    assert!(
        with_archive.canned > without.canned + 0.2,
        "{} vs {}",
        with_archive.canned,
        without.canned
    );
    assert_eq!(with_archive.signals.copies, 20);
    assert_eq!(with_archive.spans.len(), 1);
    assert_eq!(with_archive.spans[0].support, 20);
}

#[test]
fn context_name_counts_as_named() {
    let text = "Thanks Priya, the refund went out this morning.";
    let r = stock().score(text, &Context::new().name("Priya"));
    assert!(r.signals.named);
}

/// The customer's details the reply leaves unanswered: content words (outside the stock
/// vocabulary, rare in the corpus) and numbers of the message that the reply does not take up.
#[test]
fn ignored_details_are_counted_only_with_a_customer_message() {
    let cases: [(&str, Option<&str>, Option<usize>); 7] = [
        (
            "Your order 4417 is on its way.",
            Some("Where is order 4417?"),
            Some(0),
        ),
        (
            "Your order is on its way.",
            Some("Where is order 4417?"),
            Some(1),
        ),
        ("Please DM us so we can help.", None, None),
        ("Please DM us so we can help.", Some(""), Some(0)),
        (
            "Please DM us so we can help.",
            Some("The Dyson hoover in your order broke"),
            Some(3),
        ),
        (
            "Sorry the Dyson broke: DM us so we can help.",
            Some("The Dyson hoover in your order broke"),
            Some(1),
        ),
        (
            "A Dyson hoover that broke is covered: DM us.",
            Some("The Dyson hoover in your order broke"),
            Some(0),
        ),
    ];
    for (reply, message, ignored) in cases {
        let context = message.map_or(Context::new(), |m| Context::new().message(m));
        let r = stock().score(reply, &context);
        assert_eq!(r.signals.ignored, ignored, "{reply:?} to {message:?}");
    }
}

/// Content words: words outside the stock vocabulary that few corpus replies use.
#[test]
fn content_words_are_the_reply_s_details() {
    let cases = [
        ("Please DM us so we can help.", 0),
        ("Please DM us so we can help with the Dyson hoover.", 2),
        ("Your flight to Rome leaves from gate B12.", 3),
    ];
    for (reply, content) in cases {
        let r = stock().score(reply, &Context::new());
        assert_eq!(r.signals.content_words, content, "{reply:?}");
    }
}

#[test]
fn degenerate_inputs_have_defined_scores() {
    let long_word = "hello ".repeat(200_000);
    let ten_mb = "a".repeat(10 * 1024 * 1024);
    let million_words = "please ".repeat(1_000_000);
    let mixed = "Please مرحبا 请 DM ūs \u{202E}now\u{202C} 🙂".repeat(50);
    let cases = [
        "",
        "   ",
        "\u{0}\u{1}\u{7f}",
        "🙂",
        "@someone",
        "^JK",
        "\u{200B}\u{200B}",
        long_word.as_str(),
        ten_mb.as_str(),
        million_words.as_str(),
        mixed.as_str(),
    ];
    for text in cases {
        let r = stock().score(text, &Context::new().message(text).name(text));
        assert!(r.canned.is_finite() && r.personalisation.is_finite());
        assert!((0.0..=1.0).contains(&r.canned) && (0.0..=1.0).contains(&r.personalisation));
    }
    let r = stock().score(&long_word, &Context::new());
    assert!(r.truncated);
    assert!(
        r.spans
            .iter()
            .all(|s| s.bytes.end <= cannery::MAX_INPUT_BYTES)
    );
}

/// One index shared across threads scoring while a clone takes inserts: results identical to
/// single-threaded scoring of the original.
#[test]
fn shared_index_scores_identically_across_threads() {
    let index = Index::builder().build([
        Reply::new("1", "Please DM us your order number."),
        Reply::new("2", "Your parcel left our Leeds depot this morning."),
    ]);
    let texts = [
        "Please DM us your order number!",
        "Your parcel left Leeds today.",
        "Hi",
    ];
    let expected: Vec<_> = texts
        .iter()
        .map(|t| index.score(t, &Context::new()))
        .collect();
    std::thread::scope(|s| {
        let mut writer = index.clone();
        let before = index.len();
        s.spawn(move || {
            for i in 0..200 {
                writer.insert(Reply::new(
                    &format!("w{i}"),
                    "Please DM us your order number.",
                ));
            }
            assert_eq!(writer.len(), before + 200);
        });
        for _ in 0..2 {
            let reader = index.clone();
            let expected = &expected;
            s.spawn(move || {
                for _ in 0..50 {
                    for (t, e) in texts.iter().zip(expected) {
                        assert_eq!(&reader.score(t, &Context::new()), e);
                    }
                }
            });
        }
    });
}

#[test]
fn batch_equals_one_by_one() {
    let index =
        Index::builder().build([Reply::new("a", "Please DM us."), Reply::new("b", "Thanks!")]);
    let items = [
        ("Please DM us.", Context::new(), Some("a")),
        ("Thanks!", Context::new().message("thanks"), None),
        ("Other", Context::new(), Some("missing")),
    ];
    let batch = index.score_batch(items);
    for ((text, ctx, ex), got) in items.iter().zip(&batch) {
        let one = match ex {
            Some(id) => index.score_excluding(text, ctx, id),
            None => index.score(text, ctx),
        };
        assert_eq!(&one, got);
    }
}

/// A build that tokenizes on several threads gives the same index, byte for byte, as one that
/// does not: for batches too small to split, split unevenly, and over several batches.
#[test]
fn threaded_builds_equal_single_threaded_ones() {
    let phrases = [
        "Please DM us your order number",
        "Sorry for the wait, we're on it",
        "Hi Sam, the 8:10 from Leeds is running 20 minutes late",
        "Thanks for the kind words! ^JK",
        "",
        "Ｈｅｌｌｏ 😀 plеase DM us",
    ];
    let texts: Vec<String> = (0..9000)
        .map(|i| format!("@u{} {} {}", i % 97, phrases[i % phrases.len()], i % 13))
        .collect();
    let ids: Vec<String> = (0..texts.len()).map(|i| format!("r{i}")).collect();
    let groups = ["acme", "globex"];
    let replies: Vec<Reply> = ids
        .iter()
        .zip(&texts)
        .enumerate()
        .map(|(i, (id, text))| {
            let reply = Reply::new(id, text).group(groups[i % 2]);
            if i % 3 == 0 {
                reply.time(1_500_000_000 + i as i64)
            } else {
                reply
            }
        })
        .collect();
    for n in [0, 255, 600, 1001, 9000] {
        let single = Index::builder().build(replies[..n].iter().copied());
        for threads in [2, 3, 8] {
            let threaded = Index::builder()
                .threads(threads)
                .build(replies[..n].iter().copied());
            assert!(
                single.to_bytes() == threaded.to_bytes(),
                "{n} replies on {threads} threads"
            );
            let mut writer = Index::builder().threads(threads).writer();
            for part in replies[..n].chunks(700) {
                writer.add_batch(part);
            }
            assert!(
                single.to_bytes() == writer.finish().to_bytes(),
                "{n} replies in batches of 700 on {threads} threads"
            );
        }
    }
}

/// Reordered stock phrases: shingles are word n-grams, so reordering breaks some of them, and the
/// other signals (stock vocabulary, word spread, commonness) carry the score: within 0.1.
#[test]
fn reordered_stock_phrases_stay_canned() {
    let cases = [
        (
            "Please DM us your order number and we'll look into this.",
            "Your order number, please DM us and we'll look into this.",
        ),
        (
            "We're sorry to hear that. Please DM us so we can help.",
            "Sorry to hear that, we are. So we can help, please DM us.",
        ),
        (
            "Thanks for reaching out! We've shared your feedback with the team.",
            "We've shared your feedback with the team. Thanks for reaching out!",
        ),
    ];
    for (plain, reordered) in cases {
        let a = stock().score(plain, &Context::new()).canned;
        let b = stock().score(reordered, &Context::new()).canned;
        assert!(
            (a - b).abs() <= 0.1,
            "{reordered:?} scored {b:.3} (plain {a:.3})"
        );
    }
}

#[test]
fn the_number_of_neighbours_changes_only_the_length_of_the_list() {
    // Near-copies of one reply of many lengths, so that the candidates' lengths differ.
    let base = "Thanks for waiting. Your refund for the order has been approved and should reach your card";
    let tails = [
        "",
        " soon.",
        " within five working days.",
        " within five working days, depending on your bank.",
        " within five working days, depending on your bank. Let us know if it does not arrive.",
    ];
    let rows: Vec<(String, String)> = (0..40)
        .map(|n| (format!("r{n}"), format!("{base}{}", tails[n % tails.len()])))
        .collect();
    let draft = format!("{base} within five working days. Anything else?");
    let reports: Vec<cannery::Report> = [0, 1, 3, 8]
        .iter()
        .map(|&n| {
            Index::builder()
                .neighbours(n)
                .build(rows.iter().map(|(i, t)| Reply::new(i, t)))
                .score(&draft, &Context::new())
        })
        .collect();
    let longest = &reports[3].nearest;
    assert!(longest.len() >= 3, "{longest:?}");
    for (r, n) in reports.iter().zip([0, 1, 3, 8]) {
        assert_eq!(r.nearest.len(), n.min(longest.len()));
        for (a, b) in r.nearest.iter().zip(longest) {
            assert_eq!(
                (&a.id, a.similarity, a.count),
                (&b.id, b.similarity, b.count)
            );
        }
        assert_eq!(r.canned, reports[3].canned);
        assert_eq!(r.personalisation, reports[3].personalisation);
        assert_eq!(
            r.template.as_ref().map(|t| (t.id, t.count, t.similarity)),
            reports[3]
                .template
                .as_ref()
                .map(|t| (t.id, t.count, t.similarity))
        );
    }
}

/// A report survives a serde round trip, the template of an imported macro included (it carried
/// an internal field that serde skipped and equality saw). (JSON keeps every score exactly with
/// serde_json's `float_roundtrip` feature, on for the tests.)
#[cfg(feature = "serde")]
#[test]
fn reports_survive_a_serde_round_trip() {
    let mut index = Index::stock();
    index.add_macro(
        "Refund sent",
        "Hi {{ticket.requester.first_name}}, your refund for order {{ticket.id}} was sent today.",
    );
    for draft in [
        "Prosimy o przesłanie numeru zamówienia w wiadomości prywatnej.",
        "Hi Tina, your refund for order 4417 was sent today.",
        "Thank you for your message. You can find our policies by clicking this link.",
        "The 7:40 from Leeds was held at Doncaster by a signal fault.",
    ] {
        let report = index.score(draft, &Context::new().message("where is my refund?"));
        let json = serde_json::to_string(&report).unwrap();
        let back: cannery::Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report, "{draft}");
    }
}

/// A reply with no words but something to see could go to any customer unchanged: the
/// labelling guide calls that canned. Nothing at all scores nothing.
#[test]
fn wordless_replies_are_canned_and_empty_ones_score_nothing() {
    for text in ["👍", "🙂🙂", "@someone ^JK", "!!!", "@someone 👍 -Becky"] {
        let r = stock().score(text, &Context::new().message("thanks for the help"));
        assert_eq!((r.canned, r.personalisation), (1.0, 0.0), "{text:?}");
        assert_eq!(r.verdict, Verdict::Canned, "{text:?}");
    }
    for text in ["", "   ", "\u{200B}\u{FEFF}"] {
        let r = stock().score(text, &Context::new());
        assert_eq!((r.canned, r.personalisation), (0.0, 0.0), "{text:?}");
    }
}

/// Drafts in each language of the built-in corpora, told their language and judged on it: a
/// table of a stock-worded draft and one written for the customer a language (none of them a
/// line of the corpus).
#[test]
fn drafts_in_the_stock_languages_are_judged_in_their_language() {
    let cases = [
        (
            "es",
            "Hola, sentimos las molestias. Escríbenos por privado tu número de pedido y lo revisamos.",
            "Hola Lucía, tu pedido salió ayer de Zaragoza y llega el jueves por la tarde a tu casa de Huesca.",
        ),
        (
            "pt",
            "Olá! Pedimos desculpas pelo transtorno. Chama a gente no privado com o número do pedido.",
            "Oi Bruno, o seu sofá saiu de Joinville na segunda e a transportadora entrega em Curitiba na quarta.",
        ),
        (
            "fr",
            "Bonjour, désolés pour ce désagrément. Merci de nous écrire en message privé avec votre numéro de commande.",
            "Bonjour Léa, votre vélo est parti de Lille hier et le transporteur le livre vendredi à Arras.",
        ),
        (
            "de",
            "Hallo, das tut uns leid! Schick uns bitte deine Bestellnummer per Direktnachricht.",
            "Hallo Lena, dein Fahrrad hat Leipzig gestern verlassen und kommt am Freitag in Halle an.",
        ),
        (
            "it",
            "Ciao, ci scusiamo per il disagio. Scrivici in privato il numero d'ordine e verifichiamo.",
            "Ciao Marco, la tua bici è partita ieri da Verona e il corriere la consegna venerdì a Trento.",
        ),
        (
            "nl",
            "Hoi, wat vervelend! Stuur ons even een privébericht met je ordernummer.",
            "Hoi Daan, je fiets is gisteren uit Tilburg vertrokken en wordt vrijdag in Breda bezorgd.",
        ),
        (
            "ja",
            "ご迷惑をおかけして申し訳ございません。お手数ですが、ご注文番号をDMにてお知らせください。",
            "自転車は昨日福岡の倉庫を出ており、金曜日の午後に熊本のご自宅へ届く予定です。",
        ),
        (
            "zh",
            "非常抱歉给您带来不便，请私信提供您的订单号，我们会尽快为您处理。",
            "您的自行车昨天从苏州仓库发出，周五下午会送到无锡的家里。",
        ),
    ];
    for (code, canned, personal) in cases {
        let r = stock().score(canned, &Context::new());
        assert_eq!(r.language.map(|l| l.code()), Some(code), "{canned}");
        assert_eq!(r.verdict, Verdict::Canned, "{canned}: canned {}", r.canned);
        let r = stock().score(personal, &Context::new().message("¿?"));
        assert_eq!(r.language.map(|l| l.code()), Some(code), "{personal}");
        assert_eq!(
            r.verdict,
            Verdict::Personal,
            "{personal}: canned {}",
            r.canned
        );
    }
}

/// A draft in a language with no stock corpus is not called personal on no evidence: it is
/// unjudged, unless the index holds replies like it; a caller's language is taken as given.
#[test]
fn drafts_in_other_languages_are_unjudged_without_evidence() {
    let polish = "Prosimy o przesłanie numeru zamówienia w wiadomości prywatnej.";
    for draft in [
        polish,
        "Пожалуйста, пришлите нам номер заказа в личные сообщения.",
        "주문 번호를 다이렉트 메시지로 보내 주세요.",
        "Lütfen sipariş numaranızı özel mesaj olarak gönderin.",
    ] {
        let r = stock().score(draft, &Context::new());
        assert_eq!(r.verdict, Verdict::Unjudged, "{draft}");
        assert!(r.language.is_some_and(|l| !l.has_stock()), "{draft}");
    }
    // An archive that holds the reply judges it.
    let index = Index::builder().build([Reply::new("1", polish), Reply::new("2", polish)]);
    let r = index.score(polish, &Context::new());
    assert_eq!(r.verdict, Verdict::Canned);
    assert_eq!(r.language.map(|l| l.code()), Some("pl"));
    // The caller's language is the report's.
    let pl = cannery::Language::from_code("pl").unwrap();
    let r = stock().score("ok", &Context::new().language(pl));
    assert_eq!(r.language, Some(pl));
}
