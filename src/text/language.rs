//! Languages: the [`Language`] of a text, and the stock vocabulary that tells it cheaply.
//!
//! # How a language is told, and why not by a language-identification crate alone
//!
//! Two well-kept crates identify languages: `whatlang` (trigram profiles of 69 languages,
//! small) and `lingua` (n-gram models of 75, large). Measured on 2,573 short texts of known
//! language (the stock lines of the nine corpora and the multilingual suites' replies and
//! customer messages; `cargo run --release --manifest-path eval/language-id/Cargo.toml`),
//! `whatlang` named 84.8% right (66% of the English stock lines; 89.4% when allowed only the nine
//! languages) at 100 to 180 µs a reply of the archive (26 to 42 µs allowed the nine), and `lingua`
//! restricted to the nine named 98.4% right at 520 to 930 µs a reply (about 7 ms with all its
//! languages). A report takes about 20 µs, so either crate on every draft and every indexed reply
//! would multiply the cost of both.
//!
//! The replies cannery judges draw on customer-service wording, which is what the stock
//! corpora hold; so the language of a text is first told by **the stock vocabulary**: each word
//! of the text votes for the stock corpora that use it (a word of one corpus counts 1, a word
//! of `k` corpora `1/k` each), and a language wins with at least one vote, a third of the text's
//! words, and half as many votes again as the next. The words are looked up anyway;
//! the vote costs a hash probe a word. A text the vote cannot place (too few stock words: a
//! language with no stock corpus, or a very short text) is handed to `whatlang`, which can name
//! any of its 69 languages, kept when it calls itself reliable, when the text is in a script other
//! than Latin (whatever it names then, the draft is in a language with no stock corpus, or in
//! Japanese or Chinese, which it tells by their scripts), or when it names a stock language (its
//! best guess; a draft is then judged as before). An unreliable guess of another language is
//! dropped, so that a draft is not called unjudged on a guess.
//!
//! Measured the same way, this names 98.9% of the texts right (557 of the 576 suites' texts,
//! which are not its vocabulary; `whatlang` 550, `lingua` 576) at 18 to 38 µs a reply of the
//! archive, tokenizing included. The index tells the language of each reply it holds by the vote
//! alone, so that the statistics of the words (how common a word is, whether it is stock wording)
//! are read among the replies of the draft's language.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;
use whatlang::Lang;

use super::Token;
use super::token::{TokenKind, is_slot_key};

/// The languages with a stock corpus, in the order of the corpora (a language's place here is
/// its slot, and its bit in a word's mask).
const STOCK_LANGUAGES: [Lang; STOCK_LANGUAGE_COUNT] = [
    Lang::Eng,
    Lang::Spa,
    Lang::Por,
    Lang::Fra,
    Lang::Deu,
    Lang::Ita,
    Lang::Nld,
    Lang::Jpn,
    Lang::Cmn,
];

/// How many languages have a stock corpus.
pub(crate) const STOCK_LANGUAGE_COUNT: usize = 9;

/// The slot of a reply whose language the vote could not tell.
pub(crate) const UNKNOWN_SLOT: u8 = STOCK_LANGUAGE_COUNT as u8;

/// The most bytes of a text that `whatlang` reads.
const WHATLANG_BYTES: usize = 2048;

/// The fewest votes a language needs to win (one word of its corpus alone: `Bonjour !`).
const MIN_VOTES: f64 = 1.0;

/// A natural language, as ISO 639 codes and names know it: one of the 69 that `whatlang`
/// identifies, nine of which have a stock corpus ([`has_stock`](Self::has_stock)).
///
/// ```
/// use cannery::Language;
/// let es = Language::from_code("es").unwrap();
/// assert_eq!((es.code(), es.name()), ("es", "Spanish"));
/// assert_eq!(Language::from_code("spa"), Some(es));
/// assert!(es.has_stock());
/// assert!(!Language::from_code("pl").unwrap().has_stock());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Language(Lang);

