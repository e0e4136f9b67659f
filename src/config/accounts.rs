//! The shop's receiving accounts: `[[accounts]]` (a JSON array in `PAYMATCH_ACCOUNTS`), or the
//! one account of `bank_bin` / `bank_account` / `bank_account_name`. The first is the default.

use serde::{Deserialize, Deserializer};

use super::ConfigError;

/// Longest account number a VietQR code carries (NAPAS field 01).
const MAX_NUMBER_LEN: usize = 19;

/// One receiving account, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The bank's 6-digit BIN, as VietQR names banks.
    pub bin: String,
    pub number: String,
    /// The holder's name, as the bank shows it; may be empty.
    pub name: String,
    /// What the account holds; an order paid into it is in this currency (contract, Amounts).
    pub currency: String,
}

/// The currency of an account that does not name one, and of the shop with no account set.
pub const DEFAULT_CURRENCY: &str = "VND";

/// The configured accounts, in order; the first is the default. May be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts(Vec<Account>);

impl Accounts {
    pub fn all(&self) -> &[Account] {
        &self.0
    }

    pub fn default_account(&self) -> Option<&Account> {
        self.0.first()
    }

    /// The configured account with this number.
    pub fn find(&self, number: &str) -> Option<&Account> {
        let number = number.trim();
        self.0
            .iter()
            .find(|a| a.number.eq_ignore_ascii_case(number))
    }

    /// The account an order asks for: its own if it is still configured, else the default
    /// (orders from before accounts were stored have none).
    pub fn for_order(&self, number: Option<&str>) -> Option<&Account> {
        number
            .and_then(|n| self.find(n))
            .or_else(|| self.default_account())
    }

    /// More than one account: the admin then names the account wherever it differs.
    pub fn several(&self) -> bool {
        self.0.len() > 1
    }
}

/// An account as written in the file or the variable.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAccount {
    bin: String,
    number: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    currency: Option<String>,
}

/// A TOML array of tables, or (from the variable) a JSON array of objects.
pub(super) fn raw_list<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<RawAccount>>, D::Error> {
    use serde::de::Error;
    match toml::Value::deserialize(d)? {
        toml::Value::String(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| D::Error::custom(format!("expected a JSON array of accounts: {e}"))),
        value @ toml::Value::Array(_) => Vec::<RawAccount>::deserialize(value)
            .map(Some)
            .map_err(|e| D::Error::custom(e.message())),
        _ => Err(D::Error::custom(
            "expected [[accounts]] tables, each with bin, number and name",
        )),
    }
}

/// The legacy keys of the one account.
pub(super) struct LegacyAccount {
    pub bin: Option<String>,
    pub number: Option<String>,
    pub name: Option<String>,
}

pub(super) fn validate(
    list: Option<Vec<RawAccount>>,
    legacy: LegacyAccount,
) -> Result<Accounts, ConfigError> {
    let legacy_set = legacy.bin.is_some() || legacy.number.is_some();
    let Some(list) = list else {
        if let Some(bin) = &legacy.bin {
            check_bin("bank_bin", bin)?;
        }
        return match (legacy.bin, legacy.number) {
            (None, None) => Ok(Accounts::default()),
            (Some(bin), Some(number)) => Ok(Accounts(vec![check(
                "bank_bin",
                "bank_account",
                RawAccount {
                    bin,
                    number,
                    name: legacy.name,
                    currency: None,
                },
            )?])),
            (None, Some(_)) => Err(ConfigError::key("bank_bin", "bank_account needs bank_bin")),
            (Some(_), None) => Err(ConfigError::key(
                "bank_account",
                "bank_bin needs bank_account",
            )),
        };
    };
    if list.is_empty() {
        return Err(ConfigError::key("accounts", "lists no account"));
    }
    let mut accounts: Vec<Account> = Vec::with_capacity(list.len());
    for (i, raw) in list.into_iter().enumerate() {
        let account = check("accounts", "accounts", raw)
            .map_err(|e| prefix(e, &format!("account {}: ", i + 1)))?;
        if accounts.iter().any(|a| a.number == account.number) {
            return Err(ConfigError::key(
                "accounts",
                format!("account number {} is listed twice", account.number),
            ));
        }
        accounts.push(account);
    }
    // The legacy keys may stay set only if they name the same default account.
    if legacy_set || legacy.name.is_some() {
        let first = &accounts[0];
        let agrees = legacy.bin.as_deref().is_none_or(|b| b.trim() == first.bin)
            && legacy
                .number
                .as_deref()
                .is_none_or(|n| n.trim().eq_ignore_ascii_case(&first.number))
            && legacy
                .name
                .as_deref()
                .is_none_or(|n| n.trim() == first.name);
        if !agrees {
            return Err(ConfigError::key(
                "accounts",
                "conflicts with bank_bin / bank_account / bank_account_name: set the accounts in \
                 accounts only (its first account is the default)",
            ));
        }
    }
    Ok(Accounts(accounts))
}

