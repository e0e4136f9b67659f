//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): header
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, so that shops can check
//! our notifications with any of that specification's libraries.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use constant_time_eq::constant_time_eq;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SECRET_PREFIX: &str = "whsec_";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifySecretError {
    #[error("the notification secret must start with `whsec_`")]
    MissingPrefix,
    #[error("the notification secret must be `whsec_` followed by standard base64")]
    NotBase64,
    #[error("the notification secret holds no key after `whsec_`")]
    Empty,
}

/// Signs and checks notifications with the key of a `whsec_…` secret.
#[derive(Clone)]
pub struct NotifySigner {
    /// Keyed once; cloned for each message.
    keyed: Hmac<Sha256>,
}

// The key never reaches logs.
impl fmt::Debug for NotifySigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NotifySigner { key: [redacted] }")
    }
}

impl NotifySigner {
    /// Accepts exactly what the configuration accepts for `PAYMATCH_NOTIFY_SECRET`.
    pub fn new(secret: &str) -> Result<NotifySigner, NotifySecretError> {
        let encoded = secret
            .strip_prefix(SECRET_PREFIX)
            .ok_or(NotifySecretError::MissingPrefix)?;
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| NotifySecretError::NotBase64)?;
        if key.is_empty() {
            return Err(NotifySecretError::Empty);
        }
        // HMAC takes keys of any length, so this does not fail in practice.
        let keyed = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| NotifySecretError::Empty)?;
        Ok(NotifySigner { keyed })
    }

    /// The `webhook-signature` header value: `v1,<base64>`.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &str) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(msg_id, timestamp, body)))
    }

    /// True when one of the space-separated `v1,<base64>` entries of `header` signs this
    /// message. Entries of other versions are skipped. The timestamp's age is the caller's
    /// business.
    pub fn verify(&self, msg_id: &str, timestamp: i64, body: &str, header: &str) -> bool {
        let expected = self.mac(msg_id, timestamp, body);
        header
            .split_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|encoded| STANDARD.decode(encoded).ok())
            // No early exit: the time taken does not say which entry matched.
            .fold(false, |found, given| {
                constant_time_eq(&expected, &given) | found
            })
    }

    /// The `sig` of a return to the shop's `return_url`: base64url without padding of the
    /// HMAC of `code.status.amount_received.ts`, so a shop trusts the return without asking
    /// the API.
    pub fn sign_return(&self, code: &str, status: &str, amount_received: &str, ts: i64) -> String {
        URL_SAFE_NO_PAD.encode(self.mac_of(&[code, status, amount_received, &ts.to_string()]))
    }

    fn mac(&self, msg_id: &str, timestamp: i64, body: &str) -> Vec<u8> {
        self.mac_of(&[msg_id, &timestamp.to_string(), body])
    }

    /// The HMAC of the parts joined by `.`.
    fn mac_of(&self, parts: &[&str]) -> Vec<u8> {
        let mut mac = self.keyed.clone();
        for (at, part) in parts.iter().enumerate() {
            if at > 0 {
                mac.update(b".");
            }
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Standard Webhooks specification's published test vector.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &str = r#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    const RETURN_SIGNATURE: &str = "FEnI8gX484IbXh3RUh6t70mynvxK1bXo2HoN7Tkjgzo";

    fn signer() -> NotifySigner {
        NotifySigner::new(SECRET).unwrap()
    }

    #[test]
    fn reproduces_the_standard_webhooks_vector() {
        assert_eq!(signer().sign(MSG_ID, TIMESTAMP, BODY), SIGNATURE);
        assert!(signer().verify(MSG_ID, TIMESTAMP, BODY, SIGNATURE));
    }

    #[test]
    fn a_return_is_signed_as_the_contract_says() {
        // python3: base64.urlsafe_b64encode(hmac.new(base64.b64decode(SECRET[6:]),
        //   b"DH123.paid.150000.1764806400", sha256).digest()).rstrip(b"=")
        assert_eq!(
            signer().sign_return("DH123", "paid", "150000", 1_764_806_400),
            RETURN_SIGNATURE
        );
    }

    #[test]
    fn verify_refuses_any_change() {
        let s = signer();
        assert!(!s.verify(MSG_ID, TIMESTAMP, r#"{"test": 2432232315}"#, SIGNATURE));
        assert!(!s.verify("msg_other", TIMESTAMP, BODY, SIGNATURE));
        assert!(!s.verify(MSG_ID, TIMESTAMP + 1, BODY, SIGNATURE));
        let other = NotifySigner::new("whsec_c2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQ=").unwrap();
        assert!(!other.verify(MSG_ID, TIMESTAMP, BODY, SIGNATURE));
        for header in [
            "",
            "v1,",
            "v1,not base64!",
            "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1O==",
        ] {
            assert!(!s.verify(MSG_ID, TIMESTAMP, BODY, header), "{header:?}");
        }
    }

    #[test]
    fn verify_reads_several_signatures() {
        let s = signer();
        let header = format!("v1a,c29tZXRoaW5n v1,AAAA {SIGNATURE}");
        assert!(s.verify(MSG_ID, TIMESTAMP, BODY, &header));
        assert!(s.verify(MSG_ID, TIMESTAMP, BODY, &format!("  {SIGNATURE}  v1,AAAA")));
        assert!(!s.verify(MSG_ID, TIMESTAMP, BODY, "v1,AAAA v1,BBBB"));
    }

    #[test]
    fn malformed_secrets_are_refused() {
        assert_eq!(
            NotifySigner::new("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_err(),
            NotifySecretError::MissingPrefix
        );
        assert_eq!(
            NotifySigner::new("whsec_not base64!").unwrap_err(),
            NotifySecretError::NotBase64
        );
        assert_eq!(
            NotifySigner::new("whsec_").unwrap_err(),
            NotifySecretError::Empty
        );
        assert_eq!(
            NotifySigner::new("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_err(),
            NotifySecretError::MissingPrefix
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let shown = format!("{:?}", signer());
        assert!(!shown.contains("MfKQ"), "{shown}");
        assert!(shown.contains("redacted"));
    }
}