impl Language {
    /// The language's ISO 639-1 code (`en`, `es`, `zh`, ...).
    ///
    /// ```
    /// assert_eq!(cannery::Language::from_code("jpn").unwrap().code(), "ja");
    /// ```
    pub fn code(self) -> &'static str {
        iso_639_1(self.0)
    }

    /// The language's English name (`English`, `Spanish`, `Mandarin` for Chinese, ...).
    ///
    /// ```
    /// assert_eq!(cannery::Language::from_code("de").unwrap().name(), "German");
    /// ```
    pub fn name(self) -> &'static str {
        self.0.eng_name()
    }

    /// The language of an ISO 639-1 (`es`) or 639-3 (`spa`) code, in any case; `None` for a code
    /// of a language cannery does not know.
    ///
    /// ```
    /// use cannery::Language;
    /// assert_eq!(Language::from_code("PT").map(Language::code), Some("pt"));
    /// assert_eq!(Language::from_code("xx"), None);
    /// ```
    pub fn from_code(code: &str) -> Option<Language> {
        let code = code.trim().to_ascii_lowercase();
        Lang::all()
            .iter()
            .find(|&&l| iso_639_1(l) == code || l.code() == code)
            .map(|&l| Language(l))
    }

    /// Whether cannery has a built-in stock corpus in this language (English, Spanish,
    /// Portuguese, French, German, Italian, Dutch, Japanese and Chinese): whether a draft in it
    /// can be judged with no archive.
    ///
    /// ```
    /// assert!(cannery::Language::from_code("nl").unwrap().has_stock());
    /// ```
    pub fn has_stock(self) -> bool {
        self.slot().is_some()
    }

    /// The language of `text`, as a report tells it (see the module docs of `text::language`:
    /// the stock vocabulary's vote, else `whatlang`); `None` when it cannot be told.
    ///
    /// ```
    /// use cannery::Language;
    /// let told = |text| Language::detect(text).map(Language::code);
    /// assert_eq!(told("Wir melden uns so schnell wie möglich bei dir."), Some("de"));
    /// assert_eq!(told("感谢您的耐心等待。"), Some("zh"));
    /// assert_eq!(told("👍"), None);
    /// ```
    pub fn detect(text: &str) -> Option<Language> {
        let (text, _) = super::capped(text);
        identify(text, &super::tokenize(text))
    }

    /// The languages with a built-in stock corpus, in the corpora's order.
    ///
    /// ```
    /// let codes: Vec<&str> = cannery::Language::with_stock().map(|l| l.code()).collect();
    /// assert_eq!(codes, ["en", "es", "pt", "fr", "de", "it", "nl", "ja", "zh"]);
    /// ```
    pub fn with_stock() -> impl ExactSizeIterator<Item = Language> {
        STOCK_LANGUAGES.into_iter().map(Language)
    }

    /// The language's slot among the stock languages, if it has a corpus.
    pub(crate) fn slot(self) -> Option<u8> {
        STOCK_LANGUAGES
            .iter()
            .position(|&l| l == self.0)
            .map(|s| s as u8)
    }

    /// The stock language of slot `slot` (`None` for [`UNKNOWN_SLOT`]).
    pub(crate) fn of_slot(slot: u8) -> Option<Language> {
        STOCK_LANGUAGES.get(slot as usize).copied().map(Language)
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Language {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Language {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Language::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown language code {code:?}")))
    }
}

/// The ISO 639-1 code of each language `whatlang` knows (all of them have one).
fn iso_639_1(lang: Lang) -> &'static str {
    use Lang::*;
    match lang {
        Epo => "eo",
        Eng => "en",
        Rus => "ru",
        Cmn => "zh",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Ben => "bn",
        Fra => "fr",
        Deu => "de",
        Ukr => "uk",
        Kat => "ka",
        Ara => "ar",
        Hin => "hi",
        Jpn => "ja",
        Heb => "he",
        Yid => "yi",
        Pol => "pl",
        Amh => "am",
        Jav => "jv",
        Kor => "ko",
        Nob => "nb",
        Dan => "da",
        Swe => "sv",
        Fin => "fi",
        Tur => "tr",
        Nld => "nl",
        Hun => "hu",
        Ces => "cs",
        Ell => "el",
        Bul => "bg",
        Bel => "be",
        Mar => "mr",
        Kan => "kn",
        Ron => "ro",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Tam => "ta",
        Vie => "vi",
        Urd => "ur",
        Tha => "th",
        Guj => "gu",
        Uzb => "uz",
        Pan => "pa",
        Aze => "az",
        Ind => "id",
        Tel => "te",
        Pes => "fa",
        Mal => "ml",
        Ori => "or",
        Mya => "my",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Tuk => "tk",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Slk => "sk",
        Cat => "ca",
        Tgl => "tl",
        Hye => "hy",
        Cym => "cy",
    }
}

/// For each word key of the stock corpora, the stock languages that use it (bit `slot`).
static VOCABULARY: LazyLock<FxHashMap<u32, u16>> = LazyLock::new(|| {
    let mut masks: FxHashMap<u32, u16> = FxHashMap::default();
    for (slot, (_, file)) in crate::stock::CORPORA.iter().enumerate() {
        for reply in crate::stock::replies_of(file) {
            for t in super::tokenize(reply) {
                if t.kind() == TokenKind::Word {
                    *masks.entry(t.key()).or_default() |= 1 << slot;
                }
            }
        }
    }
    masks
});

/// The stock languages that use word `key` (bit `slot` each; 0 for a word of none).
pub(crate) fn stock_mask(key: u32) -> u16 {
    VOCABULARY.get(&key).copied().unwrap_or(0)
}

