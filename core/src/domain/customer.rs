//! Who an order is for: a name, a phone number and an e-mail address, each optional. The shop
//! sees them (admin, API, exports, search); the public payment page never does.

/// Longest name, phone or e-mail kept.
pub const MAX_FIELD_LEN: usize = 255;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Customer {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    #[error("the customer's {0} is at most 255 characters")]
    TooLong(&'static str),
    #[error("the customer's name holds a control character")]
    BadName,
    #[error("a phone number is digits, with an optional leading + and spaces")]
    BadPhone,
    #[error("an e-mail address is one @ between a name and a domain, without spaces")]
    BadEmail,
}

impl CustomerError {
    /// The form's and the CSV's name of the field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            CustomerError::TooLong("name") | CustomerError::BadName => "customer_name",
            CustomerError::TooLong("phone") | CustomerError::BadPhone => "customer_phone",
            CustomerError::TooLong(_) | CustomerError::BadEmail => "customer_email",
        }
    }
}

impl Customer {
    /// Each field trimmed, empty ones left out, then checked.
    pub fn parse(
        name: Option<&str>,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Result<Customer, CustomerError> {
        let name = field("name", name)?;
        if name
            .as_deref()
            .is_some_and(|n| n.chars().any(char::is_control))
        {
            return Err(CustomerError::BadName);
        }
        let phone = field("phone", phone)?;
        if phone.as_deref().is_some_and(|p| !is_phone(p)) {
            return Err(CustomerError::BadPhone);
        }
        let email = field("e-mail", email)?;
        if email.as_deref().is_some_and(|e| !is_email(e)) {
            return Err(CustomerError::BadEmail);
        }
        Ok(Customer { name, phone, email })
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.phone.is_none() && self.email.is_none()
    }
}

fn field(what: &'static str, value: Option<&str>) -> Result<Option<String>, CustomerError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_FIELD_LEN {
        return Err(CustomerError::TooLong(what));
    }
    Ok(Some(value.to_owned()))
}

/// `0901 234 567`, `+84 901234567`: digits, spaces between them, an optional leading `+`.
fn is_phone(text: &str) -> bool {
    let digits = text.strip_prefix('+').unwrap_or(text);
    digits.bytes().any(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b' ')
}

/// One `@`, something on each side, no whitespace or control characters.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_trimmed_and_empty_ones_left_out() {
        let c = Customer::parse(Some(" Nguyễn Thị Mai "), Some(""), Some("  ")).unwrap();
        assert_eq!(c.name.as_deref(), Some("Nguyễn Thị Mai"));
        assert_eq!((c.phone, c.email), (None, None));
        assert!(Customer::parse(None, None, None).unwrap().is_empty());
    }

    #[test]
    fn phones_are_digits_with_an_optional_plus_and_spaces() {
        for good in ["0901234567", "+84 901 234 567", " 0901 234 567 "] {
            assert!(Customer::parse(None, Some(good), None).is_ok(), "{good}");
        }
        for bad in [
            "+",
            "090-123-4567",
            "0901234567a",
            "++84",
            "(090)1234",
            "٠٩٠١",
        ] {
            assert_eq!(
                Customer::parse(None, Some(bad), None),
                Err(CustomerError::BadPhone),
                "{bad}"
            );
        }
    }

    #[test]
    fn e_mails_have_one_at() {
        for good in ["mai@example.vn", "a.b+c@d"] {
            assert!(Customer::parse(None, None, Some(good)).is_ok(), "{good}");
        }
        for bad in [
            "mai",
            "@example.vn",
            "mai@",
            "a@b@c",
            "mai @x.vn",
            "m\u{0}i@x.vn",
        ] {
            assert_eq!(
                Customer::parse(None, None, Some(bad)),
                Err(CustomerError::BadEmail),
                "{bad}"
            );
        }
    }

    #[test]
    fn long_or_control_names_are_refused() {
        let long = "a".repeat(256);
        assert_eq!(
            Customer::parse(Some(&long), None, None),
            Err(CustomerError::TooLong("name"))
        );
        assert!(Customer::parse(Some(&"ệ".repeat(255)), None, None).is_ok());
        assert_eq!(
            Customer::parse(Some("Mai\u{0}"), None, None),
            Err(CustomerError::BadName)
        );
    }
}
