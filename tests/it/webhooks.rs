//! `POST /webhooks/casso` (v1): authentication, payload variants, duplicates, bad input.

use paymatch::with_store;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    casso_sample_body_pays_its_order,
    every_sample_description_shape_pays_the_right_order,
    payload_variants_are_accepted,
    a_duplicate_changes_nothing,
    fifty_simultaneous_copies_count_once,
    the_casso_test_call_is_recorded_as_test,
    wrong_or_missing_token_stores_nothing,
    bodies_that_are_not_envelopes_get_400_and_are_kept,
    a_body_over_one_mebibyte_gets_413,
    bad_elements_are_kept_with_their_reason,
    hostile_descriptions_are_stored_verbatim,
    each_delivery_keeps_the_counts_it_was_answered,
);

async fn casso_sample_body_pays_its_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, _) = app
        .create_order(json!({"code": "DH35", "amount": 200500}))
        .await;
    assert_eq!(status, 201);
    // Casso's sample handler body, byte for byte.
    let body = r#"{"error": 0,"data": [{"id" : 1,"tid": "TF80307914","amount": 200500,"description": "DH35","cusum_balance": 15900500,"when": "2020-11-02","subAccId": "123456789","bank_sub_acc_id": "123456789"}]}"#;
    let (status, reply) = reply(app.post_webhook_raw(body, Some(SECURE_TOKEN)).await).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply,
        json!({"error": 0, "message": "ok", "accepted": 1, "duplicates": 0, "rejected": 0})
    );
    let (_, order) = app.get_order("DH35").await;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["paid"], true);
    assert_eq!(order["amount_received"], "200500");
    assert_eq!(order["amount_due"], "0");
    let tx = &order["transactions"][0];
    assert_eq!(tx["id"], "casso:1");
    assert_eq!(tx["source"], "casso");
    assert_eq!(tx["external_id"], "1");
    assert_eq!(tx["bank_ref"], "TF80307914");
    assert_eq!(tx["amount"], "200500");
    assert_eq!(tx["status"], "matched");
    assert_eq!(tx["order_code"], "DH35");
    assert_eq!(tx["account"], "123456789");
    assert_eq!(
        tx["when"], "2020-11-01T17:00:00Z",
        "a date alone is midnight in Vietnam"
    );
}

/// shared/samples/bank-descriptions.md, each shape with its own order code.
fn sample_shapes(code: &str) -> Vec<String> {
    let digits = code.trim_start_matches("DH");
    [
        "{C}",
        "Thanh toán đơn hàng {C}",
        "{c} chuyen tien",
        "MBVCB.3278614435.088374.{C}.CT tu 0221000012345 NGUYEN VAN A toi 28349817 CONG TY ABC Ngan hang A Chau (ACB) GD 088374-102622 06:02:24",
        "CUSTOMER MBVCB 2420648919 339176 {C}  CT tu 1027236393 TRAN THI B to i 259876543210 TRAN THI B  MB   Quan Doi Trace 339176",
        "MoMoT0904067605T28994691053T970416T{C} GD 252995-091922 15:46:22",
        "ACC-GD 640669-2022-09-19T19:30:37-180906-/CTR/{C}/MAC/02FB40D2D89D4CF8",
        "SACOMBANK-GD 459096-2022-11-06T11:41:21-970403-/CTR/IBFT {C}/MAC/1526BCF94B9A4C13",
        "ACB;28349817;{C} GD 931139-102322 13:18:51",
        "{C} FT22298536396686 GD 287786-102522 16:05:58",
        "IB LE VAN C {C}",
        "DH {D}",
        "DH-{D}",
        "DH.{D}",
    ]
    .iter()
    .map(|shape| {
        shape
            .replace("{C}", code)
            .replace("{c}", &code.to_lowercase())
            .replace("{D}", digits)
    })
    .collect()
}