/// The slot of the stock language whose vocabulary the token keys `keys` draw on (see the
/// module docs), or [`UNKNOWN_SLOT`].
pub(crate) fn vote(keys: impl IntoIterator<Item = u32>) -> u8 {
    let mut votes = [0.0f64; STOCK_LANGUAGE_COUNT];
    let mut words = 0usize;
    for key in keys {
        if is_slot_key(key) {
            continue;
        }
        words += 1;
        let mask = stock_mask(key);
        if mask == 0 {
            continue;
        }
        let share = 1.0 / f64::from(mask.count_ones());
        for (slot, v) in votes.iter_mut().enumerate() {
            if mask & (1 << slot) != 0 {
                *v += share;
            }
        }
    }
    let (mut best, mut first, mut second) = (UNKNOWN_SLOT, 0.0f64, 0.0f64);
    for (slot, &v) in votes.iter().enumerate() {
        if v > first {
            (second, first, best) = (first, v, slot as u8);
        } else if v > second {
            second = v;
        }
    }
    let placed = first >= MIN_VOTES && 3.0 * first >= words as f64 && first >= 1.5 * second;
    if placed { best } else { UNKNOWN_SLOT }
}

/// The language of `text`, whose tokens are `tokens`: the stock vocabulary's vote, else
/// `whatlang`'s identification when it calls itself reliable, the script is not Latin, or it names
/// a stock language.
pub(crate) fn identify(text: &str, tokens: &[Token]) -> Option<Language> {
    let slot = vote(
        tokens
            .iter()
            .filter(|t| t.kind() == TokenKind::Word)
            .map(Token::key),
    );
    Language::of_slot(slot).or_else(|| {
        // Its first bytes tell a reply's language; whatlang's cost grows with the text.
        let sample = &text[..super::floor_char_boundary(text, WHATLANG_BYTES)];
        whatlang::detect(sample)
            .filter(|info| {
                info.is_reliable()
                    || info.script() != whatlang::Script::Latin
                    || Language(info.lang()).has_stock()
            })
            .map(|info| Language(info.lang()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every stock line is placed in its own corpus's language by the vote or by `whatlang`,
    /// but for a few short ones (measured: the share below).
    #[test]
    fn the_stock_lines_are_told_their_language() {
        let (mut right, mut all) = (0, 0);
        for (code, file) in crate::stock::CORPORA {
            for reply in crate::stock::replies_of(file) {
                all += 1;
                let told = identify(reply, &crate::text::tokenize(reply));
                right += usize::from(told.map(Language::code) == Some(code));
            }
        }
        assert!(right * 100 >= all * 97, "{right} of {all}");
    }

    /// A table of texts and the language each is told: a code, `-` for a language with no
    /// stock corpus (which one `whatlang` names is its business), or none.
    #[test]
    fn texts_and_their_languages() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Please send us a DM with your order number.", Some("en")),
            (
                "Por favor, envíanos un mensaje privado con tu número de pedido.",
                Some("es"),
            ),
            (
                "Olá! Pode nos informar o número do pedido, por favor?",
                Some("pt"),
            ),
            (
                "Merci de nous envoyer votre numéro de commande en message privé.",
                Some("fr"),
            ),
            (
                "Bitte schick uns deine Bestellnummer per Direktnachricht.",
                Some("de"),
            ),
            (
                "Scrivici in privato il numero d'ordine, per favore.",
                Some("it"),
            ),
            ("Stuur ons je ordernummer via een privébericht.", Some("nl")),
            ("ご注文番号をDMでお送りください。", Some("ja")),
            ("请私信提供您的订单号。", Some("zh")),
            ("Bonjour !", Some("fr")),
            (
                "Prosimy o przesłanie numeru zamówienia w wiadomości prywatnej.",
                Some("-"),
            ),
            (
                "Пожалуйста, пришлите нам номер заказа в личные сообщения.",
                Some("-"),
            ),
            ("주문 번호를 다이렉트 메시지로 보내 주세요.", Some("-")),
            ("", None),
            ("12345", None),
        ];
        for &(text, code) in cases {
            let told = identify(text, &crate::text::tokenize(text))
                .map(|l| if l.has_stock() { l.code() } else { "-" });
            assert_eq!(told, code, "{text}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for &l in Lang::all() {
            let language = Language(l);
            assert_eq!(Language::from_code(language.code()), Some(language));
            assert_eq!(Language::from_code(l.code()), Some(language));
            assert_eq!(language.code().len(), 2);
        }
        for (slot, language) in Language::with_stock().enumerate() {
            assert_eq!(language.slot(), Some(slot as u8));
            assert_eq!(language.code(), crate::stock::CORPORA[slot].0);
        }
    }
}
