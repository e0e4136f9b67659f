//! `POST /webhooks/casso` with Casso's v2 signature.

use paymatch::ingest::casso::v2::signature_header;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    v2_is_refused_without_a_key,
    signed_v2_deliveries_go_through_the_same_pipeline,
    bad_signatures_store_nothing,
);

pub(crate) const KEY: &str = "mgExMrjj4i7a1p8Cs6LmFbpCd8lbw4sSX4LZXPag7TKazeIogtR90tvWYTkwQbvs";
/// The known-answer body of shared/samples (Casso's test call).
const KAT_BODY: &str = r#"{"error":0,"data":{"id":0,"reference":"MA_GIAO_DICH_THU_NGHIEM","description":"giao dich thu nghiem","amount":599000,"runningBalance":25000000,"transactionDateTime":"2024-10-03 15:06:37","accountNumber":"88888888","bankName":"VPBank","bankAbbreviation":"VPB","virtualAccountNumber":"","virtualAccountName":"","counterAccountName":"NGUYEN VAN A","counterAccountNumber":"8888888888","counterAccountBankId":"970415","counterAccountBankName":"VietinBank"}}"#;
const KAT_HEADER: &str = "t=1727948258788,v1=ed0a4bd2e826d5cb69988cdb141e6c1a080e21f3b57eb72cd78192220042b9e7dde0868fc667faea8e224900fa7904e7c88dfa098032fb2d6b6996856e8b7ff3";

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) async fn post_v2(app: &TestApp, body: &str, signature: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/webhooks/casso"))
        .header("Content-Type", "application/json")
        .header("X-Casso-Signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    reply(response).await
}

fn v2_body(id: u64, description: &str, amount: Value) -> Value {
    json!({"error": 0, "data": {
        "id": id, "reference": format!("FT{id}"), "description": description, "amount": amount,
        "runningBalance": 25000000, "transactionDateTime": "2024-10-03 15:06:37",
        "accountNumber": "88888888", "bankName": "VPBank"
    }})
}

pub(crate) fn signed(body: &Value) -> String {
    signature_header(body, KEY.as_bytes(), now_ms()).unwrap()
}

async fn v2_is_refused_without_a_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body: Value = serde_json::from_str(KAT_BODY).unwrap();
    let (status, reply) = post_v2(&app, KAT_BODY, &signed(&body)).await;
    assert_eq!(status, 401, "{reply}");
    assert!(reply["error"]["message"]
        .as_str()
        .unwrap()
        .contains("PAYMATCH_CASSO_WEBHOOK_KEY"));
    assert!(app.all_transactions().await.is_empty());
}

async fn signed_v2_deliveries_go_through_the_same_pipeline(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("PAYMATCH_CASSO_WEBHOOK_KEY", KEY)]).await;
    // The known-answer body, signed now (its own signature is from 2024: too old).
    let kat: Value = serde_json::from_str(KAT_BODY).unwrap();
    let (status, reply) = post_v2(&app, KAT_BODY, &signed(&kat)).await;
    assert_eq!(
        (status, reply["accepted"].as_i64()),
        (200, Some(1)),
        "{reply}"
    );
    assert_eq!(app.all_transactions().await[0]["status"], "test");

    app.create_order(json!({"code": "DH2024", "amount": "150000.5"}))
        .await;
    let body = v2_body(77, "MBVCB.123.DH2024.CT tu NGUYEN VAN A", json!("150000.5"));
    // Whitespace and key order in the body do not matter: the signature is over the sorted form.
    let pretty = serde_json::to_string_pretty(&body).unwrap();
    let (status, reply) = post_v2(&app, &pretty, &signed(&body)).await;
    assert_eq!(
        (status, reply["accepted"].as_i64()),
        (200, Some(1)),
        "{reply}"
    );
    let (_, order) = app.get_order("DH2024").await;
    assert_eq!(order["status"], "paid");
    let tx = &order["transactions"][0];
    assert_eq!(
        (
            tx["id"].as_str(),
            tx["bank_ref"].as_str(),
            tx["account"].as_str()
        ),
        (Some("casso:77"), Some("FT77"), Some("88888888"))
    );
    assert_eq!(tx["when"], "2024-10-03T08:06:37Z");

    // The same Casso id by v1 (or again by v2) is the same transaction.
    let (_, again) = app.transfer(77, "DH2024", json!("150000.5")).await;
    assert_eq!(again["duplicates"], 1);
    let (_, again) = post_v2(&app, &body.to_string(), &signed(&body)).await;
    assert_eq!(again["duplicates"], 1);
    assert_eq!(
        app.get_order("DH2024").await.1["amount_received"],
        "150000.5"
    );
}

async fn bad_signatures_store_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("PAYMATCH_CASSO_WEBHOOK_KEY", KEY)]).await;
    app.create_order(json!({"code": "DH1", "amount": 100}))
        .await;
    let body = v2_body(5, "DH1", json!(100));
    let good = signed(&body);
    let tampered = v2_body(5, "DH1", json!(1000000)).to_string();
    let old = signature_header(&body, KEY.as_bytes(), now_ms() - 6 * 60 * 1000).unwrap();
    let future = signature_header(&body, KEY.as_bytes(), now_ms() + 6 * 60 * 1000).unwrap();
    let other_key = signature_header(&body, b"another key", now_ms()).unwrap();
    let cases: Vec<(String, String)> = vec![
        (body.to_string(), String::new()),
        (body.to_string(), good[..good.len() - 10].to_owned()),
        (body.to_string(), good.replace("v1=", "v1=0")),
        (body.to_string(), "t=abc,v1=00".to_owned()),
        (body.to_string(), old),
        (body.to_string(), future),
        (body.to_string(), other_key),
        (tampered, good.clone()),
        ("not json".to_owned(), good.clone()),
        // The sample's own header: authentic, but from 2024.
        (KAT_BODY.to_owned(), KAT_HEADER.to_owned()),
    ];
    for (body, signature) in cases {
        let (status, reply) = post_v2(&app, &body, &signature).await;
        assert_eq!(status, 401, "{signature}: {reply}");
        assert_eq!(reply["error"]["code"], "unauthorized");
    }
    assert!(app.all_transactions().await.is_empty());
    assert_eq!(app.get_order("DH1").await.1["status"], "pending");
    let (status, _) = post_v2(&app, &body.to_string(), &good).await;
    assert_eq!(status, 200);
}
