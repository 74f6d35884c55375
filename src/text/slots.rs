//! Slot masking: the patterns that find @handles, links, e-mail addresses, dates, numbers,
//! names, sign-offs and helpdesk placeholders, and the linear merge of their matches.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::Path;
use super::floor_char_boundary;
use super::token::Slot;

/// A cheap test of a text (see [`SlotPatterns::folded`]).
type TextTest = fn(&str) -> bool;

/// A hand-written search for the matches of one slot pattern (see [`SlotPatterns::folded`]):
/// pushes the ranges of the pattern's matches in `folded` onto `out` and returns true, or
/// returns false (with `out` in any state) for a text it leaves to the regex.
type HandFinder = fn(folded: &str, out: &mut Vec<Range<usize>>) -> bool;

struct SlotPatterns {
    /// Patterns run on the folded (lower-case) text, in priority order, each with whether every
    /// match of it holds a digit, `#` or `№` (see [`digit_outside_slots`]), a cheap test that
    /// every text with a match passes, so that a text failing it is not searched, and for the
    /// simplest patterns a hand-written search that finds the same matches faster (the regex is
    /// its oracle: `Path::Crates` runs the regex).
    folded: Vec<(Regex, Slot, bool, TextTest, Option<HandFinder>)>,
    /// A greeting or vocative name, run on the original text (it needs capital letters).
    name: Regex,
    /// A Chinese or Japanese name before an honorific, run on original texts that are not ASCII.
    honorific_name: Regex,
    /// A sign-off at the end of the original text.
    signature: Regex,
    /// `signature` for a tail of ASCII text: the same pattern over the ASCII members of its
    /// classes, on bytes. The Unicode pattern's lazy DFA (searching back from the end, its
    /// classes reversed a byte at a time) keeps adding states for thousands of texts: over the
    /// first 5,000 real replies that cost 45,000 instructions a text, about as much as the rest
    /// of tokenizing. The ASCII pattern's automaton is small and built within a few texts; the
    /// tails with a character past ASCII (5% of the replies) still go to the Unicode one.
    signature_ascii: regex::bytes::Regex,
    /// A sign-off after a closing of the other stock languages (`Un saludo, Marta`, `担当：佐藤`),
    /// apart from `signature`: each of its alternatives starts with a literal, which the regex
    /// engine finds with a prefilter, where the same alternatives inside `signature` made
    /// tokenizing English 8% slower (callgrind). Run only on a tail that has one of
    /// `closing_words` (a search for literals; the anchored pattern alone cost as much).
    closing_signature: Regex,
    /// The closings of `closing_signature`, as literals.
    closing_words: Regex,
    /// A helpdesk placeholder, `{{ name }}` or a Liquid tag `{% ... %}`, in the folded text.
    placeholder: Regex,
}

/// The longest name a greeting's name slot takes, in chars. The patterns leave their letter runs
/// unbounded and the length is checked on the match: a counted repetition (`\p{L}{0,19}`) of a
/// Unicode class multiplies the automaton the lazy DFA determinizes, which made the first
/// thousands of reports of a process several times slower than the later ones.
const MAX_NAME_CHARS: usize = 16;
/// The longest sign-off name, in chars.
const MAX_SIGNATURE_CHARS: usize = 20;

/// A regex whose lazy DFA may grow large: the Unicode letter classes of the name and sign-off
/// patterns overflow the default cache, and the engine would fall back to the slow PikeVM.
fn big_dfa(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .dfa_size_limit(64 << 20)
        .build()
}

