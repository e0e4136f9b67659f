use chrono::TimeZone;
use proptest::prelude::*;

use super::*;
use crate::domain::{OrderCode, OrderStatus};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap()
}

fn order(code: &str, amount: i64, customer: Option<&str>) -> Order {
    let mut o = Order::pending(
        OrderCode::parse(code).unwrap(),
        Money::from_units(amount),
        "VND",
        at() - Duration::hours(2),
    );
    o.customer.name = customer.map(str::to_owned);
    o
}

fn matched<'a>(
    payer: Option<&str>,
    amount: i64,
    orders: &'a [Order],
) -> Result<&'a str, NotByPayer> {
    match_by_payer(
        Money::from_units(amount),
        payer,
        at(),
        orders,
        PayerRule::default(),
    )
    .map(|o| o.code.as_str())
}

#[test]
fn one_order_of_the_amount_for_the_named_customer_is_applied() {
    let orders = [
        order("DH1", 279000, Some("Nguyễn Thị Mai")),
        order("DH2", 150000, Some("Trần Văn Bình")),
    ];
    assert_eq!(matched(Some("NGUYEN THI MAI"), 279000, &orders), Ok("DH1"));
    // More words in the payer's name (a middle name the shop did not write) still hold it.
    let orders = [order("DH1", 279000, Some("Nguyen Mai"))];
    assert_eq!(matched(Some("NGUYEN THI MAI"), 279000, &orders), Ok("DH1"));
}

#[test]
fn each_clause_failing_alone_refuses() {
    let mai = || order("DH1", 279000, Some("Nguyễn Thị Mai"));
    // No order of the amount; one off by a đồng.
    assert_eq!(
        matched(Some("NGUYEN THI MAI"), 279001, &[mai()]),
        Err(NotByPayer::NoOrderOfAmount)
    );
    // Two orders due the amount, even if only one is hers.
    let two = [mai(), order("DH2", 279000, Some("Le Van Cuong"))];
    assert_eq!(
        matched(Some("NGUYEN THI MAI"), 279000, &two),
        Err(NotByPayer::SeveralOrdersOfAmount)
    );
    // Made before the window, or long after the transfer.
    let mut old = mai();
    old.created_at = at() - Duration::hours(73);
    assert_eq!(
        matched(Some("NGUYEN THI MAI"), 279000, &[old]),
        Err(NotByPayer::NoOrderOfAmount)
    );
    let mut later = mai();
    later.created_at = at() + Duration::hours(2);
    assert_eq!(
        matched(Some("NGUYEN THI MAI"), 279000, &[later]),
        Err(NotByPayer::NoOrderOfAmount)
    );
    // Closed or paid orders are not open.
    for status in [
        OrderStatus::Paid,
        OrderStatus::Cancelled,
        OrderStatus::Expired,
    ] {
        let mut closed = mai();
        closed.status = status;
        assert_eq!(
            matched(Some("NGUYEN THI MAI"), 279000, &[closed]),
            Err(NotByPayer::NoOrderOfAmount)
        );
    }
    let mut overdue = mai();
    overdue.expires_at = Some(at() - Duration::minutes(1));
    assert_eq!(
        matched(Some("NGUYEN THI MAI"), 279000, &[overdue]),
        Err(NotByPayer::NoOrderOfAmount)
    );
    // No customer name, or one of nothing but marks.
    let nameless = [order("DH1", 279000, None)];
    assert_eq!(
        matched(Some("NGUYEN THI MAI"), 279000, &nameless),
        Err(NotByPayer::NoCustomerName)
    );
    let marks = [order("DH1", 279000, Some(" - . "))];
    assert_eq!(
        matched(Some("NGUYEN THI MAI"), 279000, &marks),
        Err(NotByPayer::NoCustomerName)
    );
    // No payer name.
    assert_eq!(
        matched(None, 279000, &[mai()]),
        Err(NotByPayer::NoPayerName)
    );
    assert_eq!(
        matched(Some("  "), 279000, &[mai()]),
        Err(NotByPayer::NoPayerName)
    );
    // Another payer.
    assert_eq!(
        matched(Some("NGUYEN THI MAY"), 279000, &[mai()]),
        Err(NotByPayer::NameDiffers)
    );
    // Another open order's customer has the payer's name too, whatever its amount.
    let namesake = [mai(), order("DH2", 50000, Some("Mai"))];
    assert_eq!(
        matched(Some("NGUYEN THI MAI"), 279000, &namesake),
        Err(NotByPayer::OtherCustomer)
    );
    // Everything holds, but the switch is off.
    let off = PayerRule {
        enabled: false,
        ..PayerRule::default()
    };
    let orders = [mai()];
    let result = match_by_payer(
        Money::from_units(279000),
        Some("NGUYEN THI MAI"),
        at(),
        &orders,
        off,
    );
    assert_eq!(result.map(|o| o.code.as_str()), Err(NotByPayer::Off));
}

