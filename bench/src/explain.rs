//! The plans of the scale lookups: the SQL that paymatch runs for each of them, spelled as
//! diesel spells it (`src/db/queries/`; checked against `diesel::debug_query`), with the
//! values of the measured requests, under `EXPLAIN QUERY PLAN` (SQLite, through the same
//! SQLite library that the server links) or `EXPLAIN (ANALYZE, BUFFERS)` (PostgreSQL, through
//! `psql`). Each plan gets a verdict, and a plan that reads a big table whole is flagged.

use std::path::Path;

use anyhow::{Context as _, Result};
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::lookups::Context;
use crate::server::{BackendKind, Database};

/// A value bound to a statement.
#[derive(Clone, Debug)]
enum Param {
    Text(String),
    Int(i64),
    Time(NaiveDateTime),
}

impl Param {
    /// The value as SQLite gets it, written as a literal.
    fn sqlite_literal(&self) -> String {
        match self {
            // diesel binds a timestamp as `%F %T%.f` text on SQLite.
            Param::Time(t) => format!("'{}'", t.format("%Y-%m-%d %H:%M:%S%.f")),
            other => other.pg_literal(),
        }
    }

    /// The literal that `EXECUTE` passes to PostgreSQL.
    fn pg_literal(&self) -> String {
        match self {
            Param::Text(t) => format!("'{}'", t.replace('\'', "''")),
            Param::Int(i) => i.to_string(),
            Param::Time(t) => format!("'{}'", t.format("%Y-%m-%d %H:%M:%S%.6f")),
        }
    }
}

/// One statement as both backends receive it: SQLite with `?` and `IN (?, …)`, PostgreSQL
/// with `$n` and `= ANY($n)` (diesel's `eq_any`), and the values of both.
#[derive(Default, Clone)]
struct Sql {
    sqlite: String,
    postgres: String,
    sqlite_params: Vec<Param>,
    /// PostgreSQL's parameters as literals (an array is one parameter).
    postgres_params: Vec<String>,
}

impl Sql {
    /// Text with backtick-quoted names, as SQLite gets it; PostgreSQL's names are in `"`.
    fn text(mut self, text: &str) -> Sql {
        self.sqlite.push_str(text);
        self.postgres.push_str(&text.replace('`', "\""));
        self
    }

    fn param(mut self, p: Param) -> Sql {
        self.sqlite.push('?');
        self.postgres_params.push(p.pg_literal());
        self.postgres
            .push_str(&format!("${}", self.postgres_params.len()));
        self.sqlite_params.push(p);
        self
    }

    /// `q=` on transfers as `db/search` writes it for a search of three characters or more
    /// (the bench's are digits, their own normalised form): on SQLite, the FTS5 trigram table
    /// and the transfers stored since its last step; on PostgreSQL, `LIKE` on the column that
    /// its pg_trgm index covers.
    fn text_search(mut self, table: &str, needle: &str) -> Sql {
        self.sqlite.push_str(&format!(
            "{table}.id IN (WITH typed (text) AS (SELECT ?) \
             SELECT found.rowid FROM typed, {table}_search AS found \
             WHERE found.search_text MATCH '\"' || replace(typed.text, '\"', '\"\"') || '\"' \
             UNION ALL \
             SELECT newer.id FROM typed, {table}_indexed, {table} AS newer \
             WHERE newer.id > {table}_indexed.through AND instr(newer.search_text, typed.text) > 0)"
        ));
        self.sqlite_params.push(Param::Text(needle.to_owned()));
        self.postgres_params
            .push(Param::Text(format!("%{needle}%")).pg_literal());
        self.postgres.push_str(&format!(
            "{table}.search_text LIKE ${} ESCAPE '\\'",
            self.postgres_params.len()
        ));
        self
    }

