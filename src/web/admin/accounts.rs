//! The shop's receiving accounts as admins read them: labels, the lists' account filter, the
//! note on a transfer that arrived in an account other than its order's, and the dashboard's
//! money per account.

use chrono::NaiveDate;

use super::context::vietnam;
use super::views;
use crate::config::{Account, Accounts};
use crate::db::Received;
use crate::domain::{Money, Order};
use crate::web::i18n::Lang;
use crate::web::pay::banks::bank_name;

/// `0011001234567 · Vietcombank · CONG TY ABC`.
pub fn label(account: &Account) -> String {
    let mut parts = vec![account.number.clone(), bank_name(&account.bin)];
    if !account.name.is_empty() {
        parts.push(account.name.clone());
    }
    parts.join(" · ")
}

/// A stored account number as admins read it: labelled when it is one of the shop's.
pub fn describe(accounts: &Accounts, number: &str) -> String {
    accounts
        .find(number)
        .map_or_else(|| number.to_owned(), label)
}

/// One choice of the lists' account filter.
pub struct AccountChoice {
    pub number: String,
    pub label: String,
    pub selected: bool,
}

/// The account filter's choices: shown when the shop has several accounts, or a filter is set
/// (a number that is not the shop's is offered too, so that the page says what it shows).
pub fn choices(accounts: &Accounts, chosen: Option<&str>) -> Vec<AccountChoice> {
    if !accounts.several() && chosen.is_none() {
        return Vec::new();
    }
    let mut list: Vec<AccountChoice> = accounts
        .all()
        .iter()
        .map(|a| AccountChoice {
            number: a.number.clone(),
            label: label(a),
            selected: chosen == Some(a.number.as_str()),
        })
        .collect();
    if let Some(chosen) = chosen.filter(|c| !list.iter().any(|a| a.number == *c)) {
        list.push(AccountChoice {
            number: chosen.to_owned(),
            label: chosen.to_owned(),
            selected: true,
        });
    }
    list
}

/// Where a transfer arrived, when that is worth an admin's attention.
#[derive(Debug, PartialEq, Eq)]
pub enum Arrival {
    /// In another of the shop's accounts than its order asked for: it pays the order all the
    /// same (the money is the shop's).
    OtherAccount { arrived: String, asked: String },
    /// In an account that is not one of the shop's.
    NotTheShops { arrived: String },
}

impl Arrival {
    /// Nothing to say when the provider named no account or the shop configured none.
    pub fn of(
        accounts: &Accounts,
        arrived: Option<&str>,
        order: Option<&Order>,
    ) -> Option<Arrival> {
        let arrived = arrived.map(str::trim).filter(|a| !a.is_empty())?;
        if accounts.all().is_empty() {
            return None;
        }
        let Some(account) = accounts.find(arrived) else {
            return Some(Arrival::NotTheShops {
                arrived: arrived.to_owned(),
            });
        };
        let asked = accounts.for_order(order?.account.as_deref())?;
        (asked.number != account.number).then(|| Arrival::OtherAccount {
            arrived: label(account),
            asked: label(asked),
        })
    }
}

/// Money received into one account: today, over 7 days and over 30 days (Vietnam days).
pub struct AccountMoney {
    pub label: String,
    pub today: String,
    pub week: String,
    pub month: String,
}

#[derive(Clone, Copy, Default)]
struct Sums {
    today: Money,
    week: Money,
    month: Money,
}

impl Sums {
    fn add(&mut self, amount: Money, day: NaiveDate, today: NaiveDate) {
        let add = |sum: &mut Money| *sum = sum.plus(amount);
        let age = (today - day).num_days();
        if age == 0 {
            add(&mut self.today);
        }
        if age < 7 {
            add(&mut self.week);
        }
        if age < 30 {
            add(&mut self.month);
        }
    }

    fn is_zero(&self) -> bool {
        self.month.is_zero()
    }
}