fn patterns() -> &'static SlotPatterns {
    static PATTERNS: OnceLock<SlotPatterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let tlds = "com|org|net|edu|gov|io|co|uk|us|ca|au|de|fr|es|it|nl|ie|in|jp|cn|me|ly|gl|to|tv|app|help|info|biz";
        let months = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
        // ASCII word boundaries ((?-u:\b)) keep these patterns in the lazy DFA; Unicode ones
        // would send every text with a non-ASCII letter to the much slower PikeVM.
        let folded: Vec<(String, Slot, TextTest, Option<HandFinder>)> = vec![
            (r"[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}".to_string(), Slot::Email, has_address_at, None),
            (r"(?:https?://|www\.)[^\s<>]+".to_string(), Slot::Url, has_scheme_or_www, Some(find_links)),
            (
                format!(r"(?-u:\b)[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:{tlds})(?-u:\b)(?:/[^\s<>]*)?"),
                Slot::Url,
                has_dot_before_letter,
                None,
            ),
            (r"@\w+".to_string(), Slot::User, has_at, Some(find_handles)),
            (
                format!(
                    r"(?-u:\b)\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{months})(?-u:\b)\.?(?:\s+\d{{4}})?|(?-u:\b)(?:{months})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?-u:\b)(?:,?\s+\d{{4}})?"
                ),
                Slot::Date,
                any_text,
                None,
            ),
            (
                r"(?-u:\b)\d{1,2}[:.]\d{2}\s?(?:[ap]\.?m(?-u:\b)\.?)?|(?-u:\b)\d{1,2}\s?[ap]\.?m(?-u:\b)\.?|(?-u:\b)\d{1,4}[/\-]\d{1,2}(?:[/\-]\d{2,4})?(?-u:\b)|(?-u:\b)\d{1,2}(?:st|nd|rd|th)(?-u:\b)"
                    .to_string(),
                Slot::Date,
                any_text,
                None,
            ),
            (
                r"[#№$£€¥]?(?-u:\b)[a-z]{0,6}\d[\w\-]*|[#№][a-z0-9][\w\-]*".to_string(),
                Slot::Number,
                any_text,
                None,
            ),
        ];
        SlotPatterns {
            placeholder: Regex::new(r"\{\{\s*([^{}]{1,80}?)\s*\}\}|\{%\s*([^{}]{0,80}?)\s*%\}")
                .expect("placeholder pattern compiles"),
            folded: folded
                .into_iter()
                .map(|(p, s, needs, hand)| {
                    let digits = matches!(s, Slot::Date | Slot::Number);
                    (Regex::new(&p).expect("slot pattern compiles"), s, digits, needs, hand)
                })
                .collect(),
            // A greeting (or a comma) and a capitalised word, in the languages of the stock
            // corpora.
            name: big_dfa(
                r"(?:(?-u:\b)(?:[Hh]i|[Hh]ello|[Hh]ey|[Hh]eya|[Hh]iya|[Dd]ear|[Mm]orning|[Aa]fternoon|[Ee]vening|[Tt]hanks|[Tt]hank you|[Ss]orry|[Hh]ola|[Oo]lá|[Oo]la|[Oo]i|[Bb]onjour|[Bb]onsoir|[Ss]alut|[Cc]oucou|[Hh]allo|[Ss]ervus|[Mm]oin|[Cc]iao|[Ss]alve|[Bb]uongiorno|[Bb]uonasera|[Hh]oi|[Gg]oedemorgen|[Gg]oedemiddag|[Qq]uerid[oa]|[Ee]stimad[oa]|[Pp]rezad[oa]|[Cc]ar[oa]|[Cc]hère|[Cc]her|[Ll]ieber?|[Gg]entile|[Bb]este|[Gg]racias|[Oo]brigad[oa]|[Mm]erci|[Dd]anke|[Gg]razie|[Bb]edankt)[ ,]+|, )(\p{Lu}\p{Ll}+)[!.?,:]",
            )
            .expect("name pattern compiles"),
            // In Chinese and Japanese, a name of one to three characters before an honorific
            // (田中様, 王女士).
            honorific_name: big_dfa(r"(\p{Han}{1,3})(?:様|さま|さん|先生|女士|小姐)")
                .expect("honorific pattern compiles"),
            signature: big_dfa(&signature_pattern(&SignatureClasses::UNICODE))
                .expect("signature pattern compiles"),
            signature_ascii: regex::bytes::RegexBuilder::new(&signature_pattern(
                &SignatureClasses::ASCII,
            ))
            .unicode(false)
            .build()
            .expect("ASCII signature pattern compiles"),
            closing_signature: big_dfa(
                r"(?x)
                (?:
                    (?:[Ss]aludos|[Uu]n\ saludo|[Aa]tentamente|[Aa]brazos?|[Aa]tenciosamente
                      |[Cc]umprimentos|[Cc]ordialement|[Gg]rüße|[Gg]rüsse|[Gg]ruß|[Ss]aluti
                      |[Gg]roet|[Gg]roeten|[Gg]roetjes)[,!.]?\s*[-–—,]?\s*(\p{Lu}\p{L}+)\.?
                  | (?:担当|担当者|客服|客服专员)[：:\s]*(\p{Han}{1,4})                # 担当：佐藤  客服小王
                )
                (?:[\s\p{So}\p{Sk}\p{Pe}:;)(]|\d{1,2}/\d{1,2}|https?://\S+)*$",
            )
            .expect("closing signature pattern compiles"),
            closing_words: Regex::new(
                "[Ss]aludo|[Aa]tentamente|[Aa]brazo|[Aa]tenciosamente|[Cc]umprimentos|[Cc]ordialement|[Gg]rü|[Gg]ruß|[Ss]aluti|[Gg]roet|担当|客服",
            )
            .expect("closing words compile"),
        }
    })
}

// What every match of a slot pattern holds, so that texts without it are not searched.
fn has_at(folded: &str) -> bool {
    folded.contains('@')
}
/// An `@` between two characters an e-mail address can have there.
fn has_address_at(folded: &str) -> bool {
    let bytes = folded.as_bytes();
    let local = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._%+-".contains(&b);
    let domain = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    folded.match_indices('@').any(|(at, _)| {
        at > 0 && local(bytes[at - 1]) && bytes.get(at + 1).is_some_and(|&b| domain(b))
    })
}
fn has_scheme_or_www(folded: &str) -> bool {
    folded.contains("://") || folded.contains("www.")
}
/// A dot before a letter: a domain's `.com`, which sentence ends (`. `) are not.
fn has_dot_before_letter(folded: &str) -> bool {
    let bytes = folded.as_bytes();
    folded
        .match_indices('.')
        .any(|(at, _)| bytes.get(at + 1).is_some_and(u8::is_ascii_lowercase))
}
fn any_text(_: &str) -> bool {
    true
}

