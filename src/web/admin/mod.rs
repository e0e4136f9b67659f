//! The admin web UI (`/admin`): server-rendered, usable without JavaScript, every form with a
//! CSRF token, every page behind a session.

pub mod export;
pub mod filters;
pub mod notice;
pub mod pages;
pub mod session;
pub mod views;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .route("", web::get().to(pages::dashboard))
            .route("/", web::get().to(pages::dashboard))
            .route("/login", web::get().to(pages::login_page))
            .route("/login", web::post().to(pages::login))
            .route("/logout", web::post().to(pages::logout))
            .route("/queue", web::get().to(pages::queue))
            .route("/rejected", web::get().to(pages::rejected))
            .route(
                "/rejected/{id}/dismiss",
                web::post().to(pages::dismiss_rejected),
            )
            .route("/transactions/{id}", web::get().to(pages::transaction))
            .route(
                "/transactions/{id}/link",
                web::get().to(pages::link_preview),
            )
            .route("/transactions/{id}/link", web::post().to(pages::link))
            .route(
                "/transactions/{id}/set-aside",
                web::post().to(pages::set_aside),
            )
            .route("/transactions/{id}/undo", web::post().to(pages::undo))
            .route("/orders", web::get().to(pages::orders))
            .route("/orders/{code}", web::get().to(pages::order))
            .route("/orders/{code}/cancel", web::post().to(pages::cancel_order))
            .route("/audit", web::get().to(pages::audit))
            .route("/notifications", web::get().to(pages::notifications))
            .route(
                "/notifications/{id}/replay",
                web::post().to(pages::replay_notification),
            )
            .route("/reconcile", web::get().to(pages::reconcile_runs))
            .route("/settings", web::get().to(pages::settings))
            .route("/settings/reveal", web::post().to(pages::reveal_token)),
    );
}
