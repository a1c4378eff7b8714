//! The FLASH traversal for monotone settings (Kohlmayer et al., "Flash: efficient, stable and
//! optimal k-anonymity", 2012), in the order ARX 3.9 walks it.
//!
//! When models and metric are monotone, the binary search over greedy paths finds every minimal
//! anonymous node, so the best checked node is the optimum. Under *practical monotonicity* a
//! non-monotone model is treated as monotone: the nodes FLASH infers anonymous are never checked,
//! and the answer is the best node it did check. That answer depends on the walk, so the walk
//! follows ARX's: levels bottom up; within a level and among successors, ascending id (first
//! quasi-identifier least significant) stably sorted by (level, mean relative height, one minus
//! mean share of distinct values kept); a binary heap ordered the same way for pending path heads.

use std::cmp::Ordering;

use crate::evaluate::{Evaluation, Evaluator};

/// The result of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Levels per quasi-identifier.
    pub node: Vec<usize>,
    /// Its evaluation.
    pub evaluation: Evaluation,
}

/// The best anonymous node so far, ranked as ARX ranks them: lowest score, then lowest rank (sum
/// of levels), then first found.
#[derive(Debug, Default)]
pub(crate) struct Best {
    found: Option<(usize, Found)>,
}

impl Best {
    /// Keeps `node` if it is scored and beats the best so far.
    pub(crate) fn offer(&mut self, node: &[usize], evaluation: &Evaluation) {
        let Some(loss) = evaluation.loss else { return };
        let rank = node.iter().sum();
        if self.beatable(loss, rank) {
            self.found = Some((
                rank,
                Found {
                    node: node.to_vec(),
                    evaluation: evaluation.clone(),
                },
            ));
        }
    }

    /// Whether a node of `rank` scoring at least `bound` could still win.
    pub(crate) fn beatable(&self, bound: f64, rank: usize) -> bool {
        match &self.found {
            None => true,
            Some((best_rank, f)) => {
                let best = f.evaluation.loss.unwrap_or(f64::INFINITY);
                bound < best || (bound == best && rank < *best_rank)
            }
        }
    }

    /// The best score so far.
    pub(crate) fn loss(&self) -> Option<f64> {
        self.found.as_ref().and_then(|(_, f)| f.evaluation.loss)
    }

    /// The winner.
    pub(crate) fn into_found(self) -> Option<Found> {
        self.found.map(|(_, f)| f)
    }
}

pub(crate) struct Space {
    heights: Vec<usize>,
    strides: Vec<usize>,
    pub(crate) size: usize,
    keys: Vec<[f64; 3]>,
}

impl Space {
    /// ARX's ordering keys for the lattice of `evaluator`'s problem.
    pub(crate) fn for_evaluator(evaluator: &Evaluator<'_>) -> Space {
        let heights = evaluator.heights();
        let distinct: Vec<Vec<usize>> = evaluator
            .problem
            .qis
            .iter()
            .enumerate()
            .map(|(j, q)| {
                let mut present = vec![false; q.leaves()];
                for t in evaluator.problem.table.tuples.chunks_exact(heights.len()) {
                    present[t[j] as usize] = true;
                }
                (0..q.height())
                    .map(|l| {
                        let mut seen = vec![false; q.labels[l].len()];
                        for (leaf, &p) in present.iter().enumerate() {
                            if p {
                                seen[q.up[l][leaf] as usize] = true;
                            }
                        }
                        seen.iter().filter(|s| **s).count().max(1)
                    })
                    .collect()
            })
            .collect();
        Space::new(&heights, &distinct)
    }

    fn new(heights: &[usize], distinct: &[Vec<usize>]) -> Space {
        let mut strides = Vec::with_capacity(heights.len());
        let mut size = 1;
        for h in heights {
            strides.push(size);
            size *= h;
        }
        let mut space = Space {
            heights: heights.to_vec(),
            strides,
            size,
            keys: Vec::with_capacity(size),
        };
        let max_level: usize = heights.iter().map(|h| h - 1).sum();
        let d = heights.len() as f64;
        for id in 0..size {
            let node = space.levels(id);
            let level: usize = node.iter().sum();
            let mut dd = 0.0;
            let mut pr = 0.0;
            for (i, &l) in node.iter().enumerate() {
                dd += distinct[i][l] as f64 / distinct[i][0] as f64;
                pr += l as f64 / (heights[i] - 1) as f64;
            }
            dd /= d;
            pr /= d;
            dd = 1.0 - dd;
            space.keys.push([level as f64 / max_level as f64, pr, dd]);
        }
        space
    }

