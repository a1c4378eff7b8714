//! ARX's transformation checker, emulated where its internals decide an outcome: the snapshot
//! history, the choice between a snapshot, a roll-up of the previous check and a pass over the raw
//! data, and the open-addressing tables that hold each class's sensitive values.
//!
//! Grassberger's entropy terms can be negative and ARX tests the running sum after every value,
//! in the order its table holds them. That order depends on how the class was built: from the
//! records (values in arrival order, table of 8), from a snapshot (the first source class's values
//! as packed, table sized to them) or by a roll-up (table of 8, merged in bucket order). Only the
//! walk in [`crate::arx_walk`] uses this; every other search groups the frequency table.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::evaluate::{Evaluation, Evaluator};
use crate::freq::group_under;

/// ARX's history size and snapshot thresholds (its defaults).
const HISTORY_SIZE: usize = 200;
const SNAPSHOT_SHARE_OF_DATA: f64 = 0.2;
const SNAPSHOT_SHARE_OF_SOURCE: f64 = 0.8;

const EMPTY: u32 = u32::MAX;

/// A class's sensitive values: open addressing with linear probing from `value & (capacity − 1)`,
/// doubling past a 0.75 load and re-inserting in bucket order.
#[derive(Debug, Clone)]
struct Dist {
    values: Vec<u32>,
    freqs: Vec<u64>,
    size: usize,
    threshold: usize,
}

fn capacity_for(x: usize) -> usize {
    if x == 0 { 16 } else { x.next_power_of_two() }
}

fn threshold_of(capacity: usize) -> usize {
    // Java: (int) (capacity * 0.75f).
    (capacity as f32 * 0.75f32) as usize
}

impl Dist {
    fn with_capacity(x: usize) -> Dist {
        let cap = capacity_for(x);
        Dist {
            values: vec![EMPTY; cap],
            freqs: vec![0; cap],
            size: 0,
            threshold: threshold_of(cap),
        }
    }

    /// A table built from a snapshot entry: sized to the entry, values added as packed.
    fn from_packed(entries: &[(u32, u64)]) -> Dist {
        let mut d = Dist::with_capacity(entries.len());
        d.merge(entries.iter().copied());
        d
    }

