//! Variables arrive as strings; the file has typed values. Both are accepted for each key.

use serde::{Deserialize, Deserializer};

use crate::domain::Money;

#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    List(Vec<String>),
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
    Scalar::deserialize(d)
}

pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match scalar(d)? {
        Scalar::Bool(b) => Ok(Some(b)),
        Scalar::Text(t) if t.eq_ignore_ascii_case("true") || t == "1" => Ok(Some(true)),
        Scalar::Text(t) if t.eq_ignore_ascii_case("false") || t == "0" => Ok(Some(false)),
        _ => Err(serde::de::Error::custom("expected true or false")),
    }
}

pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let parsed = match scalar(d)? {
        Scalar::Int(i) => u64::try_from(i).ok(),
        Scalar::Text(t) => t.trim().parse().ok(),
        _ => None,
    };
    parsed
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("expected a whole number of 0 or more"))
}

/// Bytes: a whole number, or one with a unit `B`, `KiB`, `MiB`, `GiB` or `TiB` (`64MiB`,
/// `512 KiB`).
pub fn byte_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let parsed = match scalar(d)? {
        Scalar::Int(i) => u64::try_from(i).ok(),
        Scalar::Text(t) => {
            let t = t.trim();
            let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
            let shift = match t[digits..].trim().to_ascii_lowercase().as_str() {
                "" | "b" => Some(0),
                "kib" => Some(10),
                "mib" => Some(20),
                "gib" => Some(30),
                "tib" => Some(40),
                _ => None,
            };
            let number = t[..digits].parse::<u64>().ok();
            number.zip(shift).and_then(|(n, s)| n.checked_mul(1 << s))
        }
        _ => None,
    };
    parsed.map(Some).ok_or_else(|| {
        serde::de::Error::custom("expected a size such as 64MiB, 512KiB or 1048576 (bytes)")
    })
}

pub fn money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
    let text = match scalar(d)? {
        Scalar::Int(i) => i.to_string(),
        // TOML floats: the shortest text that reads back as the same float is what was typed.
        Scalar::Float(f) => f.to_string(),
        Scalar::Text(t) => t,
        _ => return Err(serde::de::Error::custom("expected an amount")),
    };
    Money::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Comma-separated text, or a TOML array of strings (joined with commas).
pub fn comma_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match scalar(d)? {
        Scalar::Text(t) => Ok(Some(t)),
        Scalar::List(list) => Ok(Some(list.join(","))),
        _ => Err(serde::de::Error::custom(
            "expected comma-separated text or an array of strings",
        )),
    }
}

/// A TOML array of strings, or (from a variable) a JSON array of strings.
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    match scalar(d)? {
        Scalar::List(list) => Ok(Some(list)),
        Scalar::Text(t) => serde_json::from_str::<Vec<String>>(&t)
            .map(Some)
            .map_err(|e| {
                serde::de::Error::custom(format!("expected a JSON array of strings: {e}"))
            }),
        _ => Err(serde::de::Error::custom("expected an array of strings")),
    }
}
