//! Listings a page at a time.

/// A page of a listing, newest first; the cursor is the internal id of the last row.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<i64>,
}

/// Where a page of a list starts: after a row (keyset, the same cost at any depth) and then
/// skipping rows (numbered pages).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageStart {
    pub after: Option<i64>,
    pub skip: i64,
}
