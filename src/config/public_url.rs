//! `PAYMATCH_PUBLIC_URL`: where customers, providers and the owner reach paymatch. Every
//! absolute link paymatch writes starts with it, never with a request's `Host`, which whoever
//! sends the request chooses.

/// An absolute http(s) URL with a host and no user, query or fragment, without a trailing
/// slash; unset: links are written as paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicUrl {
    base: Option<String>,
    /// Whether `PAYMATCH_NOTIFY_URL` is set. Carried with the links because whatever records a
    /// shop notification writes them into it, and needs to know whether it goes anywhere.
    notify_fallback: bool,
}

impl PublicUrl {
    pub fn parse(value: Option<&str>) -> Result<PublicUrl, String> {
        let Some(text) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(PublicUrl::default());
        };
        let url = reqwest::Url::parse(text)
            .map_err(|e| format!("{text:?} is not an absolute URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(format!("{text:?} must be an http:// or https:// URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not hold a user name or password".to_owned());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{text:?} must have no query (?) or fragment (#)"));
        }
        Ok(PublicUrl {
            base: Some(url.as_str().trim_end_matches('/').to_owned()),
            notify_fallback: false,
        })
    }

    /// The same links, for a process whose `PAYMATCH_NOTIFY_URL` is `fallback`.
    pub fn with_notify_fallback(self, fallback: Option<&str>) -> PublicUrl {
        PublicUrl {
            notify_fallback: fallback.is_some(),
            ..self
        }
    }

    /// Whether an order with this `notify_url` has somewhere to send its notifications.
    pub fn notifies(&self, notify_url: Option<&str>) -> bool {
        notify_url.is_some() || self.notify_fallback
    }

    /// `path` (from its leading `/`) as a link: absolute when the public URL is set.
    pub fn link(&self, path: &str) -> String {
        match &self.base {
            Some(base) => format!("{base}{path}"),
            None => path.to_owned(),
        }
    }

    pub fn is_set(&self) -> bool {
        self.base.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(value: &str, path: &str) -> String {
        PublicUrl::parse(Some(value)).unwrap().link(path)
    }

    #[test]
    fn links_start_with_the_public_url() {
        let casso = "/webhooks/casso";
        assert_eq!(
            link("https://pay.example.vn", casso),
            "https://pay.example.vn/webhooks/casso"
        );
        assert_eq!(
            link(" https://Pay.Example.vn/ ", casso),
            "https://pay.example.vn/webhooks/casso"
        );
        assert_eq!(
            link("http://shop.example:8080/paymatch//", casso),
            "http://shop.example:8080/paymatch/webhooks/casso"
        );
        let unset = PublicUrl::parse(None).unwrap();
        assert_eq!(unset.link(casso), casso);
        assert!(!unset.is_set());
        assert_eq!(PublicUrl::parse(Some("")).unwrap(), unset);
    }

    #[test]
    fn anything_but_a_plain_http_url_is_refused() {
        for bad in [
            "pay.example.vn",
            "/pay",
            "ftp://pay.example.vn",
            "https://",
            "https://pay.example.vn/?x=1",
            "https://pay.example.vn/?",
            "https://pay.example.vn/#top",
            "https://user:pw@pay.example.vn",
            "mailto:owner@example.vn",
        ] {
            assert!(PublicUrl::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
