//! Keys: the glue's [`ClientId`] for an Engine.IO session and the unguessable [`SocketId`].

use std::fmt;
use std::hash::{BuildHasher, Hasher};

use sha1::{Digest, Sha1};

/// One Engine.IO session, numbered by the glue. It never reaches the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub u64);

/// A socket's public id: 20 URL-safe base64 characters, sent in the CONNECT reply and naming
/// the socket's own room. Distinct from the Engine.IO sid.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId([u8; 20]);

impl SocketId {
    /// The id as text (ids come from the server: see `Socket::id`).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ids are base64 ASCII")
    }
}

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SocketId({})", self.as_str())
    }
}

impl AsRef<str> for SocketId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// SHA-1 over `seed ‖ counter`: unpredictable without the seed, never repeating within 2^64 ids.
pub(crate) struct IdGenerator {
    seed: [u8; 32],
    counter: u64,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

impl IdGenerator {
    pub(crate) fn new(seed: [u8; 32]) -> Self {
        Self { seed, counter: 0 }
    }

    pub(crate) fn next_id(&mut self) -> SocketId {
        self.counter += 1;
        let digest = Sha1::new()
            .chain_update(self.seed)
            .chain_update(self.counter.to_le_bytes());
        let digest = digest.finalize();
        // 15 bytes = 120 bits = 20 base64 characters.
        let mut id = [0u8; 20];
        for (chunk, out) in digest[..15].chunks(3).zip(id.chunks_mut(4)) {
            let n = u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
            for (i, byte) in out.iter_mut().enumerate() {
                *byte = ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize];
            }
        }
        SocketId(id)
    }
}

/// Internal socket key: a counter value, never reused, so a stale key finds nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SocketKey(pub(crate) u64);

/// A multiplicative hash for the crate's own integer keys (never peer-chosen, so no flooding
/// risk): cheaper than SipHash on the per-packet lookups.
#[derive(Clone, Copy, Default)]
pub(crate) struct KeyHash;

pub(crate) struct KeyHasher(u64);

impl BuildHasher for KeyHash {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(0)
    }
}

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_url_safe_and_seeded() {
        let mut a = IdGenerator::new([1; 32]);
        let mut b = IdGenerator::new([2; 32]);
        let (x, y, z) = (a.next_id(), a.next_id(), b.next_id());
        assert_ne!(x, y);
        assert_ne!(x, z);
        assert_eq!(x.as_str().len(), 20);
        assert!(x.as_str().bytes().all(|c| ALPHABET.contains(&c)));
        assert_eq!(IdGenerator::new([1; 32]).next_id(), x);
    }
}
