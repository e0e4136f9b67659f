//! Group commit for SQLite. SQLite has one writer at a time, and with `synchronous=FULL` each
//! commit waits for the disk. One thread writes every webhook delivery: the deliveries that
//! arrive while it is committing are committed together, one disk flush for many, each in its
//! own savepoint so one failing delivery fails alone. A reply is sent only after the commit.

use std::thread;

use chrono::{DateTime, Utc};
use diesel::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::casso::Element;
use super::pipeline::{record_delivery, DeliveryReport};
use crate::config::MatchingSettings;
use crate::db::{Database, DbConn, StoreError};

/// Most deliveries in one commit: bounds the latency a batch adds.
const MAX_BATCH: usize = 128;
/// Deliveries waiting for the writer before senders wait (back-pressure).
const QUEUE: usize = 4096;

struct Delivery {
    channel: &'static str,
    raw_body: String,
    elements: Vec<Element>,
    received: DateTime<Utc>,
    reply: oneshot::Sender<Result<DeliveryReport, StoreError>>,
}

#[derive(Clone)]
pub struct DeliveryWriter {
    queue: mpsc::Sender<Delivery>,
}

impl DeliveryWriter {
    pub fn start(db: Database, matching: MatchingSettings) -> DeliveryWriter {
        let (queue, deliveries) = mpsc::channel(QUEUE);
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(&db, &matching, deliveries))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!(error = %e, "writer thread not started"));
        DeliveryWriter { queue }
    }

    /// Stores one delivery; returns once it is committed.
    pub async fn ingest(
        &self,
        channel: &'static str,
        raw_body: String,
        elements: Vec<Element>,
        received: DateTime<Utc>,
    ) -> Result<DeliveryReport, StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Unavailable("the database writer stopped".into());
        self.queue
            .send(Delivery {
                channel,
                raw_body,
                elements,
                received,
                reply,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn write_loop(
    db: &Database,
    matching: &MatchingSettings,
    mut deliveries: mpsc::Receiver<Delivery>,
) {
    while let Some(first) = deliveries.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match deliveries.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let results = match db.get() {
            Ok(DbConn::Sqlite(mut conn)) => commit_batch(&mut conn, matching, &batch),
            Ok(DbConn::Postgres(_)) => Err(StoreError::Unavailable(
                "the group writer is for SQLite".into(),
            )),
            Err(e) => Err(e),
        };
        match results {
            Ok(results) => {
                for (delivery, result) in batch.into_iter().zip(results) {
                    let _ = delivery.reply.send(result);
                }
            }
            Err(error) => {
                tracing::error!(%error, deliveries = batch.len(), "group commit failed");
                for delivery in batch {
                    let _ = delivery
                        .reply
                        .send(Err(StoreError::Unavailable(error.to_string())));
                }
            }
        }
    }
}

/// One `BEGIN IMMEDIATE … COMMIT` around the batch; a savepoint around each delivery.
fn commit_batch(
    conn: &mut SqliteConnection,
    matching: &MatchingSettings,
    batch: &[Delivery],
) -> Result<Vec<Result<DeliveryReport, StoreError>>, StoreError> {
    conn.immediate_transaction(|conn| {
        Ok::<_, StoreError>(
            batch
                .iter()
                .map(|d| {
                    conn.transaction(|conn| {
                        record_delivery(
                            conn,
                            matching,
                            d.channel,
                            &d.raw_body,
                            &d.elements,
                            d.received,
                        )
                    })
                })
                .collect(),
        )
    })
}
