//! Prometheus metrics at `GET /metrics`: HTTP requests and latencies per route (from
//! `actix-web-prom`), plus what paymatch does with transfers and notifications.

use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::{IntCounterVec, Opts, Registry};

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
        let http = PrometheusMetricsBuilder::new("paymatch")
            .registry(registry)
            .endpoint("/metrics")
            .build()
            .map_err(|e| prometheus::Error::Msg(e.to_string()))?;
        Ok(Metrics {
            transactions,
            notifications,
            http,
        })
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
