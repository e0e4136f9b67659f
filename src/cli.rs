//! The command line: `serve` (default), `migrate`, `simulate`, `admin`.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{PublicUrl, Settings, CONFIG_PATH_VAR};
use crate::db::PoolPurpose;
use crate::domain::Source;
use crate::reconcile::ProviderApi;
use crate::startup::{connect_and_migrate, Application};
use crate::{auth, reconcile, secrets, with_store};

mod simulate;

#[derive(Parser)]
#[command(
    name = "paymatch",
    version,
    about = "Matches bank transfers reported by Casso or SePay to shop orders"
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
    /// Post one webhook delivery (Casso v1 by default, v2 or SePay) to a running server, with
    /// the configured credentials.
    Simulate(SimulateArgs),
    /// Pull transactions from the providers' APIs and ingest every one that is missing.
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
    /// The provider's transaction id (default: the current time in milliseconds, so each call
    /// is new).
    #[arg(long)]
    pub id: Option<u64>,
    /// Server or webhook URL (default: the configured bind address).
    #[arg(long)]
    pub url: Option<String>,
    /// Send a webhook v2 delivery, signed with PAYMATCH_CASSO_WEBHOOK_KEY.
    #[arg(long)]
    pub v2: bool,
    /// Whose webhook to send: Casso's, or SePay's with PAYMATCH_SEPAY_WEBHOOK_KEY.
    #[arg(long, value_enum, default_value = "casso")]
    pub source: ProviderArg,
}

/// A provider, as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProviderArg {
    Casso,
    Sepay,
}

impl ProviderArg {
    pub fn source(self) -> Source {
        match self {
            ProviderArg::Casso => Source::Casso,
            ProviderArg::Sepay => Source::Sepay,
        }
    }
}

#[derive(clap::Args)]
pub struct ReconcileArgs {
    /// First day (Vietnam time), YYYY-MM-DD (default: 7 days before --to).
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,
    /// Last day (Vietnam time), YYYY-MM-DD (default: today).
    #[arg(long)]
    pub to: Option<chrono::NaiveDate>,
    /// One provider (default: every provider whose API key or token is set).
    #[arg(long, value_enum)]
    pub source: Option<ProviderArg>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Owner,
    Staff,
    Viewer,
}

impl From<RoleArg> for crate::users::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Owner => crate::users::Role::Owner,
            RoleArg::Staff => crate::users::Role::Staff,
            RoleArg::Viewer => crate::users::Role::Viewer,
        }
    }
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an admin user.
    CreateUser {
        name: String,
        /// What the user may do: owner (everything), staff (the queue and orders), viewer
        /// (read and export).
        #[arg(long, value_enum, default_value_t = RoleArg::Owner)]
        role: RoleArg,
    },
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
        Command::Simulate(args) => simulate::simulate(settings, args).await,
        Command::Reconcile(args) => reconcile(settings, args).await,
        Command::Admin(command) => admin(settings, command).await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let bind = settings.bind.clone();
    let public_url = settings.public_url.clone();
    let app = Application::build(settings).await?;
    for secret in &app.generated {
        // Printed once, to standard output and never to the logs.
        println!("Generated {}: {}", secret.what, secret.value);
    }
    // Where to go next: the admin (and, on the first start, how to begin).
    let admin = admin_address(&public_url, &bind, app.port());
    if app.generated.is_empty() {
        println!("Admin: {admin}");
    } else {
        println!("Admin: {admin} (user `{}`)", secrets::ADMIN_USER);
        println!(
            "First run: README.md#first-run (log in, connect Casso or SePay, make an order, \
             pay it with `paymatch simulate`)"
        );
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
        AdminCommand::CreateUser { name, .. } => (name.clone(), "created"),
        AdminCommand::SetPassword { name } => (name.clone(), "password changed"),
    };
    let user = name.clone();
    let done_or_not = db
        .run(move |conn| {
            with_store!(conn, |s| match command {
                AdminCommand::CreateUser { role, .. } => {
                    auth::create_user(s, &user, &password, role.into())
                }
                AdminCommand::SetPassword { .. } => auth::set_password(s, &user, &password),
            })
        })
        .await;
    db.empty_wal().await;
    done_or_not?;
    println!("admin user {name}: {done}");
    Ok(())
}

