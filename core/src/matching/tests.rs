use chrono::Utc;
use proptest::prelude::*;

use super::*;
use crate::domain::{Money, Order, OrderCode, OrderStatus};

mod combined;
mod unicode;

fn code(s: &str) -> OrderCode {
    OrderCode::parse(s).unwrap()
}

fn candidates(description: &str) -> Vec<String> {
    Patterns::default()
        .candidates(&normalise(description))
        .into_iter()
        .map(|c| c.as_str().to_owned())
        .collect()
}

fn order(c: &str, status: OrderStatus) -> Order {
    Order {
        status,
        ..Order::pending(code(c), Money::parse("100").unwrap(), "VND", Utc::now())
    }
}

fn decide_with(description: &str, amount: &str, orders: &[Order]) -> MatchDecision {
    let reading = read(
        description,
        Money::parse(amount).unwrap(),
        false,
        &Patterns::default(),
    );
    decide(&reading, orders)
}

/// Every shape in shared/samples/bank-descriptions.md, with the code it must yield.
const SAMPLE_SHAPES: &[(&str, &[&str])] = &[
    ("DH1234", &["DH1234"]),
    ("Thanh toán đơn hàng DH1234", &["DH1234"]),
    ("dh1234 chuyen tien", &["DH1234"]),
    ("MBVCB.3278614435.088374.DH1234.CT tu 0221000012345 NGUYEN VAN A toi 28349817 CONG TY ABC Ngan hang A Chau (ACB) GD 088374-102622 06:02:24", &["DH1234"]),
    ("CUSTOMER MBVCB 2420648919 339176 DH1234  CT tu 1027236393 TRAN THI B to i 259876543210 TRAN THI B  MB   Quan Doi Trace 339176", &["DH1234"]),
    ("MoMoT0904067605T28994691053T970416TDH1234 GD 252995-091922 15:46:22", &["DH1234"]),
    ("ACC-GD 640669-2022-09-19T19:30:37-180906-/CTR/DH1234/MAC/02FB40D2D89D4CF8", &["DH1234"]),
    ("SACOMBANK-GD 459096-2022-11-06T11:41:21-970403-/CTR/IBFT DH1234/MAC/1526BCF94B9A4C13", &["DH1234"]),
    ("ACB;28349817;DH1234 GD 931139-102322 13:18:51", &["DH1234"]),
    ("DH1234 FT22298536396686 GD 287786-102522 16:05:58", &["DH1234"]),
    ("IB LE VAN C DH1234", &["DH1234"]),
    ("DH 1234", &["DH1234"]),
    ("DH-1234", &["DH1234"]),
    ("DH.1234", &["DH1234"]),
    ("DH_1234", &["DH1234"]),
    ("ĐH1234", &["DH1234"]),
    ("đh 1234", &["DH1234"]),
    ("884114.100924.223854.PHAM VAN D chuyen FT24255276428461", &[]),
    ("FT24255999347270 807439.100924.223851.ung ho mien bac", &[]),
    ("DH35", &["DH35"]),
];

/// SePay's `content`: the bank's transfer content, passed on as the bank wrote it, sometimes
/// behind the bank's or SePay's own prefix (names and numbers replaced).
const SEPAY_CONTENT_SHAPES: &[(&str, &[&str])] = &[
    ("DH1234", &["DH1234"]),
    ("SEPAY12345 DH1234", &["DH1234"]),
    ("SEPAY-DH1234 thanh toan", &["DH1234"]),
    (
        "TKThe :0123456789, tai MB. DH1234 chuyen khoan",
        &["DH1234"],
    ),
    ("TKThe 9704229201234567 tai VCB DH 1234", &["DH1234"]),
    (
        "MBVCB.3278907687.DH1234.CT tu 0123456789 NGUYEN VAN A toi 0071000888888",
        &["DH1234"],
    ),
    ("BankAPINotify DH1234 thanh toan don hang", &["DH1234"]),
    ("CT DEN:0123456789 DH1234 CHUYEN TIEN", &["DH1234"]),
    ("REM Tfr Ac: 12345678901 DH1234 O@L_FAST", &["DH1234"]),
    ("DH1234-Ma GD ACSP/ 339176", &["DH1234"]),
    ("QR - DH1234 - NGUYEN VAN A", &["DH1234"]),
    (
        "NGUYEN VAN A chuyen tien DH1234 GD 1234567-113024 10:15:00",
        &["DH1234"],
    ),
    ("Thanh toán đơn hàng ĐH1234", &["DH1234"]),
    ("SEPAY123123", &[]),
    ("DUONG THUY ANH chuyen tien", &[]),
    ("TKThe :0123456789, tai VCB. chuyen tien mua iphone", &[]),
];