    /// `column IN (?, ?)` on SQLite, `column = ANY($n)` on PostgreSQL.
    fn any(mut self, column: &str, values: &[String]) -> Sql {
        self.sqlite.push_str(&format!(
            "{column} IN ({})",
            vec!["?"; values.len()].join(", ")
        ));
        self.sqlite_params
            .extend(values.iter().map(|v| Param::Text(v.clone())));
        let array = values
            .iter()
            .map(|v| Param::Text(v.clone()).pg_literal())
            .collect::<Vec<_>>()
            .join(", ");
        self.postgres_params.push(format!("ARRAY[{array}]::text[]"));
        self.postgres.push_str(&format!(
            "{} = ANY(${})",
            column.replace('`', "\""),
            self.postgres_params.len()
        ));
        self
    }
}

fn columns(table: &str, names: &[&str]) -> String {
    names
        .iter()
        .map(|c| format!("`{table}`.`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn order_columns() -> String {
    columns(
        "orders",
        &[
            "id",
            "code",
            "reference",
            "amount",
            "currency",
            "status",
            "amount_received",
            "notify_url",
            "created_at",
            "updated_at",
            "paid_at",
            "expires_at",
        ],
    )
}

/// `TransactionRow` and the order's code.
fn transaction_columns() -> String {
    columns(
        "bank_transactions",
        &[
            "id",
            "source",
            "external_id",
            "bank_ref",
            "description",
            "amount",
            "running_balance",
            "occurred_at",
            "account",
            "status",
            "candidates",
            "received_at",
            "waiting_reason",
            "resolution",
            "resolution_note",
            "resolved_by",
            "resolved_at",
        ],
    ) + ", `orders`.`code`"
}

/// A filter of a boxed diesel query: `WHERE (a)`, then `WHERE ((a) AND (b))` and so on.
type Condition = Box<dyn Fn(Sql) -> Sql>;

fn with_conditions(mut sql: Sql, conditions: Vec<Condition>) -> Sql {
    if conditions.is_empty() {
        return sql;
    }
    // diesel: `WHERE (a)`, `WHERE ((a) AND (b))`, `WHERE (((a) AND (b)) AND (c))` …
    sql = sql.text(" WHERE ").text(&"(".repeat(conditions.len() - 1));
    for (i, condition) in conditions.into_iter().enumerate() {
        if i > 0 {
            sql = sql.text(" AND ");
        }
        sql = condition(sql.text("(")).text(")");
        if i > 0 {
            sql = sql.text(")");
        }
    }
    sql
}

fn cmp(column: &'static str, op: &'static str, p: Param) -> Condition {
    Box::new(move |s: Sql| s.text(&format!("{column} {op} ")).param(p.clone()))
}

fn any(column: &'static str, values: Vec<String>) -> Condition {
    Box::new(move |s: Sql| s.any(column, &values))
}

/// `Store::list_orders` (the API's order list).
fn list_orders(status: Option<&str>, cursor: Option<i64>) -> Sql {
    let mut conditions = Vec::new();
    if let Some(status) = status {
        conditions.push(cmp("`orders`.`status`", "=", Param::Text(status.into())));
    }
    if let Some(cursor) = cursor {
        conditions.push(cmp("`orders`.`id`", "<", Param::Int(cursor)));
    }
    let sql = Sql::default().text(&format!("SELECT {} FROM `orders`", order_columns()));
    with_conditions(sql, conditions)
        .text(" ORDER BY `orders`.`id` DESC LIMIT ")
        .param(Param::Int(51))
}

/// `Store::transactions_of` (an order's transactions, for the API's order views), its two
/// reads by order (migration 000018): the transfers naming the orders without having paid them
/// (the partial index `bank_transactions_order_named`), and those that paid them, through the
/// orders' history. The third, `allocations_before_history`, is a primary-key read of a table
/// the bench leaves empty.
fn transactions_of(codes: Vec<String>, paid: bool) -> Sql {
    let codes = any("`orders`.`code`", codes);
    if paid {
        let sql = Sql::default().text(
            "SELECT `order_history`.`transaction_id` FROM (`order_history` INNER JOIN `orders` \
             ON (`order_history`.`order_id` = `orders`.`id`))",
        );
        let credit = Box::new(|s: Sql| s.text("`order_history`.`transaction_id` IS NOT NULL"));
        return with_conditions(sql, vec![codes, credit]);
    }
    let sql = Sql::default().text(
        "SELECT `bank_transactions`.`id` FROM (`bank_transactions` INNER JOIN `orders` \
         ON (`bank_transactions`.`order_id` = `orders`.`id`))",
    );
    let unpaid = Box::new(|s: Sql| {
        s.text("bank_transactions.order_id IS NOT NULL AND bank_transactions.status <> 'matched'")
    });
    with_conditions(sql, vec![codes, unpaid])
}

fn transactions_from() -> Sql {
    Sql::default().text(&format!(
        "SELECT {} FROM (`bank_transactions` LEFT OUTER JOIN `orders` ON (`bank_transactions`.`order_id` = `orders`.`id`))",
        transaction_columns()
    ))
}

/// What the admin queue's query string sets (`QueueFilter` and the cursor).
#[derive(Default)]
struct QueueFilter {
    reason: Option<&'static str>,
    received: Option<(NaiveDateTime, NaiveDateTime)>,
    amount_units: Option<(i64, i64)>,
    search: Option<String>,
    cursor: Option<i64>,
}

/// `Reports::transfers` for the admin queue. It runs one such query per waiting reason (one when a
/// reason is chosen) and merges them; every reason's query has the same shape, so the plan of
/// one of them (`unknown_order` without a reason) stands for all.
fn queue(filter: QueueFilter) -> Sql {
    let status = filter.reason.unwrap_or("unknown_order");
    let mut conditions = vec![cmp(
        "`bank_transactions`.`status`",
        "=",
        Param::Text(status.to_string()),
    )];
    // Days are the bank's (`Reports::transfers`): the expression of the index
    // `bank_transactions_status_bank_time`.
    if let Some((from, to)) = filter.received {
        let bank_time =
            "coalesce(`bank_transactions`.`occurred_at`, `bank_transactions`.`received_at`)";
        conditions.push(cmp(bank_time, ">=", Param::Time(from)));
        conditions.push(cmp(bank_time, "<", Param::Time(to)));
    }
    if let Some((min, max)) = filter.amount_units {
        conditions.push(cmp("`bank_transactions`.`amount`", ">=", Param::Int(min)));
        conditions.push(cmp("`bank_transactions`.`amount`", "<=", Param::Int(max)));
    }
    if let Some(search) = filter.search {
        conditions.push(Box::new(move |s: Sql| {
            s.text_search("bank_transactions", &search)
        }));
    }
    if let Some(cursor) = filter.cursor {
        conditions.push(cmp("`bank_transactions`.`id`", "<", Param::Int(cursor)));
    }
    with_conditions(transactions_from(), conditions)
        .text(" ORDER BY `bank_transactions`.`id` DESC LIMIT ")
        .param(Param::Int(51))
}

/// One statement that a lookup runs, with the values of a typical request.
pub struct Statement {
    pub name: &'static str,
    /// The measured lookups that run it.
    pub used_by: Vec<&'static str>,
    /// Whether an index should bound its work whatever the table's size.
    pub expect_indexed: bool,
    sql: Sql,
}

/// The statements behind the measured lookups (see `lookups::queries`).
pub fn statements(ctx: &Context) -> Vec<Statement> {
    let code = |n: u64| format!("DH{}", ctx.code_base + n);
    let middle = code(ctx.orders / 2);
    let newest: Vec<String> = (ctx.orders.saturating_sub(50)..ctx.orders)
        .map(code)
        .collect();
    let (from, to) = ctx.received_range();
    let (min, max) = ctx.amount_range_vnd;
    let statement = |name, used_by: &[&'static str], expect_indexed, sql| Statement {
        name,
        used_by: used_by.to_vec(),
        expect_indexed,
        sql,
    };
    vec![
        statement(
            "order_by_code",
            &["order_get"],
            true,
            Sql::default()
                .text(&format!(
                    "SELECT {} FROM `orders` WHERE (`orders`.`code` = ",
                    order_columns()
                ))
                .param(Param::Text(middle.clone()))
                .text(") LIMIT ")
                .param(Param::Int(1)),
        ),
        statement(
            "transactions_of_order_named",
            &["order_get"],
            true,
            transactions_of(vec![middle.clone()], false),
        ),
        statement(
            "transactions_of_order_paid",
            &["order_get"],
            true,
            transactions_of(vec![middle], true),
        ),
        statement(
            "transactions_of_50_orders_named",
            &["orders_first", "orders_deep", "orders_status"],
            true,
            transactions_of(newest.clone(), false),
        ),
        statement(
            "transactions_of_50_orders_paid",
            &["orders_first", "orders_deep", "orders_status"],
            true,
            transactions_of(newest, true),
        ),
        statement(
            "orders_first_page",
            &["orders_first"],
            true,
            list_orders(None, None),
        ),
        statement(
            "orders_page_at_cursor",
            &["orders_deep"],
            true,
            list_orders(None, Some(ctx.deep_order_cursor())),
        ),
        statement(
            "orders_by_status",
            &["orders_status"],
            true,
            list_orders(Some(ctx.seed_status), None),
        ),
        statement(
            "orders_by_absent_status",
            &["orders_status_none"],
            true,
            list_orders(Some("paid"), None),
        ),
        statement(
            "transactions_by_status",
            &["transactions_unknown"],
            true,
            with_conditions(
                transactions_from(),
                vec![cmp(
                    "`bank_transactions`.`status`",
                    "=",
                    Param::Text("unknown_order".into()),
                )],
            )
            .text(" ORDER BY `bank_transactions`.`id` DESC LIMIT ")
            .param(Param::Int(51)),
        ),
        statement(
            "admin_session",
            &[
                "queue_first",
                "queue_reason",
                "queue_amount",
                "queue_days",
                "queue_deep",
                "queue_search",
            ],
            true,
            with_conditions(
                Sql::default().text(&format!(
                    "SELECT {} FROM `admin_sessions`",
                    columns(
                        "admin_sessions",
                        &[
                            "token_hash",
                            "user_name",
                            "csrf_token",
                            "created_at",
                            "expires_at"
                        ]
                    )
                )),
                vec![
                    cmp(
                        "`admin_sessions`.`token_hash`",
                        "=",
                        Param::Text("0".repeat(64)),
                    ),
                    cmp(
                        "`admin_sessions`.`expires_at`",
                        ">",
                        Param::Time(chrono::Utc::now().naive_utc()),
                    ),
                ],
            )
            .text(" LIMIT ")
            .param(Param::Int(1)),
        ),
        statement(
            "queue_first_page",
            &["queue_first"],
            true,
            queue(QueueFilter::default()),
        ),
        statement(
            "queue_by_reason",
            &["queue_reason"],
            true,
            queue(QueueFilter {
                reason: Some("ambiguous"),
                ..Default::default()
            }),
        ),
        statement(
            "queue_by_amount",
            &["queue_amount"],
            false,
            queue(QueueFilter {
                amount_units: Some((min as i64 * 10_000, max as i64 * 10_000)),
                ..Default::default()
            }),
        ),
        statement(
            "queue_by_days",
            &["queue_days"],
            true,
            queue(QueueFilter {
                received: Some((from, to)),
                ..Default::default()
            }),
        ),
        statement(
            "queue_at_cursor",
            &["queue_deep"],
            true,
            queue(QueueFilter {
                cursor: Some(ctx.deep_transaction_cursor()),
                ..Default::default()
            }),
        ),
        statement(
            "queue_text_search",
            &["queue_search"],
            true,
            queue(QueueFilter {
                search: Some(ctx.needle.clone()),
                ..Default::default()
            }),
        ),
    ]
}

/// How a plan reaches its rows.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Index searches only: the work does not depend on the table's size.
    Indexed,
    /// Walks the table (or an index) in id order and stops at the LIMIT: the work is the
    /// rows skipped by the filter before the page is full.
    OrderedScan,
    /// Finds every matching row through an index, then sorts them all for the page: the work
    /// grows with the number of matching rows.
    IndexThenSort,
    /// Reads a big table whole.
    FullScan,
}

impl Access {
    fn label(self) -> &'static str {
        match self {
            Access::Indexed => "index",
            Access::OrderedScan => "ordered scan to LIMIT",
            Access::IndexThenSort => "index, then sort of all matches",
            Access::FullScan => "FULL SCAN",
        }
    }
}

