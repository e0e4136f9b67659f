//! Roles: a viewer reads and exports but every POST is refused (403, nothing changed); staff
//! work the queue and orders but not settings or users; owners manage users, and the last
//! owner stays one. Everyone changes their own password. `admin create-user --role`.

use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::admin::{browser, csrf_of, get, logged_in, logged_in_as, post};
use crate::cli::run;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    roles_are_checked_on_every_post,
    the_last_owner_stays_and_passwords_change,
    the_command_line_gives_a_role,
);

const PASSWORD: &str = "role-test-password-123";

/// Logs `user` in; the client and a page's CSRF token.
async fn create_user(owner: &Client, app: &TestApp, csrf: &str, name: &str, role: &str) {
    let r = post(
        owner,
        app,
        "/admin/users",
        &[
            ("csrf", csrf),
            ("name", name),
            ("role", role),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{name} created");
}

async fn roles_are_checked_on_every_post(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 100000}))
        .await;
    app.transfer(1, "DH1", num("100000")).await;
    app.transfer(2, "no code here", num("5000")).await;
    let (owner, csrf) = logged_in(&app).await;
    create_user(&owner, &app, &csrf, "vera", "viewer").await;
    create_user(&owner, &app, &csrf, "sam", "staff").await;
    // The transfers' admin pages, from the queue and the order.
    let (_, queue) = get(&owner, &app, "/admin/transactions").await;
    let tx_ids: Vec<String> = queue
        .split("href=\"/admin/transactions/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|id| id.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_owned)
        .collect();
    assert!(tx_ids.len() >= 2, "{queue}");
    let (paid, waiting) = (&tx_ids[tx_ids.len() - 1], &tx_ids[0]);

    let (viewer, viewer_csrf) = logged_in_as(&app, "vera", PASSWORD).await;
    // A viewer reads and exports.
    for path in [
        "/admin",
        "/admin/queue",
        "/admin/orders/DH1",
        "/admin/orders.csv",
        "/admin/users",
    ] {
        assert_eq!(get(&viewer, &app, path).await.0, StatusCode::OK, "{path}");
    }
    let (_, order_page) = get(&viewer, &app, "/admin/orders/DH1").await;
    assert!(!order_page.contains("/cancel\""), "no cancel form offered");
    let work: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/admin/transactions/{waiting}/link"),
            vec![("code", "DH1")],
        ),
        (
            format!("/admin/transactions/{waiting}/split/preview"),
            vec![("code", "DH1"), ("amount", "5000")],
        ),
        (
            format!("/admin/transactions/{waiting}/split"),
            vec![("code", "DH1"), ("amount", "5000")],
        ),
        (
            format!("/admin/transactions/{waiting}/set-aside"),
            vec![("resolution", "ignored")],
        ),
        (
            format!("/admin/transactions/{paid}/undo"),
            vec![("confirm", "1")],
        ),
        ("/admin/rejected/1/dismiss".to_owned(), vec![]),
        (
            "/admin/orders/new".to_owned(),
            vec![("amount", "1000"), ("code", "VIEW1")],
        ),
        (
            "/admin/orders/import/confirm".to_owned(),
            vec![("data", "YW1vdW50CjEwMDAK")],
        ),
        (
            "/admin/orders/DH1/cancel".to_owned(),
            vec![("confirm", "1")],
        ),
        (
            "/admin/orders/DH1/accept".to_owned(),
            vec![("confirm", "1"), ("note", "fee")],
        ),
        (
            "/admin/orders/DH1/refund".to_owned(),
            vec![("confirm", "1")],
        ),
        (
            "/admin/orders/DH1/undo-decision".to_owned(),
            vec![("confirm", "1")],
        ),
        ("/admin/notifications/1/replay".to_owned(), vec![]),
        ("/admin/reconcile/run".to_owned(), vec![]),
    ];
    let manage: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/admin/settings/reveal".to_owned(),
            vec![("secret", "casso_secure_token")],
        ),
        ("/admin/settings/test-alert".to_owned(), vec![]),
        (
            "/admin/users".to_owned(),
            vec![
                ("name", "mallory"),
                ("role", "owner"),
                ("password", PASSWORD),
            ],
        ),
        (
            "/admin/users/admin/role".to_owned(),
            vec![("role", "viewer")],
        ),
        (
            "/admin/users/admin/password".to_owned(),
            vec![("password", "taken-over-password")],
        ),
        (
            "/admin/users/admin/remove".to_owned(),
            vec![("confirm", "1")],
        ),
    ];
    for (path, fields) in work.iter().chain(&manage) {
        let mut form = vec![("csrf", viewer_csrf.as_str())];
        form.extend_from_slice(fields);
        let r = post(&viewer, &app, path, &form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "viewer: {path}");
    }
    let upload = reqwest::multipart::Form::new()
        .text("csrf", viewer_csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"amount\n1000\n".to_vec()).file_name("o.csv"),
        );
    let r = viewer
        .post(app.url("/admin/orders/import"))
        .multipart(upload)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "viewer: import");
    for path in [
        "/admin/orders/new",
        "/admin/orders/import",
        "/admin/settings",
    ] {
        assert_eq!(
            get(&viewer, &app, path).await.0,
            StatusCode::FORBIDDEN,
            "viewer: {path}"
        );
    }

    // Staff: the work, not settings or users.
    let (staff, staff_csrf) = logged_in_as(&app, "sam", PASSWORD).await;
    for (path, fields) in &manage {
        let mut form = vec![("csrf", staff_csrf.as_str())];
        form.extend_from_slice(fields);
        assert_eq!(
            post(&staff, &app, path, &form).await.status(),
            StatusCode::FORBIDDEN,
            "staff: {path}"
        );
    }
    assert_eq!(
        get(&staff, &app, "/admin/settings").await.0,
        StatusCode::FORBIDDEN
    );
    let r = post(
        &staff,
        &app,
        "/admin/orders/new",
        &[
            ("csrf", &staff_csrf),
            ("amount", "2000"),
            ("code", "STAFF1"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "staff makes orders");

    // Nothing the refused posts asked for happened.
    assert_eq!(app.get_order("DH1").await.1["status"], "paid");
    assert_eq!(app.get_order("VIEW1").await.0, 404);
    let (_, users) = get(&owner, &app, "/admin/users").await;
    assert!(!users.contains("mallory"));
    assert!(
        users.contains(r#"<tr data-user="admin">"#)
            && users.contains(r#"<td data-label="Role" class="role">owner</td>"#)
    );
    let statuses: Vec<String> = app
        .all_transactions()
        .await
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        statuses.contains(&"unmatched".to_owned()) && statuses.contains(&"matched".to_owned()),
        "{statuses:?}"
    );
    // The owner still logs in with the old password.
    logged_in_as(&app, "admin", crate::admin::PASSWORD).await;
}

async fn the_last_owner_stays_and_passwords_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (owner, csrf) = logged_in(&app).await;
    for (path, fields) in [
        ("/admin/users/admin/role", vec![("role", "staff")]),
        ("/admin/users/admin/remove", vec![("confirm", "1")]),
    ] {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields);
        let r = post(&owner, &app, path, &form).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(r.text().await.unwrap().contains("last owner"));
    }
    // With a second owner, the first may step down, and is logged out to take the new role.
    create_user(&owner, &app, &csrf, "olga", "owner").await;
    let r = post(
        &owner,
        &app,
        "/admin/users/admin/role",
        &[("csrf", &csrf), ("role", "staff")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&owner, &app, "/admin/users").await.0,
        StatusCode::SEE_OTHER,
        "sessions ended"
    );
    let (staff, staff_csrf) = logged_in_as(&app, "admin", crate::admin::PASSWORD).await;
    assert_eq!(
        get(&staff, &app, "/admin/settings").await.0,
        StatusCode::FORBIDDEN
    );

    // One's own password: the current one first.
    let r = post(
        &staff,
        &app,
        "/admin/account/password",
        &[
            ("csrf", &staff_csrf),
            ("current", "wrong-password-1"),
            ("password", "a-brand-new-password"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(
        &staff,
        &app,
        "/admin/account/password",
        &[
            ("csrf", &staff_csrf),
            ("current", crate::admin::PASSWORD),
            ("password", "a-brand-new-password"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&staff, &app, "/admin/users").await.0,
        StatusCode::SEE_OTHER,
        "logged out"
    );
    logged_in_as(&app, "admin", "a-brand-new-password").await;
    let client = browser();
    let (_, page) = get(&client, &app, "/admin/login").await;
    let r = post(
        &client,
        &app,
        "/admin/login",
        &[
            ("user", "admin"),
            ("password", crate::admin::PASSWORD),
            ("csrf", &csrf_of(&page)),
        ],
    )
    .await;
    assert_ne!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the old password no longer works"
    );

    // An owner removes a user: its sessions end.
    let (olga, olga_csrf) = logged_in_as(&app, "olga", PASSWORD).await;
    let r = post(
        &olga,
        &app,
        "/admin/users/admin/remove",
        &[("csrf", &olga_csrf), ("confirm", "1")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(get(&staff, &app, "/admin").await.0, StatusCode::SEE_OTHER);
}

async fn the_command_line_gives_a_role(backend: Backend) {
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let vars = [("PAYMATCH_DATABASE_URL", db.url.as_str())];
    run(
        dir.path(),
        &["admin", "create-user", "vic", "--role", "viewer"],
        &vars,
        "viewer-password-1\n",
    )
    .await
    .assert_success();
    run(
        dir.path(),
        &["admin", "create-user", "boss"],
        &vars,
        "owner-password-12\n",
    )
    .await
    .assert_success();
    let bad = run(
        dir.path(),
        &["admin", "create-user", "x", "--role", "god"],
        &vars,
        "owner-password-12\n",
    )
    .await;
    assert!(!bad.status.success());
    let app = TestApp::spawn_on(db, &[]).await;
    let (viewer, csrf) = logged_in_as(&app, "vic", "viewer-password-1").await;
    let r = post(
        &viewer,
        &app,
        "/admin/orders/new",
        &[("csrf", &csrf), ("amount", "1000")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, users) = get(&viewer, &app, "/admin/users").await;
    assert!(users.contains(r#"<tr data-user="boss">"#), "{users}");
}