/// Money received per account, from matched transfers of the last 30 days: a row per
/// configured account, then transfers into other accounts and those whose provider named
/// none, where there were any. Empty when one row would say it all.
pub fn money_per_account(
    accounts: &Accounts,
    received: &[Received],
    today: NaiveDate,
    lang: Lang,
) -> Vec<AccountMoney> {
    let mut configured = vec![Sums::default(); accounts.all().len()];
    let (mut other, mut unnamed) = (Sums::default(), Sums::default());
    for r in received {
        let day = r.at.with_timezone(&vietnam()).date_naive();
        let sums = match r.account.as_deref() {
            None => &mut unnamed,
            Some(number) => accounts
                .all()
                .iter()
                .position(|a| a.number.eq_ignore_ascii_case(number.trim()))
                .map_or(&mut other, |i| &mut configured[i]),
        };
        sums.add(r.amount, day, today);
    }
    let show = |m: Money| views::money(m, "VND", lang);
    let row = |label: String, s: Sums| AccountMoney {
        label,
        today: show(s.today),
        week: show(s.week),
        month: show(s.month),
    };
    let mut rows: Vec<AccountMoney> = accounts
        .all()
        .iter()
        .zip(configured)
        .map(|(a, s)| row(label(a), s))
        .collect();
    if !other.is_zero() {
        rows.push(row(lang.t("Other accounts").to_owned(), other));
    }
    if !unnamed.is_zero() {
        rows.push(row(lang.t("Account not given").to_owned(), unnamed));
    }
    if rows.len() < 2 {
        rows.clear();
    }
    rows
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::config::Settings;
    use crate::domain::OrderCode;

    fn two_accounts() -> Accounts {
        let vars = [(
            "PAYMATCH_ACCOUNTS".to_owned(),
            r#"[{"bin":"970436","number":"111","name":"A"},{"bin":"970415","number":"222"}]"#
                .to_owned(),
        )];
        Settings::load(None, vars).unwrap().accounts
    }

    fn order(account: Option<&str>) -> Order {
        let (code, amount) = (
            OrderCode::parse("DH1").unwrap(),
            Money::parse("1000").unwrap(),
        );
        Order {
            status: crate::domain::OrderStatus::Paid,
            amount_received: amount,
            account: account.map(str::to_owned),
            ..Order::pending(code, amount, "VND", crate::domain::now())
        }
    }

    #[test]
    fn notes_where_a_transfer_arrived() {
        let accounts = two_accounts();
        let asked_second = order(Some("222"));
        assert_eq!(
            Arrival::of(&accounts, Some("111"), Some(&asked_second)),
            Some(Arrival::OtherAccount {
                arrived: "111 · Vietcombank · A".into(),
                asked: "222 · VietinBank".into()
            })
        );
        assert_eq!(
            Arrival::of(&accounts, Some("222"), Some(&asked_second)),
            None
        );
        // An order from before accounts were stored asks for the default.
        assert_eq!(
            Arrival::of(&accounts, Some("111"), Some(&order(None))),
            None
        );
        assert_eq!(
            Arrival::of(&accounts, Some("999"), None),
            Some(Arrival::NotTheShops {
                arrived: "999".into()
            })
        );
        assert_eq!(Arrival::of(&accounts, None, Some(&asked_second)), None);
        assert_eq!(Arrival::of(&Accounts::default(), Some("1"), None), None);
    }

    #[test]
    fn money_per_account_by_vietnam_day() {
        let accounts = two_accounts();
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        let m = |text: &str| Money::parse(text).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let received = |when: &str, amount: &str, account: &str| Received {
            at: at(when),
            amount: m(amount),
            account: Some(account.to_owned()),
        };
        let received = [
            // 30/11 00:30 in Vietnam: today.
            received("2026-11-29T17:30:00Z", "100", "111"),
            received("2026-11-25T10:00:00Z", "20", "222"),
            received("2026-11-05T10:00:00Z", "3", "999"),
        ];
        let rows = money_per_account(&accounts, &received, today, Lang::En);
        let cells: Vec<_> = rows
            .iter()
            .map(|r| format!("{}|{}|{}|{}", r.label, r.today, r.week, r.month))
            .collect();
        assert_eq!(
            cells,
            [
                "111 · Vietcombank · A|100 ₫|100 ₫|100 ₫",
                "222 · VietinBank|0 ₫|20 ₫|20 ₫",
                "Other accounts|0 ₫|0 ₫|3 ₫",
            ]
        );
        let one = Settings::load(
            None,
            [
                ("PAYMATCH_BANK_BIN".to_owned(), "970436".to_owned()),
                ("PAYMATCH_BANK_ACCOUNT".to_owned(), "111".to_owned()),
            ],
        )
        .unwrap()
        .accounts;
        assert!(money_per_account(&one, &received[..1], today, Lang::En).is_empty());
    }
}
