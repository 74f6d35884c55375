//! The families of an index: a root cluster for every cluster, the families ranked by use, their
//! members, counts and imported macros, derived from the roots (mined, carried over inserts, or
//! read from a file).

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::store::{Column, Corpus, SharedMap, StrArena};

/// The families of an index: a root cluster for every cluster, and the templates' order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Families {
    /// The root cluster of each cluster's family (shared with the roots a saved index read).
    pub(super) root_of: Column<u32>,
    /// Root clusters ordered by family size (replies) descending, then by root (a persistent
    /// vector: inserts move families in it, and clones share it).
    pub(super) ranked: imbl::Vector<u32>,
    /// Replies per family, indexed by root cluster (stock replies not counted).
    pub(super) replies: Column<u32>,
    /// The reference replies (stock corpus, macros) of the clusters that have any: few do, so a
    /// map, and a cluster's archive replies are its count less these.
    pub(super) references: FxHashMap<u32, u32>,
    /// The imported macro of the families that have one, by root: the macro's reply and cluster.
    /// Few families have one, so a map, not a column of the clusters.
    pub(super) macros: FxHashMap<u32, (u32, u32)>,
    /// The roots of the families that have a macro.
    pub(super) macro_roots: Vec<u32>,
    /// The member clusters of each family.
    pub(super) members: Members,
    /// Each root's template id at the index's own `min_support` (0: not a template).
    pub(super) rank_at_config: Column<u32>,
    /// The `min_support` `rank_at_config` was computed with.
    pub(super) config_min_support: u32,
    /// The template text of each template at the index's own `min_support` (by its id - 1),
    /// rendered on first use; the few other families a listing shows are rendered each time.
    /// (One slot per template: its length is the number of templates.)
    pub(super) texts: imbl::Vector<std::sync::OnceLock<Arc<str>>>,
    /// The same texts as a saved index carries them (then `texts` stays empty).
    pub(super) saved_texts: Option<Arc<StrArena>>,
}

impl Families {
    /// Whether the texts are those a saved index carries (for tests).
    #[cfg(test)]
    pub(crate) fn has_saved_texts(&self) -> bool {
        self.saved_texts.is_some()
    }

    /// The root cluster of cluster `c`'s family.
    #[inline]
    pub(crate) fn root(&self, c: u32) -> u32 {
        *self.root_of.get(c as usize)
    }

    /// The replies of family `root` (stock replies not counted).
    #[inline]
    pub(crate) fn replies(&self, root: u32) -> u32 {
        *self.replies.get(root as usize)
    }

    /// The 1-based rank of a root among families of at least `min_support` replies.
    pub(crate) fn rank(&self, root: u32, min_support: u32) -> Option<usize> {
        if !self.eligible(root, min_support) {
            return None;
        }
        if min_support.max(1) == self.config_min_support {
            return Some(*self.rank_at_config.get(root as usize) as usize).filter(|&r| r > 0);
        }
        self.chosen(min_support)
            .position(|r| r == root)
            .map(|p| p + 1)
    }

    /// The member clusters of a family.
    pub(crate) fn members_of(&self, root: u32) -> impl Iterator<Item = u32> + '_ {
        self.members.of(root)
    }

    /// Whether a family is a template: used by at least `min_support` replies, or an imported
    /// macro (a known template, whatever its use).
    pub(crate) fn eligible(&self, root: u32, min_support: u32) -> bool {
        self.replies(root) >= min_support.max(1) || self.macros.contains_key(&root)
    }

    /// The imported macro of a family, if it has one: its reply and its cluster.
    pub(crate) fn macro_of(&self, root: u32) -> Option<(u32, u32)> {
        if self.macros.is_empty() {
            return None;
        }
        self.macros.get(&root).copied()
    }

    /// The archive (not reference) replies of cluster `c` of `inner`.
    pub(crate) fn archive(&self, corpus: &Corpus, c: u32) -> u32 {
        let count = corpus.cluster(c).count();
        if self.references.is_empty() {
            count
        } else {
            count - self.references.get(&c).copied().unwrap_or(0)
        }
    }

    /// The clusters of a family with archive replies.
    pub(crate) fn variants(&self, corpus: &Corpus, root: u32) -> u32 {
        self.members_of(root)
            .filter(|&c| self.archive(corpus, c) > 0)
            .count() as u32
    }

    /// The roots of the templates, most used first: template `id` is position + 1.
    pub(crate) fn chosen(&self, min_support: u32) -> impl Iterator<Item = u32> + '_ {
        self.ranked
            .iter()
            .copied()
            .filter(move |&r| self.eligible(r, min_support))
    }

    /// The cluster whose text shows the family's template: its macro's when it has one.
    pub(crate) fn display_root(&self, root: u32) -> u32 {
        self.macro_of(root).map_or(root, |(_, cluster)| cluster)
    }
}

/// The member clusters of each family: grouped by family as of their derivation (`base`,
/// shared by clones), then the clusters inserts added to each family since, in order (in a
/// persistent map, so that an insert while a reader holds a clone copies a few nodes, not the
/// members of every family).
#[derive(Clone, Debug, Default)]
pub(crate) struct Members {
    /// Family `root`'s members are `members[starts[root]..starts[root + 1]]`, for the roots of
    /// the first `starts.len() - 1` clusters.
    base: Arc<(Vec<u32>, Vec<u32>)>,
    added: SharedMap<u32, Arc<Vec<u32>>>,
}

