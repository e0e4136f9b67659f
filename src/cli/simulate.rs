//! `paymatch simulate`: one webhook delivery, as Casso (v1 or v2) or SePay would send it, posted
//! to a running server with the configured credentials; the reply is printed.

use anyhow::{bail, Context};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use super::{ProviderArg, SimulateArgs};
use crate::config::Settings;
use crate::db::PoolPurpose;
use crate::domain::{Money, OrderCode};
use crate::ingest::casso::v2 as casso_v2;
use crate::startup::connect_and_migrate;
use crate::web::webhooks::V2_HEADER;
use crate::{secrets, with_store};

pub async fn simulate(settings: Settings, args: SimulateArgs) -> anyhow::Result<()> {
    let code = OrderCode::parse(&args.code).map_err(|e| anyhow::anyhow!("--code: {e}"))?;
    let amount = Money::parse(&args.amount).map_err(|e| anyhow::anyhow!("--amount: {e}"))?;
    let id = args.id.unwrap_or_else(|| {
        u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default()
    });
    let description = args
        .description
        .clone()
        .unwrap_or_else(|| format!("Thanh toan don hang {code}"));
    let transfer = Transfer {
        id,
        description,
        amount,
        when: chrono::Utc::now()
            .with_timezone(&crate::domain::vietnam())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
    };
    let url = webhook_url(&settings, args.source, args.url.as_deref());
    let request = reqwest::Client::new().post(&url);
    let request = match (args.source, args.v2) {
        (ProviderArg::Sepay, true) => {
            bail!("--v2 is Casso's webhook v2; leave it out with --source sepay")
        }
        (ProviderArg::Sepay, false) => {
            let key = settings
                .sepay_webhook_key
                .as_ref()
                .context("--source sepay needs PAYMATCH_SEPAY_WEBHOOK_KEY")?;
            request
                .header("Authorization", format!("Apikey {}", key.expose_secret()))
                .json(&transfer.sepay()?)
        }
        (ProviderArg::Casso, true) => {
            let key = settings
                .casso_webhook_key
                .as_ref()
                .context("--v2 needs PAYMATCH_CASSO_WEBHOOK_KEY")?;
            let body = transfer.casso_v2()?;
            let now_ms = chrono::Utc::now().timestamp_millis();
            let signature =
                casso_v2::signature_header(&body, key.expose_secret().as_bytes(), now_ms)?;
            request.header(V2_HEADER, signature).json(&body)
        }
        (ProviderArg::Casso, false) => request
            .header("Secure-Token", secure_token(&settings).await?)
            .json(&transfer.casso_v1()?),
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

/// The simulated transfer, in each provider's shape.
struct Transfer {
    id: u64,
    description: String,
    amount: Money,
    /// Vietnam time, `YYYY-MM-DD HH:MM:SS`.
    when: String,
}

/// An amount as a JSON number with exactly its digits.
fn number(amount: Money) -> anyhow::Result<Value> {
    Ok(serde_json::from_str(&amount.to_string())?)
}

impl Transfer {
    fn casso_v1(&self) -> anyhow::Result<Value> {
        Ok(json!({
            "error": 0,
            "data": [{
                "id": self.id,
                "tid": format!("SIM{}", self.id),
                "description": self.description,
                "amount": number(self.amount)?,
                "cusum_balance": 0,
                "when": self.when,
                "bank_sub_acc_id": "SIMULATED",
                "subAccId": "SIMULATED",
            }]
        }))
    }

    fn casso_v2(&self) -> anyhow::Result<Value> {
        Ok(json!({
            "error": 0,
            "data": {
                "id": self.id,
                "reference": format!("SIM{}", self.id),
                "description": self.description,
                "amount": number(self.amount)?,
                "runningBalance": 0,
                "transactionDateTime": self.when,
                "accountNumber": "SIMULATED",
            }
        }))
    }

    /// SePay sends the size of the transfer and its direction apart.
    fn sepay(&self) -> anyhow::Result<Value> {
        let size = Money::from_decimal(self.amount.decimal().abs())?;
        Ok(json!({
            "id": self.id,
            "gateway": "SIMULATED",
            "transactionDate": self.when,
            "accountNumber": "SIMULATED",
            "subAccount": null,
            "code": null,
            "content": self.description,
            "transferType": if self.amount.is_negative() { "out" } else { "in" },
            "transferAmount": number(size)?,
            "accumulated": 0,
            "referenceCode": format!("SIM{}", self.id),
            "description": self.description,
        }))
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

/// `--url` as given when it names a path, else the provider's webhook on that server (default:
/// the configured bind address).
fn webhook_url(settings: &Settings, provider: ProviderArg, url: Option<&str>) -> String {
    let base = url
        .map(str::to_owned)
        .unwrap_or_else(|| format!("http://{}", settings.bind));
    let trimmed = base.trim_end_matches('/');
    match reqwest::Url::parse(trimmed) {
        Ok(parsed) if parsed.path() == "/" || parsed.path().is_empty() => {
            format!("{trimmed}/webhooks/{}", provider.source().as_str())
        }
        _ => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulate_urls() {
        let settings = Settings::load(None, Vec::new()).unwrap();
        let casso = ProviderArg::Casso;
        assert_eq!(
            webhook_url(&settings, casso, None),
            "http://127.0.0.1:8080/webhooks/casso"
        );
        assert_eq!(
            webhook_url(&settings, casso, Some("http://h:1")),
            "http://h:1/webhooks/casso"
        );
        assert_eq!(
            webhook_url(&settings, ProviderArg::Sepay, Some("https://h/")),
            "https://h/webhooks/sepay"
        );
        assert_eq!(
            webhook_url(&settings, casso, Some("https://h/hooks/x")),
            "https://h/hooks/x"
        );
    }

    #[test]
    fn sepay_shape_of_money_out() {
        let transfer = Transfer {
            id: 7,
            description: "DH1 hoan tien".into(),
            amount: Money::parse("-50000.5").unwrap(),
            when: "2026-11-30 08:00:00".into(),
        };
        let body = transfer.sepay().unwrap();
        assert_eq!(body["transferType"], "out");
        assert_eq!(body["transferAmount"].to_string(), "50000.5");
        let parsed = crate::ingest::sepay::webhook::parse_webhook(body.to_string().as_bytes())
            .unwrap()
            .remove(0)
            .unwrap();
        assert_eq!(parsed.amount, transfer.amount);
    }
}