async fn every_sample_description_shape_pays_the_right_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shapes = sample_shapes("DH0");
    for (i, _) in shapes.iter().enumerate() {
        let code = format!("DH{}", 1000 + i);
        let (status, _) = app
            .create_order(json!({"code": code, "amount": 100000}))
            .await;
        assert_eq!(status, 201);
        // A decoy order whose code is a prefix of the real one must never be paid.
        app.create_order(json!({"code": code[..code.len() - 1], "amount": 100000}))
            .await;
    }
    let mut id = 0;
    for (i, _) in shapes.iter().enumerate() {
        let code = format!("DH{}", 1000 + i);
        let description = &sample_shapes(&code)[i];
        id += 1;
        let (status, reply) = app.transfer(id, description, json!(100000)).await;
        assert_eq!(
            (status, reply["accepted"].as_i64()),
            (200, Some(1)),
            "{description}"
        );
        let (_, order) = app.get_order(&code).await;
        assert_eq!(order["status"], "paid", "{description}");
        let decoy = &code[..code.len() - 1];
        assert_eq!(
            app.get_order(decoy).await.1["status"],
            "pending",
            "{description}"
        );
    }
    // The shapes without a code wait as unmatched.
    for description in [
        "884114.100924.223854.PHAM VAN D chuyen FT24255276428461",
        "FT24255999347270 807439.100924.223851.ung ho mien bac",
    ] {
        id += 1;
        app.transfer(id, description, json!(100000)).await;
    }
    let txs = app.all_transactions().await;
    assert_eq!(txs.iter().filter(|t| t["status"] == "unmatched").count(), 2);
    assert_eq!(
        txs.iter().filter(|t| t["status"] == "matched").count(),
        shapes.len()
    );
}

async fn payload_variants_are_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for code in ["DH1", "DH2", "DH3", "DH4"] {
        app.create_order(json!({"code": code, "amount": "79000"}))
            .await;
    }
    let body = json!({"error": 0, "data": [
        {"id": 11, "amount": num("79000.0"), "description": "DH1", "when": "2024-10-03 15:06:37", "subAccId": "9"},
        {"id": 12, "amount": "79000", "description": "DH2", "when": "2024-10-03", "bank_sub_acc_id": "9", "extra": {"nested": [1, 2]}},
        {"id": 13, "amount": num("7.9e4"), "description": "DH3", "when": "2024-10-03T15:06:37+07:00", "tid": 12345},
        {"id": "14", "amount": 79000, "description": "DH4"},
    ], "unknown_top_level": true});
    let (status, reply) = app.post_webhook(&body).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["accepted"], 4);
    for code in ["DH1", "DH2", "DH3", "DH4"] {
        let (_, order) = app.get_order(code).await;
        assert_eq!(order["status"], "paid", "{code}: {order}");
        assert_eq!(order["amount_received"], "79000");
    }
    let (_, order) = app.get_order("DH1").await;
    assert_eq!(order["transactions"][0]["when"], "2024-10-03T08:06:37Z");
    assert_eq!(order["transactions"][0]["account"], "9");
    let (_, order) = app.get_order("DH3").await;
    assert_eq!(order["transactions"][0]["bank_ref"], "12345");
    let (_, order) = app.get_order("DH4").await;
    assert_eq!(order["transactions"][0]["when"], Value::Null);
}

async fn a_duplicate_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH7", "amount": 300}))
        .await;
    let (_, first) = app.transfer(70, "DH7", json!(100)).await;
    assert_eq!(
        (first["accepted"].as_i64(), first["duplicates"].as_i64()),
        (Some(1), Some(0))
    );
    // The same id again, even with other content, is the same transaction.
    let (status, again) = app.transfer(70, "DH7", json!(200)).await;
    assert_eq!(status, 200);
    assert_eq!(
        (again["accepted"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(1))
    );
    let (_, order) = app.get_order("DH7").await;
    assert_eq!(order["amount_received"], "100");
    assert_eq!(order["status"], "partially_paid");
    assert_eq!(order["transactions"].as_array().unwrap().len(), 1);
    // A delivery mixing new and known elements counts each.
    let mixed = envelope(vec![
        element(70, "DH7", json!(100)),
        element(71, "DH7", json!(200)),
    ]);
    let (_, reply) = app.post_webhook(&mixed).await;
    assert_eq!(
        (reply["accepted"].as_i64(), reply["duplicates"].as_i64()),
        (Some(1), Some(1))
    );
    let (_, order) = app.get_order("DH7").await;
    assert_eq!(order["amount_received"], "300");
    assert_eq!(order["status"], "paid");
}

