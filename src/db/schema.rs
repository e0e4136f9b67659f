//! One schema for both backends: the migrations give each the same tables and types.

diesel::table! {
    orders (id) {
        id -> BigInt,
        code -> Text,
        reference -> Nullable<Text>,
        amount -> BigInt,
        currency -> Text,
        status -> Text,
        amount_received -> BigInt,
        notify_url -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        channel -> Text,
        received_at -> Timestamp,
        body -> Text,
        outcome -> Text,
        accepted -> Integer,
        duplicates -> Integer,
        rejected -> Integer,
    }
}

diesel::table! {
    bank_transactions (id) {
        id -> BigInt,
        source -> Text,
        external_id -> Text,
        bank_ref -> Nullable<Text>,
        description -> Text,
        amount -> BigInt,
        running_balance -> Nullable<BigInt>,
        occurred_at -> Nullable<Timestamp>,
        account -> Nullable<Text>,
        status -> Text,
        order_id -> Nullable<BigInt>,
        candidates -> Text,
        delivery_id -> Nullable<BigInt>,
        received_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rejected_items (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        position -> Integer,
        payload -> Text,
        reason -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    admin_users (id) {
        id -> BigInt,
        name -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(bank_transactions -> orders (order_id));
diesel::joinable!(bank_transactions -> webhook_deliveries (delivery_id));
diesel::joinable!(rejected_items -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    orders,
    webhook_deliveries,
    bank_transactions,
    rejected_items,
    settings,
    admin_users,
);
