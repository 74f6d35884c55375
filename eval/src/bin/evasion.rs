//! The evasion suite: stock replies disguised in every way the pre-send check is known to be
//! dodged, run through the lint on the built-in corpus, with the share of each kind of disguise
//! that still fails it.
//!
//! ```text
//! cargo run --release -p cannery-eval --bin evasion [-- --held-out] [--show KIND]
//! ```
//!
//! `--held-out` runs the held-out suite instead: other stock and personal replies, written
//! before the repairs were tuned on the first suite and not looked at while tuning, with each
//! disguise applied at another place in a word and with other space-like characters, tags and
//! references of the same kinds.
//!
//! The replies are stock phrasing written for this suite (not lines of the built-in corpus:
//! each is its own wording of a stock reply), and each must fail the lint undisguised; a
//! disguise is applied to every word it can apply to. A draft fails the lint when its `canned`
//! score is at or above the index's `canned_at` (0.6 by default), as `cannery lint` decides with
//! its default `--fail-at`. Prints one row a kind, the share caught, and the overall share.

use cannery::{Context, Index};

/// Stock replies of this suite (its own wording; none is a line of the built-in corpus).
const REPLIES: &[&str] = &[
    "We're really sorry for the trouble with your delivery. Please send us a DM with your order number so we can look into it.",
    "Thanks for reaching out! Could you please DM us your account email address and we'll take a closer look.",
    "We apologise for the inconvenience caused. Please contact our customer service team via the link in our bio.",
    "Sorry to hear about this. Please follow and DM us the details and we'll be happy to help.",
    "We're sorry for the delay in getting back to you. Our team is looking into this and will update you as soon as possible.",
    "Thank you for your patience while we look into this for you.",
    "Hi there, we're sorry to hear that. Please send us a direct message with more details and we'll get this sorted.",
    "Thanks for getting in touch. Please reach out to our support team by phone so they can help you with this.",
    "We completely understand your frustration. Please DM us your booking reference and we'll look into this right away.",
    "Sorry for any inconvenience this may have caused. Please send us a private message and we'll do our best to help.",
    "Thank you for letting us know. We'll pass your feedback on to the relevant team.",
    "We're sorry you've had this experience. Please email us with your order details and we'll investigate.",
];

/// Personal replies of this suite (each answers one customer's own situation), disguised the
/// same ways as a control: a disguise that makes any draft look canned is no catch.
const PERSONAL: &[&str] = &[
    "Hi Priya, the 8:15 from Didcot was cancelled because of a signal fault at Swindon, so your ticket is valid on the 8:47 instead.",
    "Good news Tom: the blue hoodie in medium is back in stock at our Bristol Cabot Circus store, and they've put one aside for you until Saturday.",
    "Your refund of 23.40 for the broken kettle went back to the Visa card ending 1182 this morning; banks usually show it within three days.",
    "Ah, the oat milk latte was meant to come with an extra shot, Jess. Show this message at the till tomorrow and the next one is on us.",
    "The roadworks on Mill Lane mean the 42 bus skips the hospital stop until the 14th; the nearest stop meanwhile is outside the library.",
    "We checked with the Leeds depot: your sofa is on the van for Thursday between 10 and 2, and the driver will call half an hour before.",
    "Marco, the allergen sheet for the walnut brownie lists sesame because it's baked on the same line as the seeded rolls, sorry for the confusion.",
    "Leo, the rollback we mentioned only applies to the 2019 Aria headphones; yours are the 2021 model, so holding both buttons for ten seconds should reset them.",
    "Your flight to Lisbon now leaves from gate 22 at 16:40, and the lounge voucher we sent covers the extra two hours of waiting.",
    "Chris, the gym in Headingley closes at 9 on bank holidays, but the one on Kirkstall Road stays open until 11 and your pass works there too.",
    "Since the parcel shows as delivered to a neighbour at number 14, could you knock there first; if it isn't there we'll send a new pair of boots.",
    "The bakery at the Canal Street branch ran out of the gluten free loaves by noon, so we've asked them to bake a second batch on Fridays.",
];

/// The held-out suite's stock replies (see the module docs).
const HELD_OUT_REPLIES: &[&str] = &[
    "We're sorry to hear your package hasn't arrived yet. Could you please send us a DM with your tracking number and we'll check on it.",
    "Thanks for bringing this to our attention. Please send us a direct message with your full name and email address so we can help.",
    "We apologize for any inconvenience. Our customer care team will be in touch with you shortly.",
    "Sorry for the wait! We're experiencing a high volume of messages right now and will get back to you as soon as we can.",
    "Thank you for your feedback, we'll be sure to pass this along to the team.",
    "We're sorry for the frustration this has caused. Please reach out to us via DM so we can look into this further.",
    "Hi, thanks for contacting us. For account related questions please visit our help center or call our support line.",
    "We'd love to help with this. Please DM us your order number and the email address used to place the order.",
    "Sorry about that! Please send us a private message with more information and we'll do our best to resolve this.",
    "Thanks for your patience while our team looks into this. We'll update you as soon as we have more information.",
    "We understand how frustrating this must be. Please follow us and send a DM with your details so we can assist.",
    "Sorry to hear you're having trouble with the app. Please try reinstalling it and let us know if the issue continues.",
];

