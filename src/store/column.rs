//! Columns that clones share: a vector in fixed chunks ([`Column`]) and an arena of variable-size
//! items in parts ([`Arena`]), each chunk behind an `Arc`, so that a clone of the index (a
//! reader's snapshot) costs a few pointers and a writer that then adds a reply copies only the
//! chunks it changes.
//!
//! # Why chunks, and not a persistent vector crate
//!
//! `imbl::Vector` and `rpds::Vector` share structure too, but a read walks a tree of nodes and a
//! run of items is not one slice. The store reads its columns by number in its scoring loops
//! and hands out each cluster's token keys and texts as slices, so a column here is one level
//! of chunks: a read is one more load than a `Vec`'s, a cluster's keys are one slice, and the
//! chunk table itself is shared and copied only when a chunk is added or changed while a clone
//! holds it (one pointer per 4,096 items).
//!
//! Appends go to an owned tail that becomes a shared chunk when full; a clone copies the tail
//! (under one chunk). A loaded arena keeps the file's items as one shared base part, so a load
//! copies nothing.

use std::sync::Arc;

/// Items in a [`Column`]'s chunk.
const CHUNK: usize = 1 << CHUNK_BITS;
const CHUNK_BITS: u32 = 12;

/// A vector in chunks of [`CHUNK`] items behind `Arc`s (see the module docs).
#[derive(Clone, Debug)]
pub(crate) struct Column<T> {
    /// The full chunks.
    full: Arc<Vec<Arc<[T]>>>,
    /// The items after them (fewer than a chunk).
    tail: Vec<T>,
}

impl<T> Default for Column<T> {
    fn default() -> Self {
        Column {
            full: Arc::default(),
            tail: Vec::new(),
        }
    }
}

impl<T: Clone> Column<T> {
    /// The number of items.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        (self.full.len() << CHUNK_BITS) + self.tail.len()
    }

    /// Whether the column has no item.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Item `i` (which must exist).
    #[inline]
    pub(crate) fn get(&self, i: usize) -> &T {
        let chunk = i >> CHUNK_BITS;
        match self.full.get(chunk) {
            Some(items) => &items[i & (CHUNK - 1)],
            None => &self.tail[i - (self.full.len() << CHUNK_BITS)],
        }
    }

    /// Item `i`, for a change: its chunk is copied first if a clone shares it.
    pub(crate) fn get_mut(&mut self, i: usize) -> &mut T {
        let chunk = i >> CHUNK_BITS;
        let full = self.full.len();
        if chunk < full {
            let items = &mut Arc::make_mut(&mut self.full)[chunk];
            &mut Arc::make_mut(items)[i & (CHUNK - 1)]
        } else {
            &mut self.tail[i - (full << CHUNK_BITS)]
        }
    }

    /// Appends an item.
    pub(crate) fn push(&mut self, item: T) {
        if self.tail.capacity() == 0 {
            self.tail.reserve_exact(CHUNK);
        }
        self.tail.push(item);
        if self.tail.len() == CHUNK {
            let items: Arc<[T]> = std::mem::take(&mut self.tail).into();
            Arc::make_mut(&mut self.full).push(items);
        }
    }

    /// Appends `n` copies of `item`.
    pub(crate) fn push_n(&mut self, n: usize, item: T) {
        for _ in 0..n {
            self.push(item.clone());
        }
    }

    /// Whether `other` is this column or a clone of it that neither changed since (then they
    /// hold the same items).
    pub(crate) fn shares(&self, other: &Column<T>) -> bool
    where
        T: PartialEq,
    {
        Arc::ptr_eq(&self.full, &other.full) && self.tail == other.tail
    }

    /// The items, in order.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = &T> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl<T: Clone + PartialEq> PartialEq for Column<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Clone + Eq> Eq for Column<T> {}

impl<T: Clone> FromIterator<T> for Column<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut column = Column::default();
        for item in items {
            column.push(item);
        }
        column
    }
}

impl<T: Clone> From<Vec<T>> for Column<T> {
    fn from(items: Vec<T>) -> Self {
        let mut full = Vec::with_capacity(items.len() >> CHUNK_BITS);
        let mut chunks = items.chunks_exact(CHUNK);
        for chunk in &mut chunks {
            full.push(Arc::from(chunk));
        }
        let tail = chunks.remainder().to_vec();
        Column {
            full: Arc::new(full),
            tail,
        }
    }
}

/// Rows of `width` items each (a cluster's vector a row), in chunks behind `Arc`s as a
/// [`Column`]'s items are, each row one slice: a chunk holds as many whole rows as fit in
/// [`CHUNK`] items (one at least).
#[derive(Clone, Debug)]
pub(crate) struct Rows<T> {
    width: usize,
    /// Rows in a full chunk.
    per_chunk: usize,
    full: Arc<Vec<Arc<[T]>>>,
    /// The rows after the full chunks (fewer than a chunk's).
    tail: Vec<T>,
}

