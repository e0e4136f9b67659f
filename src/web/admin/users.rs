//! Users and roles (`/admin/users`): owners create users, change their role, reset their
//! password and remove them (the last owner stays); everyone changes their own password here.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::context::{redirect, render, Nav, PageContext};
use super::error::AdminError;
use super::notice::Done;
use super::views::local_time;
use crate::auth::{self, AdminUserError};
use crate::db::{AdminStore, Store, StoreError};
use crate::domain;
use crate::ingest::resolve::{self, Audit};
use crate::state::AppState;
use crate::users::{self, Action, Role, UserError};
use crate::web::i18n::Lang;
use crate::{with_store, write_store};

pub struct UserRow {
    pub name: String,
    pub role: &'static str,
    pub since: String,
    pub me: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    lang: Lang,
    nav: Nav,
    users: Vec<UserRow>,
    roles: [&'static str; 3],
    problem: Option<&'static str>,
}

/// What went wrong, for a person, in the page's language.
fn problem_text(e: &UserError) -> &'static str {
    match e {
        UserError::LastOwner => {
            "The shop's last owner can be neither removed nor given another role."
        }
        UserError::Missing(_) => "There is no such user.",
        UserError::WrongPassword => "The current password is not right.",
        UserError::User(AdminUserError::BadName) => {
            "A user name is 1 to 64 letters, digits, dots, hyphens or underscores."
        }
        UserError::User(AdminUserError::WeakPassword(_)) => {
            "A password has at least 10 characters, not only spaces."
        }
        UserError::User(AdminUserError::Exists(_)) => "A user of this name exists already.",
        UserError::User(AdminUserError::Missing(_)) => "There is no such user.",
        UserError::User(AdminUserError::Store(_)) | UserError::Store(_) => {
            "The database is unavailable; nothing was changed. Try again in a moment."
        }
    }
}

async fn page(
    ctx: PageContext,
    state: &AppState,
    problem: Option<&'static str>,
) -> Result<HttpResponse, AdminError> {
    let rows = state
        .db
        .run(move |conn| with_store!(conn, |s| s.admin_users()))
        .await?;
    let me = ctx.user();
    let mut response = render(&UsersPage {
        lang: ctx.lang,
        users: rows
            .into_iter()
            .map(|(name, role, since)| UserRow {
                me: name == me,
                role: Role::parse(&role).map_or("viewer", Role::as_str),
                since: local_time(since),
                name,
            })
            .collect(),
        roles: Role::ALL.map(Role::as_str),
        problem: problem.map(|p| ctx.lang.t(p)),
        nav: ctx.nav,
    })?;
    if problem.is_some() {
        *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub async fn users_page(
    ctx: PageContext,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    page(ctx, &state, None).await
}

#[derive(Deserialize)]
pub struct NewUserForm {
    csrf: String,
    name: String,
    role: String,
    password: String,
}

fn audited<S: Store>(
    store: &mut S,
    actor: &str,
    action: &str,
    subject: &str,
    after: Option<&str>,
) -> Result<(), StoreError> {
    resolve::audit(
        store,
        &Audit {
            actor,
            action,
            subject,
            before: None,
            after,
            note: None,
        },
        domain::now(),
    )
}

/// Answers a user change: the next page when done, the users page with its problem if not.
async fn answer(
    ctx: PageContext,
    state: &AppState,
    outcome: Result<(), UserError>,
    done: Done,
) -> Result<HttpResponse, AdminError> {
    match outcome {
        Ok(()) => Ok(redirect(&format!("/admin/users?done={}", done.code()))),
        Err(UserError::Store(e)) | Err(UserError::User(AdminUserError::Store(e))) => Err(e.into()),
        Err(e) => page(ctx, state, Some(problem_text(&e))).await,
    }
}

pub async fn create_user(
    ctx: PageContext,
    state: web::Data<AppState>,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Manage)?;
    let role = Role::parse(&form.role).ok_or(AdminError::BadRequest)?;
    let (actor, name, password) = (
        ctx.user(),
        form.name.trim().to_owned(),
        form.password.clone(),
    );
    let outcome = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| Ok::<_, StoreError>(
                auth::create_user(s, &name, &password, role)
                    .map_err(UserError::from)
                    .and_then(|()| Ok(audited(
                        s,
                        &actor,
                        "user.create",
                        &format!("user:{name}"),
                        Some(role.as_str())
                    )?))
            ))
        })
        .await?;
    answer(ctx, &state, outcome, Done::UserCreated).await
}

#[derive(Deserialize)]
pub struct RoleForm {
    csrf: String,
    role: String,
}

pub async fn set_role(
    ctx: PageContext,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Manage)?;
    let role = Role::parse(&form.role).ok_or(AdminError::BadRequest)?;
    let (actor, name, now) = (ctx.user(), name.into_inner(), domain::now());
    let outcome = write_store!(state.db, |s| Ok::<_, StoreError>(
        users::set_role(s, &name, role, now).and_then(|()| Ok(audited(
            s,
            &actor,
            "user.role",
            &format!("user:{name}"),
            Some(role.as_str())
        )?))
    ))?;
    answer(ctx, &state, outcome, Done::RoleChanged).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    password: String,
    /// The user's own change only: the password now.
    current: Option<String>,
}

pub async fn reset_password(
    ctx: PageContext,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Manage)?;
    let (actor, name, password) = (ctx.user(), name.into_inner(), form.password.clone());
    let outcome = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| Ok::<_, StoreError>(
                auth::set_password(s, &name, &password)
                    .map_err(UserError::from)
                    .and_then(|()| Ok(audited(
                        s,
                        &actor,
                        "user.password_reset",
                        &format!("user:{name}"),
                        None
                    )?))
            ))
        })
        .await?;
    answer(ctx, &state, outcome, Done::PasswordReset).await
}

#[derive(Deserialize)]
pub struct RemoveForm {
    csrf: String,
    confirm: Option<String>,
}

pub async fn remove_user(
    ctx: PageContext,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: web::Form<RemoveForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Manage)?;
    if form.confirm.is_none() {
        return Ok(redirect("/admin/users"));
    }
    let (actor, name) = (ctx.user(), name.into_inner());
    let outcome = write_store!(state.db, |s| Ok::<_, StoreError>(
        users::remove(s, &name).and_then(|()| Ok(audited(
            s,
            &actor,
            "user.remove",
            &format!("user:{name}"),
            None
        )?))
    ))?;
    answer(ctx, &state, outcome, Done::UserRemoved).await
}

/// Anyone's own password: the current one first; every session of the user ends, this one too.
pub async fn change_own_password(
    ctx: PageContext,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_csrf(&form.csrf)?;
    let (name, current, password) = (
        ctx.user(),
        form.current.clone().unwrap_or_default(),
        form.password.clone(),
    );
    let outcome = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| Ok::<_, StoreError>(users::change_own_password(
                s, &name, &current, &password
            )))
        })
        .await?;
    match outcome {
        Ok(()) => Ok(redirect(&format!(
            "/admin/login?done={}",
            Done::PasswordChanged.code()
        ))),
        Err(e) => answer(ctx, &state, Err(e), Done::PasswordChanged).await,
    }
}
