//! Text as a person reads it: compatibility forms are their plain letters and digits,
//! invisible characters are not there, and a letter or digit of any script glued on the right
//! of a code makes a longer token that never pays the shorter code (`DH7712` and `DH77123` can
//! both be open in a shop with sequential codes).

use proptest::prelude::*;

use super::{candidates, code, decide_with, order};
use crate::domain::OrderStatus;
use crate::matching::{normalise, MatchDecision, Patterns};

/// Shapes seen from phone keyboards, chat apps and bank systems, with the codes they yield.
const UNICODE_SHAPES: &[(&str, &[&str])] = &[
    ("Thanh toan ＤＨ１２３", &["DH123"]),
    ("Thanh toan ｄｈ－１２３", &["DH123"]),
    ("Thanh toan DH7712３", &["DH77123"]),
    ("Thanh toan DH7712³", &["DH77123"]),
    ("Thanh toan DH7712₃ GD 1234", &["DH77123"]),
    ("Thanh toan DH7712\u{200b}3", &["DH77123"]),
    ("Thanh toan DH7712\u{200d}\u{2060}3", &["DH77123"]),
    ("Thanh toan DH7712\u{feff}3", &["DH77123"]),
    ("Thanh toan DH7712\u{00ad}3", &["DH77123"]),
    ("Thanh toan DH7712\u{200f}3", &["DH77123"]),
    ("Thanh toan D\u{200b}H7712", &["DH7712"]),
    ("\u{feff}DH7712 chuyen tien", &["DH7712"]),
    ("Thanh toan DH7712\u{200b} chuyen tien", &["DH7712"]),
    ("Thanh toan DH7712\n3", &["DH7712"]),
    ("Thanh toan DH7712٣", &[]),
    ("Thanh toan DH7712\u{200b}٣", &[]),
    ("Thanh toan DH7712३", &[]),
    ("Thanh toan DH7712১", &[]),
    ("Thanh toan DH7712Я", &[]),
    ("Thanh toan DH7712中", &[]),
    ("Thanh toan DH7712ø", &[]),
    ("Thanh toan DH7712\u{3164}3", &["DH77123"]),
    ("Thanh toan DH7712⑴", &[]),
    ("Thanh toan DH7712½", &[]),
    ("Thanh toan DH7712Ⅲ", &[]),
    ("Thanh toan ĐH７７１２ nhé", &["DH7712"]),
];

#[test]
fn every_unicode_shape_yields_its_codes() {
    for (description, want) in UNICODE_SHAPES {
        assert_eq!(&candidates(description), want, "{description:?}");
    }
}

#[test]
fn a_glued_character_never_pays_the_shorter_code() {
    let orders = [
        order("DH7712", OrderStatus::Pending),
        order("DH77123", OrderStatus::Pending),
    ];
    for (description, want) in UNICODE_SHAPES {
        let decision = decide_with(description, "100", &orders);
        // Only a description in which a person reads `DH7712` pays it.
        assert_eq!(
            decision == MatchDecision::Matched(code("DH7712")),
            *want == ["DH7712"],
            "{description:?}: {decision:?}"
        );
    }
}

#[test]
fn a_shops_own_pattern_never_reads_a_shorter_code_past_a_foreign_digit() {
    let patterns = Patterns::compile(&[
        r"(?P<code>DH\d+)".to_owned(),
        r"(?P<code>SO[0-9]+)".to_owned(),
        r"(?P<code>KH\w+)".to_owned(),
    ])
    .unwrap();
    for (text, shorter) in [
        ("DH12٣", "DH12"),
        ("SO12٣ x", "SO12"),
        ("SO12\u{200b}٣", "SO12"),
        ("KH12я", "KH12"),
        ("KH1Ⅻ", "KH1"),
    ] {
        let found = patterns.candidates(&normalise(text));
        assert!(!found.contains(&code(shorter)), "{text:?}: {found:?}");
    }
    // The same patterns on ASCII, fullwidth and invisible-laden text still read their codes.
    assert_eq!(
        patterns.candidates(&normalise("ｄｈ１２ so\u{200b}34 kh5")),
        [code("DH12"), code("SO34"), code("KH5")]
    );
}

/// A letter or digit a person would read as more of the token: ASCII, fullwidth,
/// superscript and subscript, circled, and letters and digits of other scripts.
fn glued() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::char::range('0', '9'),
        prop::char::range('A', 'Z'),
        prop::char::range('a', 'z'),
        prop::char::range('０', '９'),
        prop::char::range('Ａ', 'Ｚ'),
        prop::char::range('ａ', 'ｚ'),
        prop::sample::select(vec!['¹', '²', '³', '⁴', '⁰', '⁹', '₀', '₅', 'ᵃ', 'ᴮ', 'ⁿ']),
        prop::char::range('①', '⒇'),   // circled and parenthesised
        prop::char::range('٠', '٩'),   // Arabic-Indic
        prop::char::range('۰', '۹'),   // Extended Arabic-Indic
        prop::char::range('०', '९'),   // Devanagari
        prop::char::range('০', '৯'),   // Bengali
        prop::char::range('๐', '๙'),   // Thai
        prop::char::range('А', 'я'),   // Cyrillic
        prop::char::range('Α', 'Ρ'),   // Greek
        prop::char::range('一', '龥'), // CJK
        prop::char::range('가', '힣'), // Hangul
        prop::char::range('Ⅰ', 'Ⅻ'),   // Roman numerals
        prop::sample::select(vec!['ø', 'Ø', 'ł', 'ß', 'þ', 'ð', 'æ', 'ı']),
        prop::char::range('𝟎', '𝟗'), // mathematical bold digits
    ]
}

/// What may sit between the code and the glued character without a person seeing it.
fn invisible() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{feff}',
            '\u{200e}',
            '\u{200f}',
            '\u{202a}',
            '\u{202c}',
            '\u{2066}',
            '\u{2069}',
            '\u{00ad}',
            '\u{034f}',
            '\u{180e}',
            '\u{fe0f}',
            '\u{e0020}',
        ]),
        0..4,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn a_code_followed_by_any_letter_or_digit_never_pays_that_code(
        digits in "[1-9][0-9]{0,8}",
        spelled in prop_oneof![Just("DH"), Just("dh"), Just("ĐH"), Just("ＤＨ")],
        gap in invisible(),
        x in glued(),
        before in "[a-zA-Z ]{0,12}",
        after in prop_oneof![Just(""), Just(" chuyen tien"), Just(".CT tu 0123"), Just("/MAC/")],
    ) {
        let target = format!("DH{digits}");
        let description = format!("{before} {spelled}{digits}{gap}{x}{after}");
        let orders = [order(&target, OrderStatus::Pending)];
        let decision = decide_with(&description, "100", &orders);
        prop_assert_ne!(decision, MatchDecision::Matched(code(&target)), "{:?}", description);
        prop_assert!(
            !candidates(&description).contains(&target),
            "{:?} read {:?}", description, candidates(&description)
        );
    }

    #[test]
    fn invisible_characters_inside_a_code_change_nothing(
        digits in "[1-9][0-9]{0,8}",
        gaps in prop::collection::vec(invisible(), 12),
    ) {
        let target = format!("DH{digits}");
        let spelled: String = target
            .chars()
            .zip(&gaps)
            .map(|(c, gap)| format!("{c}{gap}"))
            .collect();
        let description = format!("Thanh toan {spelled} chuyen tien");
        prop_assert_eq!(candidates(&description), vec![target.clone()], "{:?}", description);
    }
}