#[test]
fn every_sample_shape_yields_its_code() {
    for (description, want) in SAMPLE_SHAPES.iter().chain(SEPAY_CONTENT_SHAPES) {
        assert_eq!(&candidates(description), want, "{description}");
    }
}

#[test]
fn every_sample_shape_matches_its_open_order() {
    let orders = [
        order("DH1234", OrderStatus::Pending),
        order("DH35", OrderStatus::PartiallyPaid),
    ];
    for (description, want) in SAMPLE_SHAPES.iter().chain(SEPAY_CONTENT_SHAPES) {
        let decision = decide_with(description, "150000", &orders);
        match want.first() {
            Some(c) => assert_eq!(decision, MatchDecision::Matched(code(c)), "{description}"),
            None => assert_eq!(decision, MatchDecision::Unmatched, "{description}"),
        }
    }
}

#[test]
fn never_reads_a_code_out_of_a_longer_run() {
    assert_eq!(candidates("DH12345"), ["DH12345"]);
    assert!(candidates("DH1234AB").is_empty());
    assert!(candidates("DH").is_empty());
    assert!(candidates("DH CT tu").is_empty());
    // The greedy digit run means DH12 is never a candidate inside DH123.
    let orders = [order("DH12", OrderStatus::Pending)];
    assert_eq!(
        decide_with("DH123", "1", &orders),
        MatchDecision::UnknownOrder
    );
    assert_eq!(decide_with("DH12A", "1", &orders), MatchDecision::Unmatched);
}

#[test]
fn separators_only_between_prefix_and_digits() {
    assert_eq!(candidates("DH 12 34"), ["DH12"]);
    assert_eq!(candidates("DH -._ 1234"), ["DH1234"]);
    assert_eq!(candidates("DH1234.5678"), ["DH1234"]);
}

#[test]
fn several_codes_are_all_candidates_in_order() {
    assert_eq!(candidates("DH1 va DH2, DH1"), ["DH1", "DH2"]);
    assert_eq!(candidates("DH1/DH2"), ["DH1", "DH2"]);
}

#[test]
fn candidates_naming_no_order_are_noise() {
    let orders = [order("DH7", OrderStatus::Pending)];
    assert_eq!(
        decide_with("DH9 DH7 DH8", "1", &orders),
        MatchDecision::Matched(code("DH7"))
    );
}

#[test]
fn two_different_orders_are_ambiguous() {
    let orders = [
        order("DH1", OrderStatus::Pending),
        order("DH2", OrderStatus::Cancelled),
    ];
    assert_eq!(
        decide_with("DH1 DH2", "1", &orders),
        MatchDecision::Ambiguous(vec![code("DH1"), code("DH2")])
    );
    // The same order written twice is not ambiguous.
    assert_eq!(
        decide_with("DH1 DH 1 dh-1", "1", &orders),
        MatchDecision::Matched(code("DH1"))
    );
}

#[test]
fn closed_orders_wait_for_an_admin() {
    for status in [OrderStatus::Expired, OrderStatus::Cancelled] {
        let orders = [order("DH5", status)];
        assert_eq!(
            decide_with("DH5", "1", &orders),
            MatchDecision::OrderClosed(code("DH5"))
        );
    }
    // Paid orders are not closed: more money makes them overpaid.
    for status in [
        OrderStatus::Paid,
        OrderStatus::Overpaid,
        OrderStatus::PartiallyPaid,
    ] {
        let orders = [order("DH5", status)];
        assert_eq!(
            decide_with("DH5", "1", &orders),
            MatchDecision::Matched(code("DH5"))
        );
    }
}

#[test]
fn unknown_and_unmatched() {
    assert_eq!(decide_with("DH404", "1", &[]), MatchDecision::UnknownOrder);
    assert_eq!(
        decide_with("chuyen tien", "1", &[]),
        MatchDecision::Unmatched
    );
    assert_eq!(decide_with("", "1", &[]), MatchDecision::Unmatched);
}

#[test]
fn outgoing_money_is_never_applied() {
    let orders = [order("DH1", OrderStatus::Pending)];
    assert_eq!(
        decide_with("DH1", "-150000", &orders),
        MatchDecision::Outgoing
    );
}