/// The held-out suite's personal replies.
const HELD_OUT_PERSONAL: &[&str] = &[
    "Amira, the coach to Edinburgh you booked for the 3rd was moved to platform 7 because of the marathon, and it now leaves at 10:25.",
    "The spare charging cable for the Kestrel 2 bike is at our Camden workshop; Dev can hand it over any weekday after 4pm.",
    "Your lasagne order was missing the garlic bread because the Harrow kitchen ran out at 7; we've refunded 3.50 to your Mastercard.",
    "Hi Owen, the noise you hear from the dishwasher is the new drain pump settling in, it should stop after about five washes.",
    "Since your flat in Ancoats is on the fourth floor without a lift, we've booked two movers for the wardrobe on Wednesday morning.",
    "The library copy of The Overstory you reserved came back today, so it's waiting for you at the Jesmond branch until Friday.",
    "Sam, we found your scarf under seat 14B after the Tuesday matinee; the box office has it in an envelope with your name.",
    "The pharmacy on Queen Street can fill the amended prescription from Dr Patel this afternoon, but the Boots near you cannot until Monday.",
    "Your hamster cage arrived with a cracked base because it was packed without the corner guards, so a replacement ships from Derby tonight.",
    "Ines, the vegan option on the Lisbon to Porto train is the chickpea stew, and the buffet car is in coach 3 next to first class.",
    "The council collects garden waste on your road on alternate Thursdays, so the next brown bin pickup is the 19th rather than the 12th.",
    "Your phone screen repair is done and the technician also replaced the worn charging port for free; pick it up from the Leith store.",
];

/// Whether the held-out suite runs (its replies, and disguises at other places).
static HELD_OUT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn held_out() -> bool {
    HELD_OUT.load(std::sync::atomic::Ordering::Relaxed)
}

/// Where in a word a disguise goes: the middle, or a third of the way in (held out).
fn place(len: usize) -> usize {
    if held_out() {
        (len / 3).max(1)
    } else {
        len / 2
    }
}

/// A kind of disguise: its name and how it changes a reply.
struct Kind {
    name: &'static str,
    apply: fn(&str) -> String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let show = std::env::args().skip_while(|a| a != "--show").nth(1);
    HELD_OUT.store(
        std::env::args().any(|a| a == "--held-out"),
        std::sync::atomic::Ordering::Relaxed,
    );
    let (replies, personal) = if held_out() {
        (HELD_OUT_REPLIES, HELD_OUT_PERSONAL)
    } else {
        (REPLIES, PERSONAL)
    };
    let index = Index::stock();
    let ctx = Context::new();
    let fail_at = 0.6;
    let fails = |text: &str| index.score(text, &ctx).canned >= fail_at;
    for reply in replies.iter() {
        if !fails(reply) {
            return Err(format!("undisguised, it passes the lint: {reply:?}").into());
        }
    }
    for reply in personal.iter() {
        if fails(reply) {
            return Err(format!("undisguised, it fails the lint: {reply:?}").into());
        }
    }
    let (mut caught_all, mut total) = (0usize, 0usize);
    let mut lowest = (1.0f64, "");
    let mut alarms_all = 0usize;
    println!(
        "| kind of disguise | stock replies caught | share | personal replies failing (control) |"
    );
    println!("|---|---|---|---|");
    for kind in kinds() {
        let mut caught = 0;
        for reply in replies.iter() {
            let disguised = (kind.apply)(reply);
            assert_ne!(&disguised, reply, "{} changes {reply:?}", kind.name);
            let hit = fails(&disguised);
            caught += usize::from(hit);
            if show.as_deref() == Some(kind.name) {
                let r = index.score(&disguised, &ctx);
                println!("{:.3} {hit} {disguised:?}", r.canned);
            }
            if show.as_deref() == Some(&format!("personal: {}", kind.name)) {
                for p in personal.iter() {
                    let d = (kind.apply)(p);
                    let r = index.score(&d, &ctx);
                    println!("{:.3} {:.3} {d:?}", r.canned, r.personalisation);
                }
            }
        }
        let alarms = personal.iter().filter(|r| fails(&(kind.apply)(r))).count();
        alarms_all += alarms;
        let share = caught as f64 / replies.len() as f64;
        if share < lowest.0 {
            lowest = (share, kind.name);
        }
        println!(
            "| {} | {caught} of {} | {:.0}% | {alarms} of {} |",
            kind.name,
            replies.len(),
            share * 100.0,
            personal.len()
        );
        caught_all += caught;
        total += replies.len();
    }
    println!(
        "\n{caught_all} of {total} disguised stock replies fail the lint ({:.1}%); the lowest kind: {} ({:.0}%); \
         {alarms_all} of {total} disguised personal replies fail it",
        caught_all as f64 * 100.0 / total as f64,
        lowest.1,
        lowest.0 * 100.0
    );
    Ok(())
}

