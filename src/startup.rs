//! Building the service: the same code for `main` and for the tests.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::db::{Database, OrderStore, PoolPurpose, StoreError};
use crate::metrics::Metrics;
use crate::secrets::{self, Generated};
use crate::state::{AppState, OrderEvents, Secrets};
use crate::{jobs, web as routes, with_store};

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    pub secrets: Secrets,
    pub generated: Vec<Generated>,
    pub db: Database,
}

impl Application {
    /// Connects, migrates, resolves secrets and binds the listener (port 0 picks a free one).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = connect_and_migrate(&settings, PoolPurpose::Server).await?;
        let prepared = {
            let settings = settings.clone();
            db.run(move |conn| with_store!(conn, |s| secrets::prepare(s, &settings)))
                .await?
        };
        let (secrets, generated) = prepared;
        if let Some(default) = settings.accounts.default_account() {
            // Orders that name no account read as the default one: stored, so that every
            // reader (the API, notifications, exports) says the same.
            let number = default.number.clone();
            let assigned = db
                .run(move |conn| with_store!(conn, |s| s.assign_account_where_none(&number)))
                .await?;
            if assigned > 0 {
                tracing::info!(
                    orders = assigned,
                    "orders without an account given the default"
                );
            }
        }
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let metrics = Metrics::new().map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
        let state = web::Data::new(AppState {
            db: db.clone(),
            metrics: metrics.clone(),
            settings: Arc::new(settings),
            secrets: secrets.clone(),
            order_events: OrderEvents::new(),
            waiting: Default::default(),
        });
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(metrics.http.clone())
                .wrap(from_fn(routes::security::headers))
                .wrap(TracingLogger::<routes::client::ClientSpan>::new())
                .wrap(from_fn(routes::methods::normalise))
                .app_data(app_state.clone())
                .configure(routes::routes)
        })
        .listen(listener)?
        // Long-polls hold requests up to 60 s; a stop waits for them to finish.
        .shutdown_timeout(65)
        .run();
        Ok(Application {
            port,
            server,
            state,
            secrets,
            generated,
            db,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, finishing the requests in flight; then lets the
    /// worker finish the job in hand, and empties SQLite's WAL.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = self.state.settings.worker.then(|| jobs::spawn(&self.state));
        let served = self.server.await;
        if let Some(worker) = worker {
            worker.stop().await;
        }
        self.db.empty_wal().await;
        served
    }
}

pub async fn connect_and_migrate(
    settings: &Settings,
    purpose: PoolPurpose,
) -> anyhow::Result<Database> {
    let url = settings.database_url.clone();
    let (kind, wal_limit) = (settings.database_kind, settings.sqlite_wal_limit);
    tokio::task::spawn_blocking(move || {
        let db = Database::connect(&url, kind, purpose, wal_limit)?;
        let ran = db.migrate()?;
        if ran > 0 {
            tracing::info!(migrations = ran, "database migrated");
        }
        Ok::<_, StoreError>(db)
    })
    .await?
    .map_err(|e| anyhow::anyhow!("{e}"))
}
