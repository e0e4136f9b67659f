//! Prepared once, run many times: diesel prepares every INSERT and UPDATE afresh on each call,
//! because their SQL can vary with the values (`DEFAULT` for a missing value, a changeset that
//! leaves out `None`), and PostgreSQL then parses and plans each of them every time. Keyed by
//! its SQL text, as diesel keys every statement without a static query id, such a statement
//! is safe to keep prepared: the same text is the same statement. [`Cached`] says so, for the
//! writes each delivery makes.
//!
//! Only diesel's loading path (`get_result`, `load`) asks the query itself; `execute` asks a
//! reference to it, whose answer walks the statement inside and so is still "no" for an
//! UPDATE or an INSERT with a `DEFAULT`. So a cached write says `RETURNING` and is run with
//! `get_result`: only statements that return rows are accepted here.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

/// A query kept prepared by its SQL text (see the module's comment).
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q>(pub Q);

impl<Q: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for Cached<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    // diesel's opt-in to this method (its feature for third-party backends) is the one way to
    // say it; the SQL text is the cache key because the query id is not static (below).
    fn is_safe_to_cache_prepared(&self, _: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: Query, Conn> diesel::RunQueryDsl<Conn> for Cached<Q> {}

/// A query whose SQL text is the same for every value of its type, kept prepared under `K`, a
/// type named for the statement. diesel then finds it by that type instead of writing its SQL
/// out again to look it up by text (8–9 % of SQLite's writer thread, for a delivery's inserts).
/// Only for statements with no optional part: rows inserted with
/// `treat_none_as_default_value = false` (a `None` binds NULL, no `DEFAULT`), no changeset that
/// leaves out `None`. A second statement under the same `K` would run the first one's SQL: each
/// key names one statement (`db::models::tests` checks that the rows with optional values insert
/// with one text).
#[derive(Debug, Clone, Copy)]
pub struct Fixed<K, Q>(pub Q, pub PhantomData<K>);

impl<K, Q> Fixed<K, Q> {
    pub fn new(query: Q) -> Self {
        Fixed(query, PhantomData)
    }
}

impl<K, Q: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for Fixed<K, Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<K: 'static, Q> QueryId for Fixed<K, Q> {
    type QueryId = K;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<K, Q: Query> Query for Fixed<K, Q> {
    type SqlType = Q::SqlType;
}

impl<K, Q: Query, Conn> diesel::RunQueryDsl<Conn> for Fixed<K, Q> {}
