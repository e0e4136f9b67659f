//! Prepared once, run many times: diesel prepares every INSERT and UPDATE afresh on each call,
//! because their SQL can vary with the values (`DEFAULT` for a missing value, a changeset that
//! leaves out `None`), and PostgreSQL then parses and plans each of them every time. Keyed by
//! its SQL text, as diesel keys every statement without a static query id, such a statement
//! is safe to keep prepared: the same text is the same statement. [`Cached`] says so, for the
//! writes each delivery makes; [`ByType`] keys one whose text never varies by a type instead,
//! so that diesel need not write its SQL out to find it.
//!
//! Only diesel's loading path (`get_result`, `load`) asks the query itself; `execute` asks a
//! reference to it, whose answer walks the statement inside and so is still "no" for an
//! UPDATE or an INSERT with a `DEFAULT`. So a cached write either says `RETURNING` and is run
//! with `get_result`, or is run with [`Cached::run`], which takes the loading path for a
//! statement that returns no rows. SQLite pays for `RETURNING` (a scratch table, and a
//! statement journal, for every row): a write whose rows nobody reads says none.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::Integer;
use diesel::{QueryResult, RunQueryDsl};

/// A query kept prepared, found again by its SQL text or, with [`ByType`], by a type.
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q, K = ByText>(pub Q, pub PhantomData<K>);

/// How diesel finds a kept statement again.
pub trait CacheKey {
    type QueryId: 'static;
    const STATIC: bool;
}

/// By its SQL text, written out at each call: for statements whose text varies with the values.
#[derive(Debug, Clone, Copy)]
pub struct ByText;

impl CacheKey for ByText {
    type QueryId = ();
    const STATIC: bool = false;
}

/// By `K`, a type named for the statement, without writing its SQL out (8–9 % of SQLite's
/// writer thread, for a delivery's inserts). Only for statements with no optional part: rows
/// inserted with `treat_none_as_default_value = false` (a `None` binds NULL, no `DEFAULT`), no
/// changeset that leaves out `None`. A second statement under the same `K` would run the first
/// one's SQL: each key names one statement (`db::models::tests` checks that the rows with
/// optional values insert with one text).
#[derive(Debug, Clone, Copy)]
pub struct ByType<K>(PhantomData<K>);

impl<K: 'static> CacheKey for ByType<K> {
    type QueryId = K;
    const STATIC: bool = true;
}

/// `query` kept prepared by its SQL text.
pub fn by_text<Q>(query: Q) -> Cached<Q> {
    Cached(query, PhantomData)
}

/// `query` kept prepared under the statement type `K` (see [`ByType`]).
pub fn by_type<K, Q>(query: Q) -> Cached<Q, ByType<K>> {
    Cached(query, PhantomData)
}

impl<Q: QueryFragment<DB>, K, DB: Backend> QueryFragment<DB> for Cached<Q, K> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    // diesel's opt-in to this method (its feature for third-party backends) is the one way to
    // say it.
    fn is_safe_to_cache_prepared(&self, _: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q, K: CacheKey> QueryId for Cached<Q, K> {
    type QueryId = K::QueryId;
    const HAS_STATIC_QUERY_ID: bool = K::STATIC;
}

impl<Q: Query, K> Query for Cached<Q, K> {
    type SqlType = Q::SqlType;
}

impl<Q: Query, K, Conn> RunQueryDsl<Conn> for Cached<Q, K> {}

impl<Q, K> Cached<Q, K> {
    /// Runs a write that returns no rows (no `RETURNING`), kept prepared.
    pub fn run<'q, Conn>(self, conn: &mut Conn) -> QueryResult<()>
    where
        NoRows<Q, K>: LoadQuery<'q, Conn, i32>,
    {
        let rows: Vec<i32> = NoRows(self).load(conn)?;
        debug_assert!(
            rows.is_empty(),
            "a write run by `Cached::run` returned rows"
        );
        Ok(())
    }
}

/// A write without `RETURNING`, as a query of no rows: what lets [`Cached::run`] take diesel's
/// loading path. Its row type is never read.
pub struct NoRows<Q, K>(Cached<Q, K>);

impl<Q: QueryFragment<DB>, K, DB: Backend> QueryFragment<DB> for NoRows<Q, K> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q, K: CacheKey> QueryId for NoRows<Q, K> {
    type QueryId = K::QueryId;
    const HAS_STATIC_QUERY_ID: bool = K::STATIC;
}

impl<Q, K> Query for NoRows<Q, K> {
    type SqlType = Integer;
}

impl<Q, K, Conn> RunQueryDsl<Conn> for NoRows<Q, K> {}
