//! Webhook bodies. The input is used twice: as raw bytes for both parsers, and as the recipe
//! of one transaction sent in its v1 shape and in its v2 shape, which must be read alike (the
//! v2 parser promises to accept and reject exactly what v1 does).
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use paymatch_core::domain::{IncomingTransfer, Money};
use paymatch_core::ingest::casso::v1::{parse_v1, V2_TEST_REFERENCE};
use paymatch_core::ingest::casso::v2::parse_v2;
use paymatch_core::ingest::{Element, EnvelopeError};
use serde_json::{json, Map, Value};

type Parser = fn(&[u8]) -> std::result::Result<Vec<Element>, EnvelopeError>;

fuzz_target!(|data: &[u8]| {
    for parse in [parse_v1 as Parser, parse_v2] {
        let first = parse(data);
        assert_eq!(first, parse(data), "parsing is deterministic");
        first.iter().flatten().for_each(check_element);
    }
    if let Ok(fields) = Fields::build(&mut Unstructured::new(data)) {
        fields.check_v1_and_v2_agree();
    }
});

/// What holds for every element either parser returns.
fn check_element(element: &Element) {
    match element {
        Ok(t) => check_transfer(t),
        Err(rejection) => {
            assert!(!rejection.reason.is_empty());
            // Admins are shown the payload: it must stay JSON.
            assert!(serde_json::from_str::<Value>(&rejection.payload).is_ok());
        }
    }
}

fn check_transfer(t: &IncomingTransfer) {
    assert!(!t.amount.is_zero(), "a zero amount was accepted");
    check_money(t.amount);
    if let Some(balance) = t.running_balance {
        check_money(balance);
    }
    let id: u64 = t.external_id.parse().expect("the id is a whole number");
    assert_eq!(id.to_string(), t.external_id, "the id is in canonical form");
    for text in [&t.bank_ref, &t.account].into_iter().flatten() {
        assert!(!text.is_empty(), "an empty text field is kept as None");
    }
}

fn check_money(amount: Money) {
    assert!(amount.decimal().scale() <= 4, "{amount} has over 4 places");
    let units = amount.to_units().expect("fits the storage form");
    assert_eq!(Money::from_units(units), amount);
    assert_eq!(
        Money::parse(&amount.to_string()),
        Ok(amount),
        "display round trip"
    );
}

/// One transaction's fields (None: absent), under their v1 names.
struct Fields(Vec<(&'static str, &'static str, Option<Value>)>);

impl Fields {
    fn build(u: &mut Unstructured) -> Result<Fields> {
        let mut fields = Vec::new();
        for (v1, v2, kind) in [
            ("id", "id", Kind::Number),
            ("amount", "amount", Kind::Number),
            ("description", "description", Kind::Text),
            ("tid", "reference", Kind::Text),
            ("cusum_balance", "runningBalance", Kind::Number),
            ("bank_sub_acc_id", "accountNumber", Kind::Text),
            ("when", "transactionDateTime", Kind::Date),
        ] {
            let value = if u.ratio(1, 8)? {
                None
            } else {
                Some(value(u, kind)?)
            };
            fields.push((v1, v2, value));
        }
        Ok(Fields(fields))
    }

    fn object(&self, v2: bool) -> Value {
        let fields = self.0.iter().filter_map(|(name1, name2, value)| {
            let name = if v2 { name2 } else { name1 };
            Some((name.to_string(), value.clone()?))
        });
        Value::Object(fields.collect::<Map<_, _>>())
    }

    fn check_v1_and_v2_agree(&self) {
        let parse = |parser: Parser, body: Value| {
            let bytes = serde_json::to_vec(&body).expect("serialises");
            let mut elements = parser(&bytes).expect("a well-formed envelope");
            assert_eq!(elements.len(), 1);
            elements.pop().expect("one element")
        };
        let v1 = parse(parse_v1, json!({"error": 0, "data": [self.object(false)]}));
        let v2 = parse(parse_v2, json!({"error": 0, "data": self.object(true)}));
        let v2_array = parse(parse_v2, json!({"data": [self.object(true)]}));
        assert_eq!(v2, v2_array, "v2's object and array forms differ");
        check_element(&v1);
        check_element(&v2);
        match (v1, v2) {
            (Ok(mut one), Ok(two)) => {
                // The only field v2 adds: its test reference.
                let reference = self.object(true).get("reference").cloned();
                one.provider_test = reference == Some(json!(V2_TEST_REFERENCE));
                assert_eq!(one, two);
            }
            (Err(_), Err(_)) => {}
            (one, two) => panic!("v1 and v2 disagree:\n v1: {one:?}\n v2: {two:?}"),
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Number,
    Text,
    Date,
}

/// Mostly plausible values for the field, sometimes any JSON type.
fn value(u: &mut Unstructured, kind: Kind) -> Result<Value> {
    let alphabet: &[u8] = match kind {
        Kind::Number => b"0123456789-+.eE",
        Kind::Date => b"0123456789-: T.Z+",
        Kind::Text => b"",
    };
    Ok(match u.int_in_range(0..=9)? {
        0 => Value::Null,
        1 => json!(u.arbitrary::<bool>()?),
        2 => json!([]),
        3 => Value::String(u.arbitrary()?),
        _ if alphabet.is_empty() => Value::String(u.arbitrary()?),
        _ => {
            let len = u.int_in_range(0..=40)?;
            let text: String = (0..len)
                .map(|_| u.choose(alphabet).map(|&b| char::from(b)))
                .collect::<Result<_>>()?;
            // A number where the text is one (kept as written), else a string.
            match serde_json::from_str::<Value>(&text) {
                Ok(number @ Value::Number(_)) if u.arbitrary()? => number,
                _ => Value::String(text),
            }
        }
    })
}
