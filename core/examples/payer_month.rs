//! A synthetic month of a shop, replayed through the matcher: how many transfers paymatch
//! resolves by itself, how many it would apply wrongly (must be 0), and how long the queue is
//! with and without matching by the payer (contract: "Transfers without a code").
//!
//! The decisions are the ones the server makes (`matching::read`, `matching::decide`, then
//! `matching::match_by_payer` for a transfer without a code), on orders kept in memory in
//! time order, with the same expiry. What is synthetic is the shop: customers with colliding
//! names (An/Anh, shared family and given names), repeat buyers, a price list so that many
//! orders share an amount, orders without a customer name, partial payments, someone else
//! paying (a spouse), typos in codes, and transfers that pay no order at all.
//!
//! `cargo run --release -p paymatch-core --example payer_month [-- SEED [ORDERS_PER_DAY]]`

use chrono::{DateTime, Duration, TimeZone, Utc};
use paymatch_core::domain::{Money, Order, OrderCode};
use paymatch_core::matching::{
    self, match_by_payer, payer_in_description, MatchDecision, Patterns, PayerRule,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const FAMILY: [&str; 12] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
];
const MIDDLE: [&str; 6] = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Đức"];
const GIVEN: [&str; 20] = [
    "An", "Anh", "Ánh", "Bình", "Chi", "Dũng", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Linh", "Mai",
    "Nam", "Phương", "Quân", "Thảo", "Trang", "Tuấn", "Yến",
];
const PRICES: [i64; 10] = [
    99_000, 129_000, 150_000, 199_000, 249_000, 279_000, 299_000, 350_000, 420_000, 599_000,
];

/// How a bank writes the sender in capitals, without diacritics.
fn banked(name: &str) -> String {
    matching::payer::name_words(name).join(" ")
}

struct Payment {
    at: DateTime<Utc>,
    description: String,
    amount: Money,
    /// The order it is for, as the shop knows it: the truth a decision is checked against.
    truth: Option<usize>,
}