fn check(bin_key: &str, number_key: &str, raw: RawAccount) -> Result<Account, ConfigError> {
    let bin = check_bin(bin_key, &raw.bin).map_err(|e| prefix(e, "bin "))?;
    let number = raw.number.trim();
    if number.is_empty() {
        return Err(ConfigError::key(number_key, "the account number is empty"));
    }
    if number.len() > MAX_NUMBER_LEN || !number.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ConfigError::key(
            number_key,
            format!("the account number is at most {MAX_NUMBER_LEN} letters and digits"),
        ));
    }
    let currency = match raw.currency.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_CURRENCY.to_owned(),
        Some(code) if is_currency_code(code) => code.to_ascii_uppercase(),
        Some(_) => {
            return Err(ConfigError::key(
                number_key,
                "the account's currency is a 3-letter code such as VND",
            ))
        }
    };
    Ok(Account {
        bin,
        number: number.to_ascii_uppercase(),
        name: raw.name.unwrap_or_default().trim().to_owned(),
        currency,
    })
}

/// Three ASCII letters, in either case (`VND`, `usd`).
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic())
}

fn check_bin(key: &str, bin: &str) -> Result<String, ConfigError> {
    let bin = bin.trim();
    if bin.len() != 6 || !bin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConfigError::key(key, "must be the bank's 6-digit BIN"));
    }
    Ok(bin.to_owned())
}