async fn reconcile(settings: Settings, args: ReconcileArgs) -> anyhow::Result<()> {
    let to = args.to.unwrap_or_else(reconcile::today);
    let from = args.from.unwrap_or(to - chrono::Duration::days(7));
    let mut apis = Vec::new();
    for source in args
        .source
        .map_or(Source::ALL.to_vec(), |s| vec![s.source()])
    {
        match ProviderApi::configured(&settings, source) {
            Some(api) => apis.push(api?),
            None if args.source.is_some() => bail!(
                "reconciliation with {} needs {}",
                source.as_str(),
                match source {
                    Source::Casso => "PAYMATCH_CASSO_API_KEY",
                    Source::Sepay => "PAYMATCH_SEPAY_API_TOKEN",
                }
            ),
            None => {}
        }
    }
    if apis.is_empty() {
        bail!("reconciliation needs PAYMATCH_CASSO_API_KEY or PAYMATCH_SEPAY_API_TOKEN");
    }
    let db = connect_and_migrate(&settings, PoolPurpose::Command).await?;
    for api in &apis {
        if let ProviderApi::Casso(casso) = api {
            // A wrong key fails here, with Casso's answer, before any run is recorded.
            casso
                .user_info()
                .await
                .context("checking PAYMATCH_CASSO_API_KEY with Casso")?;
        }
    }
    for api in &apis {
        reconcile_one(&settings, &db, api, (from, to)).await?;
    }
    Ok(())
}

/// One provider's run, with a progress bar on a terminal and its summary on standard output.
async fn reconcile_one(
    settings: &Settings,
    db: &crate::db::Database,
    api: &ProviderApi,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
) -> anyhow::Result<()> {
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
        db,
        settings,
        api,
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
    let source = api.source().as_str();
    let totals = result.with_context(|| format!("reconciling with {source}"))?;
    println!(
        "reconciled {from} to {to} with {source}: {} pages, {} records, {} new, {} already known, {} matched, {} rejected",
        totals.pages, totals.records, totals.new_transactions, totals.already_known, totals.matched, totals.rejected
    );
    Ok(())
}

/// The admin's address: under `PAYMATCH_PUBLIC_URL`, else on the address listened on (an
/// unspecified one, `0.0.0.0` or `::`, reached as `localhost`).
fn admin_address(public_url: &PublicUrl, bind: &str, port: u16) -> String {
    if public_url.is_set() {
        return public_url.link("/admin");
    }
    let host = match bind.parse::<std::net::SocketAddr>() {
        Ok(address) if address.ip().is_unspecified() => "localhost".to_owned(),
        Ok(std::net::SocketAddr::V6(address)) => format!("[{}]", address.ip()),
        Ok(address) => address.ip().to_string(),
        Err(_) => bind
            .rsplit_once(':')
            .map_or(bind, |(host, _)| host)
            .to_owned(),
    };
    format!("http://{host}:{port}/admin")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_address_prefers_the_public_url() {
        let unset = PublicUrl::default();
        assert_eq!(
            admin_address(&unset, "127.0.0.1:0", 8080),
            "http://127.0.0.1:8080/admin"
        );
        assert_eq!(
            admin_address(&unset, "0.0.0.0:80", 80),
            "http://localhost:80/admin"
        );
        assert_eq!(
            admin_address(&unset, "[::1]:8080", 8080),
            "http://[::1]:8080/admin"
        );
        assert_eq!(
            admin_address(&unset, "shop.local:8080", 8080),
            "http://shop.local:8080/admin"
        );
        let public = PublicUrl::parse(Some("https://pay.example.vn/")).unwrap();
        assert_eq!(
            admin_address(&public, "127.0.0.1:8080", 8080),
            "https://pay.example.vn/admin"
        );
    }
}
