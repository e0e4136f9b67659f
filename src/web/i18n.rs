//! Vietnamese and English for pages. The English text is the key; a text without a Vietnamese
//! entry shows in English (a test checks that every text the templates use has one).

use actix_web::HttpRequest;

mod texts;
mod texts_alerts;
mod texts_decisions;
mod texts_sales;
mod texts_users;
use texts::ENGLISH;

/// The Vietnamese of each English text, by part of the product.
const VIETNAMESE: [&[(&str, &str)]; 5] = [
    texts::VIETNAMESE,
    texts_sales::VIETNAMESE,
    texts_alerts::VIETNAMESE,
    texts_users::VIETNAMESE,
    texts_decisions::VIETNAMESE,
];

fn vietnamese(english: &str) -> Option<&'static str> {
    VIETNAMESE
        .iter()
        .flat_map(|table| table.iter())
        .find(|(en, _)| *en == english)
        .map(|(_, vi)| *vi)
}

pub const LANG_COOKIE: &str = "paymatch_lang";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The switch cookie first, then the browser's `Accept-Language` order; when neither says,
    /// `PAYMATCH_LANGUAGE` (Vietnamese unless set: the shop and its customers are in Vietnam).
    pub fn of(req: &HttpRequest) -> Lang {
        if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return lang;
        }
        let accepted = req
            .headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        accepted
            .split(',')
            .filter_map(|part| part.split(';').next())
            .map(|tag| tag.trim().to_ascii_lowercase())
            .find_map(|tag| Lang::parse(tag.split('-').next().unwrap_or("")))
            .unwrap_or_else(|| {
                let configured = req
                    .app_data::<actix_web::web::Data<crate::state::AppState>>()
                    .map(|state| state.settings.alerts.language);
                match configured {
                    Some(crate::config::Language::En) => Lang::En,
                    _ => Lang::Vi,
                }
            })
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    pub fn t(self, english: &'static str) -> &'static str {
        match self {
            Lang::En => ENGLISH
                .iter()
                .find(|(key, _)| *key == english)
                .map_or(english, |(_, text)| text),
            Lang::Vi => vietnamese(english).unwrap_or(english),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_in_the_templates_has_a_vietnamese_entry() {
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates"
        ))];
        let mut files = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path)
                } else {
                    files.push(path)
                }
            }
        }
        assert!(files.len() > 5);
        let marker = "t(\"";
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split(marker).skip(1) {
                let key = piece.split('"').next().unwrap();
                assert!(
                    vietnamese(key).is_some(),
                    "{}: no Vietnamese for {key:?}",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn looks_up_and_falls_back() {
        assert_eq!(Lang::Vi.t("Log in"), "Đăng nhập");
        assert_eq!(Lang::En.t("Log in"), "Log in");
        assert_eq!(Lang::Vi.t("untranslated"), "untranslated");
        assert_eq!(Lang::En.t("partially_paid"), "Partly paid");
        assert_eq!(Lang::Vi.t("partially_paid"), "thanh toán một phần");
    }
}
