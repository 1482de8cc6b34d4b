//! Read models: what the reports show, as `Serialize` views with exactly
//! the keys of `shared/CLI-CONTRACT.md`, built from the records of
//! [`crate::model`]. `--json` prints them, and the web pages, feeds, read
//! API and exports are to read the same views, so no output can drift from
//! the contract on its own.
//!
//! Lists come in [`Page`]s (`{"items": [...], "next": CURSOR|null}`): each
//! view has a sort key unique within its list, and a [`Cursor`] is the key
//! of the last item given, so a page stays stable while new rows arrive.

pub mod changes;
pub mod history;
pub mod outbox;
pub mod search;
pub mod targets;
pub mod versions;

use serde::Serialize;

/// Where the next page starts: the sort key of the last item of this one.
/// Opaque to callers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    /// A cursor as given back by a caller.
    pub fn parse(s: &str) -> Option<Self> {
        (!s.is_empty() && s.len() <= 512).then(|| Self(s.to_string()))
    }

    /// The cursor as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// A view with its place in its list.
pub trait Keyed {
    /// The sort key: unique within the list, and ascending in the list's
    /// order.
    fn key(&self) -> String;
}

/// The page of `items` after `after` (from the start without one), at most
/// `limit` long (at least one).
pub fn page<T: Keyed>(mut items: Vec<T>, after: Option<&Cursor>, limit: usize) -> Page<T> {
    items.sort_by_key(Keyed::key);
    let start = after.map_or(0, |c| {
        items.partition_point(|i| i.key().as_str() <= c.as_str())
    });
    let limit = limit.max(1);
    let mut items: Vec<T> = items.into_iter().skip(start).collect();
    let more = items.len() > limit;
    items.truncate(limit);
    let next = if more {
        items.last().map(|i| Cursor(i.key()))
    } else {
        None
    };
    Page { items, next }
}

/// A number as a fixed-width key part, so text order is number order.
fn key_part(n: i64) -> String {
    // Shifted into u64 so that negative numbers sort first too.
    format!("{:020}", (n as u64) ^ (1 << 63))
}

/// A descending number as a key part (newest first).
fn key_part_desc(n: i64) -> String {
    key_part(i64::MAX - n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Item(i64);

    impl Keyed for Item {
        fn key(&self) -> String {
            key_part(self.0)
        }
    }

    #[test]
    fn pages_cover_the_list_once_in_order() {
        let items: Vec<Item> = [5, -3, 12, 0, 7, 1_000_000, -40].map(Item).to_vec();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let p = page(items.clone(), after.as_ref(), 3);
            assert!(p.items.len() <= 3);
            seen.extend(p.items.iter().map(|i| i.0));
            match p.next {
                Some(c) => after = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, vec![-40, -3, 0, 5, 7, 12, 1_000_000]);
    }

    #[test]
    fn a_cursor_stays_put_when_rows_arrive_before_it() {
        let first = page([1, 2, 3, 4].map(Item).to_vec(), None, 2);
        assert_eq!(first.items, vec![Item(1), Item(2)]);
        // A new row sorting first does not shift the next page.
        let next = page([0, 1, 2, 3, 4].map(Item).to_vec(), first.next.as_ref(), 2);
        assert_eq!(next.items, vec![Item(3), Item(4)]);
        assert_eq!(next.next, None);
    }

    #[test]
    fn descending_keys_put_the_newest_first() {
        assert!(key_part_desc(2_000) < key_part_desc(1_000));
        assert!(key_part(-1) < key_part(0) && key_part(0) < key_part(1));
    }
}