fn kinds() -> Vec<Kind> {
    vec![
        Kind {
            name: "Armenian look-alikes",
            apply: |t| map_letters(t, armenian),
        },
        Kind {
            name: "Cherokee look-alikes (capitals)",
            apply: |t| map_letters(&t.to_uppercase(), cherokee),
        },
        Kind {
            name: "Lisu look-alikes (capitals)",
            apply: |t| map_letters(&t.to_uppercase(), lisu),
        },
        Kind {
            name: "Latin small capitals",
            apply: |t| map_letters(t, small_capital),
        },
        Kind {
            name: "Latin alpha and iota",
            apply: |t| map_letters(t, alpha_iota),
        },
        Kind {
            name: "Cyrillic palochka for l",
            apply: |t| map_letters(t, |c| (c == 'l').then_some('\u{04CF}')),
        },
        Kind {
            name: "Greek nu for v, omicron for o",
            apply: |t| {
                map_letters(t, |c| match c {
                    'v' => Some('\u{03BD}'),
                    'o' => Some('\u{03BF}'),
                    _ => None,
                })
            },
        },
        Kind {
            name: "digits for letters",
            apply: |t| map_letters(t, leet),
        },
        Kind {
            name: "capital I for l",
            apply: |t| map_letters(t, |c| (c == 'l').then_some('I')),
        },
        Kind {
            name: "HTML tags inside words",
            apply: |t| {
                inside_words(
                    t,
                    4,
                    if held_out() {
                        "<span></span>"
                    } else {
                        "<b></b>"
                    },
                )
            },
        },
        Kind {
            name: "HTML comments inside words",
            apply: |t| inside_words(t, 4, if held_out() { "<!---->" } else { "<!-- -->" }),
        },
        Kind {
            name: "HTML numeric entities",
            apply: entities,
        },
        Kind {
            name: "markdown emphasis inside words",
            apply: emphasis,
        },
        Kind {
            name: "hair spaces inside words",
            apply: |t| inside_words(t, 4, if held_out() { "\u{2009}" } else { "\u{200A}" }),
        },
        Kind {
            name: "no-break spaces inside words",
            apply: |t| inside_words(t, 4, if held_out() { "\u{202F}" } else { "\u{00A0}" }),
        },
        Kind {
            name: "ideographic spaces inside words",
            apply: |t| inside_words(t, 4, "\u{3000}"),
        },
        Kind {
            name: "Braille blanks inside words",
            apply: |t| inside_words(t, 4, "\u{2800}"),
        },
        Kind {
            name: "line breaks (CR LF) inside words",
            apply: |t| inside_words(t, 6, if held_out() { "\n" } else { "\r\n" }),
        },
        Kind {
            name: "words run together",
            apply: |t| t.split(' ').collect::<String>(),
        },
        Kind {
            name: "reversed inside a right-to-left override",
            apply: |t| format!("\u{202E}{}\u{202C}", t.chars().rev().collect::<String>()),
        },
        Kind {
            name: "regional-indicator letters",
            apply: |t| map_letters(&t.to_lowercase(), regional),
        },
        Kind {
            name: "a letter dropped in every word",
            apply: |t| each_word(t, 5, drop_letter),
        },
        Kind {
            name: "two letters swapped in every word",
            apply: |t| each_word(t, 5, swap_letters),
        },
    ]
}

fn map_letters(t: &str, f: fn(char) -> Option<char>) -> String {
    t.chars().map(|c| f(c).unwrap_or(c)).collect()
}