/// The plan of one statement and what it means.
#[derive(Serialize, Debug, Clone)]
pub struct Plan {
    pub statement: &'static str,
    pub used_by: Vec<&'static str>,
    pub expect_indexed: bool,
    pub access: Access,
    /// Where an index was expected: a full scan, or (on the large database) work that grew
    /// more than [`WORK_GROWTH_FLAG`] times from the small one.
    pub flagged: bool,
    /// This database's work ÷ the small database's (set on the large one).
    pub work_ratio: Option<f64>,
    /// The plan's lines that decide the verdict (scans, searches, sorts).
    pub key_lines: Vec<String>,
    /// SQLite: virtual-machine steps, full-scan steps and sorts of one run with the values
    /// below; PostgreSQL: shared buffers hit + read, rows the scans returned and removed.
    pub work: String,
    /// A size-free measure of work for the small ÷ large comparison: SQLite VM steps,
    /// PostgreSQL buffers.
    pub work_units: u64,
    pub execution_ms: f64,
    pub sql: String,
    pub params: Vec<String>,
    pub plan: Vec<String>,
}

const BIG_TABLES: [&str; 2] = ["orders", "bank_transactions"];

/// From 1,000 to 1,000,000 rows, work that grows more than this many times follows the
/// tables' size. An indexed read's work grows by a B-tree level or two (a few times at most,
/// up to about 10× when the small database's plan read its tiny table whole); a read in
/// proportion to the rows, or to the queue's backlog, grows 100 to 1,000 times.
pub const WORK_GROWTH_FLAG: f64 = 30.0;

