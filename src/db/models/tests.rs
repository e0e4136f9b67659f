//! The inserts kept prepared by type (`cached::ByType`) must read the same whatever their values.

use std::borrow::Cow;

use diesel::pg::Pg;
use diesel::query_builder::QueryFragment;
use diesel::sqlite::Sqlite;
use diesel::{debug_query, insert_into};

use super::{NewHistoryRow, NewTransactionRow, StoredTime};
use crate::db::schema::{bank_transactions, order_history};

/// The statement's SQL text on both backends, without its bound values.
fn texts(query: &(impl QueryFragment<Sqlite> + QueryFragment<Pg>)) -> [String; 2] {
    let sql = |text: String| {
        text.split(" -- binds")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    [
        sql(debug_query::<Sqlite, _>(query).to_string()),
        sql(debug_query::<Pg, _>(query).to_string()),
    ]
}

fn transaction_row(at: StoredTime, optional: bool) -> NewTransactionRow<'static> {
    let text = |s: &'static str| optional.then_some(Cow::Borrowed(s));
    NewTransactionRow {
        source: "casso",
        external_id: "1",
        bank_ref: text("FT1"),
        description: Cow::Borrowed("DH1006"),
        amount: 1,
        running_balance: optional.then_some(2),
        occurred_at: optional.then_some(at),
        account: text("0123"),
        status: "matched",
        candidates: String::new(),
        delivery_id: optional.then_some(3),
        received_at: at,
        updated_at: at,
        search_text: "",
        payer_name: text("AN"),
        payer_account: text("456"),
        payer_bank: text("VCB"),
    }
}

fn history_row(at: StoredTime, optional: bool) -> NewHistoryRow<'static> {
    NewHistoryRow {
        at,
        event: "payment",
        actor: "casso",
        status_before: optional.then_some("pending"),
        status_after: "paid",
        amount_received_before: optional.then_some(0),
        amount_received_after: 1,
        paid_at_before: optional.then_some(at),
        paid_at_after: optional.then_some(at),
        transaction_id: optional.then_some(1),
        note: optional.then_some("note"),
    }
}

#[test]
fn an_insert_reads_the_same_with_its_optional_values_or_without() {
    let at = StoredTime(chrono::NaiveDateTime::default());
    let [with, without] = [true, false].map(|optional| {
        texts(&insert_into(bank_transactions::table).values(transaction_row(at, optional)))
    });
    assert_eq!(with, without);
    assert!(with[0].contains("payer_bank"), "{}", with[0]);
    let [with, without] = [true, false].map(|optional| {
        texts(&insert_into(order_history::table).values(history_row(at, optional)))
    });
    assert_eq!(with, without);
    assert!(with[1].contains("note"), "{}", with[1]);
}
