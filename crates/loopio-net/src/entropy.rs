//! OS randomness for client masks and keys, read from `/dev/urandom` in 4 KiB batches so a
//! frame costs no system call.

use std::fs::File;
use std::io::{self, Read};

const POOL: usize = 4096;

/// A refillable pool of random bytes.
#[derive(Debug)]
pub(crate) struct Entropy {
    file: File,
    pool: Box<[u8; POOL]>,
    pos: usize,
}

impl Entropy {
    /// Opens `/dev/urandom`; the pool fills on first use.
    pub(crate) fn open() -> io::Result<Entropy> {
        Ok(Entropy {
            file: File::open("/dev/urandom")?,
            pool: Box::new([0; POOL]),
            pos: POOL,
        })
    }

    /// Fills `out` (at most the pool size) with random bytes.
    pub(crate) fn fill(&mut self, out: &mut [u8]) -> io::Result<()> {
        if POOL - self.pos < out.len() {
            self.file.read_exact(&mut self.pool[..])?;
            self.pos = 0;
        }
        out.copy_from_slice(&self.pool[self.pos..self.pos + out.len()]);
        self.pos += out.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_differ_and_pool_refills() {
        let mut entropy = Entropy::open().expect("test machine has /dev/urandom");
        let mut seen = std::collections::HashSet::new();
        for _ in 0..3000 {
            let mut mask = [0; 4];
            entropy.fill(&mut mask).expect("urandom readable");
            seen.insert(mask);
        }
        assert!(seen.len() > 2900);
    }
}