impl Members {
    /// The members of the families of `root_of`, grouped (a counting sort by root).
    fn of_roots(root_of: &Column<u32>) -> Members {
        let n = root_of.len();
        let mut starts = vec![0u32; n + 1];
        for &root in root_of.iter() {
            starts[root as usize + 1] += 1;
        }
        for i in 0..n {
            starts[i + 1] += starts[i];
        }
        let mut members = vec![0u32; n];
        let mut next = starts.clone();
        for (c, &root) in root_of.iter().enumerate() {
            members[next[root as usize] as usize] = c as u32;
            next[root as usize] += 1;
        }
        Members {
            base: Arc::new((members, starts)),
            added: SharedMap::default(),
        }
    }

    /// The members of family `root`, in order.
    pub(crate) fn of(&self, root: u32) -> impl Iterator<Item = u32> + '_ {
        let (members, starts) = &*self.base;
        let r = root as usize;
        let base: &[u32] = if r + 1 < starts.len() {
            &members[starts[r] as usize..starts[r + 1] as usize]
        } else {
            &[]
        };
        let added: &[u32] = match self.added.get(&root) {
            Some(list) => list,
            None => &[],
        };
        base.iter().chain(added).copied()
    }

    /// Adds cluster `c` (after every member so far) to family `root`.
    pub(super) fn add(&mut self, root: u32, c: u32) {
        match self.added.get_mut(&root) {
            Some(list) => Arc::make_mut(list).push(c),
            None => {
                self.added.insert(root, Arc::new(vec![c]));
            }
        }
    }
}

/// Whether `root_of` can be the families of `clusters` clusters: one entry a cluster, each naming
/// a cluster that is its own root.
pub(crate) fn valid_roots(root_of: &Column<u32>, clusters: usize) -> bool {
    root_of.len() == clusters
        && root_of
            .iter()
            .all(|&r| (r as usize) < clusters && *root_of.get(r as usize) == r)
}

/// The families (counts, ranks, members) of clusters whose roots are assigned.
pub(crate) fn families_from_roots(corpus: &Corpus, root_of: Column<u32>) -> Families {
    debug_assert!(valid_roots(&root_of, corpus.cluster_count()));
    let n = corpus.cluster_count();
    let references = reference_counts(corpus);
    let macros = macro_replies(corpus);
    let mut replies = vec![0u32; n];
    let mut macro_of: FxHashMap<u32, (u32, u32)> = FxHashMap::default();
    for (c, &root) in root_of.iter().enumerate() {
        let reference = references.get(&(c as u32)).copied().unwrap_or(0);
        replies[root as usize] += corpus.cluster(c as u32).count() - reference;
    }
    // The first macro cluster of each family, in cluster order.
    for (&cluster, &reply) in &macros {
        let root = *root_of.get(cluster as usize);
        let entry = macro_of.entry(root).or_insert((reply, cluster));
        if cluster < entry.1 {
            *entry = (reply, cluster);
        }
    }
    // A family whose root has no token (an empty or emoji-only reply) is not a template.
    // Ranked by replies, most first, then by root. Most families have one reply or none (a
    // macro's alone); those come in root order from the filter, and only the others are sorted.
    let (mut ranked, mut single, mut unused) = (Vec::new(), Vec::new(), Vec::new());
    for c in 0..n as u32 {
        if *root_of.get(c as usize) != c || corpus.cluster_keys(c).is_empty() {
            continue;
        }
        match replies[c as usize] {
            0 if macro_of.contains_key(&c) => unused.push(c),
            0 => {}
            1 => single.push(c),
            _ => ranked.push(c),
        }
    }
    ranked.sort_unstable_by_key(|&c| (std::cmp::Reverse(replies[c as usize]), c));
    ranked.extend(single);
    ranked.extend(unused);
    let mut macro_roots: Vec<u32> = macro_of.keys().copied().collect();
    macro_roots.sort_unstable();
    let mut families = Families {
        macro_roots,
        members: Members::of_roots(&root_of),
        rank_at_config: Column::default(),
        config_min_support: corpus.config().min_support.max(1),
        texts: imbl::Vector::new(),
        saved_texts: None,
        root_of,
        ranked: ranked.into_iter().collect(),
        replies: replies.into(),
        references,
        macros: macro_of,
    };
    let mut rank_at_config = vec![0u32; n];
    let mut templates = 0;
    for (i, root) in families.chosen(families.config_min_support).enumerate() {
        rank_at_config[root as usize] = i as u32 + 1;
        templates = i + 1;
    }
    families.rank_at_config = rank_at_config.into();
    families.texts = (0..templates).map(|_| std::sync::OnceLock::new()).collect();
    families
}

/// Archive replies per cluster: an archive reply can repeat a stock reply word for word and
/// join its cluster, and only archive replies count for templates.
fn reference_counts(corpus: &Corpus) -> FxHashMap<u32, u32> {
    let mut references = FxHashMap::default();
    let groups = corpus.reference_groups();
    for (cluster, group) in corpus.replies() {
        if groups.contains(group) {
            *references.entry(cluster).or_default() += 1;
        }
    }
    references
}

/// The first imported macro of each cluster that has one.
fn macro_replies(corpus: &Corpus) -> FxHashMap<u32, u32> {
    let mut found = FxHashMap::default();
    let Some(macros) = corpus.group_of_name(crate::store::MACRO_GROUP) else {
        return found;
    };
    for (reply, (cluster, group)) in corpus.replies().enumerate() {
        if group == macros {
            found.entry(cluster).or_insert(reply as u32);
        }
    }
    found
}