/// Compares the large database's plans with the small one's: sets `work_ratio`, and flags
/// (where an index was expected) a full scan or work that grew with the table. Nothing is
/// flagged on the small database: on a 1,000-row table a full scan is the right choice.
pub fn compare(small: &mut [Plan], large: &mut [Plan]) {
    for p in small.iter_mut() {
        p.flagged = false;
    }
    for p in large.iter_mut() {
        p.work_ratio = small
            .iter()
            .find(|s| s.statement == p.statement)
            .filter(|s| s.work_units > 0)
            .map(|s| p.work_units as f64 / s.work_units as f64);
        let grew = p.work_ratio.is_some_and(|r| r > WORK_GROWTH_FLAG);
        p.flagged = p.expect_indexed && (p.access == Access::FullScan || grew);
    }
}

/// Plans every statement on this database (the server may be running: these only read).
pub async fn explain(db: &Database, ctx: &Context) -> Result<Vec<Plan>> {
    let statements = statements(ctx);
    match db {
        Database::Sqlite { path, .. } => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || explain_sqlite(&path, &statements)).await?
        }
        Database::Postgres { .. } => explain_postgres(db, &statements).await,
    }
}

fn explain_sqlite(path: &Path, statements: &[Statement]) -> Result<Vec<Plan>> {
    use rusqlite::{types::Value, OpenFlags, StatementStatus};
    let conn = rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let mut plans = Vec::new();
    for s in statements {
        // The request's values (rusqlite wants every parameter bound, EXPLAIN too).
        let values: Vec<Value> = s
            .sql
            .sqlite_params
            .iter()
            .map(|p| match p {
                Param::Text(t) => Value::Text(t.clone()),
                Param::Int(i) => Value::Integer(*i),
                // diesel binds a timestamp as `%F %T%.f` text on SQLite.
                Param::Time(t) => Value::Text(t.format("%Y-%m-%d %H:%M:%S%.f").to_string()),
            })
            .collect();
        // EXPLAIN QUERY PLAN: (id, parent, notused, detail), children after their parent.
        let mut eqp = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", s.sql.sqlite))?;
        let rows: Vec<(i64, i64, String)> = eqp
            .query_map(rusqlite::params_from_iter(values.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut depth = std::collections::HashMap::new();
        let lines: Vec<String> = rows
            .iter()
            .map(|(id, parent, detail)| {
                let d = depth.get(parent).map_or(0, |d| d + 1);
                depth.insert(*id, d);
                format!("{}{detail}", "  ".repeat(d))
            })
            .collect();
        // One run with the same values, for the work it does.
        let mut stmt = conn.prepare(&s.sql.sqlite)?;
        let start = std::time::Instant::now();
        let mut rows_returned = 0u64;
        {
            let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
            while rows.next()?.is_some() {
                rows_returned += 1;
            }
        }
        let execution_ms = start.elapsed().as_secs_f64() * 1000.0;
        let vm_steps = stmt.get_status(StatementStatus::VmStep);
        let fullscan_steps = stmt.get_status(StatementStatus::FullscanStep);
        let sorts = stmt.get_status(StatementStatus::Sort);
        let access = sqlite_access(&lines);
        plans.push(Plan {
            statement: s.name,
            used_by: s.used_by.clone(),
            expect_indexed: s.expect_indexed,
            flagged: s.expect_indexed && access == Access::FullScan,
            work_ratio: None,
            access,
            key_lines: lines
                .iter()
                .map(|l| l.trim().to_string())
                .filter(|l| {
                    l.starts_with("SCAN") || l.starts_with("SEARCH") || l.contains("B-TREE")
                })
                .collect(),
            work: format!(
                "{vm_steps} VM steps, {fullscan_steps} full-scan steps, {sorts} sorts, \
                 {rows_returned} rows returned"
            ),
            work_units: u64::try_from(vm_steps).unwrap_or(0),
            execution_ms,
            sql: s.sql.sqlite.clone(),
            params: s
                .sql
                .sqlite_params
                .iter()
                .map(Param::sqlite_literal)
                .collect(),
            plan: lines,
        });
    }
    Ok(plans)
}

/// SQLite: `SCAN t` without an index is a table walk. In rowid order with no sort after it
/// (`ORDER BY id` is the rowid's order) it stops at the LIMIT; otherwise it reads the table.
fn sqlite_access(lines: &[String]) -> Access {
    let sorts = lines
        .iter()
        .any(|l| l.contains("USE TEMP B-TREE FOR ORDER BY"));
    let mut access = Access::Indexed;
    for line in lines.iter().map(|l| l.trim()) {
        let Some(rest) = line.strip_prefix("SCAN ") else {
            continue;
        };
        let table = rest.split_whitespace().next().unwrap_or("");
        if !BIG_TABLES.contains(&table) {
            continue;
        }
        // Without a sort after it, the walk (of the rowid table, or of an index in its order)
        // stops at the LIMIT; with one, every row is read first.
        let scan = if sorts {
            Access::FullScan
        } else {
            Access::OrderedScan
        };
        access = access.max(scan);
    }
    if sorts && access == Access::Indexed {
        // Searched through an index, then every match sorted for the page.
        let searched_big = lines.iter().any(|l| {
            let l = l.trim();
            BIG_TABLES
                .iter()
                .any(|t| l.starts_with(&format!("SEARCH {t} ")))
        });
        if searched_big {
            access = Access::IndexThenSort;
        }
    }
    access
}

async fn explain_postgres(db: &Database, statements: &[Statement]) -> Result<Vec<Plan>> {
    // Each statement prepared as the server sends it (`$n`), then executed with the request's
    // values: PostgreSQL plans the first executions with the values (a custom plan), as it
    // plans diesel's unnamed statements.
    let mut script = String::new();
    for (i, s) in statements.iter().enumerate() {
        script.push_str(&format!(
            "\\echo '#### {i}'\nPREPARE bench_{i} AS {};\nEXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_{i}({});\nDEALLOCATE bench_{i};\n",
            s.sql.postgres,
            s.sql.postgres_params.join(", ")
        ));
    }
    let out = db.sql(&script).await.context("EXPLAIN on PostgreSQL")?;
    let mut sections: Vec<Vec<String>> = vec![Vec::new(); statements.len()];
    let mut current = None;
    for line in out.lines() {
        if let Some(n) = line.strip_prefix("#### ") {
            current = n.trim().parse::<usize>().ok();
            continue;
        }
        if let Some(section) = current.and_then(|i| sections.get_mut(i)) {
            if !line.trim().is_empty() {
                section.push(line.to_string());
            }
        }
    }
    let mut plans = Vec::new();
    for (s, lines) in statements.iter().zip(sections) {
        let access = postgres_access(&lines);
        let (work, work_units, execution_ms) = postgres_work(&lines);
        plans.push(Plan {
            statement: s.name,
            used_by: s.used_by.clone(),
            expect_indexed: s.expect_indexed,
            flagged: s.expect_indexed && access == Access::FullScan,
            work_ratio: None,
            access,
            key_lines: lines
                .iter()
                .map(|l| l.trim().trim_start_matches("->").trim())
                .filter(|l| {
                    l.contains(" Scan ")
                        || l.starts_with("Sort ")
                        || l.starts_with("Sort Key")
                        || l.starts_with("Sort Method")
                        || l.starts_with("Rows Removed by Filter")
                })
                .map(compact_pg_line)
                .collect(),
            work,
            work_units,
            execution_ms,
            sql: s.sql.postgres.clone(),
            params: s.sql.postgres_params.clone(),
            plan: lines,
        });
    }
    Ok(plans)
}

/// Drops the planner's cost estimate, keeps what happened: `Index Scan using x on t
/// (actual rows=51 loops=1)`.
fn compact_pg_line(line: &str) -> String {
    let without_cost = match (line.find("(cost="), line.find("(actual")) {
        (Some(c), Some(a)) if c < a => format!("{}{}", &line[..c], &line[a..]),
        _ => line.to_string(),
    };
    // `(actual time=0.010..0.020 rows=51 loops=1)` → `(actual rows=51 loops=1)`.
    match without_cost.find("(actual time=") {
        Some(start) => {
            let after = &without_cost[start + "(actual time=".len()..];
            match after.find(' ') {
                Some(space) => format!("{}(actual {}", &without_cost[..start], &after[space + 1..]),
                None => without_cost,
            }
        }
        None => without_cost,
    }
}

fn postgres_access(lines: &[String]) -> Access {
    let mut access = Access::Indexed;
    let sorted = lines.iter().any(|l| {
        l.trim()
            .trim_start_matches("->")
            .trim()
            .starts_with("Sort ")
    });
    for line in lines {
        let l = line.trim().trim_start_matches("->").trim();
        let on_big = BIG_TABLES.iter().any(|t| l.contains(&format!(" on {t} ")));
        let big_index = BIG_TABLES
            .iter()
            .any(|t| l.starts_with(&format!("Bitmap Index Scan on {t}_")));
        if l.starts_with("Seq Scan") || l.starts_with("Parallel Seq Scan") {
            if on_big {
                access = access.max(Access::FullScan);
            }
        } else if sorted && (on_big || big_index) && l.contains(" Scan ") {
            access = access.max(Access::IndexThenSort);
        }
    }
    // A filtered walk in order that threw rows away before the LIMIT was reached.
    if access == Access::Indexed
        && lines.iter().any(|l| l.contains("Rows Removed by Filter"))
        && lines.iter().any(|l| l.contains("Index Scan Backward"))
    {
        access = Access::OrderedScan;
    }
    access
}

/// Buffers of the top node (they include the children's), rows returned and removed by the
/// scans, and the execution time.
fn postgres_work(lines: &[String]) -> (String, u64, f64) {
    let number_after = |line: &str, key: &str| -> Option<f64> {
        let start = line.find(key)? + key.len();
        let text: String = line[start..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        text.parse().ok()
    };
    let buffers_line = lines.iter().find(|l| l.trim().starts_with("Buffers:"));
    let (hit, read) = buffers_line.map_or((0.0, 0.0), |l| {
        (
            number_after(l, "hit=").unwrap_or(0.0),
            number_after(l, "read=").unwrap_or(0.0),
        )
    });
    let mut scanned = 0.0;
    let mut removed = 0.0;
    let mut loops = 1.0;
    for line in lines {
        let l = line.trim().trim_start_matches("->").trim();
        if l.contains(" Scan ") {
            // The last `rows=` is the actual count (the first is the planner's estimate).
            let rows = l
                .rfind(" rows=")
                .and_then(|i| number_after(&l[i..], " rows="))
                .unwrap_or(0.0);
            loops = number_after(l, "loops=").unwrap_or(1.0);
            scanned += rows * loops;
        } else if l.starts_with("Rows Removed by Filter:") {
            removed += number_after(l, "Rows Removed by Filter: ").unwrap_or(0.0) * loops;
        }
    }
    let execution_ms = lines
        .iter()
        .find_map(|l| number_after(l, "Execution Time: "))
        .unwrap_or(0.0);
    (
        format!(
            "{} buffers ({hit} hit, {read} read), scans returned {scanned} rows and removed {removed}",
            hit + read
        ),
        (hit + read) as u64,
        execution_ms,
    )
}

/// `bench/results/explain-<backend>.txt`: every plan in full, the large database's first.
pub fn write_file(
    path: &Path,
    backend: BackendKind,
    header: &str,
    points: &[(u64, &[Plan])],
) -> Result<()> {
    let mut out = String::new();
    out.push_str(&format!(
        "# Plans of the scale lookups on {} ({header})\n",
        backend.name()
    ));
    out.push_str(&format!(
        "# FLAG (large database only; on a small table a full scan is the planner's right \
         choice): where an index was expected, a full scan, or work that grew more than {}× \
         from the small database.\n",
        WORK_GROWTH_FLAG
    ));
    out.push_str(
        "# Verdicts: index = index searches only; ordered scan to LIMIT = walks in id order and \
         stops when the page is full (work = rows skipped by the filter); index, then sort of \
         all matches = work grows with the matching rows; FULL SCAN = reads the table whole.\n",
    );
    for (orders, plans) in points {
        out.push_str(&format!("\n######## {orders} orders\n"));
        for p in plans.iter() {
            out.push_str(&format!(
                "\n=== {} (used by {}) — {}{}{}\n",
                p.statement,
                p.used_by.join(", "),
                p.access.label(),
                if p.flagged {
                    "  << FLAG: an index was expected"
                } else {
                    ""
                },
                if p.expect_indexed {
                    ""
                } else {
                    "  (no index expected for this filter)"
                }
            ));
            out.push_str(&format!(
                "work: {}; {:.3} ms{}\n",
                p.work,
                p.execution_ms,
                p.work_ratio.map_or(String::new(), |r| format!(
                    "; ×{r:.1} the work on the small database"
                ))
            ));
            out.push_str(&format!("sql: {}\n", p.sql));
            out.push_str(&format!("values: {}\n", p.params.join(", ")));
            for l in &p.plan {
                out.push_str(&format!("  {l}\n"));
            }
        }
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

/// One line per statement for the printed report.
pub fn compact(p: &Plan) -> String {
    format!(
        "[{}] {:<26} {:<32} {}; {}{}",
        if p.flagged {
            "FLAG"
        } else if p.access == Access::Indexed {
            " ok "
        } else if p.expect_indexed {
            "note"
        } else {
            "scan"
        },
        p.statement,
        p.access.label(),
        p.key_lines.join(" | "),
        p.work,
        p.work_ratio.map_or(String::new(), |r| format!(
            " (work ×{r:.1} of the small database's)"
        ))
    )
}
