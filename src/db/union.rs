//! One question asked for many values in one statement: a list page's rows each ask the same
//! question with their own values (the open orders of a row's amount, the customers a row's
//! payer paid for), and a round trip a row was most of the page's time on PostgreSQL. Each
//! arm keeps its own `ORDER BY` and `LIMIT` inside a subquery (neither backend takes them on a
//! bare arm of a `UNION`), and says which arm it is in its first column, so that its rows go
//! back to the value that asked for them. PostgreSQL plans every arm of such a statement
//! afresh (0.2 ms an arm); where it is asked for every page, it gets one prepared statement
//! over arrays instead (`Backend::orders_in_windows`).

use diesel::backend::Backend;
use diesel::dsl::AsExprOf;
use diesel::expression::AsExpression;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::Integer;
use diesel::{QueryResult, RunQueryDsl};

use super::StoreError;

/// Arms joined by `UNION ALL`, each selecting its [`arm_number`] first.
pub struct UnionAll<Q>(Vec<Q>);

/// Most arms in one statement: under SQLite's limit on a compound SELECT (500) and
/// PostgreSQL's on bound values (65,535), whatever an arm binds.
const MOST_ARMS: usize = 100;

/// The first column of the arm asking for the `arm`-th value (of a statement's).
pub fn arm_number(arm: usize) -> AsExprOf<i32, Integer> {
    // Below MOST_ARMS.
    <i32 as AsExpression<Integer>>::as_expression(arm as i32)
}

/// The rows answering each of `values`, in their order: `arm(i, value)` asks for one (it
/// selects `arm_number(i)` first), in as few statements as the limits allow.
pub fn answers<'q, V, Q: 'q, R, Conn>(
    conn: &mut Conn,
    values: &[V],
    arm: impl Fn(usize, &V) -> Result<Q, StoreError>,
) -> Result<Vec<Vec<R>>, StoreError>
where
    UnionAll<Q>: LoadQuery<'q, Conn, (i32, R)>,
{
    let mut answers: Vec<Vec<R>> = values.iter().map(|_| Vec::new()).collect();
    for (chunk, values) in values.chunks(MOST_ARMS).enumerate() {
        let arms = values
            .iter()
            .enumerate()
            .map(|(i, value)| arm(i, value))
            .collect::<Result<Vec<Q>, StoreError>>()?;
        let rows = UnionAll(arms).load::<(i32, R)>(conn)?;
        group_by_arm(&mut answers, chunk * MOST_ARMS, rows)?;
    }
    Ok(answers)
}

/// Puts each row with the value of its arm (`first` is the value of arm 0).
pub fn group_by_arm<R>(
    answers: &mut [Vec<R>],
    first: usize,
    rows: Vec<(i32, R)>,
) -> Result<(), StoreError> {
    let values = answers.len();
    for (arm, row) in rows {
        let to = usize::try_from(arm)
            .ok()
            .and_then(|arm| answers.get_mut(first + arm))
            .ok_or_else(|| StoreError::Corrupt(format!("a row of arm {arm} of {values}")))?;
        to.push(row);
    }
    Ok(())
}

impl<Q: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for UnionAll<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for (i, arm) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_sql(" UNION ALL ");
            }
            out.push_sql("SELECT * FROM (");
            arm.walk_ast(out.reborrow())?;
            out.push_sql(") AS arm");
            out.push_sql(&i.to_string());
        }
        Ok(())
    }
}

/// Its text changes with the number of arms: kept by text, as diesel keeps any such statement.
impl<Q> QueryId for UnionAll<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for UnionAll<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: Query, Conn> RunQueryDsl<Conn> for UnionAll<Q> {}