/// Finds the slot ranges (in folded bytes), sorted and non-overlapping.
///
/// Each pattern's matches are kept only where they overlap no slot found before (patterns
/// earlier in the list win). The slots found so far stay sorted and disjoint, and each
/// pattern's matches (sorted and disjoint themselves) are merged into them in one pass, so the
/// cost is linear in the number of slots: comparing each match with every slot found made a
/// 64 KiB text of numbers take 0.4 s.
pub(super) fn find_slots(
    path: Path,
    text: &str,
    folded: &str,
    origin: &[u32],
    slots: &mut Vec<(Range<usize>, Slot)>,
) {
    slots.clear();
    let patterns = patterns();
    let mut found: Vec<(Range<usize>, Slot)> = Vec::new();
    let mut merged: Vec<(Range<usize>, Slot)> = Vec::new();
    // Every placeholder starts with `{{` or `{%`.
    if folded.contains("{{") || folded.contains("{%") {
        for caps in patterns.placeholder.captures_iter(folded) {
            let whole = caps.get(0).expect("group 0");
            let name = caps.get(1).map_or("", |m| m.as_str());
            found.push((whole.range(), placeholder_slot(name)));
        }
    }
    // Whether a digit, `#` or `№` lies outside the slots found so far; computed once, before the
    // first pattern whose matches all hold one.
    let mut digit_outside: Option<bool> = None;
    let mut ranges = Vec::new();
    for (re, slot, digits, needs, hand) in &patterns.folded {
        if *digits && !*digit_outside.get_or_insert_with(|| digit_outside_slots(folded, &found)) {
            continue;
        }
        if !needs(folded) {
            continue;
        }
        // A match without a letter or digit (`@_`, `#-`) masks nothing.
        let keep = |r: &Range<usize>| folded[r.clone()].chars().any(char::is_alphanumeric);
        ranges.clear();
        if path == Path::Fast && hand.is_some_and(|find| find(folded, &mut ranges)) {
            let matches = ranges
                .iter()
                .filter(|r| keep(r))
                .map(|r| (r.clone(), *slot));
            add_disjoint(&mut found, matches, &mut merged);
        } else {
            // The regex's matches go straight into the merge, not through `ranges`.
            let matches = (re.find_iter(folded).map(|m| m.range()))
                .filter(keep)
                .map(|r| (r, *slot));
            add_disjoint(&mut found, matches, &mut merged);
        }
    }
    // Name and signature run on the original text; map their ranges into folded bytes.
    let to_folded = |orig: Range<usize>| -> Option<Range<usize>> {
        let start = origin.partition_point(|&o| (o as usize) < orig.start);
        let end = origin.partition_point(|&o| (o as usize) < orig.end);
        (start < end).then_some(start..end)
    };
    let names = patterns.name.captures_iter(text).filter_map(|caps| {
        let m = caps.get(1)?;
        let is_name =
            m.as_str().chars().count() <= MAX_NAME_CHARS && !is_common_capitalised(m.as_str());
        is_name.then(|| to_folded(m.range())).flatten()
    });
    add_disjoint(&mut found, names.map(|r| (r, Slot::Name)), &mut merged);
    if !text.is_ascii() {
        let names = (patterns.honorific_name.captures_iter(text))
            .filter_map(|caps| to_folded(caps.get(1)?.range()));
        add_disjoint(&mut found, names.map(|r| (r, Slot::Name)), &mut merged);
    }
    // A sign-off is at the end: search the last SIGNATURE_TAIL bytes only (from a space, so
    // that a match starts as it would in the whole text), which bounds the cost per reply.
    let tail_start = signature_tail_start(text);
    let tail = &text[tail_start..];
    let signature = signature_in(path, patterns, tail)
        .or_else(|| closing_signature(patterns, tail).map(|m| m.range()))
        .filter(|r| {
            let name = &tail[r.clone()];
            name.chars().count() <= MAX_SIGNATURE_CHARS && !is_common_capitalised(name)
        })
        .and_then(|r| to_folded(tail_start + r.start..tail_start + r.end));
    add_disjoint(
        &mut found,
        signature.map(|r| (r, Slot::Signature)),
        &mut merged,
    );
    slots.extend(found);
}

