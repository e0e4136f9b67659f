//! The command line: `serve` (default), `migrate`, `simulate`, `admin`.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use crate::config::{Settings, CONFIG_PATH_VAR};
use crate::db::PoolPurpose;
use crate::domain::{Money, OrderCode};
use crate::startup::{connect_and_migrate, Application};
use indicatif::{ProgressBar, ProgressStyle};

use crate::casso_api::CassoApi;
use crate::ingest::casso_v2;
use crate::web::webhooks::V2_HEADER;
use crate::{auth, reconcile, secrets, with_store};

#[derive(Parser)]
#[command(
    name = "paymatch",
    version,
    about = "Matches bank transfers reported by Casso to shop orders"
)]
pub struct Cli {
    /// Configuration file (default: paymatch.toml in the working directory, if present).
    #[arg(long, global = true, env = CONFIG_PATH_VAR, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP until SIGINT or SIGTERM (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Post one Casso webhook (v1), signed with the configured secure token, to a running server.
    Simulate(SimulateArgs),
    /// Pull transactions from the Casso API and ingest every one that is missing.
    Reconcile(ReconcileArgs),
    /// Manage admin users; passwords are read from standard input.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// The order code the customer typed.
    #[arg(long)]
    pub code: String,
    /// The amount transferred, e.g. 150000 or 10.5 (negative for money going out).
    #[arg(long, allow_hyphen_values = true)]
    pub amount: String,
    /// The whole transfer description (default: "Thanh toan don hang CODE").
    #[arg(long)]
    pub description: Option<String>,
    /// Casso's transaction id (default: the current time in milliseconds, so each call is new).
    #[arg(long)]
    pub id: Option<u64>,
    /// Server or webhook URL (default: the configured bind address).
    #[arg(long)]
    pub url: Option<String>,
    /// Send a webhook v2 delivery, signed with PAYMATCH_CASSO_WEBHOOK_KEY.
    #[arg(long)]
    pub v2: bool,
}

#[derive(clap::Args)]
pub struct ReconcileArgs {
    /// First day (Vietnam time), YYYY-MM-DD (default: 7 days before --to).
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,
    /// Last day (Vietnam time), YYYY-MM-DD (default: today).
    #[arg(long)]
    pub to: Option<chrono::NaiveDate>,
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an admin user.
    CreateUser { name: String },
    /// Set an admin user's password.
    SetPassword { name: String },
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            connect_and_migrate(&settings, PoolPurpose::Command)
                .await?
                .empty_wal()
                .await;
            println!("migrations applied");
            Ok(())
        }
        Command::Simulate(args) => simulate(settings, args).await,
        Command::Reconcile(args) => reconcile(settings, args).await,
        Command::Admin(command) => admin(settings, command).await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let bind = settings.bind.clone();
    let app = Application::build(settings).await?;
    for secret in &app.generated {
        // Printed once, to standard output and never to the logs.
        println!("Generated {}: {}", secret.what, secret.value);
    }
    tracing::info!(address = %bind, port = app.port(), "paymatch listening");
    app.run_until_stopped().await?;
    tracing::info!("paymatch stopped");
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Password: ").context("cannot read the password");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn admin(settings: Settings, command: AdminCommand) -> anyhow::Result<()> {
    let password = read_password()?;
    let db = connect_and_migrate(&settings, PoolPurpose::Command).await?;
    let (name, done) = match &command {
        AdminCommand::CreateUser { name } => (name.clone(), "created"),
        AdminCommand::SetPassword { name } => (name.clone(), "password changed"),
    };
    let user = name.clone();
    let done_or_not = db
        .run(move |conn| {
            with_store!(conn, |s| match command {
                AdminCommand::CreateUser { .. } => auth::create_user(s, &user, &password),
                AdminCommand::SetPassword { .. } => auth::set_password(s, &user, &password),
            })
        })
        .await;
    db.empty_wal().await;
    done_or_not?;
    println!("admin user {name}: {done}");
    Ok(())
}

fn webhook_url(settings: &Settings, url: Option<&str>) -> String {
    let base = url
        .map(str::to_owned)
        .unwrap_or_else(|| format!("http://{}", settings.bind));
    let trimmed = base.trim_end_matches('/');
    match reqwest::Url::parse(trimmed) {
        Ok(parsed) if parsed.path() == "/" || parsed.path().is_empty() => {
            format!("{trimmed}/webhooks/casso")
        }
        _ => trimmed.to_owned(),
    }
}

