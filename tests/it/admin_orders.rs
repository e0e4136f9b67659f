//! Orders made in the admin: the form (amounts as Vietnamese users type them, each wrong field
//! told next to it, nothing stored on an error), what the order page gives to share (the pay
//! link, the QR as a PNG, a chat message), and the CSV import (preview, all or nothing).

use reqwest::{multipart, Client, StatusCode};

use crate::admin::{csrf_of, get, logged_in, post};
use crate::helpers::*;
use crate::on_both_backends;
use crate::pay::{decode_qr, emv_field, BANK};

on_both_backends!(
    the_form_reads_amounts_as_typed,
    a_wrong_form_says_where_and_stores_nothing,
    the_order_page_gives_what_to_share,
    an_import_is_previewed_then_stored_whole,
    a_bad_row_blocks_the_whole_import,
);

async fn order_count(app: &TestApp) -> usize {
    let (_, list) = app
        .api(reqwest::Method::GET, "/api/v1/orders?limit=100", None)
        .await;
    list["data"].as_array().map_or(0, Vec::len)
}

/// Posts the new-order form; the response (303 to the order's page, or the form again).
async fn create(
    client: &Client,
    app: &TestApp,
    csrf: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    post(client, app, "/admin/orders/new", &form).await
}

fn created_code(r: &reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap();
    to.trim_start_matches("/admin/orders/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

async fn the_form_reads_amounts_as_typed(backend: Backend) {
    let app = TestApp::spawn_with(backend, BANK).await;
    let (admin, csrf) = logged_in(&app).await;
    let (status, form) = get(&admin, &app, "/admin/orders/new").await;
    assert_eq!(status, 200);
    for name in [
        "amount",
        "code",
        "customer_name",
        "customer_phone",
        "customer_email",
        "reference",
        "expires_at",
    ] {
        assert!(form.contains(&format!(r#"name="{name}""#)), "{name}");
    }
    for (typed, amount) in [
        ("150.000", "150000"),
        ("150k", "150000"),
        ("1,5tr", "1500000"),
        ("79000", "79000"),
    ] {
        let r = create(
            &admin,
            &app,
            &csrf,
            &[
                ("amount", typed),
                ("customer_name", "Nguyễn Thị Mai"),
                ("customer_phone", "0901 234 567"),
            ],
        )
        .await;
        let code = created_code(&r);
        let (_, order) = app.get_order(&code).await;
        assert_eq!(order["amount"], amount, "{typed}");
        assert_eq!(order["status"], "pending");
        assert_eq!(order["customer"]["name"], "Nguyễn Thị Mai");
        assert_eq!(order["history"][0]["by"], "admin:admin");
    }
    // A code of one's own, a note and a deadline of 24 hours.
    let r = create(
        &admin,
        &app,
        &csrf,
        &[
            ("amount", "89k"),
            ("code", "zl42"),
            ("reference", "2 áo"),
            ("expires_at", "24h"),
        ],
    )
    .await;
    assert_eq!(created_code(&r), "ZL42");
    let (_, order) = app.get_order("ZL42").await;
    assert_eq!(order["reference"], "2 áo");
    let expires =
        chrono::DateTime::parse_from_rfc3339(order["expires_at"].as_str().unwrap()).unwrap();
    let hours =
        (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((23.9..=24.0).contains(&hours), "{hours}");
    // A time picked on the form is Vietnam time.
    let r = create(
        &admin,
        &app,
        &csrf,
        &[
            ("amount", "1000"),
            ("code", "AT1"),
            ("expires_at", "at"),
            ("expires_at_time", "2099-12-31T23:59"),
        ],
    )
    .await;
    created_code(&r);
    assert_eq!(
        app.get_order("AT1").await.1["expires_at"],
        "2099-12-31T16:59:00Z"
    );
}

async fn a_wrong_form_says_where_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, BANK).await;
    app.create_order(serde_json::json!({"code": "DH1", "amount": 1000}))
        .await;
    let (admin, csrf) = logged_in(&app).await;
    let before = order_count(&app).await;
    let r = create(
        &admin,
        &app,
        &csrf,
        &[
            ("amount", "mười nghìn"),
            ("customer_phone", "call me"),
            ("customer_email", "mai at example"),
            ("code", "DH 1!"),
            ("expires_at", "at"),
            ("expires_at_time", "2001-01-01T00:00"),
            ("customer_name", "Mai"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    for field in [
        "amount",
        "customer_phone",
        "customer_email",
        "code",
        "expires_at",
    ] {
        assert!(
            page.contains(&format!(r#"id="{field}-error""#)),
            "{field}: {page}"
        );
    }
    assert!(!page.contains(r#"id="customer_name-error""#));
    // What was typed stays in the form.
    assert!(page.contains(r#"value="mười nghìn""#) && page.contains(r#"value="Mai""#));
    assert!(page.contains("Enter an amount more than 0"), "{page}");
    // A code taken by another order.
    let r = create(&admin, &app, &csrf, &[("amount", "5000"), ("code", "dh1")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains(r#"id="code-error""#));
    assert_eq!(order_count(&app).await, before, "nothing stored");
    // In the page's language: Vietnamese for a browser that asks for nothing.
    let vi = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (_, login) = get(&vi, &app, "/admin/login").await;
    post(
        &vi,
        &app,
        "/admin/login",
        &[
            ("user", "admin"),
            ("password", crate::admin::PASSWORD),
            ("csrf", &csrf_of(&login)),
        ],
    )
    .await;
    let (_, form) = get(&vi, &app, "/admin/orders/new").await;
    let r = create(&vi, &app, &csrf_of(&form), &[("amount", "0")]).await;
    assert!(r.text().await.unwrap().contains("Nhập số tiền lớn hơn 0"));
    // Without this session's token, nothing at all.
    let r = create(
        &admin,
        &app,
        "forged",
        &[("amount", "1000"), ("code", "CSRF1")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get_order("CSRF1").await.0, 404);
}

fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let from = page
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {page}"))
        + start.len();
    &page[from..from + page[from..].find(end).unwrap()]
}

async fn the_order_page_gives_what_to_share(backend: Backend) {
    let mut settings = BANK.to_vec();
    settings.extend([
        ("PAYMATCH_PUBLIC_URL", "https://pay.shop.vn"),
        ("PAYMATCH_SHOP_NAME", "Tiệm Mai"),
    ]);
    let app = TestApp::spawn_with(backend, &settings).await;
    app.create_order(
        serde_json::json!({"code": "DH7", "amount": 150000, "customer": {"name": "Lan"}}),
    )
    .await;
    let (admin, _) = logged_in(&app).await;
    let (_, page) = get(&admin, &app, "/admin/orders/DH7").await;
    assert!(
        page.contains(r#"id="pay-link" value="https://pay.shop.vn/pay/DH7""#),
        "{page}"
    );
    let message = between(
        &page,
        r#"<textarea id="chat-message" readonly rows="12">"#,
        "</textarea>",
    );
    for part in [
        "Chào Lan",
        "Tiệm Mai",
        "150.000 ₫",
        "Nội dung chuyển khoản: DH7",
        "0011001234567",
        "https://pay.shop.vn/pay/DH7",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert!(page.contains(r#"href="/pay/DH7/qr.png" download="DH7.png""#));

    // The PNG: at least 400 px, the same VietQR as the SVG, for the amount due now.
    let png = |app: &TestApp| {
        let url = app.url("/pay/DH7/qr.png");
        async move { reqwest::get(url).await.unwrap() }
    };
    let r = png(&app).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let bytes = r.bytes().await.unwrap();
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    assert!(width >= 400, "{width}");
    let svg = reqwest::get(app.url("/pay/DH7/qr.svg"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let payload = decode_qr(&bytes, "png");
    assert_eq!(payload, decode_qr(&svg, "svg"));
    assert_eq!(emv_field(&payload, "54").as_deref(), Some("150000"));

    // Partly paid: the message and the PNG ask for what is still due.
    app.transfer(1, "DH7", num("50000")).await;
    let (_, page) = get(&admin, &app, "/admin/orders/DH7").await;
    let message = between(
        &page,
        r#"<textarea id="chat-message" readonly rows="12">"#,
        "</textarea>",
    );
    assert!(
        message.contains("còn thiếu 100.000 ₫") && message.contains("chuyển thêm 100.000 ₫"),
        "{message}"
    );
    let payload = decode_qr(&png(&app).await.bytes().await.unwrap(), "png");
    assert_eq!(emv_field(&payload, "54").as_deref(), Some("100000"));

    // Paid: nothing left to send, and no QR.
    app.transfer(2, "DH7", num("100000")).await;
    assert_eq!(png(&app).await.status(), 404);
    let (_, page) = get(&admin, &app, "/admin/orders/DH7").await;
    assert!(!page.contains("chat-message") && !page.contains("qr.png"));
}

const IMPORT: &str = "\u{feff}code;amount;customer_name;customer_phone;reference;expires_at\r\n\
IM1;150.000;Nguyễn Thị Mai;'+84 901 234 567;áo;2099-12-31 23:59\r\n\
;1,5tr;Trần Nam;;;\r\n\
IM3;89k;;;;\r\n";

/// Uploads `file` to the import; the preview page.
async fn upload(client: &Client, app: &TestApp, file: &str) -> (StatusCode, String) {
    let (_, page) = get(client, app, "/admin/orders/import").await;
    let form = multipart::Form::new().text("csrf", csrf_of(&page)).part(
        "file",
        multipart::Part::bytes(file.as_bytes().to_vec())
            .file_name("orders.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    let r = client
        .post(app.url("/admin/orders/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

fn data_of(page: &str) -> Option<String> {
    page.split(r#"name="data" value=""#)
        .nth(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
}

async fn confirm(client: &Client, app: &TestApp, page: &str, data: &str) -> (StatusCode, String) {
    let r = post(
        client,
        app,
        "/admin/orders/import/confirm",
        &[("csrf", &csrf_of(page)), ("data", data)],
    )
    .await;
    (r.status(), r.text().await.unwrap())
}

async fn an_import_is_previewed_then_stored_whole(backend: Backend) {
    let app = TestApp::spawn_with(backend, BANK).await;
    let (admin, _) = logged_in(&app).await;
    let (status, sample) = get(&admin, &app, "/admin/orders/import/sample.csv").await;
    assert_eq!(status, 200);
    assert!(sample.starts_with('\u{feff}') && sample.contains("amount"));

    let (status, preview) = upload(&admin, &app, IMPORT).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(between(&preview, r#"id="count-new">"#, "<"), "3");
    assert!(
        preview.contains("150,000 ₫") && preview.contains("1,500,000 ₫"),
        "{preview}"
    );
    assert_eq!(order_count(&app).await, 0, "a preview stores nothing");
    let data = data_of(&preview).expect("a confirm form");
    let (status, done) = confirm(&admin, &app, &preview, &data).await;
    assert_eq!(status, 200);
    assert_eq!(between(&done, r#"id="stored-new">"#, "<"), "3", "{done}");
    let (_, im1) = app.get_order("IM1").await;
    assert_eq!(im1["amount"], "150000");
    assert_eq!(im1["customer"]["phone"], "+84 901 234 567");
    assert_eq!(im1["expires_at"], "2099-12-31T16:59:00Z");
    assert_eq!(im1["history"][0]["by"], "admin:admin");
    assert_eq!(app.get_order("IM3").await.1["amount"], "89000");
    assert_eq!(order_count(&app).await, 3);

    // Confirmed twice (a double click), or the same file again: nothing more, the row
    // without a code included.
    let (_, again) = confirm(&admin, &app, &preview, &data).await;
    assert_eq!(between(&again, r#"id="stored-new">"#, "<"), "0", "{again}");
    assert_eq!(between(&again, r#"id="stored-already">"#, "<"), "3");
    let (_, preview) = upload(&admin, &app, IMPORT).await;
    assert_eq!(
        between(&preview, r#"id="count-already">"#, "<"),
        "3",
        "{preview}"
    );
    assert!(preview.contains(r#"id="import-nothing""#) && data_of(&preview).is_none());
    assert_eq!(order_count(&app).await, 3);
    // The export imports back as already there.
    let (_, export) = get(&admin, &app, "/admin/orders.csv").await;
    let (_, preview) = upload(&admin, &app, &export).await;
    assert_eq!(
        between(&preview, r#"id="count-new">"#, "<"),
        "0",
        "{preview}"
    );
    assert_eq!(between(&preview, r#"id="count-already">"#, "<"), "3");
}

async fn a_bad_row_blocks_the_whole_import(backend: Backend) {
    let app = TestApp::spawn_with(backend, BANK).await;
    app.create_order(serde_json::json!({"code": "TAKEN", "amount": 1000}))
        .await;
    let (admin, _) = logged_in(&app).await;
    let file = "code,amount,customer_email\nOK1,1000,\nBAD1,abc,\nBAD2,1000,not-an-address\nTAKEN,2000,\nOK1,1000,\n";
    let (status, preview) = upload(&admin, &app, file).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        between(&preview, r#"id="count-wrong">"#, "<"),
        "4",
        "{preview}"
    );
    assert!(preview.contains(r#"id="import-blocked""#));
    assert!(data_of(&preview).is_none(), "no confirm while a row is bad");
    for line in [3, 4, 5, 6] {
        assert!(
            preview.contains(&format!(r#"data-line="{line}" data-verdict="wrong""#)),
            "{line}"
        );
    }
    // A confirm forged from the bad file stores nothing either.
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(file);
    let (status, _) = confirm(&admin, &app, &preview, &data).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get_order("OK1").await.0, 404);
    assert_eq!(order_count(&app).await, 1);
    // Files that cannot be read say why.
    for (file, why) in [("code\nDH1\n", "amount"), ("", "empty")] {
        let (status, page) = upload(&admin, &app, file).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains(r#"id="import-problem""#) && page.contains(why),
            "{page}"
        );
    }
}