/// Applies `f` to each word (a run of ASCII letters) of at least `min` letters.
fn each_word(t: &str, min: usize, f: fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.len() >= min {
            out.push_str(&f(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in t.chars() {
        if c.is_ascii_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn inside_words(t: &str, min: usize, filler: &'static str) -> String {
    thread_local!(static FILLER: std::cell::Cell<&'static str> = const { std::cell::Cell::new("") });
    FILLER.with(|f| f.set(filler));
    each_word(t, min, |w| {
        let mid = place(w.len());
        let filler = FILLER.with(|f| f.get());
        format!("{}{filler}{}", &w[..mid], &w[mid..])
    })
}

fn entities(t: &str) -> String {
    each_word(t, 4, |w| {
        let mid = place(w.len());
        let c = w.as_bytes()[mid];
        if held_out() {
            format!("{}&#x{:x};{}", &w[..mid], c, &w[mid + 1..])
        } else {
            format!("{}&#{};{}", &w[..mid], c, &w[mid + 1..])
        }
    })
}

fn emphasis(t: &str) -> String {
    each_word(t, 4, |w| {
        let mid = place(w.len());
        if held_out() {
            format!("{}~~{}~~", &w[..mid], &w[mid..])
        } else {
            format!("{}**{}**", &w[..mid], &w[mid..])
        }
    })
}

fn drop_letter(w: &str) -> String {
    let at = place(w.len());
    format!("{}{}", &w[..at], &w[at + 1..])
}

fn swap_letters(w: &str) -> String {
    let at = place(w.len());
    let b = w.as_bytes();
    let mut out = b.to_vec();
    out.swap(at - 1, at);
    if out == b {
        out.swap(at, at + 1);
    }
    String::from_utf8(out).expect("ASCII")
}

fn armenian(c: char) -> Option<char> {
    Some(match c {
        'o' => '\u{0585}',
        'h' => '\u{0570}',
        'n' => '\u{0578}',
        'u' => '\u{057D}',
        'q' => '\u{0566}',
        'g' => '\u{0581}',
        _ => return None,
    })
}

fn cherokee(c: char) -> Option<char> {
    Some(match c {
        'A' => '\u{13AA}',
        'B' => '\u{13F4}',
        'C' => '\u{13DF}',
        'D' => '\u{13A0}',
        'E' => '\u{13AC}',
        'G' => '\u{13C0}',
        'H' => '\u{13BB}',
        'J' => '\u{13AB}',
        'K' => '\u{13E6}',
        'L' => '\u{13DE}',
        'M' => '\u{13B7}',
        'P' => '\u{13E2}',
        'R' => '\u{13A1}',
        'S' => '\u{13DA}',
        'T' => '\u{13A2}',
        'V' => '\u{13D9}',
        'W' => '\u{13B3}',
        'Z' => '\u{13C3}',
        _ => return None,
    })
}

fn lisu(c: char) -> Option<char> {
    const FROM: &str = "ABCDEFGHIJKLMNOPRSTUVWXYZ";
    const TO: [char; 25] = [
        '\u{A4EE}', '\u{A4D0}', '\u{A4DA}', '\u{A4D3}', '\u{A4F0}', '\u{A4DD}', '\u{A4D6}',
        '\u{A4E7}', '\u{A4F2}', '\u{A4D9}', '\u{A4D7}', '\u{A4E1}', '\u{A4DF}', '\u{A4E0}',
        '\u{A4F3}', '\u{A4D1}', '\u{A4E3}', '\u{A4E2}', '\u{A4D4}', '\u{A4F4}', '\u{A4E6}',
        '\u{A4EA}', '\u{A4EB}', '\u{A4EC}', '\u{A4DC}',
    ];
    FROM.find(c).map(|i| TO[i])
}

fn small_capital(c: char) -> Option<char> {
    const FROM: &str = "abcdeghijklmnoprstuvwyz";
    const TO: [char; 23] = [
        '\u{1D00}', '\u{0299}', '\u{1D04}', '\u{1D05}', '\u{1D07}', '\u{0262}', '\u{029C}',
        '\u{026A}', '\u{1D0A}', '\u{1D0B}', '\u{029F}', '\u{1D0D}', '\u{0274}', '\u{1D0F}',
        '\u{1D18}', '\u{0280}', '\u{A731}', '\u{1D1B}', '\u{1D1C}', '\u{1D20}', '\u{1D21}',
        '\u{028F}', '\u{1D22}',
    ];
    FROM.find(c).map(|i| TO[i])
}

fn alpha_iota(c: char) -> Option<char> {
    match c {
        'a' => Some('\u{0251}'),
        'i' => Some('\u{0269}'),
        _ => None,
    }
}

fn leet(c: char) -> Option<char> {
    match c {
        'o' => Some('0'),
        'e' => Some('3'),
        'a' => Some('4'),
        'i' => Some('1'),
        's' => Some('5'),
        't' if held_out() => Some('7'),
        _ => None,
    }
}

fn regional(c: char) -> Option<char> {
    c.is_ascii_lowercase()
        .then(|| char::from_u32(0x1F1E6 + (c as u32 - 'a' as u32)).expect("a regional indicator"))
}
