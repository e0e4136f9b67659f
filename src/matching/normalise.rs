//! Descriptions are compared without diacritics and in upper case: banks and customers drop or
//! keep accents at random (`đơn hàng`, `don hang`, `ĐƠN HÀNG`).

use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

pub fn normalise(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'D',
            _ => c,
        })
        .flat_map(char::to_uppercase)
        .collect()
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
}