#[derive(Default)]
struct Tally {
    transfers: u32,
    by_code: u32,
    by_payer: u32,
    wrong_by_code: u32,
    wrong_by_payer: u32,
    waiting_code_only: u32,
    waiting_with_payer: u32,
    without_code: u32,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2026);
    let per_day: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(40);
    let mut rng = StdRng::seed_from_u64(seed);
    let start = Utc
        .with_ymd_and_hms(2026, 11, 1, 1, 0, 0)
        .single()
        .expect("a valid time");

    // 300 customers drawn from a small name space: many share family, middle and given names.
    let customers: Vec<String> = (0..300)
        .map(|_| {
            format!(
                "{} {} {}",
                FAMILY[rng.random_range(0..FAMILY.len())],
                MIDDLE[rng.random_range(0..MIDDLE.len())],
                GIVEN[rng.random_range(0..GIVEN.len())]
            )
        })
        .collect();

    let mut orders: Vec<Order> = Vec::new();
    let mut payments: Vec<Payment> = Vec::new();
    for day in 0..30 {
        for k in 0..per_day {
            let created =
                start + Duration::days(day) + Duration::minutes(rng.random_range(0..14 * 60));
            let code = OrderCode::parse(&format!("DH{}", 1000 + day as usize * per_day + k))
                .expect("DH and digits is a code");
            // One to three items of the price list, and shipping: many orders share a total.
            let items: i64 = (0..rng.random_range(1..=3))
                .map(|_| PRICES[rng.random_range(0..PRICES.len())])
                .sum();
            let price = items + [0, 15_000, 30_000][rng.random_range(0..3)];
            let mut order = Order::pending(code.clone(), Money::from_units(price), "VND", created);
            order.expires_at = Some(created + Duration::hours(72));
            let customer = &customers[rng.random_range(0..customers.len())];
            if rng.random_bool(0.9) {
                order.customer.name = Some(customer.clone());
            }
            let index = orders.len();
            orders.push(order);
            // 10% are never paid; 5% are paid in two parts.
            if rng.random_bool(0.1) {
                continue;
            }
            let at = created + Duration::minutes(rng.random_range(2..36 * 60));
            // 10% are paid by someone else (a spouse, a friend).
            let payer = if rng.random_bool(0.1) {
                banked(&customers[rng.random_range(0..customers.len())])
            } else {
                banked(customer)
            };
            let parts: Vec<i64> = if rng.random_bool(0.05) {
                vec![price / 2, price - price / 2]
            } else {
                vec![price]
            };
            for (p, part) in parts.into_iter().enumerate() {
                let typed = match rng.random_range(0..10) {
                    // The code as typed, in the shapes banks deliver.
                    0..=2 => format!("{payer} chuyen tien {code}"),
                    3 => format!(
                        "MBVCB.{}.{}.{code}.CT tu 0071000{} {payer} toi 28349817 CONG TY ABC",
                        rng.random_range(1000..9999),
                        rng.random_range(100000..999999),
                        rng.random_range(100000..999999)
                    ),
                    4 => format!("IB {payer} {code}"),
                    // A typo: a letter O for a zero, or a digit dropped.
                    5 => format!(
                        "{payer} chuyen khoan {}",
                        code.as_str().replacen('0', "O", 1)
                    ),
                    // No code at all.
                    6 | 7 => format!("{payer} chuyen khoan mua hang"),
                    8 => format!("IB {payer}"),
                    _ => format!(
                        "FT{} GD {}",
                        rng.random_range(10_000_000u64..99_999_999),
                        rng.random_range(100000..999999)
                    ),
                };
                payments.push(Payment {
                    at: at + Duration::minutes(p as i64 * 90),
                    description: typed,
                    amount: Money::from_units(part),
                    truth: Some(index),
                });
            }
        }
        // A few transfers a day pay no order: a refund from a supplier, a salary, a loan back.
        for _ in 0..per_day / 10 {
            let who = banked(&customers[rng.random_range(0..customers.len())]);
            payments.push(Payment {
                at: start + Duration::days(day) + Duration::minutes(rng.random_range(0..24 * 60)),
                description: format!("{who} chuyen tien tra no"),
                amount: Money::from_units(PRICES[rng.random_range(0..PRICES.len())]),
                truth: None,
            });
        }
    }
    payments.sort_by_key(|p| p.at);

    let patterns = Patterns::default();
    let rule = PayerRule::default();
    let mut tally = Tally::default();
    for payment in &payments {
        tally.transfers += 1;
        // The orders the shop had made by then, as they stand.
        let known = orders.partition_point(|o| o.created_at <= payment.at + Duration::hours(1));
        let reading = matching::read(&payment.description, payment.amount, false, &patterns);
        let named: Vec<Order> = orders[..known]
            .iter()
            .filter(|o| reading.candidates.contains(&o.code))
            .map(|o| o.clone().seen_at(payment.at))
            .collect();
        let decision = matching::decide(&reading, &named);
        let mut applied_by_payer = false;
        let target = match &decision {
            MatchDecision::Matched(code) => orders.iter().position(|o| &o.code == code),
            MatchDecision::Unmatched => {
                tally.without_code += 1;
                tally.waiting_code_only += 1;
                let open: Vec<Order> = orders[..known]
                    .iter()
                    .filter(|o| o.is_open_at(payment.at))
                    .cloned()
                    .collect();
                let payer = payer_in_description(&payment.description);
                match match_by_payer(payment.amount, payer.as_deref(), payment.at, &open, rule) {
                    Ok(order) => {
                        applied_by_payer = true;
                        orders.iter().position(|o| o.code == order.code)
                    }
                    Err(_) => None,
                }
            }
            _ => {
                tally.waiting_code_only += 1;
                None
            }
        };
        let Some(target) = target else {
            tally.waiting_with_payer += 1;
            continue;
        };
        let wrong = payment.truth != Some(target);
        match (applied_by_payer, wrong) {
            (true, w) => {
                tally.by_payer += 1;
                tally.wrong_by_payer += u32::from(w);
            }
            (false, w) => {
                tally.by_code += 1;
                tally.wrong_by_code += u32::from(w);
            }
        }
        let order = &mut orders[target];
        order
            .apply_transfer(payment.amount, Money::ZERO, payment.at)
            .expect("amounts fit");
    }

    let share = |n: u32| 100.0 * f64::from(n) / f64::from(tally.transfers.max(1));
    println!(
        "payer_month: seed {seed}, {} orders, {} transfers ({} without a code)",
        orders.len(),
        tally.transfers,
        tally.without_code
    );
    println!(
        "  applied by code:   {:5} ({:.1}%), wrongly: {}",
        tally.by_code,
        share(tally.by_code),
        tally.wrong_by_code
    );
    println!(
        "  applied by payer:  {:5} ({:.1}%), wrongly: {}",
        tally.by_payer,
        share(tally.by_payer),
        tally.wrong_by_payer
    );
    println!(
        "  resolved automatically: {:.1}% (code only: {:.1}%)",
        share(tally.by_code + tally.by_payer),
        share(tally.by_code)
    );
    println!(
        "  queue: {} without the payer rule, {} with it ({:.0}% smaller)",
        tally.waiting_code_only,
        tally.waiting_with_payer,
        100.0
            * (1.0
                - f64::from(tally.waiting_with_payer) / f64::from(tally.waiting_code_only.max(1)))
    );
    if tally.wrong_by_payer > 0 {
        eprintln!("payer_month: a transfer was applied by its payer to the wrong order");
        std::process::exit(1);
    }
}
