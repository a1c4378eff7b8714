//! ARX's FLASH walk for models that are not monotone under suppression with a metric that is not
//! monotone either (its "partial / none" configuration), over ARX's own checker
//! ([`crate::arx_check`]).
//!
//! The exact searches find the optimum of our checks. This walk is for the one model whose check
//! depends on ARX's internals (Grassberger entropy l-diversity): there, ARX's optimum is the best
//! node of its walk as its checker judged it, so the walk, the order of checks and the tags that
//! decide which snapshots are kept all follow ARX 3.9:
//! - a binary phase on k-anonymity (inferred up, its failure down) over greedy paths, each
//!   path's lowest k-anonymous node starting
//! - a depth-first linear phase that checks every k-anonymous node not yet visited;
//! - nodes whose lower bound cannot beat the best so far are pruned with everything above them;
//! - a node is the same node as the optimum only if it is the same visit (ARX compares objects).

use crate::arx_check::{ArxChecker, NodeFacts};
use crate::evaluate::{Evaluation, Evaluator};
use crate::flash::{Found, JavaHeap, Space};

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Binary,
    Linear,
}

/// A node as one visit sees it: ARX makes a new object per visit and compares objects.
type Visit = (usize, u64);

struct Tags {
    space: Space,
    /// Inherited from below (ARX's `UP` properties) or from above (`DOWN`).
    k: Vec<bool>,
    not_k: Vec<bool>,
    insufficient: Vec<bool>,
    pruned: Vec<bool>,
    checked: Vec<bool>,
    visited: Vec<bool>,
}

fn mark_up(flags: &mut [bool], space: &Space, id: usize) {
    let mut stack = vec![id];
    while let Some(x) = stack.pop() {
        if !flags[x] {
            flags[x] = true;
            stack.extend(space.successors(x));
        }
    }
}

fn mark_down(flags: &mut [bool], space: &Space, id: usize) {
    let mut stack = vec![id];
    while let Some(x) = stack.pop() {
        if !flags[x] {
            flags[x] = true;
            stack.extend(space.predecessors(x));
        }
    }
}

impl NodeFacts for Tags {
    fn levels(&self, id: usize) -> Vec<usize> {
        self.space.levels(id)
    }

    fn successors_pruned(&self, id: usize) -> bool {
        self.pruned[id]
    }

    fn force_snapshot(&self, id: usize) -> bool {
        id == 0
    }
}

struct Walk<'c, 'e, 'a> {
    evaluator: &'e Evaluator<'a>,
    checker: ArxChecker<'c, 'a>,
    tags: Tags,
    results: Vec<Option<Evaluation>>,
    bounds: Vec<Option<f64>>,
    bottom: Option<Evaluation>,
    optimum: Option<(Visit, f64, usize)>,
    candidates: Vec<usize>,
    queue: JavaHeap,
    visits: u64,
}

