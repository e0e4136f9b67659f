-- The admin's day filters, lists and money-per-day chart read the bank's time of a transfer
-- (`occurred_at`, or the receive time where the bank gave none), one status at a time. The
-- expression is written exactly as the queries write it (report_queries.rs, `coalesce`).
CREATE INDEX bank_transactions_status_bank_time
    ON bank_transactions (status, (coalesce(occurred_at, received_at)));