/// The character classes of the sign-off pattern, each as the inside of a bracketed class:
/// Unicode's, or their ASCII members (for a pattern without Unicode, run on ASCII text only,
/// where it matches as the Unicode one does).
struct SignatureClasses {
    letter: &'static str,
    upper: &'static str,
    lower: &'static str,
    number: &'static str,
    digit: &'static str,
    dash: &'static str,
    space: &'static str,
    /// Symbols and closing brackets (`\p{So}\p{Sk}\p{Pe}`) that may follow a sign-off.
    symbol: &'static str,
}

impl SignatureClasses {
    const UNICODE: Self = Self {
        letter: r"\p{L}",
        upper: r"\p{Lu}",
        lower: r"\p{Ll}",
        number: r"\p{N}",
        digit: r"\d",
        dash: "\\-–—",
        space: r"\s",
        symbol: r"\p{So}\p{Sk}\p{Pe}",
    };
    /// ASCII has no `\p{So}`; its `\p{Sk}` are `^` and `` ` ``, its `\p{Pe}` `)`, `]` and `}`;
    /// its white space (`\s`) is tab, line feed, vertical tab, form feed, carriage return and
    /// space.
    const ASCII: Self = Self {
        letter: "A-Za-z",
        upper: "A-Z",
        lower: "a-z",
        number: "0-9",
        digit: "0-9",
        dash: r"\-",
        space: r"\t\n\x0B\x0C\r\x20",
        symbol: r"\^`)\]}",
    };
}

/// The sign-off pattern over the classes `c`: a name after `^`, `*`, `~`, a dash or a slash,
/// or after a closing (`Regards,`), then only white space, symbols, a date or a link to the end.
fn signature_pattern(c: &SignatureClasses) -> String {
    let SignatureClasses {
        letter: l,
        upper: lu,
        lower: ll,
        number: n,
        digit: d,
        dash,
        space: s,
        symbol,
    } = c;
    format!(
        r"(?x)
        (?:
            [\^*~][{s}]?([{l}][{l}.]*)                              # ^JK  *KellenF  ~Tom
          | (?:^|[^{l}{n}])[{dash}/][{s}]?([{lu}][{l}.]*)            # -Becky  /AB  - Rhys
          | [{ll}][{dash}]([{lu}][{l}]*)                             # day-Mariya
          | (?i:regards|thanks|cheers|best|sincerely|thank\ you)[,!.]?[{s}]*[{dash},]?[{s}]*([{lu}][{l}]+)\.?
        )
        (?:[{s}{symbol}:;)(]|[{d}]{{1,2}}/[{d}]{{1,2}}|https?://[^{s}]+)*$"
    )
}

/// The range in `tail` of the name a sign-off at its end gives (`signature`'s first group that
/// took part), by the ASCII pattern where the tail is ASCII and the path is the fast one.
fn signature_in(path: Path, patterns: &SlotPatterns, tail: &str) -> Option<Range<usize>> {
    if path == Path::Fast && tail.is_ascii() {
        let caps = patterns.signature_ascii.captures(tail.as_bytes())?;
        (1..=4).find_map(|g| caps.get(g)).map(|m| m.range())
    } else {
        let caps = patterns.signature.captures(tail)?;
        (1..=4).find_map(|g| caps.get(g)).map(|m| m.range())
    }
}

/// The name a sign-off after a closing of the other stock languages gives at the end of `tail`.
fn closing_signature<'t>(patterns: &SlotPatterns, tail: &'t str) -> Option<regex::Match<'t>> {
    if !patterns.closing_words.is_match(tail) {
        return None;
    }
    let caps = patterns.closing_signature.captures(tail)?;
    caps.get(1).or_else(|| caps.get(2))
}