async fn fifty_simultaneous_copies_count_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH50", "amount": 1000}))
        .await;
    let body = envelope(vec![element(5000, "DH50", json!(250))]);
    let replies = futures_util::future::join_all((0..50).map(|_| app.post_webhook(&body))).await;
    let mut accepted = 0;
    for (status, reply) in &replies {
        assert_eq!(*status, 200, "{reply}");
        accepted += reply["accepted"].as_i64().unwrap();
        assert_eq!(
            reply["accepted"].as_i64().unwrap() + reply["duplicates"].as_i64().unwrap(),
            1
        );
    }
    assert_eq!(accepted, 1);
    let (_, order) = app.get_order("DH50").await;
    assert_eq!(order["amount_received"], "250");
    assert_eq!(app.all_transactions().await.len(), 1);
}

async fn the_casso_test_call_is_recorded_as_test(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 599000}))
        .await;
    let (status, reply) = app.transfer(0, "giao dich thu nghiem", json!(599000)).await;
    assert_eq!((status, reply["accepted"].as_i64()), (200, Some(1)));
    let txs = app.all_transactions().await;
    assert_eq!(txs[0]["status"], "test");
    assert_eq!(txs[0]["order_code"], Value::Null);
    assert_eq!(app.get_order("DH1").await.1["status"], "pending");
}

async fn deliveries(app: &TestApp) -> Vec<paymatch::db::DeliveryRow> {
    app.db
        .run(|conn| {
            with_store!(conn, |s| paymatch::db::TransactionStore::recent_deliveries(
                s, 100
            ))
        })
        .await
        .unwrap()
}

/// A delivery is stored with the counts of its reply: the usual one (every element accepted)
/// as it was first written, one with a duplicate and a rejected element as corrected.
async fn each_delivery_keeps_the_counts_it_was_answered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH7", "amount": 100}))
        .await;
    let fresh = envelope(vec![element(70, "DH7 a", json!(10))]);
    let mixed = envelope(vec![
        element(71, "DH7 b", json!(10)),
        element(70, "DH7 a", json!(10)),
        json!({"id": 72, "description": "DH7 c", "amount": "ten"}),
    ]);
    let mut replies = Vec::new();
    for body in [&fresh, &mixed] {
        let (status, reply) = app.post_webhook(body).await;
        assert_eq!(status, 200, "{reply}");
        replies.push(reply);
    }
    let mut kept = deliveries(&app).await;
    kept.sort_by_key(|d| d.id);
    let stored: Vec<_> = kept
        .iter()
        .map(|d| (d.outcome.as_str(), d.accepted, d.duplicates, d.rejected))
        .collect();
    assert_eq!(stored, [("processed", 1, 0, 0), ("processed", 1, 1, 1)]);
    for (reply, d) in replies.iter().zip(&kept) {
        assert_eq!(
            (
                reply["accepted"].as_i64(),
                reply["duplicates"].as_i64(),
                reply["rejected"].as_i64()
            ),
            (
                Some(d.accepted.into()),
                Some(d.duplicates.into()),
                Some(d.rejected.into())
            )
        );
    }
}

async fn wrong_or_missing_token_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH9", "amount": 100}))
        .await;
    let body = envelope(vec![element(9, "DH9", json!(100))]).to_string();
    for token in [
        None,
        Some("wrong"),
        Some(""),
        Some("test-secure-token-012345678"),
        Some("test-secure-token-01234567890"),
    ] {
        let (status, reply) = reply(app.post_webhook_raw(body.clone(), token).await).await;
        assert_eq!(status, 401, "{token:?}");
        assert_eq!(reply["error"]["code"], "unauthorized");
    }
    assert!(app.all_transactions().await.is_empty());
    assert!(deliveries(&app).await.is_empty());
    assert_eq!(app.get_order("DH9").await.1["status"], "pending");
}

async fn bodies_that_are_not_envelopes_get_400_and_are_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let bodies = [
        "",
        "not json",
        "{\"error\":0,\"data\":[",
        "[]",
        "null",
        "{}",
        r#"{"error":0,"data":{"id":1}}"#,
        r#"{"error":1,"data":[]}"#,
        r#"{"error":0,"data":"DH1"}"#,
    ];
    for body in bodies {
        let (status, reply) = reply(app.post_webhook_raw(body, Some(SECURE_TOKEN)).await).await;
        assert_eq!(status, 400, "{body}: {reply}");
        assert_eq!(reply["error"]["code"], "invalid_envelope");
    }
    // Invalid UTF-8 too.
    let (status, _) = reply(
        app.post_webhook_raw(vec![0xff, 0xfe, b'{'], Some(SECURE_TOKEN))
            .await,
    )
    .await;
    assert_eq!(status, 400);
    let kept = deliveries(&app).await;
    assert_eq!(kept.len(), bodies.len() + 1);
    assert!(kept.iter().all(|d| d.outcome.starts_with("invalid")));
    assert!(kept.iter().any(|d| d.body == "not json"));
    assert!(app.all_transactions().await.is_empty());
}

