//! `noise`: add bounded Laplace or Gaussian noise to numbers. The bound caps how far any one
//! value moves; this is perturbation, not differential privacy (that is the anonymize step's).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, Exp, Normal};

use super::Invalid;
use crate::policy::NoiseDistribution;

/// A noise source for one column.
pub struct Noiser {
    distribution: NoiseDistribution,
    scale: f64,
    bound: f64,
    rng: ChaCha20Rng,
}

/// Decimals written in a number (`12.50` → 2), so noisy values keep the input's precision.
fn decimals(v: &str) -> usize {
    v.split_once('.').map_or(0, |(_, f)| f.len())
}

impl Noiser {
    /// A noise source seeded from the operating system (fresh noise every run).
    pub fn new(distribution: NoiseDistribution, scale: f64, bound: f64) -> Result<Noiser, Invalid> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|_| Invalid("the system random source failed"))?;
        Ok(Self::with_seed(distribution, scale, bound, seed))
    }

    /// A noise source with a fixed seed, for reproducible tests.
    pub fn with_seed(
        distribution: NoiseDistribution,
        scale: f64,
        bound: f64,
        seed: [u8; 32],
    ) -> Noiser {
        Noiser {
            distribution,
            scale,
            bound,
            rng: ChaCha20Rng::from_seed(seed),
        }
    }

    fn draw(&mut self) -> f64 {
        let x = match self.distribution {
            // Laplace(b) is an Exp(1/b) magnitude with a random sign.
            NoiseDistribution::Laplace => {
                let magnitude = Exp::new(1.0 / self.scale).map_or(0.0, |e| e.sample(&mut self.rng));
                if self.rng.random::<bool>() {
                    magnitude
                } else {
                    -magnitude
                }
            }
            NoiseDistribution::Gaussian => {
                Normal::new(0.0, self.scale).map_or(0.0, |n| n.sample(&mut self.rng))
            }
        };
        x.clamp(-self.bound, self.bound)
    }

    /// Adds noise to one number, written with the input's number of decimals.
    pub fn apply(&mut self, value: &str, out: &mut String) -> Result<(), Invalid> {
        use std::fmt::Write;
        out.clear();
        let v = value.trim();
        let x: f64 = v
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite())
            .ok_or(Invalid("not a number"))?;
        let noisy = x + self.draw();
        let _ = write!(out, "{noisy:.*}", decimals(v));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn non_numbers_are_invalid() {
        let mut n = Noiser::with_seed(NoiseDistribution::Laplace, 1.0, 5.0, [1; 32]);
        let mut out = String::new();
        for v in ["", "abc", "NaN", "inf", "1,000"] {
            assert!(n.apply(v, &mut out).is_err(), "{v}");
        }
    }

    #[test]
    fn noise_moves_values_and_averages_out() {
        let mut n = Noiser::with_seed(NoiseDistribution::Laplace, 2.0, 100.0, [3; 32]);
        let mut out = String::new();
        let (mut sum, mut moved) = (0.0, 0);
        for _ in 0..10_000 {
            n.apply("100.00", &mut out).expect("number");
            let y: f64 = out.parse().expect("number");
            sum += y - 100.0;
            moved += usize::from(y != 100.0);
        }
        assert!(
            (sum / 10_000.0).abs() < 0.1,
            "mean shift {}",
            sum / 10_000.0
        );
        assert!(moved > 9_900);
    }

    proptest! {
        #[test]
        fn noise_never_exceeds_the_bound(x in -1_000_000i64..1_000_000, gaussian: bool, seed: [u8; 32]) {
            let d = if gaussian { NoiseDistribution::Gaussian } else { NoiseDistribution::Laplace };
            let mut n = Noiser::with_seed(d, 50.0, 10.0, seed);
            let mut out = String::new();
            n.apply(&x.to_string(), &mut out).expect("number");
            let y: f64 = out.parse().expect("number");
            prop_assert!((y - x as f64).abs() <= 10.0 + 0.5, "{} -> {}", x, y);
            prop_assert!(!out.contains('.'), "integers stay integers: {}", out);
        }
    }
}