/// The matches of `@\w+` (handles), by hand: each `@` and the ASCII letters, digits and `_`
/// after it; false for a text where a character past ASCII follows them (`\w` is Unicode's
/// there, and the regex decides).
fn find_handles(folded: &str, out: &mut Vec<Range<usize>>) -> bool {
    let bytes = folded.as_bytes();
    for (at, _) in folded.match_indices('@') {
        let word = bytes[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let end = at + 1 + word;
        if bytes.get(end).is_some_and(|b| !b.is_ascii()) {
            return false;
        }
        if word > 0 {
            out.push(at..end);
        }
    }
    true
}

/// The matches of `(?:https?://|www\.)[^\s<>]+` (links), by hand: from the leftmost place where
/// `http://`, `https://` or `www.` starts and a character that is not white space, `<` or `>`
/// follows, to the next white space, `<` or `>` (white space as Unicode's, as the regex's `\s`).
fn find_links(folded: &str, out: &mut Vec<Range<usize>>) -> bool {
    let bytes = folded.as_bytes();
    let mut from = 0;
    while let Some(found) = (bytes[from..].iter()).position(|&b| b == b'h' || b == b'w') {
        let start = from + found;
        let rest = &bytes[start..];
        let prefix = [&b"http://"[..], b"https://", b"www."]
            .into_iter()
            .find(|p| rest.starts_with(p))
            .map_or(0, <[u8]>::len);
        let body = match prefix {
            0 => 0,
            _ => folded[start + prefix..]
                .char_indices()
                .find(|&(_, c)| c.is_whitespace() || c == '<' || c == '>')
                .map_or(folded.len() - start - prefix, |(k, _)| k),
        };
        if body == 0 {
            from = start + 1;
            continue;
        }
        let end = start + prefix + body;
        out.push(start..end);
        from = end;
    }
    true
}

/// Merges `new` (sorted by start, disjoint, none empty) into `found` (the same), leaving out
/// each new range that overlaps one of `found`; `merged` is a buffer.
fn add_disjoint(
    found: &mut Vec<(Range<usize>, Slot)>,
    new: impl IntoIterator<Item = (Range<usize>, Slot)>,
    merged: &mut Vec<(Range<usize>, Slot)>,
) {
    merged.clear();
    let mut old = found.drain(..).peekable();
    for (range, slot) in new {
        // The slots found that end before this range starts come first.
        while let Some(f) = old.next_if(|f| f.0.end <= range.start) {
            merged.push(f);
        }
        // The next one ends after this range starts: they overlap if it starts before this
        // range ends.
        if old.peek().is_some_and(|f| f.0.start < range.end) {
            continue;
        }
        merged.push((range, slot));
    }
    merged.extend(old);
    std::mem::swap(found, merged);
}

/// Whether `folded` has a digit, `#` or `№` outside the slots `found` (sorted by start and
/// disjoint), in one pass.
///
/// Every match of the date and number patterns holds one of these. Where none is left outside
/// the slots already found (most replies: their digits are in @handles and links), every match
/// of those patterns would overlap a found slot and be dropped, so they need not run: that
/// saves three of the eight passes over most texts, with the same slots.
fn digit_outside_slots(folded: &str, found: &[(Range<usize>, Slot)]) -> bool {
    let mut next = 0;
    folded.char_indices().any(|(at, c)| {
        if !(c.is_numeric() || c == '#' || c == '№') {
            return false;
        }
        while next < found.len() && found[next].0.end <= at {
            next += 1;
        }
        found.get(next).is_none_or(|(r, _)| r.start > at)
    })
}

/// The slot a helpdesk placeholder stands for, from its name (Zendesk and Freshdesk names:
/// `ticket.requester.first_name`, `current_user.name`, `ticket.id`, `ticket.url`, ...).
fn placeholder_slot(name: &str) -> Slot {
    let name = name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if has(&["current_user", "agent", "assignee", "signature", "sender"]) {
        Slot::Signature
    } else if has(&["email"]) {
        Slot::Email
    } else if has(&["url", "link"]) {
        Slot::Url
    } else if has(&["name"]) {
        Slot::Name
    } else if has(&["date", "time", "created_at", "updated_at", "due"]) {
        Slot::Date
    } else if has(&[".id", "number", "_id", "phone", "amount", "count"]) || name == "id" {
        Slot::Number
    } else {
        Slot::Field
    }
}

/// How far from the end of a text a sign-off is looked for.
const SIGNATURE_TAIL: usize = 96;

/// Where the searched tail of a text starts: at a whitespace at least `SIGNATURE_TAIL` bytes
/// from the end, or at the start of the text.
fn signature_tail_start(text: &str) -> usize {
    if text.len() <= SIGNATURE_TAIL {
        return 0;
    }
    let at = floor_char_boundary(text, text.len() - SIGNATURE_TAIL);
    text[..at].rfind(char::is_whitespace).unwrap_or(0)
}

/// Capitalised words that follow a greeting or a dash without being a name or a sign-off.
fn is_common_capitalised(word: &str) -> bool {
    const COMMON: &[&str] = &[
        "There", "All", "Again", "Everyone", "Team", "Sir", "Madam", "Please", "We", "You",
        "Thanks", "Thank", "The", "This", "That", "It", "If", "In", "On", "Our", "Your", "For",
        "And", "But", "So", "Yes", "No", "Ok", "Okay", "Sorry", "Hello", "Hi", "Hey", "Let", "Can",
        "Could", "Would", "Will", "Do", "Did", "Is", "Are", "What", "When", "Where", "How", "Why",
        "Just", "Have", "Has", "Here", "Good", "Great", "Happy", "Glad", "Folks", "Friend", "Guys",
        "Customer", "Mate",
    ];
    COMMON.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Scratch;
    use crate::text::fold::fold;
    use crate::text::tests::words;

    /// The slot finder as it was before it merged sorted matches: each match compared with every
    /// slot found (quadratic), the oracle of [`find_slots`].
    fn find_slots_oracle(
        text: &str,
        folded: &str,
        origin: &[u32],
        slots: &mut Vec<(Range<usize>, Slot)>,
    ) {
        slots.clear();
        let patterns = patterns();
        let mut found: Vec<(Range<usize>, Slot)> = Vec::new();
        // Every placeholder starts with `{{` or `{%`.
        if folded.contains("{{") || folded.contains("{%") {
            for caps in patterns.placeholder.captures_iter(folded) {
                let whole = caps.get(0).expect("group 0");
                let name = caps.get(1).map_or("", |m| m.as_str());
                found.push((whole.range(), placeholder_slot(name)));
            }
        }
        // Whether a digit, `#` or `№` lies outside the slots found so far; computed once, before the
        // first pattern whose matches all hold one.
        let mut digit_outside: Option<bool> = None;
        for (re, slot, digits, needs, _) in &patterns.folded {
            if *digits
                && !*digit_outside.get_or_insert_with(|| digit_outside_slots_oracle(folded, &found))
            {
                continue;
            }
            if !needs(folded) {
                continue;
            }
            for m in re.find_iter(folded) {
                if !m.as_str().chars().any(char::is_alphanumeric) {
                    continue;
                }
                if found
                    .iter()
                    .any(|(r, _)| r.start < m.end() && m.start() < r.end)
                {
                    continue;
                }
                found.push((m.range(), *slot));
            }
        }
        // Name and signature run on the original text; map their ranges into folded bytes.
        let to_folded = |orig: Range<usize>| -> Option<Range<usize>> {
            let start = origin.partition_point(|&o| (o as usize) < orig.start);
            let end = origin.partition_point(|&o| (o as usize) < orig.end);
            (start < end).then_some(start..end)
        };
        let mut original_slots = Vec::new();
        for caps in patterns.name.captures_iter(text) {
            if let Some(m) = caps.get(1) {
                if m.as_str().chars().count() <= MAX_NAME_CHARS
                    && !is_common_capitalised(m.as_str())
                {
                    original_slots.push((m.range(), Slot::Name));
                }
            }
        }
        for caps in patterns.honorific_name.captures_iter(text) {
            original_slots.push((caps.get(1).expect("group 1").range(), Slot::Name));
        }
        // A sign-off is at the end: search the last SIGNATURE_TAIL bytes only (from a space, so
        // that a match starts as it would in the whole text), which bounds the cost per reply.
        let tail_start = signature_tail_start(text);
        let tail = &text[tail_start..];
        let found_signature = patterns
            .signature
            .captures(tail)
            .and_then(|caps| (1..=4).find_map(|g| caps.get(g)))
            .or_else(|| closing_signature(patterns, tail));
        {
            if let Some(m) = found_signature {
                if m.as_str().chars().count() <= MAX_SIGNATURE_CHARS
                    && !is_common_capitalised(m.as_str())
                {
                    let range = tail_start + m.start()..tail_start + m.end();
                    original_slots.push((range, Slot::Signature));
                }
            }
        }
        for (range, slot) in original_slots {
            if let Some(r) = to_folded(range) {
                if !found
                    .iter()
                    .any(|(f, _)| f.start < r.end && r.start < f.end)
                {
                    found.push((r, slot));
                }
            }
        }
        found.sort_by_key(|(r, _)| r.start);
        slots.extend(found);
    }

    /// Whether `folded` has a digit, `#` or `№` outside the slots `found`.
    ///
    /// Every match of the date and number patterns holds one of these. Where none is left outside
    /// the slots already found (most replies: their digits are in @handles and links), every match
    /// of those patterns would overlap a found slot and be dropped, so they need not run: that
    /// saves three of the eight passes over most texts, with the same slots.
    fn digit_outside_slots_oracle(folded: &str, found: &[(Range<usize>, Slot)]) -> bool {
        folded.char_indices().any(|(at, c)| {
            (c.is_numeric() || c == '#' || c == '№') && !found.iter().any(|(r, _)| r.contains(&at))
        })
    }

    #[test]
    fn slots_found_by_merging_equal_those_of_the_quadratic_finder() {
        let pieces = [
            "1",
            " ",
            "12:30",
            "@ann",
            "help@x.com",
            "www.a.com/x",
            "#A1",
            "Hi Tina,",
            " -Becky",
            "{{ticket.id}}",
            "27th dec",
            "é",
            "order",
            "3pm",
            "20/10/2024",
            ".",
            ", ",
            "\n",
            "ｗ",
            "Sorry Henry?",
            "#",
            "№5",
            "a.io",
            "{% if %}",
            " ^JK",
            "Kind regards - Rhys",
            "8am-9pm",
            "x1y2",
            "£80",
            "Ωmega",
            "Thanks! - Martin 4/4",
        ];
        let mut rng = crate::testing::XorShift(0x9e37_79b9_7f4a_7c15);
        let (mut scratch, mut new, mut old) = (Scratch::default(), Vec::new(), Vec::new());
        for round in 0..3000 {
            let len = 1 + rng.below(if round % 10 == 0 { 400 } else { 24 });
            let text: String = (0..len)
                .map(|_| pieces[rng.below(pieces.len() as u64) as usize])
                .collect();
            fold(&text, &mut scratch.folded, &mut scratch.origin);
            find_slots(
                crate::text::Path::Fast,
                &text,
                &scratch.folded,
                &scratch.origin,
                &mut new,
            );
            find_slots_oracle(&text, &scratch.folded, &scratch.origin, &mut old);
            assert_eq!(new, old, "{text:?}");
        }
    }

    #[test]
    fn slot_table() {
        let cases: &[(&str, &[&str])] = &[
            ("@115712 I understand", &["<user>", "I", "understand"]),
            ("see https://t.co/abc123 now", &["see", "<url>", "now"]),
            ("visit amazon.com/help today", &["visit", "<url>", "today"]),
            (
                "mail help@brand.co.uk please",
                &["mail", "<email>", "please"],
            ),
            ("order 123-456 arrived", &["order", "<num>", "arrived"]),
            ("case #A1B2 open", &["case", "<num>", "open"]),
            ("open 8am-9pm ET", &["open", "<date>", "<date>", "ET"]),
            ("released on 20/10", &["released", "on", "<date>"]),
            ("on 27th Dec ok", &["on", "<date>", "ok"]),
            ("at 11:30 sharp", &["at", "<date>", "sharp"]),
            ("Please DM us. ^JK", &["Please", "DM", "us", "<sig>"]),
            ("Please DM us. -Becky", &["Please", "DM", "us", "<sig>"]),
            ("Please DM us *SR", &["Please", "DM", "us", "<sig>"]),
            ("Please DM us /AB", &["Please", "DM", "us", "<sig>"]),
            ("Please DM us ~Tom", &["Please", "DM", "us", "<sig>"]),
            (
                "Have a great day-Mariya",
                &["Have", "a", "great", "day", "<sig>"],
            ),
            ("Kind regards - Rhys", &["Kind", "regards", "<sig>"]),
            ("Thanks! - Martin 4/4", &["Thanks", "<sig>", "<date>"]),
            ("Hi Tina, sorry", &["Hi", "<name>", "sorry"]),
            (
                "Oh no, Henry? Tell us",
                &["Oh", "no", "<name>", "Tell", "us"],
            ),
            ("Hi there, sorry", &["Hi", "there", "sorry"]),
            // Names and sign-offs longer than a name are words (16 and 20 chars at most).
            (
                "Hi Abcdefghijklmnopq, sorry",
                &["Hi", "Abcdefghijklmnopq", "sorry"],
            ),
            ("Hi Abcdefghijklmnop, sorry", &["Hi", "<name>", "sorry"]),
            (
                "Please DM us ^Abcdefghijklmnopqrst",
                &["Please", "DM", "us", "<sig>"],
            ),
            (
                "Please DM us ^Abcdefghijklmnopqrstu",
                &["Please", "DM", "us", "Abcdefghijklmnopqrstu"],
            ),
            ("well-known", &["well", "known"]),
            (
                "Hi {{ticket.requester.first_name}}, thanks",
                &["Hi", "<name>", "thanks"],
            ),
            (
                "case {{ticket.id}} at {{ticket.url}}",
                &["case", "<num>", "at", "<url>"],
            ),
            (
                "about {{ticket.title}} {% if x %}",
                &["about", "<field>", "<field>"],
            ),
            ("Cheers, {{current_user.first_name}}", &["Cheers", "<sig>"]),
            // The greetings and closings of the other stock languages; Chinese and Japanese names
            // before an honorific, and their agents' sign-offs.
            (
                "Hola Lucía, lo sentimos",
                &["Hola", "<name>", "lo", "sentimos"],
            ),
            ("Olá Bruno, tudo bem", &["Olá", "<name>", "tudo", "bem"]),
            ("Bonjour Léa, merci", &["Bonjour", "<name>", "merci"]),
            ("Hallo Jonas, danke", &["Hallo", "<name>", "danke"]),
            ("Ciao Giulia, grazie", &["Ciao", "<name>", "grazie"]),
            ("Hoi Sanne, bedankt", &["Hoi", "<name>", "bedankt"]),
            ("Un saludo, Marta", &["Un", "saludo", "<sig>"]),
            ("Viele Grüße, Lena", &["Viele", "Grüße", "<sig>"]),
            (
                "Met vriendelijke groet, Kees",
                &["Met", "vriendelijke", "groet", "<sig>"],
            ),
            ("Cordialement, Yann", &["Cordialement", "<sig>"]),
            ("田中様、お荷物", &["<name>", "様", "お", "荷", "物"]),
            ("王女士，您好", &["<name>", "女", "士", "您", "好"]),
            ("请稍等。客服小王", &["请", "稍", "等", "客", "服", "<sig>"]),
        ];
        for (text, expected) in cases {
            assert_eq!(words(text), *expected, "text: {text:?}");
        }
    }

    #[test]
    fn every_text_a_slot_pattern_matches_passes_its_cheap_test() {
        let mut texts: Vec<String> = include_str!("../stock/en.txt")
            .lines()
            .map(str::to_string)
            .collect();
        texts.extend(
            [
                "mail help@example.co.uk or see https://t.co/ab.c and www.x.org/a",
                "example.com/help, bit.ly/x, a.b.c.io. end.",
                "@ann hi @115712 #A1B2 £80 on 27th dec at 8.30pm, 20/10/2024",
                "sentences. end here. none.",
                "x@y.z, @, ://, www., .c",
            ]
            .map(str::to_string),
        );
        let mut folded = String::new();
        let mut origin = Vec::new();
        for text in &texts {
            fold(text, &mut folded, &mut origin);
            for (re, slot, _, needs, _) in &patterns().folded {
                if re.is_match(&folded) {
                    assert!(needs(&folded), "{slot:?} matches {folded:?}");
                }
            }
        }
    }

    /// Text in which the slot patterns' pieces run into each other, with characters past ASCII
    /// where the hand-written searches hand over to the regex.
    const PIECES: &str = "([a-z0-9_ .,:/<>@#\\-]|\u{e9}|\u{3000}|\u{a0}|\u{2019}|\u{1F44D}|https?://|www\\.|@ann|\\.com|help@x\\.co|12:30| 3rd| may ){0,20}";

    proptest::proptest! {
        /// Each slot pattern's cheap test passes every text the pattern matches.
        #[test]
        fn cheap_tests_pass_every_match(text in PIECES) {
            for (re, slot, _, needs, _) in &patterns().folded {
                if re.is_match(&text) {
                    proptest::prop_assert!(needs(&text), "{:?} matches {:?}", slot, text);
                }
            }
        }

        /// The hand-written searches find the matches of their regexes (their oracle), or hand
        /// the text over.
        #[test]
        fn hand_written_searches_equal_their_regexes(text in PIECES) {
            for (re, slot, _, _, hand) in &patterns().folded {
                let Some(find) = hand else { continue };
                let mut ranges = Vec::new();
                if find(&text, &mut ranges) {
                    let want: Vec<Range<usize>> = re.find_iter(&text).map(|m| m.range()).collect();
                    proptest::prop_assert_eq!(&ranges, &want, "{:?} in {:?}", slot, text);
                }
            }
        }
    }

    /// ASCII text ending as a sign-off might: text, a mark or a closing, a name, then what may
    /// follow a sign-off (and what may not).
    const SIGNATURE_PIECES: &str = "( |x|1|_|day|A\\.|,|\\.|Regards|thanks){0,4}( |\\^|\\*|~|-|/|x-|\\.-|rEgArDs|THANK YOU|Thank you|cheers,|Best!|sincerely\\.|kelvin)( |\t|\n|\x0B|-|,)?(JK|Tom|Ann|becky|A\\.B|Zo)( |\t|\n|\x0B|\x0C|\r|\\^|`|\\)|\\(|\\]|\\}|:|;|12/3|1/22|https://t\\.co/x|http://|x|\\.|!|_|\\[){0,4}";

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The ASCII sign-off pattern matches ASCII text as the Unicode one does: the same
        /// match, and the same groups.
        #[test]
        fn ascii_signature_equals_the_unicode_one(text in SIGNATURE_PIECES) {
            let p = patterns();
            let unicode = p.signature.captures(&text);
            let ascii = p.signature_ascii.captures(text.as_bytes());
            let groups = |get: &dyn Fn(usize) -> Option<Range<usize>>| (0..5).map(get).collect::<Vec<_>>();
            proptest::prop_assert_eq!(
                unicode.map(|c| groups(&|g| c.get(g).map(|m| m.range()))),
                ascii.map(|c| groups(&|g| c.get(g).map(|m| m.range()))),
                "{:?}", text
            );
        }
    }

    #[test]
    fn hand_written_search_table() {
        let handles: &[(&str, Option<&[&str]>)] = &[
            (
                "@ann and @bob_2, @@x @ @_ a@b",
                Some(&["@ann", "@bob_2", "@x", "@_", "@b"]),
            ),
            ("@caf\u{e9}", None),
            ("@\u{e9}", None),
            ("@ann\u{2019}s", None),
            ("", Some(&[])),
        ];
        for &(text, want) in handles {
            let mut got = Vec::new();
            let found = find_handles(text, &mut got)
                .then(|| got.iter().map(|r| &text[r.clone()]).collect::<Vec<_>>());
            assert_eq!(found.as_deref(), want, "{text:?}");
        }
        let links: &[(&str, &[&str])] = &[
            (
                "see https://t.co/x, or www.x.org/a<b>",
                &["https://t.co/x,", "www.x.org/a"],
            ),
            (
                "http:// x https:/ www. wwww.y http://\u{e9}\u{a0}z",
                &["www.y", "http://\u{e9}"],
            ),
            ("hhttp://a httpss://b", &["http://a"]),
        ];
        for &(text, want) in links {
            let mut got = Vec::new();
            assert!(find_links(text, &mut got));
            let got: Vec<&str> = got.iter().map(|r| &text[r.clone()]).collect();
            assert_eq!(got, want, "{text:?}");
        }
    }
}