/// The configured secure token, or the one the server generated and stored.
async fn secure_token(settings: &Settings) -> anyhow::Result<String> {
    if let Some(token) = &settings.casso_secure_token {
        return Ok(token.expose_secret().to_owned());
    }
    let db = connect_and_migrate(settings, PoolPurpose::Command).await?;
    let token = db
        .run(|conn| with_store!(conn, |s| secrets::stored_secure_token(s)))
        .await;
    // Migrations may have written.
    db.empty_wal().await;
    token?.context("no secure token: set PAYMATCH_CASSO_SECURE_TOKEN or start the server once")
}

async fn reconcile(settings: Settings, args: ReconcileArgs) -> anyhow::Result<()> {
    let key = settings
        .casso_api_key
        .clone()
        .context("reconciliation needs PAYMATCH_CASSO_API_KEY")?;
    let to = args.to.unwrap_or_else(reconcile::today);
    let from = args.from.unwrap_or(to - chrono::Duration::days(7));
    let db = connect_and_migrate(&settings, PoolPurpose::Command).await?;
    let api = CassoApi::new(
        &settings.casso_api_url,
        key,
        std::time::Duration::from_secs(30),
    )?;
    // A wrong key fails here, with Casso's answer, before any run is recorded.
    api.user_info()
        .await
        .context("checking PAYMATCH_CASSO_API_KEY with Casso")?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} pages {pos}/{len} {wide_bar} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let mut progress = |done: u32, total: Option<u32>| {
        if let Some(bar) = &bar {
            bar.set_length(u64::from(total.unwrap_or(done).max(done)));
            bar.set_position(u64::from(done));
        }
    };
    let mut changed = Vec::new();
    let result = reconcile::run(
        &db,
        &settings.matching,
        &api,
        (from, to),
        "cli",
        &mut progress,
        &mut changed,
    )
    .await;
    db.empty_wal().await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let totals = result?;
    println!(
        "reconciled {from} to {to}: {} pages, {} records, {} new, {} already known, {} matched, {} rejected",
        totals.pages, totals.records, totals.new_transactions, totals.already_known, totals.matched, totals.rejected
    );
    Ok(())
}

async fn simulate(settings: Settings, args: SimulateArgs) -> anyhow::Result<()> {
    let code = OrderCode::parse(&args.code).map_err(|e| anyhow::anyhow!("--code: {e}"))?;
    let amount = Money::parse(&args.amount).map_err(|e| anyhow::anyhow!("--amount: {e}"))?;
    let id = args.id.unwrap_or_else(|| {
        u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default()
    });
    let description = args
        .description
        .unwrap_or_else(|| format!("Thanh toan don hang {code}"));
    let when = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).context("offset")?)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    // The amount goes out as a JSON number with exactly the digits given.
    let amount_json: serde_json::Value = serde_json::from_str(&amount.to_string())?;
    let url = webhook_url(&settings, args.url.as_deref());
    let request = reqwest::Client::new().post(&url);
    let request = if args.v2 {
        let key = settings
            .casso_webhook_key
            .as_ref()
            .context("--v2 needs PAYMATCH_CASSO_WEBHOOK_KEY")?;
        let body = serde_json::json!({
            "error": 0,
            "data": {
                "id": id,
                "reference": format!("SIM{id}"),
                "description": description,
                "amount": amount_json,
                "runningBalance": 0,
                "transactionDateTime": when,
                "accountNumber": "SIMULATED",
            }
        });
        let now_ms = chrono::Utc::now().timestamp_millis();
        let signature = casso_v2::signature_header(&body, key.expose_secret().as_bytes(), now_ms)?;
        request.header(V2_HEADER, signature).json(&body)
    } else {
        let body = serde_json::json!({
            "error": 0,
            "data": [{
                "id": id,
                "tid": format!("SIM{id}"),
                "description": description,
                "amount": amount_json,
                "cusum_balance": 0,
                "when": when,
                "bank_sub_acc_id": "SIMULATED",
                "subAccId": "SIMULATED",
            }]
        });
        request
            .header("Secure-Token", secure_token(&settings).await?)
            .json(&body)
    };
    let reply = request
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = reply.status();
    let text = reply.text().await.unwrap_or_default();
    println!("HTTP {}", status.as_u16());
    println!("{text}");
    if !status.is_success() {
        bail!("the server answered {status}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulate_urls() {
        let settings = Settings::load(None, Vec::new()).unwrap();
        assert_eq!(
            webhook_url(&settings, None),
            "http://127.0.0.1:8080/webhooks/casso"
        );
        assert_eq!(
            webhook_url(&settings, Some("http://h:1")),
            "http://h:1/webhooks/casso"
        );
        assert_eq!(
            webhook_url(&settings, Some("https://h/")),
            "https://h/webhooks/casso"
        );
        assert_eq!(
            webhook_url(&settings, Some("https://h/hooks/x")),
            "https://h/hooks/x"
        );
    }
}
