//! The admin web UI (`/admin`): server-rendered, usable without JavaScript, every form with a
//! CSRF token, every page behind a session; failures are HTML pages (`error::AdminError`).

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod context;
pub mod dashboard;
pub mod decisions;
pub mod error;
pub mod export;
pub mod filters;
pub mod import;
pub mod login;
pub mod new_order;
pub mod notice;
pub mod notifications;
pub mod order_list;
pub mod orders;
pub mod queue;
pub mod reconcile;
pub mod session;
pub mod settings;
pub mod share;
pub mod split;
pub mod transactions;
pub mod transfer_list;
pub mod users;
pub mod views;
pub mod workbook;

use actix_web::{middleware, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .wrap(middleware::from_fn(error::error_pages))
            .route("", web::get().to(dashboard::dashboard))
            .route("/", web::get().to(dashboard::dashboard))
            .route("/login", web::get().to(login::login_page))
            .route("/login", web::post().to(login::login))
            .route("/logout", web::post().to(login::logout))
            .route("/queue", web::get().to(transfer_list::queue))
            .route("/queue.csv", web::get().to(transfer_list::queue_csv))
            .route("/queue.xlsx", web::get().to(transfer_list::queue_xlsx))
            .route(
                "/transactions.xlsx",
                web::get().to(transfer_list::transactions_xlsx),
            )
            .route("/orders.xlsx", web::get().to(order_list::orders_xlsx))
            .route("/transactions", web::get().to(transfer_list::transactions))
            .route(
                "/transactions.csv",
                web::get().to(transfer_list::transactions_csv),
            )
            .route("/rejected", web::get().to(queue::rejected))
            .route(
                "/rejected/{id}/dismiss",
                web::post().to(queue::dismiss_rejected),
            )
            .route(
                "/transactions/named/{name}",
                web::get().to(transactions::named),
            )
            .route(
                "/transactions/{id}",
                web::get().to(transactions::transaction),
            )
            .route(
                "/transactions/{id}/link",
                web::get().to(transactions::link_preview),
            )
            .route(
                "/transactions/{id}/link",
                web::post().to(transactions::link),
            )
            .route("/transactions/{id}/split", web::get().to(split::split_form))
            .route(
                "/transactions/{id}/split/preview",
                web::post().to(split::split_preview),
            )
            .route("/transactions/{id}/split", web::post().to(split::split))
            .route(
                "/transactions/{id}/set-aside",
                web::post().to(transactions::set_aside),
            )
            .route(
                "/transactions/{id}/undo",
                web::post().to(transactions::undo),
            )
            .route("/orders", web::get().to(order_list::orders))
            .route("/orders.csv", web::get().to(order_list::orders_csv))
            .route("/orders/new", web::get().to(new_order::new_order_form))
            .route("/orders/new", web::post().to(new_order::create_order))
            .route("/orders/import", web::get().to(import::import_form))
            .route("/orders/import", web::post().to(import::import_preview))
            .service(
                web::resource("/orders/import/confirm")
                    .app_data(web::FormConfig::default().limit(import::MAX_CONFIRM_BYTES))
                    .route(web::post().to(import::import_confirm)),
            )
            .route(
                "/orders/import/sample.csv",
                web::get().to(import::sample_csv),
            )
            .route("/orders/{code}", web::get().to(orders::order))
            .route(
                "/orders/{code}/cancel",
                web::post().to(orders::cancel_order),
            )
            .route("/orders/{code}/accept", web::post().to(decisions::accept))
            .route("/orders/{code}/refund", web::post().to(decisions::refund))
            .route(
                "/orders/{code}/undo-decision",
                web::post().to(decisions::undo),
            )
            .route("/audit", web::get().to(audit::audit))
            .route(
                "/notifications",
                web::get().to(notifications::notifications),
            )
            .route(
                "/notifications/{id}/replay",
                web::post().to(notifications::replay_notification),
            )
            .route("/reconcile", web::get().to(reconcile::reconcile_runs))
            .route("/reconcile/run", web::post().to(reconcile::reconcile_now))
            .route("/settings", web::get().to(settings::settings))
            .route("/settings/reveal", web::post().to(settings::reveal_token))
            .route("/settings/test-alert", web::post().to(alerts::test_alert))
            .route("/users", web::get().to(users::users_page))
            .route("/users", web::post().to(users::create_user))
            .route("/users/{name}/role", web::post().to(users::set_role))
            .route(
                "/users/{name}/password",
                web::post().to(users::reset_password),
            )
            .route("/users/{name}/remove", web::post().to(users::remove_user))
            .route(
                "/account/password",
                web::post().to(users::change_own_password),
            ),
    );
}
