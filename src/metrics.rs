//! Prometheus metrics at `GET /metrics`: HTTP requests and latencies per route (from
//! `actix-web-prom`), plus what paymatch does with transfers and notifications. Labels come from
//! route patterns, never from what a client sends: requests that match no route share one
//! label value, so random paths cannot grow the series without bound.

use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::{Encoder, IntCounterVec, Opts, Registry, TextEncoder};

/// The `endpoint` label of every request that matched no route.
pub const UNMATCHED_PATH: &str = "unmatched";

#[derive(Clone)]
pub struct Metrics {
    /// Webhook and reconciliation elements by result: accepted, duplicate, rejected, matched.
    pub transactions: IntCounterVec,
    /// Notification attempts by result: delivered, retry, failed, skipped.
    pub notifications: IntCounterVec,
    pub http: PrometheusMetrics,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let transactions = IntCounterVec::new(
            Opts::new(
                "paymatch_transactions_total",
                "Transactions received, by result",
            ),
            &["channel", "result"],
        )?;
        let notifications = IntCounterVec::new(
            Opts::new(
                "paymatch_notifications_total",
                "Shop notification attempts, by result",
            ),
            &["result"],
        )?;
        registry.register(Box::new(transactions.clone()))?;
        registry.register(Box::new(notifications.clone()))?;
        // No `.endpoint()`: the route `/metrics` is paymatch's own, behind its token.
        let http = PrometheusMetricsBuilder::new("paymatch")
            .registry(registry)
            .mask_unmatched_patterns(UNMATCHED_PATH)
            .build()
            .map_err(|e| prometheus::Error::Msg(e.to_string()))?;
        Ok(Metrics {
            transactions,
            notifications,
            http,
        })
    }

    /// Everything registered, in Prometheus' text format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.http.registry.gather(), &mut buffer)?;
        String::from_utf8(buffer).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }

    /// Counts one delivery's elements.
    pub fn count_delivery(&self, channel: &str, report: &crate::ingest::DeliveryReport) {
        let add = |result: &str, n: i32| {
            self.transactions
                .with_label_values(&[channel, result])
                .inc_by(u64::try_from(n).unwrap_or(0));
        };
        add("accepted", report.counts.accepted);
        add("duplicate", report.counts.duplicates);
        add("rejected", report.counts.rejected);
        add("matched", report.matched);
    }
}
