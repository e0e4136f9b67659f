//! The one reading of text, used by the matcher and the admin's search alike: text as a person
//! sees it. Banks and customers drop or keep accents at random (`đơn hàng`, `don hang`,
//! `ĐƠN HÀNG`); phone keyboards and chat apps add fullwidth forms (`ＤＨ１２３`), superscripts
//! and invisible characters (zero-width spaces, joiners, direction marks, soft hyphens). A rule
//! written for ASCII would read `DH7712` out of `DH7712` + zero-width space + `3`, which a
//! person reads as `DH77123`: the wrong order.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Characters that show nothing (Unicode's Default_Ignorable_Code_Point: format characters
/// such as ZWSP, ZWJ, ZWNJ, word joiner, BOM, direction marks, soft hyphen; Hangul fillers;
/// variation selectors), and control characters (`\n`, `\t`, NUL), which read as a space.
static INVISIBLE_OR_CONTROL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{Default_Ignorable_Code_Point}\p{Cc}]").expect("the class compiles")
});

/// Invisible characters removed, control characters turned into spaces, compatibility forms
/// to their plain letters and digits (NFKD: fullwidth `Ｄ` is `D`, `³` is `3`), diacritics
/// removed (`Đ` becomes `D`), upper case.
pub fn normalise(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    for c in visible(text).chars() {
        push_plain(c, &mut plain);
    }
    plain
        .chars()
        .map(|c| match c {
            'đ' | 'Đ' => 'D',
            _ => c,
        })
        .flat_map(char::to_uppercase)
        // Upper-casing can bring a mark back (`ǰ` is `J` and a caron).
        .filter(|c| !is_combining_mark(*c))
        .collect()
}

fn visible(text: &str) -> Cow<'_, str> {
    INVISIBLE_OR_CONTROL.replace_all(text, |found: &Captures| {
        if found[0].chars().all(char::is_control) {
            " "
        } else {
            ""
        }
    })
}

/// `c` in its compatibility decomposition without marks; but a letter or digit whose
/// decomposition is not only letters and digits (`⑴` is `(1)`, `½` is `1⁄2`) stays itself,
/// so that glued to a code it still reads as part of the token, as a person sees it.
fn push_plain(c: char, out: &mut String) {
    let start = out.len();
    decompose_compatible(c, |part| {
        if !is_combining_mark(part) {
            out.push(part);
        }
    });
    if c.is_alphanumeric() && !out[start..].chars().all(char::is_alphanumeric) {
        out.truncate(start);
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn strips_vietnamese_diacritics_and_upper_cases() {
        assert_eq!(
            normalise("Thanh toán đơn hàng DH1234"),
            "THANH TOAN DON HANG DH1234"
        );
        assert_eq!(normalise("ĐH1234"), "DH1234");
        assert_eq!(normalise("Nguyễn Văn Ầ ữ ự ỹ"), "NGUYEN VAN A U U Y");
        assert_eq!(normalise("dh1234 chuyen tien"), "DH1234 CHUYEN TIEN");
        assert_eq!(normalise(""), "");
    }

    #[test]
    fn precomposed_and_decomposed_forms_agree() {
        let precomposed = "Đơn hàng";
        let decomposed: String =
            unicode_normalization::UnicodeNormalization::nfd(precomposed).collect();
        assert_eq!(normalise(precomposed), normalise(&decomposed));
    }

    #[test]
    fn compatibility_forms_read_as_their_plain_letters_and_digits() {
        // Fullwidth letters and digits (phone keyboards in CJK or fullwidth mode).
        assert_eq!(normalise("ＤＨ１２３"), "DH123");
        assert_eq!(normalise("ｄｈ７７１２"), "DH7712");
        // Superscripts, subscripts, circled and mathematical forms.
        assert_eq!(normalise("DH12³"), "DH123");
        assert_eq!(normalise("DH12₃"), "DH123");
        assert_eq!(normalise("DH12③"), "DH123");
        assert_eq!(normalise("𝐃𝐇𝟏𝟐𝟑"), "DH123");
        assert_eq!(normalise("ᴰᴴ123"), "DH123");
        // Ligatures and compatibility spaces.
        assert_eq!(normalise("ﬁnal"), "FINAL");
        assert_eq!(normalise("DH\u{a0}123\u{3000}x"), "DH 123 X");
    }

    #[test]
    fn invisible_characters_are_removed() {
        for invisible in [
            '\u{200b}',  // zero-width space
            '\u{200c}',  // zero-width non-joiner
            '\u{200d}',  // zero-width joiner
            '\u{2060}',  // word joiner
            '\u{feff}',  // byte-order mark / zero-width no-break space
            '\u{200e}',  // left-to-right mark
            '\u{200f}',  // right-to-left mark
            '\u{202a}',  // left-to-right embedding
            '\u{202e}',  // right-to-left override
            '\u{2066}',  // left-to-right isolate
            '\u{2069}',  // pop directional isolate
            '\u{061c}',  // Arabic letter mark
            '\u{00ad}',  // soft hyphen
            '\u{034f}',  // combining grapheme joiner
            '\u{180e}',  // Mongolian vowel separator
            '\u{fe0f}',  // variation selector
            '\u{3164}',  // Hangul filler
            '\u{ffa0}',  // halfwidth Hangul filler
            '\u{e0041}', // tag letter A
        ] {
            let text = format!("DH7712{invisible}3");
            assert_eq!(normalise(&text), "DH77123", "{:04X}", invisible as u32);
            let text = format!("D{invisible}H{invisible}12");
            assert_eq!(normalise(&text), "DH12", "{:04X}", invisible as u32);
        }
    }

    #[test]
    fn control_characters_read_as_spaces() {
        assert_eq!(normalise("DH7712\n3"), "DH7712 3");
        assert_eq!(normalise("DH7712\t3"), "DH7712 3");
        assert_eq!(normalise("DH7712\r\n3"), "DH7712  3");
        assert_eq!(normalise("a\0b\u{7f}c\u{85}d"), "A B C D");
    }

    #[test]
    fn digits_and_letters_of_other_scripts_are_kept() {
        // Not compatibility forms: they stay what they are, so a code glued to them is a
        // longer token (the patterns' boundary), never the shorter code.
        assert_eq!(normalise("DH7712٣"), "DH7712٣");
        assert_eq!(normalise("DH7712३"), "DH7712३");
        assert_eq!(normalise("DH7712я"), "DH7712Я");
        assert_eq!(normalise("DH7712中"), "DH7712中");
        // Letters and digits whose compatibility form holds punctuation stay whole.
        assert_eq!(normalise("DH7712⑴"), "DH7712⑴");
        assert_eq!(normalise("DH7712½"), "DH7712½");
    }

    #[test]
    fn idempotent_on_hostile_text() {
        for text in [
            "ＤＨ１２３\u{200b}４",
            "ǰ ΐ ß ŉ ﬀ ǅ",
            "\u{0}\u{1f}\u{7f}",
            "½ ⅷ ㍱ ㋿",
        ] {
            let once = normalise(text);
            assert_eq!(normalise(&once), once, "{text:?}");
        }
    }
}
