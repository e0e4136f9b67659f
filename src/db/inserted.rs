//! An inserted row's id, asked the way each backend answers it cheapest. The query files call
//! `insert_id` (see `queries_for!`), written once per backend here.

/// PostgreSQL: `RETURNING`, in the insert's own round trip.
pub mod postgres {
    use diesel::query_builder::{InsertStatement, Query, ReturningClause};
    use diesel::query_dsl::LoadQuery;
    use diesel::query_source::QuerySource;
    use diesel::{OptionalExtension, PgConnection, QueryResult, RunQueryDsl};

    use crate::db::cached::{self, ByType, Cached};

    /// Inserts one row, kept prepared under `K`, and gives its `id`; `None` when a conflict
    /// the insert was told to ignore left the row out.
    pub fn insert_id<'q, K, T, U, Op, Id>(
        conn: &mut PgConnection,
        insert: InsertStatement<T, U, Op>,
        id: Id,
    ) -> QueryResult<Option<i64>>
    where
        T: QuerySource,
        InsertStatement<T, U, Op, ReturningClause<Id>>: Query,
        Cached<InsertStatement<T, U, Op, ReturningClause<Id>>, ByType<K>>:
            LoadQuery<'q, PgConnection, i64>,
    {
        cached::by_type::<K, _>(insert.returning(id))
            .get_result(conn)
            .optional()
    }
}

/// SQLite: the insert without `RETURNING` (which costs SQLite a scratch table and a statement
/// journal for each row), then the connection's own count and last row id.
pub mod sqlite {
    use diesel::dsl::sql;
    use diesel::query_builder::InsertStatement;
    use diesel::query_dsl::LoadQuery;
    use diesel::query_source::QuerySource;
    use diesel::sql_types::{BigInt, Nullable};
    use diesel::{QueryResult, RunQueryDsl, SqliteConnection};

    use crate::db::cached::{self, ByType, NoRows};

    /// The statement that reads the last insert's row id back.
    struct LastRowId;

    /// Inserts one row, kept prepared under `K`, and gives its id; `None` when a conflict the
    /// insert was told to ignore left the row out. The id column is the table's rowid.
    pub fn insert_id<'q, K: 'static, T, U, Op, Id>(
        conn: &mut SqliteConnection,
        insert: InsertStatement<T, U, Op>,
        _id: Id,
    ) -> QueryResult<Option<i64>>
    where
        T: QuerySource,
        NoRows<InsertStatement<T, U, Op>, ByType<K>>: LoadQuery<'q, SqliteConnection, i32>,
    {
        cached::by_type::<K, _>(insert).run(conn)?;
        // `changes()` counts the rows of the last statement alone, not its triggers' rows;
        // `last_insert_rowid()` is the row it wrote, again not a trigger's.
        cached::by_type::<LastRowId, _>(diesel::select(sql::<Nullable<BigInt>>(
            "CASE WHEN changes() > 0 THEN last_insert_rowid() END",
        )))
        .get_result(conn)
    }
}