#[test]
fn casso_test_call_is_recognised() {
    let orders = [order("DH1", OrderStatus::Pending)];
    assert_eq!(
        decide_with("giao dich thu nghiem", "599000", &orders),
        MatchDecision::Test
    );
    assert_eq!(
        decide_with("  Giao dịch thử nghiệm ", "1", &orders),
        MatchDecision::Test
    );
    let reading = read(
        "DH1",
        Money::parse("1").unwrap(),
        true,
        &Patterns::default(),
    );
    assert_eq!(decide(&reading, &orders), MatchDecision::Test);
    // A real transfer that merely mentions the words is matched as usual.
    assert_eq!(
        decide_with("giao dich thu nghiem DH1", "1", &orders),
        MatchDecision::Matched(code("DH1"))
    );
}

#[test]
fn configured_patterns_use_the_code_group_or_whole_match() {
    let patterns = Patterns::compile(&[
        r"ORDER[ -]?(?P<code>[0-9]{4,})".to_owned(),
        r"SHOP-[A-Z]{2}[0-9]{3}".to_owned(),
    ])
    .unwrap();
    let found = patterns.candidates(&normalise("order 98765 va shop-ab123"));
    assert_eq!(found, [code("98765"), code("SHOPAB123")]);
}

#[test]
fn bad_patterns_are_reported() {
    assert!(matches!(Patterns::compile(&[]), Err(PatternError::Empty)));
    let err = Patterns::compile(&["DH[".to_owned()]).unwrap_err();
    assert!(err.to_string().contains("pattern 0"), "{err}");
}

#[test]
fn overlong_match_is_not_a_code() {
    let long = format!("DH{}", "1".repeat(40));
    assert!(candidates(&long).is_empty());
}

/// Bank noise: words, reference numbers and punctuation that banks wrap around the content.
fn noise() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        "[A-Z]{1,8}",
        "[a-z]{1,8}",
        "[0-9]{1,16}",
        "FT[0-9]{14}",
        Just("GD".to_owned()),
        Just("CT tu".to_owned()),
        Just("Chuyển tiền".to_owned()),
        Just("MBVCB".to_owned()),
        Just("/CTR/".to_owned()),
    ];
    prop::collection::vec(token, 0..6).prop_map(|t| t.join(" "))
}

fn separator() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(" ".to_owned()),
        Just(".".to_owned()),
        Just(";".to_owned()),
        Just("/".to_owned()),
        Just("-".to_owned())
    ]
}

proptest! {
    #[test]
    fn a_code_in_random_bank_noise_is_always_found(
        digits in "[1-9][0-9]{0,11}",
        before in noise(),
        after in noise(),
        sep1 in separator(),
        sep2 in separator(),
        inner in prop_oneof![Just(""), Just(" "), Just("-"), Just("."), Just("_")],
        lower in any::<bool>(),
    ) {
        let written = format!("DH{inner}{digits}");
        let written = if lower { written.to_lowercase() } else { written };
        let description = format!("{before}{sep1}{written}{sep2}{after}");
        let target = format!("DH{digits}");
        let orders = [order(&target, OrderStatus::Pending)];
        // Noise cannot contain "DH" followed by digits except by chance: accept either a clean
        // match or ambiguity only when the noise itself holds another order code.
        let decision = decide_with(&description, "1", &orders);
        prop_assert_eq!(decision, MatchDecision::Matched(code(&target)), "{}", description);
    }

    #[test]
    fn a_code_that_is_a_prefix_of_a_longer_run_is_never_taken(
        digits in "[1-9][0-9]{0,8}",
        more in "[0-9A-Z]{1,6}",
        before in noise(),
        after in noise(),
    ) {
        let target = format!("DH{digits}");
        let description = format!("{before} {target}{more} {after}");
        let orders = [order(&target, OrderStatus::Pending)];
        let decision = decide_with(&description, "1", &orders);
        prop_assert_ne!(decision, MatchDecision::Matched(code(&target)), "{}", description);
    }

    #[test]
    fn normalise_is_idempotent(text in "\\PC{0,40}") {
        let once = normalise(&text);
        prop_assert_eq!(normalise(&once), once.clone());
    }

    #[test]
    fn candidates_are_always_valid_codes(text in "\\PC{0,80}") {
        for c in Patterns::default().candidates(&normalise(&text)) {
            prop_assert!(OrderCode::parse(c.as_str()).is_ok());
            prop_assert!(c.as_str().starts_with("DH"));
        }
    }
}