impl<T: Clone> Rows<T> {
    /// Rows of `items` (their number a multiple of `width`, which is at least 1), `width`
    /// items a row.
    pub(crate) fn of(width: usize, items: Vec<T>) -> Self {
        assert!(width > 0 && items.len() % width == 0, "whole rows");
        let per_chunk = (CHUNK / width).max(1);
        let mut chunks = items.chunks_exact(per_chunk * width);
        let full = (&mut chunks).map(Arc::from).collect();
        let tail = chunks.remainder().to_vec();
        Rows {
            width,
            per_chunk,
            full: Arc::new(full),
            tail,
        }
    }

    /// The number of rows.
    pub(crate) fn len(&self) -> usize {
        self.full.len() * self.per_chunk + self.tail.len() / self.width
    }

    /// Row `r` (which must exist).
    #[inline]
    pub(crate) fn get(&self, r: usize) -> &[T] {
        let w = self.width;
        match self.full.get(r / self.per_chunk) {
            Some(items) => {
                let i = r % self.per_chunk;
                &items[i * w..(i + 1) * w]
            }
            None => {
                let i = r - self.full.len() * self.per_chunk;
                &self.tail[i * w..(i + 1) * w]
            }
        }
    }

    /// Row `r`, for a change: its chunk is copied first if a clone shares it.
    pub(crate) fn get_mut(&mut self, r: usize) -> &mut [T] {
        let w = self.width;
        let full = self.full.len();
        if r / self.per_chunk < full {
            let i = r % self.per_chunk;
            let items = &mut Arc::make_mut(&mut self.full)[r / self.per_chunk];
            &mut Arc::make_mut(items)[i * w..(i + 1) * w]
        } else {
            let i = r - full * self.per_chunk;
            &mut self.tail[i * w..(i + 1) * w]
        }
    }

    /// Appends a row of `width` items.
    pub(crate) fn push(&mut self, row: &[T]) {
        debug_assert_eq!(row.len(), self.width);
        self.tail.extend_from_slice(row);
        if self.tail.len() == self.per_chunk * self.width {
            let items: Arc<[T]> = std::mem::take(&mut self.tail).into();
            Arc::make_mut(&mut self.full).push(items);
        }
    }

    /// Every item, row after row.
    pub(crate) fn items(&self) -> impl Iterator<Item = &T> + '_ {
        self.full.iter().flat_map(|c| c.iter()).chain(&self.tail)
    }
}

/// One part of an [`Arena`]: items end to end with their ends.
pub(crate) trait Part: Clone + Default {
    /// An item (a string, a slice of keys).
    type Item: ?Sized;
    /// The number of items.
    fn len(&self) -> usize;
    /// Item `i` (which must exist).
    fn get(&self, i: usize) -> &Self::Item;
    /// Appends an item.
    fn push(&mut self, item: &Self::Item);
}

/// Items in an [`Arena`]'s part (after its base).
const PART: usize = 256;

/// Items of variable size (strings, token keys) in parts behind `Arc`s: a base part (what a
/// file held), then parts of [`PART`] items, then an owned tail (see the module docs).
#[derive(Clone, Debug, Default)]
pub(crate) struct Arena<P> {
    base: Arc<P>,
    full: Arc<Vec<Arc<P>>>,
    tail: P,
}

impl<P: Part> Arena<P> {
    /// An arena whose items are those of `base`.
    pub(crate) fn of_base(base: P) -> Self {
        Arena {
            base: Arc::new(base),
            full: Arc::default(),
            tail: P::default(),
        }
    }

    /// The number of items.
    pub(crate) fn len(&self) -> usize {
        self.base.len() + self.full.len() * PART + self.tail.len()
    }

    /// Item `i` (which must exist).
    #[inline]
    pub(crate) fn get(&self, i: usize) -> &P::Item {
        let base = self.base.len();
        if i < base {
            return self.base.get(i);
        }
        let j = i - base;
        match self.full.get(j / PART) {
            Some(part) => part.get(j % PART),
            None => self.tail.get(j - self.full.len() * PART),
        }
    }

    /// Appends an item and returns its number.
    pub(crate) fn push(&mut self, item: &P::Item) -> usize {
        self.tail.push(item);
        if self.tail.len() == PART {
            let part = Arc::new(std::mem::take(&mut self.tail));
            Arc::make_mut(&mut self.full).push(part);
        }
        self.len() - 1
    }

    /// The parts, in order (the base, the full parts, the tail).
    pub(crate) fn parts(&self) -> impl Iterator<Item = &P> + Clone + '_ {
        std::iter::once(&*self.base)
            .chain(self.full.iter().map(|p| &**p))
            .chain(std::iter::once(&self.tail))
    }
}

/// Runs of numbers end to end (the clusters' token keys): a [`Part`] of an [`Arena`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Runs {
    values: Vec<u32>,
    /// The end of each run; run `i` starts where run `i - 1` ends (or at 0).
    ends: Vec<u32>,
}

