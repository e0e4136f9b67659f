//! `PAYMATCH_SHOP_CONTACT`: how a customer reaches the shop, shown on payment pages where the
//! customer may need the shop. Read once, so each page links it the way that fits.

/// Longest contact kept: a Messenger link with its parameters fits.
const MAX_LEN: usize = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShopContact {
    /// As written, and the `tel:` number (digits and a leading `+`).
    Phone {
        shown: String,
        tel: String,
    },
    Email(String),
    /// An http(s) link: Zalo (`https://zalo.me/…`), Messenger (`https://m.me/…`), a page.
    Link(String),
    /// Anything else, shown as text.
    Text(String),
}

impl ShopContact {
    pub fn parse(value: Option<&str>) -> Result<Option<ShopContact>, String> {
        let Some(text) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if text.chars().count() > MAX_LEN || text.chars().any(char::is_control) {
            return Err(format!(
                "is at most {MAX_LEN} characters on one line (a phone number, an e-mail address or a link)"
            ));
        }
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let phone_like = text
            .chars()
            .all(|c| c.is_ascii_digit() || " .-()+".contains(c))
            && (8..=15).contains(&digits.len());
        Ok(Some(if phone_like {
            let plus = if text.starts_with('+') { "+" } else { "" };
            ShopContact::Phone {
                shown: text.to_owned(),
                tel: format!("{plus}{digits}"),
            }
        } else if reqwest::Url::parse(text)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        {
            ShopContact::Link(text.to_owned())
        } else if text.split('@').count() == 2
            && !text.contains(char::is_whitespace)
            && text.split('@').all(|p| !p.is_empty())
        {
            ShopContact::Email(text.to_owned())
        } else {
            ShopContact::Text(text.to_owned())
        }))
    }

    /// What the page shows.
    pub fn shown(&self) -> &str {
        match self {
            ShopContact::Phone { shown, .. } => shown,
            ShopContact::Email(text) | ShopContact::Link(text) | ShopContact::Text(text) => text,
        }
    }

    /// Where a tap on it leads, if anywhere.
    pub fn href(&self) -> Option<String> {
        match self {
            ShopContact::Phone { tel, .. } => Some(format!("tel:{tel}")),
            ShopContact::Email(address) => Some(format!("mailto:{address}")),
            ShopContact::Link(url) => Some(url.clone()),
            ShopContact::Text(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn href(text: &str) -> Option<String> {
        ShopContact::parse(Some(text)).unwrap().unwrap().href()
    }

    #[test]
    fn each_kind_links_as_it_fits() {
        assert_eq!(href("0901 234 567").as_deref(), Some("tel:0901234567"));
        assert_eq!(href("+84 901.234.567").as_deref(), Some("tel:+84901234567"));
        assert_eq!(
            href("shop@example.vn").as_deref(),
            Some("mailto:shop@example.vn")
        );
        assert_eq!(
            href("https://zalo.me/0901234567").as_deref(),
            Some("https://zalo.me/0901234567")
        );
        assert_eq!(href("Zalo 0901 234 567"), None);
        // A link that is not the web is text, not something to follow.
        assert_eq!(href("javascript:alert(1)"), None);
        assert_eq!(href("12345"), None);
    }

    #[test]
    fn empty_is_none_and_a_second_line_is_refused() {
        assert_eq!(ShopContact::parse(Some("  ")), Ok(None));
        assert!(ShopContact::parse(Some("0901\n<b>")).is_err());
        assert!(ShopContact::parse(Some(&"9".repeat(301))).is_err());
    }
}