#[test]
fn names_are_words_not_substrings() {
    let words = |s: &str| name_words(s);
    assert!(!names(&words("NGUYEN VAN ANH"), &words("Nguyễn Văn An")));
    assert!(names(&words("NGUYEN VAN AN"), &words("nguyễn văn an")));
    assert!(
        names(
            &words("ＮＧＵＹＥＮ\u{200B} VAN AN"),
            &words("Nguyen Van An")
        ),
        "fullwidth, zero-width space"
    );
    assert!(
        !names(&words("NGUYEN AN"), &words("Van Van An")),
        "a word twice needs it twice"
    );
    assert!(names(&words("VAN NGUYEN VAN AN"), &words("Van Van An")));
    assert!(!names(&words("NGUYEN VAN AN"), &[]));
    assert_eq!(words("Đặng Thị Ánh"), ["DANG", "THI", "ANH"]);
}

#[test]
fn payers_are_read_from_the_shapes_banks_write() {
    let cases = [
        ("MBVCB.3278614435.088374.DH1234.CT tu 0221000012345 NGUYEN VAN A toi 28349817 CONG TY ABC Ngan hang A Chau (ACB) GD 088374-102622 06:02:24", Some("NGUYEN VAN A")),
        ("CUSTOMER MBVCB 2420648919 339176 DH1234  CT tu 1027236393 TRAN THI B to i 259876543210 TRAN THI B  MB   Quan Doi Trace 339176", Some("TRAN THI B")),
        ("IB LE VAN C DH1234", Some("LE VAN C")),
        ("IB NGUYEN VAN A CHUYEN TIEN", Some("NGUYEN VAN A")),
        ("NGUYEN THI MAI chuyen khoan mua ao", Some("NGUYEN THI MAI")),
        ("NONG THI HOA chuyen tien", Some("NONG THI HOA")),
        ("884114.100924.223854.PHAM VAN D chuyen FT24255276428461", Some("PHAM VAN D")),
        ("NGUYỄN THỊ MAI CHUYỂN TIỀN", None),
        ("NGUYỄN THỊ MAI CK", Some("NGUYỄN THỊ MAI")),
        ("TRAN VAN E ck don hang", Some("TRAN VAN E")),
        // Who is paid, not who paid: nothing before the purpose.
        ("chuyen tien cho NGUYEN VAN A", None),
        // One word is not a name; a run of seven is not one either.
        ("MAI chuyen tien", None),
        ("A B C D E F G chuyen", None),
        // A lower-case or glued word ends the name.
        ("Nguyen Van A chuyen tien", None),
        ("thanh toan NGUYEN VAN A chuyen", Some("NGUYEN VAN A")),
        // `CT tu` without its closing `toi` reads nothing rather than too much.
        ("CT tu 0221000012345 NGUYEN VAN A", None),
        ("DH1234", None),
        ("giao dich thu nghiem", None),
        ("FT24255999347270 807439.100924.223851.ung ho mien bac", None),
        ("", None),
    ];
    for (description, expected) in cases {
        assert_eq!(
            payer_in_description(description).as_deref(),
            expected,
            "{description}"
        );
    }
}

#[test]
fn an_invisible_character_cuts_a_name_short_rather_than_joining_it() {
    // A name word with a zero-width space is not a name word: what is read stops there.
    assert_eq!(payer_in_description("NGUYEN VA\u{200B}N AN chuyen"), None);
    assert_eq!(
        payer_in_description("IB LE VAN C\u{200B}D DH1"),
        Some("LE VAN".to_owned())
    );
}

/// Names with near-collisions (`An`/`Anh`/`Ánh`, shared family and middle names, one name
/// inside another) and a few that stand alone.
const NAMES: [&str; 11] = [
    "Phạm Văn Dũng",
    "Hoàng Thị Lan",
    "Đỗ Minh Khôi",
    "Nguyễn Văn An",
    "Nguyễn Văn Anh",
    "Nguyen Van Ánh",
    "Trần Thị Mai",
    "Mai",
    "Trần Mai",
    "Lê Văn An",
    "Văn An",
];