impl Runs {
    /// The runs of `values` that end at `ends` (increasing, the last `values.len()`; checked by
    /// the caller).
    pub(crate) fn of(values: Vec<u32>, ends: Vec<u32>) -> Runs {
        debug_assert!(ends.windows(2).all(|w| w[0] <= w[1]));
        debug_assert_eq!(ends.last().map_or(0, |&e| e as usize), values.len());
        Runs { values, ends }
    }

    /// All the numbers, end to end.
    pub(crate) fn values(&self) -> &[u32] {
        &self.values
    }
}

impl Part for Runs {
    type Item = [u32];

    fn len(&self) -> usize {
        self.ends.len()
    }

    #[inline]
    fn get(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.values[start..self.ends[i] as usize]
    }

    fn push(&mut self, run: &[u32]) {
        self.values.extend_from_slice(run);
        self.ends.push(self.values.len() as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A column answers as a vector does, through pushes, changes and clones: a clone
        /// taken midway keeps what it saw.
        #[test]
        fn a_column_is_a_vector_and_its_clones_keep_what_they_saw(
            start in proptest::collection::vec(any::<u16>(), 0..9000),
            ops in proptest::collection::vec((any::<bool>(), any::<u16>(), any::<u16>()), 0..300),
        ) {
            let mut column = Column::from(start.clone());
            let mut model = start;
            let mut snapshots = Vec::new();
            for (k, (push, at, value)) in ops.into_iter().enumerate() {
                if k % 37 == 0 {
                    snapshots.push((column.clone(), model.clone()));
                }
                if push || model.is_empty() {
                    column.push(value);
                    model.push(value);
                } else {
                    let i = at as usize % model.len();
                    *column.get_mut(i) = value;
                    model[i] = value;
                }
            }
            prop_assert_eq!(column.iter().copied().collect::<Vec<_>>(), model.clone());
            prop_assert_eq!(column.len(), model.len());
            for (snapshot, seen) in snapshots {
                prop_assert_eq!(snapshot.iter().copied().collect::<Vec<_>>(), seen);
            }
            let collected: Column<u16> = model.iter().copied().collect();
            prop_assert_eq!(collected.iter().copied().collect::<Vec<_>>(), model);
        }

        /// Rows answer as a vector of rows does, through pushes, changes and clones.
        #[test]
        fn rows_are_a_vector_of_rows(
            width in 1usize..700,
            start in 0usize..40,
            ops in proptest::collection::vec((any::<bool>(), any::<u16>(), any::<i8>()), 0..60),
        ) {
            let model_of = |n: usize, v: i8| vec![v; width * n];
            let mut rows = Rows::of(width, model_of(start, 1));
            let mut model: Vec<Vec<i8>> = (0..start).map(|_| vec![1; width]).collect();
            let mut snapshots = Vec::new();
            for (k, (push, at, value)) in ops.into_iter().enumerate() {
                if k % 7 == 0 {
                    snapshots.push((rows.clone(), model.clone()));
                }
                if push || model.is_empty() {
                    rows.push(&vec![value; width]);
                    model.push(vec![value; width]);
                } else {
                    let r = at as usize % model.len();
                    rows.get_mut(r)[width - 1] = value;
                    model[r][width - 1] = value;
                }
            }
            for (rows, model) in snapshots.into_iter().chain([(rows, model)]) {
                prop_assert_eq!(rows.len(), model.len());
                for (r, row) in model.iter().enumerate() {
                    prop_assert_eq!(rows.get(r), &row[..]);
                }
                prop_assert_eq!(rows.items().copied().collect::<Vec<_>>(), model.concat());
            }
        }

        /// An arena answers as a vector of runs does, from a base and through pushes and
        /// clones.
        #[test]
        fn an_arena_is_a_vector_of_runs(
            base in proptest::collection::vec(proptest::collection::vec(any::<u32>(), 0..4), 0..300),
            pushed in proptest::collection::vec(proptest::collection::vec(any::<u32>(), 0..4), 0..700),
        ) {
            let mut ends = Vec::new();
            for run in &base {
                ends.push(ends.last().copied().unwrap_or(0) + run.len() as u32);
            }
            let mut arena = Arena::of_base(Runs::of(base.concat(), ends));
            let mut model = base;
            let mut snapshots = Vec::new();
            for (k, run) in pushed.into_iter().enumerate() {
                if k % 97 == 0 {
                    snapshots.push((arena.clone(), model.clone()));
                }
                prop_assert_eq!(arena.push(&run), model.len());
                model.push(run);
            }
            for (arena, model) in snapshots.into_iter().chain([(arena, model)]) {
                prop_assert_eq!(arena.len(), model.len());
                for (i, run) in model.iter().enumerate() {
                    prop_assert_eq!(arena.get(i), &run[..]);
                }
                let all: Vec<u32> = arena.parts().flat_map(|p| p.values().iter().copied()).collect();
                prop_assert_eq!(all, model.concat());
            }
        }
    }
}