    pub(crate) fn levels(&self, id: usize) -> Vec<usize> {
        self.strides
            .iter()
            .zip(&self.heights)
            .map(|(s, h)| (id / s) % h)
            .collect()
    }

    /// Orders nodes as ARX's strategy does: only `<` and `>` count, so NaN parts drop out.
    pub(crate) fn compare(&self, a: usize, b: usize) -> Ordering {
        for (x, y) in self.keys[a].iter().zip(&self.keys[b]) {
            if x < y {
                return Ordering::Less;
            }
            if x > y {
                return Ordering::Greater;
            }
        }
        Ordering::Equal
    }

    /// Direct successors in ascending id, stably sorted by the strategy.
    pub(crate) fn successors(&self, id: usize) -> Vec<usize> {
        let node = self.levels(id);
        let mut out: Vec<usize> = (0..node.len())
            .filter(|&i| node[i] + 1 < self.heights[i])
            .map(|i| id + self.strides[i])
            .collect();
        out.sort_by(|&a, &b| self.compare(a, b));
        out
    }

    pub(crate) fn predecessors(&self, id: usize) -> Vec<usize> {
        let node = self.levels(id);
        (0..node.len())
            .filter(|&i| node[i] > 0)
            .map(|i| id - self.strides[i])
            .collect()
    }
}

/// A binary min-heap that breaks ties exactly as `java.util.PriorityQueue` does.
pub(crate) struct JavaHeap {
    pub(crate) items: Vec<usize>,
}

impl JavaHeap {
    pub(crate) fn offer(&mut self, x: usize, space: &Space) {
        let mut k = self.items.len();
        self.items.push(x);
        while k > 0 {
            let p = (k - 1) / 2;
            if space.compare(x, self.items[p]) != Ordering::Less {
                break;
            }
            self.items[k] = self.items[p];
            k = p;
        }
        self.items[k] = x;
    }

    pub(crate) fn poll(&mut self, space: &Space) -> Option<usize> {
        let last = self.items.pop()?;
        if self.items.is_empty() {
            return Some(last);
        }
        let top = self.items[0];
        let size = self.items.len();
        let mut k = 0;
        while k < size / 2 {
            let mut c = 2 * k + 1;
            if c + 1 < size && space.compare(self.items[c], self.items[c + 1]) == Ordering::Greater
            {
                c += 1;
            }
            if space.compare(last, self.items[c]) != Ordering::Greater {
                break;
            }
            self.items[k] = self.items[c];
            k = c;
        }
        self.items[k] = last;
        Some(top)
    }
}

struct Walk<'e, 'a> {
    space: Space,
    evaluator: &'e Evaluator<'a>,
    /// Walk on k-anonymity (records in small classes within the limit), which is monotone even
    /// when the models are not, instead of on the models.
    on_k: bool,
    /// Evaluations made, by node id.
    results: Vec<(usize, Evaluation)>,
    /// Inferred anonymous: a checked anonymous node at or below.
    anonymous: Vec<bool>,
    /// Inferred not anonymous: a checked non-anonymous node at or above.
    not_anonymous: Vec<bool>,
    bottom: Option<Evaluation>,
    best: Best,
    queue: JavaHeap,
}

impl Walk<'_, '_> {
    fn skip(&self, id: usize) -> bool {
        self.anonymous[id] || self.not_anonymous[id]
    }

    fn mark_up(&mut self, id: usize) {
        let mut stack = vec![id];
        while let Some(x) = stack.pop() {
            if !self.anonymous[x] {
                self.anonymous[x] = true;
                stack.extend(self.space.successors(x));
            }
        }
    }

    fn mark_down(&mut self, id: usize) {
        let mut stack = vec![id];
        while let Some(x) = stack.pop() {
            if !self.not_anonymous[x] {
                self.not_anonymous[x] = true;
                stack.extend(self.space.predecessors(x));
            }
        }
    }