fn prefix(error: ConfigError, text: &str) -> ConfigError {
    match error {
        ConfigError::Key { key, var, message } => ConfigError::Key {
            key,
            var,
            message: format!("{text}{message}"),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Accounts, String> {
        let vars = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::load(None, vars)
            .map(|s| s.accounts)
            .map_err(|e| e.to_string())
    }

    const TWO: &str = r#"[{"bin":"970436","number":"0011001234567","name":"CONG TY ABC"},
                          {"bin":"970415","number":"113366668888","name":"CONG TY ABC"}]"#;

    #[test]
    fn a_json_array_in_the_variable() {
        let accounts = load(&[("PAYMATCH_ACCOUNTS", TWO)]).unwrap();
        assert_eq!(accounts.all().len(), 2);
        assert_eq!(accounts.default_account().unwrap().bin, "970436");
        assert_eq!(accounts.find(" 113366668888").unwrap().bin, "970415");
        assert_eq!(accounts.for_order(None).unwrap().number, "0011001234567");
        assert_eq!(
            accounts.for_order(Some("999")).unwrap().number,
            "0011001234567",
            "an account no longer configured reads as the default"
        );
        assert!(accounts.several());
    }

    #[test]
    fn tables_in_the_file() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(
            &mut f,
            b"[[accounts]]\nbin = \"970436\"\nnumber = \"0011001234567\"\nname = \"A\"\n\
              [[accounts]]\nbin = \"970415\"\nnumber = \"113366668888\"\n",
        )
        .unwrap();
        let s = Settings::load(Some(f.path()), Vec::new()).unwrap();
        assert_eq!(s.accounts.all()[1].name, "");
        assert_eq!(s.accounts.all()[0].name, "A");
    }

    #[test]
    fn the_legacy_keys_make_one_account() {
        let accounts = load(&[
            ("PAYMATCH_BANK_BIN", "970436"),
            ("PAYMATCH_BANK_ACCOUNT", "0011001234567"),
        ])
        .unwrap();
        assert_eq!(accounts.all().len(), 1);
        assert!(!accounts.several());
        assert_eq!(load(&[]).unwrap(), Accounts::default());
        // Naming the same default account both ways is no conflict.
        let same = load(&[
            ("PAYMATCH_ACCOUNTS", TWO),
            ("PAYMATCH_BANK_BIN", "970436"),
            ("PAYMATCH_BANK_ACCOUNT", "0011001234567"),
        ]);
        assert_eq!(same.unwrap().all().len(), 2);
    }

    #[test]
    fn an_account_is_in_vnd_unless_it_says_otherwise() {
        let accounts = load(&[(
            "PAYMATCH_ACCOUNTS",
            r#"[{"bin":"970436","number":"1"},{"bin":"970415","number":"2","currency":"usd"}]"#,
        )])
        .unwrap();
        let currencies: Vec<&str> = accounts.all().iter().map(|a| a.currency.as_str()).collect();
        assert_eq!(currencies, ["VND", "USD"]);
        let legacy = load(&[
            ("PAYMATCH_BANK_BIN", "970436"),
            ("PAYMATCH_BANK_ACCOUNT", "1"),
        ]);
        assert_eq!(legacy.unwrap().all()[0].currency, "VND");
    }

    #[test]
    fn bad_accounts_name_their_key() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("PAYMATCH_ACCOUNTS", "nonsense")], "(PAYMATCH_ACCOUNTS)"),
            (&[("PAYMATCH_ACCOUNTS", "[]")], "(PAYMATCH_ACCOUNTS)"),
            (
                &[("PAYMATCH_ACCOUNTS", r#"[{"bin":"97043","number":"1"}]"#)],
                "(PAYMATCH_ACCOUNTS): account 1: bin must be the bank's 6-digit BIN",
            ),
            (
                &[("PAYMATCH_ACCOUNTS", r#"[{"bin":"970436","number":" "}]"#)],
                "(PAYMATCH_ACCOUNTS): account 1: the account number is empty",
            ),
            (
                &[(
                    "PAYMATCH_ACCOUNTS",
                    r#"[{"bin":"970436","number":"12"},{"bin":"970415","number":"12"}]"#,
                )],
                "12 is listed twice",
            ),
            (
                &[(
                    "PAYMATCH_ACCOUNTS",
                    r#"[{"bin":"970436","number":"12","colour":"red"}]"#,
                )],
                "(PAYMATCH_ACCOUNTS)",
            ),
            (
                &[("PAYMATCH_ACCOUNTS", TWO), ("PAYMATCH_BANK_ACCOUNT", "42")],
                "(PAYMATCH_ACCOUNTS): conflicts with bank_bin",
            ),
            (
                &[(
                    "PAYMATCH_ACCOUNTS",
                    r#"[{"bin":"970436","number":"12","currency":"dong"}]"#,
                )],
                "(PAYMATCH_ACCOUNTS): account 1: the account's currency is a 3-letter code",
            ),
            (&[("PAYMATCH_BANK_ACCOUNT", "42")], "(PAYMATCH_BANK_BIN)"),
            (
                &[("PAYMATCH_BANK_BIN", "970436")],
                "(PAYMATCH_BANK_ACCOUNT)",
            ),
        ];
        for (env, expected) in cases {
            let message = load(env).unwrap_err();
            assert!(message.contains(expected), "{env:?}: {message}");
            assert!(!message.contains('\n'), "{env:?}: one line");
        }
    }
}
