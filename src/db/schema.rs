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
        account -> Nullable<Text>,
        search_text -> Nullable<Text>,
        customer_name -> Nullable<Text>,
        customer_phone -> Nullable<Text>,
        customer_email -> Nullable<Text>,
        return_url -> Nullable<Text>,
        cancel_url -> Nullable<Text>,
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
        waiting_reason -> Nullable<Text>,
        resolution -> Nullable<Text>,
        resolution_note -> Nullable<Text>,
        resolved_by -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        search_text -> Nullable<Text>,
        payer_name -> Nullable<Text>,
        payer_account -> Nullable<Text>,
        payer_bank -> Nullable<Text>,
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
        resolution_note -> Nullable<Text>,
        resolved_by -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
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
        role -> Text,
    }
}

diesel::table! {
    admin_sessions (token_hash) {
        token_hash -> Text,
        user_name -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        user_name -> Text,
        address -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor -> Text,
        action -> Text,
        subject -> Text,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
        note -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        unique_key -> Nullable<Text>,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        max_attempts -> Integer,
        run_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        locked_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        target -> Nullable<Text>,
    }
}

diesel::table! {
    reconcile_runs (id) {
        id -> BigInt,
        trigger_source -> Text,
        from_date -> Text,
        to_date -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        pages -> Integer,
        records -> Integer,
        new_transactions -> Integer,
        already_known -> Integer,
        matched -> Integer,
        rejected -> Integer,
        error -> Nullable<Text>,
        source -> Text,
    }
}

diesel::table! {
    order_history (id) {
        id -> BigInt,
        order_id -> BigInt,
        at -> Timestamp,
        event -> Text,
        actor -> Text,
        status_before -> Nullable<Text>,
        status_after -> Text,
        amount_received_before -> Nullable<BigInt>,
        amount_received_after -> BigInt,
        paid_at_before -> Nullable<Timestamp>,
        paid_at_after -> Nullable<Timestamp>,
        transaction_id -> Nullable<BigInt>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    allocations (id) {
        id -> BigInt,
        transaction_id -> BigInt,
        order_id -> BigInt,
        amount -> BigInt,
    }
}

diesel::table! {
    /// Kept by triggers (migration `000017_waiting_tallies`): each waiting status's transfers.
    transfer_tallies (status) {
        status -> Text,
        transfers -> BigInt,
        in_high -> BigInt,
        in_low -> BigInt,
        out_high -> BigInt,
        out_low -> BigInt,
    }
}

diesel::table! {
    allocations_before_history (order_id, transaction_id) {
        order_id -> BigInt,
        transaction_id -> BigInt,
    }
}

diesel::joinable!(allocations -> bank_transactions (transaction_id));
diesel::joinable!(allocations_before_history -> orders (order_id));
diesel::joinable!(allocations -> orders (order_id));
diesel::joinable!(bank_transactions -> orders (order_id));
diesel::joinable!(order_history -> orders (order_id));
diesel::joinable!(order_history -> bank_transactions (transaction_id));
diesel::joinable!(bank_transactions -> webhook_deliveries (delivery_id));
diesel::joinable!(rejected_items -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    orders,
    webhook_deliveries,
    bank_transactions,
    rejected_items,
    settings,
    admin_users,
    admin_sessions,
    login_failures,
    audit_log,
    jobs,
    reconcile_runs,
    order_history,
    allocations,
    allocations_before_history,
);
