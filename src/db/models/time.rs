//! Timestamps as paymatch writes them. SQLite keeps a timestamp as text, the text diesel makes
//! with chrono's `format("%F %T%.f")`, whose format-string machinery cost SQLite's writer thread
//! 4 % of its time (eight timestamps a webhook). [`StoredTime`] writes the same text directly;
//! PostgreSQL gets diesel's own binary form.

use chrono::{Datelike, NaiveDateTime, Timelike};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{IsNull, Output, ToSql};
use diesel::sql_types::Timestamp;
use diesel::sqlite::Sqlite;

/// A timestamp to be written (UTC, as every stored time is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression)]
#[diesel(sql_type = Timestamp)]
pub struct StoredTime(pub NaiveDateTime);

impl ToSql<Timestamp, Sqlite> for StoredTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> diesel::serialize::Result {
        out.set_value(sqlite_text(&self.0));
        Ok(IsNull::No)
    }
}

impl ToSql<Timestamp, Pg> for StoredTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
        ToSql::<Timestamp, Pg>::to_sql(&self.0, out)
    }
}

/// Exactly chrono's `%F %T%.f`: the fraction of a second in 3, 6 or 9 digits, as few as hold
/// it, and none for a whole second; a leap second as second 60. Years past four digits (never
/// a clock's) go through chrono itself.
pub fn sqlite_text(t: &NaiveDateTime) -> String {
    let year = t.year();
    let Ok(year) = u32::try_from(year) else {
        return t.format("%F %T%.f").to_string();
    };
    if year > 9999 {
        return t.format("%F %T%.f").to_string();
    }
    let nanos = t.nanosecond();
    let (second, fraction) = (t.second() + nanos / 1_000_000_000, nanos % 1_000_000_000);
    let mut text = String::with_capacity(29);
    push_digits(&mut text, year, 4);
    text.push('-');
    push_digits(&mut text, t.month(), 2);
    text.push('-');
    push_digits(&mut text, t.day(), 2);
    text.push(' ');
    push_digits(&mut text, t.hour(), 2);
    text.push(':');
    push_digits(&mut text, t.minute(), 2);
    text.push(':');
    push_digits(&mut text, second, 2);
    if fraction != 0 {
        text.push('.');
        if fraction % 1_000_000 == 0 {
            push_digits(&mut text, fraction / 1_000_000, 3);
        } else if fraction % 1_000 == 0 {
            push_digits(&mut text, fraction / 1_000, 6);
        } else {
            push_digits(&mut text, fraction, 9);
        }
    }
    text
}

/// `value` in `width` decimal digits, zero-padded (`value` < 10^`width`).
fn push_digits(text: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10u32.pow(place)) % 10;
        text.push(char::from(b'0' + digit as u8));
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveTime};
    use proptest::prelude::*;

    use super::*;

    fn chrono_text(t: &NaiveDateTime) -> String {
        t.format("%F %T%.f").to_string()
    }

    #[test]
    fn the_text_of_each_fraction_width_and_a_leap_second() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        for (nanos, text) in [
            (0, "2026-12-05 07:08:09"),
            (120_000_000, "2026-12-05 07:08:09.120"),
            (123_456_000, "2026-12-05 07:08:09.123456"),
            (123_456_789, "2026-12-05 07:08:09.123456789"),
        ] {
            let t = day.and_time(NaiveTime::from_hms_nano_opt(7, 8, 9, nanos).unwrap());
            assert_eq!(sqlite_text(&t), text);
            assert_eq!(chrono_text(&t), text);
        }
        let leap = day.and_time(NaiveTime::from_hms_nano_opt(7, 8, 59, 1_500_000_000).unwrap());
        assert_eq!(sqlite_text(&leap), "2026-12-05 07:08:60.500");
        assert_eq!(chrono_text(&leap), "2026-12-05 07:08:60.500");
        let early = NaiveDate::from_ymd_opt(7, 1, 2)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(sqlite_text(&early), "0007-01-02 00:00:00");
        let far = NaiveDate::from_ymd_opt(12345, 1, 2)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(sqlite_text(&far), chrono_text(&far));
    }

    proptest! {
        #[test]
        fn the_same_text_as_chrono(
            days in -1_000_000i64..4_000_000,
            seconds in 0u32..86_400,
            nanos in prop_oneof![
                Just(0u32),
                (0u32..1_000).prop_map(|ms| ms * 1_000_000),
                (0u32..1_000_000).prop_map(|us| us * 1_000),
                0u32..2_000_000_000,
            ],
        ) {
            let date = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
            let date = if days >= 0 {
                date.checked_add_days(chrono::Days::new(days as u64))
            } else {
                date.checked_sub_days(chrono::Days::new(days.unsigned_abs()))
            };
            // A leap second only at the minute's last second, as chrono allows.
            let nanos = if seconds % 60 == 59 { nanos } else { nanos % 1_000_000_000 };
            if let (Some(date), Some(time)) =
                (date, NaiveTime::from_num_seconds_from_midnight_opt(seconds, nanos))
            {
                let t = date.and_time(time);
                prop_assert_eq!(sqlite_text(&t), chrono_text(&t));
            }
        }
    }
}
