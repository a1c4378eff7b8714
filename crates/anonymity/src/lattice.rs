//! The generalization lattice: one node per vector of levels, numbered in mixed radix so that
//! node properties fit in flat arrays.

/// The lattice of all level vectors below `heights`.
#[derive(Debug, Clone)]
pub struct Lattice {
    heights: Vec<usize>,
    strides: Vec<usize>,
    size: usize,
}

impl Lattice {
    /// A lattice for quasi-identifiers with `heights` levels each (level 0 included).
    pub fn new(heights: &[usize]) -> Lattice {
        let mut strides = vec![0; heights.len()];
        let mut size = 1usize;
        for i in (0..heights.len()).rev() {
            strides[i] = size;
            size = size.saturating_mul(heights[i].max(1));
        }
        Lattice {
            heights: heights.to_vec(),
            strides,
            size,
        }
    }

    /// Number of nodes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Levels per quasi-identifier, level 0 included.
    pub fn heights(&self) -> &[usize] {
        &self.heights
    }

    /// The node's number.
    pub fn id(&self, levels: &[usize]) -> usize {
        levels.iter().zip(&self.strides).map(|(l, s)| l * s).sum()
    }

    /// The node's levels.
    pub fn levels(&self, mut id: usize) -> Vec<usize> {
        self.strides
            .iter()
            .map(|s| {
                let l = id / s;
                id %= s;
                l
            })
            .collect()
    }

    /// The level of a node in the lattice: the sum of its levels.
    pub fn rank(&self, id: usize) -> usize {
        self.levels(id).iter().sum()
    }

    /// Highest rank.
    pub fn max_rank(&self) -> usize {
        self.heights.iter().map(|h| h.saturating_sub(1)).sum()
    }

    /// Nodes one level above in one quasi-identifier.
    pub fn successors(&self, id: usize) -> impl Iterator<Item = usize> + '_ {
        let levels = self.levels(id);
        (0..self.heights.len())
            .filter(move |&i| levels[i] + 1 < self.heights[i])
            .map(move |i| id + self.strides[i])
    }

    /// Nodes one level below in one quasi-identifier.
    pub fn predecessors(&self, id: usize) -> impl Iterator<Item = usize> + '_ {
        let levels = self.levels(id);
        (0..self.heights.len())
            .filter(move |&i| levels[i] > 0)
            .map(move |i| id - self.strides[i])
    }

    /// Whether `a` is at or below `b` in every quasi-identifier.
    pub fn le(&self, a: usize, b: usize) -> bool {
        self.levels(a)
            .iter()
            .zip(self.levels(b))
            .all(|(x, y)| *x <= y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_neighbours_differ_by_one_level() {
        let l = Lattice::new(&[2, 3, 4]);
        assert_eq!(l.size(), 24);
        for id in 0..l.size() {
            let levels = l.levels(id);
            assert_eq!(l.id(&levels), id);
            for s in l.successors(id) {
                assert_eq!(l.rank(s), l.rank(id) + 1);
                assert!(l.le(id, s) && !l.le(s, id));
            }
            assert!(l.predecessors(id).all(|p| l.rank(p) + 1 == l.rank(id)));
        }
        assert_eq!(l.successors(l.size() - 1).count(), 0);
        assert_eq!(l.max_rank(), 6);
    }
}