    fn add(&mut self, value: u32, freq: u64) {
        let mask = self.values.len() - 1;
        let mut i = value as usize & mask;
        loop {
            if self.values[i] == EMPTY {
                self.values[i] = value;
                self.freqs[i] = freq;
                self.size += 1;
                if self.size > self.threshold {
                    self.rehash();
                }
                return;
            }
            if self.values[i] == value {
                self.freqs[i] += freq;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    fn merge(&mut self, entries: impl Iterator<Item = (u32, u64)>) {
        for (v, f) in entries {
            self.add(v, f);
        }
    }

    fn rehash(&mut self) {
        let cap = self.values.len() * 2;
        let old = std::mem::replace(self, Dist::with_capacity(cap));
        let mask = cap - 1;
        for (v, f) in old.entries() {
            let mut i = v as usize & mask;
            while self.values[i] != EMPTY {
                i = (i + 1) & mask;
            }
            self.values[i] = v;
            self.freqs[i] = f;
        }
        self.size = old.size;
    }

    /// Values and counts in bucket order.
    fn entries(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.values
            .iter()
            .zip(&self.freqs)
            .filter(|(v, _)| **v != EMPTY)
            .map(|(v, f)| (*v, *f))
    }
}

/// One equivalence class: a representative combination (a row of the problem's table), its size
/// and its values.
#[derive(Debug, Clone)]
struct Class {
    rep: u32,
    size: u64,
    dist: Dist,
}

/// One snapshot entry: a class with its values packed in bucket order.
#[derive(Debug)]
struct Entry {
    rep: u32,
    size: u64,
    packed: Vec<(u32, u64)>,
}

type Snapshot = Rc<Vec<Entry>>;

/// The classes of one check, in order of creation.
#[derive(Debug, Default)]
struct Groupify {
    classes: Vec<Class>,
}

/// What the walk needs to know about a node for the history's decisions.
pub(crate) trait NodeFacts {
    /// Its levels.
    fn levels(&self, id: usize) -> Vec<usize>;
    /// ARX's `SuccessorsPruned` (inherited from below).
    fn successors_pruned(&self, id: usize) -> bool;
    /// ARX's `ForceSnapshot` (the bottom).
    fn force_snapshot(&self, id: usize) -> bool;
}

/// The most recently used snapshots; the head is evicted first.
#[derive(Debug, Default)]
struct History {
    order: Vec<usize>,
    snapshots: HashMap<usize, (Vec<usize>, Snapshot)>,
}

impl History {
    /// The smallest snapshot strictly lower than `levels` and under it, first found from the
    /// head on ties; it becomes the most recently used.
    fn get(&mut self, levels: &[usize]) -> Option<Snapshot> {
        let rank: usize = levels.iter().sum();
        let mut best: Option<(usize, &Snapshot)> = None;
        for id in &self.order {
            let (l, snap) = &self.snapshots[id];
            if l.iter().sum::<usize>() < rank
                && best.is_none_or(|(_, b)| snap.len() < b.len())
                && l.iter().zip(levels).all(|(a, b)| a <= b)
            {
                best = Some((*id, snap));
            }
        }
        let (id, snap) = best.map(|(id, s)| (id, s.clone()))?;
        self.order.retain(|x| *x != id);
        self.order.push(id);
        Some(snap)
    }
}

/// ARX's checker: each check builds its classes from a snapshot, the previous check or the data.
pub(crate) struct ArxChecker<'e, 'a> {
    evaluator: &'e Evaluator<'a>,
    history: History,
    /// The previous check: node, its classes and the snapshot they came from.
    last: Option<(usize, Groupify, Option<Snapshot>)>,
    /// Most classes a stored snapshot may have.
    max_snapshot_classes: u64,
    /// Records of the data in order of arrival: (first record, table row, value, count).
    arrivals: Vec<(u64, u32, u32, u64)>,
}

impl<'e, 'a> ArxChecker<'e, 'a> {
    /// A checker over `evaluator`'s problem; `None` without a sensitive attribute.
    pub(crate) fn new(evaluator: &'e Evaluator<'a>) -> Option<Self> {
        let table = &evaluator.problem.table;
        let s = table.sensitive.as_ref()?;
        let mut arrivals = Vec::with_capacity(s.values.len());
        for row in 0..table.len() {
            for e in s.offsets[row] as usize..s.offsets[row + 1] as usize {
                arrivals.push((s.first[e], row as u32, s.values[e], s.counts[e]));
            }
        }
        arrivals.sort_by_key(|a| a.0);
        Some(ArxChecker {
            evaluator,
            history: History::default(),
            last: None,
            max_snapshot_classes: (table.total() as f64 * SNAPSHOT_SHARE_OF_DATA) as u64,
            arrivals,
        })
    }

    /// Checks node `id` as ARX does, first offering the previous check to the history.
    pub(crate) fn check(&mut self, id: usize, facts: &impl NodeFacts) -> Evaluation {
        let levels = facts.levels(id);
        let last = self.last.take();
        if let Some((last_id, groupify, used)) = &last {
            self.store(*last_id, groupify, used.as_ref(), facts);
        }
        let (groupify, used) = match self.history.get(&levels) {
            Some(snap) => (self.unpack(&snap, &levels), Some(snap)),
            None => match &last {
                Some((last_id, previous, _))
                    if facts
                        .levels(*last_id)
                        .iter()
                        .zip(&levels)
                        .all(|(a, b)| a <= b) =>
                {
                    (self.rollup(previous, &levels), None)
                }
                _ => (self.raw(&levels), None),
            },
        };
        let evaluation = self.analyze(&groupify, &levels);
        self.last = Some((id, groupify, used));
        evaluation
    }

    fn store(
        &mut self,
        id: usize,
        groupify: &Groupify,
        used: Option<&Snapshot>,
        facts: &impl NodeFacts,
    ) {
        let classes = groupify.classes.len();
        if classes as u64 > self.max_snapshot_classes {
            return;
        }
        if let Some(source) = used
            && classes as f64 / source.len() as f64 > SNAPSHOT_SHARE_OF_SOURCE
        {
            return;
        }
        if !facts.force_snapshot(id) && facts.successors_pruned(id) {
            return;
        }
        // Snapshots of nodes whose successors are pruned are of no further use.
        let snapshots = &mut self.history.snapshots;
        self.history.order.retain(|n| {
            let keep = !facts.successors_pruned(*n);
            if !keep {
                snapshots.remove(n);
            }
            keep
        });
        if self.history.order.len() >= HISTORY_SIZE {
            let head = self.history.order.remove(0);
            self.history.snapshots.remove(&head);
        }
        let snapshot: Vec<Entry> = groupify
            .classes
            .iter()
            .map(|c| Entry {
                rep: c.rep,
                size: c.size,
                packed: c.dist.entries().collect(),
            })
            .collect();
        self.history
            .snapshots
            .insert(id, (facts.levels(id), Rc::new(snapshot)));
        self.history.order.retain(|n| *n != id);
        self.history.order.push(id);
    }

    fn key(&self, rep: u32, levels: &[usize]) -> Vec<u32> {
        let p = self.evaluator.problem;
        p.table
            .tuple(rep as usize)
            .iter()
            .zip(&p.qis)
            .zip(levels)
            .map(|((&leaf, q), &l)| q.up[l][leaf as usize])
            .collect()
    }

    /// Adds a class's records under `levels`; `make` builds the table of a new class.
    fn place(
        &self,
        out: &mut Groupify,
        index: &mut HashMap<Vec<u32>, usize>,
        rep: u32,
        size: u64,
        levels: &[usize],
        make: impl FnOnce() -> Dist,
    ) -> usize {
        let key = self.key(rep, levels);
        if let Some(&c) = index.get(&key) {
            out.classes[c].size += size;
            c
        } else {
            index.insert(key, out.classes.len());
            out.classes.push(Class {
                rep,
                size,
                dist: make(),
            });
            out.classes.len() - 1
        }
    }

    fn raw(&self, levels: &[usize]) -> Groupify {
        let mut out = Groupify::default();
        let mut index = HashMap::new();
        for &(_, row, value, count) in &self.arrivals {
            let c = self.place(&mut out, &mut index, row, count, levels, || {
                Dist::with_capacity(8)
            });
            out.classes[c].dist.add(value, count);
        }
        out
    }

    fn unpack(&self, snapshot: &[Entry], levels: &[usize]) -> Groupify {
        let mut out = Groupify::default();
        let mut index = HashMap::new();
        for e in snapshot {
            let before = out.classes.len();
            let c = self.place(&mut out, &mut index, e.rep, e.size, levels, || {
                Dist::from_packed(&e.packed)
            });
            if c < before {
                out.classes[c].dist.merge(e.packed.iter().copied());
            }
        }
        out
    }

    fn rollup(&self, previous: &Groupify, levels: &[usize]) -> Groupify {
        let mut out = Groupify::default();
        let mut index = HashMap::new();
        for class in &previous.classes {
            let c = self.place(&mut out, &mut index, class.rep, class.size, levels, || {
                Dist::with_capacity(8)
            });
            out.classes[c].dist.merge(class.dist.entries());
        }
        out
    }

    /// Suppresses the classes that fail, decides against the limit and scores.
    fn analyze(&self, groupify: &Groupify, levels: &[usize]) -> Evaluation {
        let ev = self.evaluator;
        ev.checks.set(ev.checks.get() + 1);
        let models = ev.models();
        let small: u64 = groupify
            .classes
            .iter()
            .filter(|c| c.size < models.min_class)
            .map(|c| c.size)
            .sum();
        let mut evaluation = Evaluation {
            anonymous: false,
            k_anonymous: small <= ev.max_suppressed,
            suppressed: small,
            loss: None,
        };
        if !evaluation.k_anonymous {
            return evaluation;
        }
        let mut failed: HashSet<Vec<u32>> = HashSet::new();
        let mut total = 0;
        for c in &groupify.classes {
            let (values, counts): (Vec<u32>, Vec<u64>) = c.dist.entries().unzip();
            if c.size < models.min_class || !models.class_ok_in_order(c.size, &values, &counts) {
                total += c.size;
                failed.insert(self.key(c.rep, levels));
            }
        }
        evaluation.suppressed = total;
        evaluation.anonymous = total <= ev.max_suppressed;
        if evaluation.anonymous {
            let p = ev.problem;
            let classes = group_under(&p.table, &p.qis, levels);
            let suppressed: Vec<bool> = classes
                .representative
                .iter()
                .map(|&r| failed.contains(&self.key(r, levels)))
                .collect();
            evaluation.loss =
                Some(
                    ev.context
                        .score(&ev.metric, levels, &p.table, &p.qis, &classes, &suppressed),
                );
        }
        evaluation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(d: &Dist) -> Vec<u32> {
        d.entries().map(|(v, _)| v).collect()
    }

    #[test]
    fn values_sit_at_their_home_bucket_and_probe_forward() {
        let mut d = Dist::with_capacity(8);
        for v in [9, 1, 17, 3] {
            d.add(v, 1);
        }
        // 9, 1 and 17 all start at bucket 1: they follow in arrival order; 3 finds bucket 3
        // taken by 17 and moves on.
        assert_eq!(order(&d), vec![9, 1, 17, 3]);
        d.add(1, 4);
        assert_eq!(d.entries().find(|e| e.0 == 1), Some((1, 5)));
    }

    #[test]
    fn the_seventh_value_doubles_the_table_in_bucket_order() {
        let mut d = Dist::with_capacity(8);
        for v in [15, 7, 0, 1, 2, 3] {
            d.add(v, 1);
        }
        // 7 wrapped round to bucket 0 before 0 arrived.
        assert_eq!(order(&d), vec![7, 0, 1, 2, 3, 15]);
        d.add(4, 1);
        assert_eq!(d.values.len(), 16);
        // Re-inserted in old bucket order: 7, 0, 1, 2, 3, 4 by home; 15 at its own home.
        assert_eq!(order(&d), vec![0, 1, 2, 3, 4, 7, 15]);
    }

    #[test]
    fn a_snapshot_entry_sizes_its_table_to_its_values() {
        let d = Dist::from_packed(&[(5, 2), (1, 1), (4, 3)]);
        // Capacity 4 holds three values at load 0.75, so 4 then 5 (home 1, taken) then 1.
        assert_eq!(d.values.len(), 4);
        assert_eq!(order(&d), vec![4, 5, 1]);
        let mut rolled = Dist::with_capacity(8);
        rolled.merge([(5, 2), (1, 1), (4, 3)].into_iter());
        assert_eq!(order(&rolled), vec![1, 4, 5]);
    }
}