/// The rule as the contract words it, written independently of `match_by_payer`: names
/// compared as sets of padded words in a joined string, the window in whole minutes.
fn oracle(amount: i64, payer: Option<&str>, orders: &[Order], enabled: bool) -> Option<String> {
    let padded = |name: &str| format!(" {} ", name_words(name).join(" "));
    let holds = |payer: &str, customer: &str| {
        let mut rest = padded(payer);
        let words = name_words(customer);
        !words.is_empty()
            && words.iter().all(|w| {
                let w = format!(" {w} ");
                match rest.find(&w) {
                    Some(i) => {
                        rest.replace_range(i..i + w.len() - 1, "");
                        true
                    }
                    None => false,
                }
            })
    };
    let open: Vec<&Order> = orders
        .iter()
        .filter(|o| matches!(o.status, OrderStatus::Pending | OrderStatus::PartiallyPaid))
        .filter(|o| o.expires_at.is_none_or(|e| e > at()))
        .collect();
    let minutes = |o: &Order| (at() - o.created_at).num_minutes();
    let fit: Vec<&&Order> = open
        .iter()
        .filter(|o| {
            o.amount_due() == Money::from_units(amount) && (-60..=72 * 60).contains(&minutes(o))
        })
        .collect();
    let [only] = fit.as_slice() else { return None };
    let payer = payer?;
    let customer = only.customer.name.as_deref()?;
    if !holds(payer, customer) {
        return None;
    }
    let others = open
        .iter()
        .filter(|o| o.code != only.code)
        .any(|o| o.customer.name.as_deref().is_some_and(|n| holds(payer, n)));
    (!others && enabled).then(|| only.code.to_string())
}

fn shop() -> impl Strategy<Value = Vec<Order>> {
    let one = (
        0usize..NAMES.len() + 1,
        prop::sample::select(vec![99000i64, 150000, 279000, 186000, 420000]),
        0i64..5,
        -100i64..100,
        prop::bool::weighted(0.15),
    );
    prop::collection::vec(one, 0..6).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (name, amount, status, hours, expired))| {
                let mut o = order(&format!("DH{i}"), amount, NAMES.get(name).copied());
                o.created_at = at() - Duration::hours(hours);
                o.status = [
                    OrderStatus::Pending,
                    OrderStatus::Pending,
                    OrderStatus::PartiallyPaid,
                    OrderStatus::Paid,
                    OrderStatus::Cancelled,
                ][status as usize];
                if o.status == OrderStatus::PartiallyPaid {
                    o.amount_received = Money::from_units(amount / 3);
                }
                if expired {
                    o.expires_at = Some(at() - Duration::minutes(5));
                }
                o
            })
            .collect()
    })
}

/// A shop and a transfer: most often paying one of its orders' amount due, by a payer named
/// after one of its customers (as a bank writes it: capitals, no marks, a word more or less).
fn shop_and_transfer() -> impl Strategy<Value = (Vec<Order>, i64, Option<String>)> {
    shop().prop_flat_map(|orders| {
        let n = orders.len().max(1);
        (
            Just(orders),
            0..n + 1,
            0..NAMES.len() + 2,
            0usize..4,
            prop::sample::select(vec![66000i64, 99000, 150000]),
        )
            .prop_map(|(orders, pick, name, variant, stray)| {
                let amount = orders
                    .get(pick)
                    .map_or(stray, |o| o.amount_due().to_units().unwrap());
                let payer = NAMES.get(name).map(|n| {
                    let upper = name_words(n).join(" ");
                    match variant {
                        0 => upper,
                        1 => format!("{upper} THI"),
                        2 => upper
                            .split_once(' ')
                            .map_or(upper.clone(), |(_, rest)| rest.to_owned()),
                        _ => n.to_lowercase(),
                    }
                });
                (orders, amount, payer)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6000))]
    /// Over generated shops, the implementation applies exactly what the contract's rule
    /// allows: never a transfer it forbids, and every one it allows.
    #[test]
    fn applies_exactly_what_the_rule_allows(
        (orders, amount, payer) in shop_and_transfer(),
        enabled in prop::bool::weighted(0.8),
    ) {
        let payer = payer.as_deref();
        let rule = PayerRule { enabled, ..PayerRule::default() };
        let got = match_by_payer(Money::from_units(amount), payer, at(), &orders, rule)
            .ok()
            .map(|o| o.code.to_string());
        prop_assert_eq!(got, oracle(amount, payer, &orders, enabled));
    }
}