impl Walk<'_, '_, '_> {
    fn visit(&mut self, id: usize) -> Visit {
        self.visits += 1;
        (id, self.visits)
    }

    fn trigger(&self, phase: Phase, id: usize) -> bool {
        let t = &self.tags;
        match phase {
            Phase::Binary => t.k[id] || t.not_k[id],
            Phase::Linear => t.visited[id] || t.not_k[id],
        }
    }

    fn bound(&mut self, id: usize) -> f64 {
        *self.bounds[id].get_or_insert_with(|| {
            self.evaluator
                .context
                .lower_bound(&self.evaluator.metric, &self.tags.space.levels(id))
        })
    }

    fn prune_node(&mut self, id: usize) {
        mark_up(&mut self.tags.insufficient, &self.tags.space, id);
        mark_up(&mut self.tags.pruned, &self.tags.space, id);
    }

    /// ARX's `skip`: the phase's trigger, or a lower bound that cannot beat the optimum (which
    /// then tags the node and everything above it).
    fn skip(&mut self, phase: Phase, id: usize) -> bool {
        if self.trigger(phase, id) {
            return true;
        }
        let Some((_, best, _)) = self.optimum else {
            return false;
        };
        if self.tags.insufficient[id] {
            return true;
        }
        if best <= self.bound(id) {
            self.prune_node(id);
            return true;
        }
        false
    }

    fn check_and_tag(&mut self, visit: Visit, phase: Phase) {
        let id = visit.0;
        let check = match phase {
            Phase::Binary => !self.trigger(Phase::Binary, id),
            Phase::Linear => !self.tags.checked[id] && !self.tags.not_k[id],
        };
        if check {
            let e = match (id, &self.bottom) {
                (0, Some(e)) => e.clone(),
                _ => self.checker.check(id, &self.tags),
            };
            self.tags.checked[id] = true;
            if e.k_anonymous {
                mark_up(&mut self.tags.k, &self.tags.space, id);
            } else {
                mark_down(&mut self.tags.not_k, &self.tags.space, id);
            }
            self.bounds[id] = Some(
                self.evaluator
                    .context
                    .lower_bound(&self.evaluator.metric, &self.tags.space.levels(id)),
            );
            self.results[id] = Some(e);
        }
        self.track_optimum(visit);
        if phase == Phase::Linear {
            self.tags.visited[id] = true;
        }
        self.prune(visit);
    }

    fn track_optimum(&mut self, visit: Visit) {
        let id = visit.0;
        let Some(Evaluation {
            anonymous: true,
            loss: Some(loss),
            ..
        }) = self.results[id]
        else {
            return;
        };
        let rank: usize = self.tags.space.levels(id).iter().sum();
        let better = match self.optimum {
            None => true,
            Some((_, best, best_rank)) => loss < best || (loss == best && rank < best_rank),
        };
        if better {
            self.optimum = Some((visit, loss, rank));
        }
    }

    fn prune(&mut self, visit: Visit) {
        let id = visit.0;
        let Some(bound) = self.bounds[id] else { return };
        let is_optimum = self.optimum.is_some_and(|(v, _, _)| v == visit);
        if !is_optimum && self.tags.pruned[id] {
            return;
        }
        let Some((_, best, _)) = self.optimum else {
            self.candidates.push(id);
            return;
        };
        if !is_optimum {
            if best <= bound {
                self.prune_node(id);
            } else {
                self.candidates.push(id);
            }
            return;
        }
        let mut i = 0;
        while i < self.candidates.len() {
            let c = self.candidates[i];
            if self.tags.pruned[c] {
                self.candidates.remove(i);
            } else if self.bounds[c].is_some_and(|b| best <= b) {
                self.prune_node(c);
                self.candidates.remove(i);
            } else {
                i += 1;
            }
        }
        if !self.tags.pruned[id] {
            self.candidates.push(id);
        }
    }

    fn find_path(&mut self, start: Visit) -> Vec<Visit> {
        let mut path = vec![start];
        let mut current = start.0;
        'outer: loop {
            for s in self.tags.space.successors(current) {
                let v = self.visit(s);
                if !self.skip(Phase::Binary, s) {
                    path.push(v);
                    current = s;
                    continue 'outer;
                }
            }
            return path;
        }
    }

    fn check_path(&mut self, path: &[Visit]) -> Option<Visit> {
        let (mut low, mut high) = (0isize, path.len() as isize - 1);
        let mut last = None;
        while low <= high {
            let mid = (low + high) / 2;
            let visit = path[mid as usize];
            let id = visit.0;
            if self.skip(Phase::Binary, id) {
                high = mid - 1;
                continue;
            }
            self.check_and_tag(visit, Phase::Binary);
            if !self.tags.k[id] {
                for up in self.tags.space.successors(id) {
                    self.visit(up);
                    if !self.skip(Phase::Binary, up) {
                        self.queue.offer(up, &self.tags.space);
                    }
                }
            }
            if self.tags.k[id] {
                last = Some(visit);
                high = mid - 1;
            } else {
                low = mid + 1;
            }
        }
        last
    }

    fn binary_search(&mut self, start: usize) {
        self.queue.offer(start, &self.tags.space);
        while let Some(head) = self.queue.poll(&self.tags.space) {
            let visit = self.visit(head);
            if self.skip(Phase::Binary, head) {
                continue;
            }
            let path = self.find_path(visit);
            if let Some(lowest) = self.check_path(&path) {
                self.linear_search(lowest);
            }
        }
    }

    fn linear_search(&mut self, visit: Visit) {
        let id = visit.0;
        if !self.skip(Phase::Linear, id) {
            self.check_and_tag(visit, Phase::Linear);
            for child in self.tags.space.successors(id) {
                let v = self.visit(child);
                if !self.skip(Phase::Linear, child) {
                    self.linear_search(v);
                }
            }
        }
        mark_up(&mut self.tags.pruned, &self.tags.space, id);
    }
}

/// Runs ARX's walk with ARX's checker; `None` without a sensitive attribute (nothing then depends
/// on ARX's internals) or when no node is anonymous.
pub(crate) fn arx_partial_walk(evaluator: &Evaluator<'_>) -> Option<Option<Found>> {
    let checker = ArxChecker::new(evaluator)?;
    let space = Space::for_evaluator(evaluator);
    let size = space.size;
    let mut walk = Walk {
        evaluator,
        checker,
        tags: Tags {
            space,
            k: vec![false; size],
            not_k: vec![false; size],
            insufficient: vec![false; size],
            pruned: vec![false; size],
            checked: vec![false; size],
            visited: vec![false; size],
        },
        results: vec![None; size],
        bounds: vec![None; size],
        bottom: None,
        optimum: None,
        candidates: Vec::new(),
        queue: JavaHeap { items: Vec::new() },
        visits: 0,
    };
    // ARX checks the bottom first without tagging it; its later check reuses the result.
    walk.bottom = Some(walk.checker.check(0, &walk.tags));
    let mut by_level: Vec<Vec<usize>> = Vec::new();
    for id in 0..size {
        let rank: usize = walk.tags.space.levels(id).iter().sum();
        if by_level.len() <= rank {
            by_level.resize(rank + 1, Vec::new());
        }
        by_level[rank].push(id);
    }
    for ids in by_level {
        let mut open = Vec::new();
        for id in ids {
            if !walk.skip(Phase::Binary, id) {
                open.push(id);
            }
        }
        open.sort_by(|&a, &b| walk.tags.space.compare(a, b));
        for id in open {
            walk.binary_search(id);
        }
    }
    let found = walk.optimum.map(|((id, _), _, _)| Found {
        node: walk.tags.space.levels(id),
        evaluation: walk.results[id].clone().expect("the optimum was checked"),
    });
    Some(found)
}