async fn a_body_over_one_mebibyte_gets_413(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let padding = "x".repeat(2 * 1024 * 1024);
    let body = json!({"error": 0, "data": [element(1, &padding, json!(1))]}).to_string();
    let (status, refused) = reply(app.post_webhook_raw(body, Some(SECURE_TOKEN)).await).await;
    assert_eq!(status, 413, "{refused}");
    assert_eq!(refused["error"]["code"], "payload_too_large");
    // Streamed without a length: refused as it grows past the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..40).map(|_| Ok(vec![b' '; 64 * 1024])).collect();
    let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let (status, _) = reply(app.post_webhook_raw(stream, Some(SECURE_TOKEN)).await).await;
    assert_eq!(status, 413);
    assert!(app.all_transactions().await.is_empty());
    assert!(deliveries(&app).await.is_empty());
    // Just under the limit is fine.
    let fits = "y".repeat(1024 * 1024 - 400);
    let (status, reply) = app.transfer(2, &fits, json!(1)).await;
    assert_eq!(status, 200, "{reply}");
}

async fn bad_elements_are_kept_with_their_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 100}))
        .await;
    let body = json!({"error": 0, "data": [
        {"description": "DH1", "amount": 100},
        {"id": 2, "description": "DH1", "amount": "lots"},
        {"id": 3, "description": "DH1", "amount": num("1e40")},
        {"id": 4, "description": "DH1", "amount": num("99999999999999999999999999999999999999999")},
        {"id": 5, "description": "DH1", "amount": num("0.00001")},
        {"id": 6, "description": ["DH1"], "amount": 100},
        {"id": num("123456789012345678901234567890"), "description": "DH1", "amount": 100},
        {"id": 8, "description": "DH1", "amount": true},
        "DH1",
        {"id": 10, "description": "DH1", "amount": 100},
    ]});
    let (status, reply) = app.post_webhook(&body).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (reply["accepted"].as_i64(), reply["rejected"].as_i64()),
        (Some(1), Some(9))
    );
    assert_eq!(app.get_order("DH1").await.1["amount_received"], "100");
    let delivery = deliveries(&app).await.remove(0);
    assert_eq!(delivery.rejected, 9);
    assert!(delivery.body.contains("lots"), "the raw body is kept");
    let id = delivery.id;
    let rejected = app
        .db
        .run(move |conn| {
            with_store!(conn, |s| paymatch::db::TransactionStore::rejected_items(
                s, id
            ))
        })
        .await
        .unwrap();
    assert_eq!(rejected.len(), 9);
    assert!(rejected[0].reason.contains("`id` is missing"));
    assert!(rejected[1].reason.contains("`amount`"));
    assert!(rejected[1].payload.contains("lots"));
    assert!(rejected[2].reason.contains("too large"));
    assert!(rejected[4].reason.contains("4 decimal places"));
}

async fn hostile_descriptions_are_stored_verbatim(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let descriptions = [
        "'; DROP TABLE orders; -- DH1",
        "<script>alert('DH1')</script>",
        "Robert\"); DELETE FROM bank_transactions;--",
        "emoji 💸 and NUL \u{0} inside",
        "\u{202e}reversed",
    ];
    for (i, d) in descriptions.iter().enumerate() {
        let (status, reply) = app.transfer(100 + i as u64, d, json!(5)).await;
        assert_eq!(status, 200, "{d}: {reply}");
    }
    let txs = app.all_transactions().await;
    assert_eq!(txs.len(), descriptions.len());
    let stored: Vec<&str> = txs
        .iter()
        .rev()
        .map(|t| t["description"].as_str().unwrap())
        .collect();
    assert_eq!(stored[0], descriptions[0]);
    assert_eq!(stored[1], descriptions[1]);
    assert_eq!(stored[2], descriptions[2]);
    assert!(stored[3].starts_with("emoji 💸 and NUL "));
    assert_eq!(stored[4], descriptions[4]);
}