    fn check(&mut self, id: usize) {
        let node = self.space.levels(id);
        let e = match (id, &self.bottom) {
            (0, Some(e)) => e.clone(),
            _ => self.evaluator.evaluate(&node),
        };
        let holds = if self.on_k {
            e.k_anonymous
        } else {
            e.anonymous
        };
        self.results.push((id, e.clone()));
        if !holds {
            self.mark_down(id);
            return;
        }
        self.mark_up(id);
        if e.anonymous {
            self.best.offer(&node, &e);
        }
    }

    fn path(&self, start: usize) -> Vec<usize> {
        let mut path = vec![start];
        let mut current = start;
        while let Some(next) = self
            .space
            .successors(current)
            .into_iter()
            .find(|&s| !self.skip(s))
        {
            path.push(next);
            current = next;
        }
        path
    }

    fn check_path(&mut self, path: &[usize]) {
        let (mut low, mut high) = (0isize, path.len() as isize - 1);
        while low <= high {
            let mid = (low + high) / 2;
            let x = path[mid as usize];
            if self.skip(x) {
                high = mid - 1;
                continue;
            }
            self.check(x);
            if self.anonymous[x] {
                high = mid - 1;
            } else {
                for s in self.space.successors(x) {
                    if !self.skip(s) {
                        self.queue.offer(s, &self.space);
                    }
                }
                low = mid + 1;
            }
        }
    }

    fn binary_search(&mut self, start: usize) {
        self.queue.offer(start, &self.space);
        while let Some(head) = self.queue.poll(&self.space) {
            if self.skip(head) {
                continue;
            }
            let path = self.path(head);
            self.check_path(&path);
        }
    }
}

/// Walks the lattice as FLASH does with anonymity inferred up and non-anonymity down. Returns the
/// best anonymous node checked, or `None` when no node is anonymous.
pub fn flash_monotone(evaluator: &Evaluator<'_>) -> Option<Found> {
    walk(evaluator, false).best
}

/// What a walk on k-anonymity learnt: per node (by levels), whether its small classes fit within
/// the limit, and the evaluations it made on the way.
pub struct KBoundary {
    /// `(levels, k-anonymous)` for every node of the lattice.
    pub nodes: Vec<(Vec<usize>, bool)>,
    /// Evaluations made, with the node's levels.
    pub evaluations: Vec<(Vec<usize>, Evaluation)>,
}

/// Classifies every node by k-anonymity (monotone under suppression) with FLASH's binary
/// searches, checking a small share of the lattice.
pub fn k_boundary(evaluator: &Evaluator<'_>) -> KBoundary {
    let run = walk(evaluator, true);
    let space = &run.space;
    KBoundary {
        nodes: run
            .anonymous
            .iter()
            .enumerate()
            .map(|(id, &k)| (space.levels(id), k))
            .collect(),
        evaluations: run
            .results
            .into_iter()
            .map(|(id, e)| (space.levels(id), e))
            .collect(),
    }
}

struct WalkResult {
    best: Option<Found>,
    anonymous: Vec<bool>,
    results: Vec<(usize, Evaluation)>,
    space: Space,
}

fn walk(evaluator: &Evaluator<'_>, on_k: bool) -> WalkResult {
    let heights = evaluator.heights();
    let space = Space::for_evaluator(evaluator);
    let size = space.size;
    let mut walk = Walk {
        space,
        evaluator,
        on_k,
        results: Vec::new(),
        anonymous: vec![false; size],
        not_anonymous: vec![false; size],
        bottom: None,
        best: Best::default(),
        queue: JavaHeap { items: Vec::new() },
    };
    // ARX checks the bottom first without tagging it; its later check reuses the result.
    walk.bottom = Some(evaluator.evaluate(&vec![0; heights.len()]));
    let max_level: usize = heights.iter().map(|h| h - 1).sum();
    let mut by_level: Vec<Vec<usize>> = vec![Vec::new(); max_level + 1];
    for id in 0..size {
        by_level[walk.space.levels(id).iter().sum::<usize>()].push(id);
    }
    for ids in by_level {
        let mut ids: Vec<usize> = ids.into_iter().filter(|&id| !walk.skip(id)).collect();
        ids.sort_by(|&a, &b| walk.space.compare(a, b));
        for id in ids {
            walk.binary_search(id);
        }
    }
    WalkResult {
        best: walk.best.into_found(),
        anonymous: walk.anonymous,
        results: walk.results,
        space: walk.space,
    }
}
