//! Banks by BIN (NAPAS) for the payment page, and the links that open banking apps with the
//! transfer filled in (VietQR.io's deep links, `https://dl.vietqr.io/pay`).

use crate::domain::Money;

/// Receiving banks: BIN, the name customers know, and the bank's code in VietQR.io's bank list
/// (what a deep link's `ba=<account>@<code>` names, in lower case).
const BANKS: &[(&str, &str, &str)] = &[
    ("970436", "Vietcombank", "vcb"),
    ("970415", "VietinBank", "icb"),
    ("970418", "BIDV", "bidv"),
    ("970405", "Agribank", "vba"),
    ("970407", "Techcombank", "tcb"),
    ("970422", "MB Bank", "mb"),
    ("970416", "ACB", "acb"),
    ("970432", "VPBank", "vpb"),
    ("970423", "TPBank", "tpb"),
    ("970403", "Sacombank", "stb"),
    ("970437", "HDBank", "hdb"),
    ("970441", "VIB", "vib"),
    ("970443", "SHB", "shb"),
    ("970426", "MSB", "msb"),
    ("970448", "OCB", "ocb"),
    ("970431", "Eximbank", "eib"),
    ("970449", "LPBank", "lpb"),
    ("970440", "SeABank", "seab"),
    ("970428", "Nam A Bank", "nab"),
    ("970454", "Viet Capital Bank", "vccb"),
];

/// The bank's name and code.
fn by_bin(bin: &str) -> Option<(&'static str, &'static str)> {
    BANKS
        .iter()
        .find(|(b, _, _)| *b == bin)
        .map(|(_, name, code)| (*name, *code))
}

/// The bank's name; an unknown BIN shows as the number.
pub fn bank_name(bin: &str) -> String {
    by_bin(bin).map_or_else(|| bin.to_owned(), |(name, _)| name.to_owned())
}

/// Apps whose deep link fills in account, amount and content (VietQR.io's changelog lists
/// "autofill" for these); other apps would open without the transfer, so they are left out.
const APPS: &[(&str, &str)] = &[
    ("mb", "MB Bank"),
    ("icb", "VietinBank iPay"),
    ("bidv", "BIDV SmartBanking"),
    ("acb", "ACB ONE"),
    ("ocb", "OCB OMNI"),
];

/// One deep link per app in [`APPS`] (id, name, link), for a transfer of `amount` with `content` to `account`
/// at the bank `bin`; none when the bank is not in the list (its code is unknown).
pub fn app_links(
    bin: &str,
    account: &str,
    name: &str,
    amount: Money,
    content: &str,
) -> Vec<(&'static str, &'static str, String)> {
    let Some((_, code)) = by_bin(bin) else {
        return Vec::new();
    };
    let enc = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    // `@` stays as it is: the documented form is `ba=<account>@<code>`, not `%40`.
    let mut query = format!(
        "am={}&tn={}&ba={}@{}",
        enc(&amount.to_string()),
        enc(content),
        enc(account),
        code
    );
    if !name.is_empty() {
        query += &format!("&bn={}", enc(name));
    }
    APPS.iter()
        .map(|(app, name)| {
            let href = format!("https://dl.vietqr.io/pay?app={app}&{query}");
            (*app, *name, href)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_banks_by_bin() {
        assert_eq!(bank_name("970436"), "Vietcombank");
        assert_eq!(bank_name("999999"), "999999");
    }

    #[test]
    fn deep_links_fill_in_the_transfer() {
        let amount = Money::parse("200000").unwrap();
        let links = app_links("970436", "0011001234567", "CONG TY ABC", amount, "DH42");
        assert_eq!(links.len(), APPS.len());
        assert_eq!(
            links[0],
            (
                "mb",
                "MB Bank",
                "https://dl.vietqr.io/pay?app=mb&am=200000&tn=DH42&ba=0011001234567@vcb&bn=CONG+TY+ABC"
                    .to_owned()
            )
        );
        assert!(app_links("999999", "1", "", amount, "DH42").is_empty());
    }
}
