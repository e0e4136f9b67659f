use std::process::ExitCode;

use clap::Parser;
use paymatch::cli::{self, Cli};
use paymatch::config::Settings;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref(), std::env::vars()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("paymatch: {error}");
            return ExitCode::FAILURE;
        }
    };
    paymatch::telemetry::init(settings.log_format);
    match cli::run(cli, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line: the chain of causes joined.
            eprintln!("paymatch: {error:#}");
            ExitCode::FAILURE
        }
    }
}
