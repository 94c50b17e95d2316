//! Helpers shared by the loopio fuzz targets: reading a fuzz input as a small script, cutting
//! bytes into chunks, and a counting allocator that lets a target assert a heap bound.
//!
//! Every target links this crate, so the counting allocator below is the global allocator of
//! every fuzz binary. It only adds two relaxed atomics per allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Live heap bytes.
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// Highest `LIVE` seen since the last [`HeapWatch::start`].
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// `System`, counting live bytes and their peak.
pub struct Counting;

// SAFETY: defers every call to `System`, only adding bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
            grow(new_size);
        }
        new
    }
}

fn grow(size: usize) {
    let live = LIVE.fetch_add(size, Relaxed) + size;
    PEAK.fetch_max(live, Relaxed);
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Measures the peak heap growth of a block of code (fuzz targets are single-threaded).
pub struct HeapWatch {
    base: usize,
}

impl HeapWatch {
    /// Starts measuring from the current live heap.
    pub fn start() -> HeapWatch {
        let base = LIVE.load(Relaxed);
        PEAK.store(base, Relaxed);
        HeapWatch { base }
    }

    /// Most bytes allocated above the starting point at any moment since `start`.
    pub fn peak(&self) -> usize {
        PEAK.load(Relaxed).saturating_sub(self.base)
    }
}

/// A fuzz input read front to back; reads past the end yield zeros / empty slices, so every
/// input is a valid script.
pub struct Input<'a> {
    bytes: &'a [u8],
}

impl<'a> Input<'a> {
    /// Wraps the raw fuzz input.
    pub fn new(bytes: &'a [u8]) -> Input<'a> {
        Input { bytes }
    }

    /// The next byte, or 0 at the end.
    pub fn byte(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((&b, rest)) => {
                self.bytes = rest;
                b
            }
            None => 0,
        }
    }

    /// The next big-endian u16 (zeros past the end).
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    /// The next big-endian u32 (zeros past the end).
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// Up to `n` next bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.bytes.split_at(n.min(self.bytes.len()));
        self.bytes = rest;
        head
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        self.take(usize::MAX)
    }

    /// Whether the input is used up.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes left.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }
}

/// Chunk lengths for splitting a byte stream, read from a length-prefixed list of seeds: one
/// count byte, then that many bytes, each giving a chunk length of `1 + seed`; the list repeats
/// over the stream. An empty list means one chunk (the whole stream).
pub struct Splits {
    seeds: Vec<usize>,
}

impl Splits {
    /// Reads the split script from `input`: a count byte (0..=15 used), then the seeds.
    pub fn read(input: &mut Input<'_>) -> Splits {
        let count = usize::from(input.byte() & 0x0F);
        let seeds = input.take(count).iter().map(|&b| 1 + usize::from(b)).collect();
        Splits { seeds }
    }

    /// Cuts `data` into owned chunks that concatenate back to `data`.
    pub fn cut(&self, data: &[u8]) -> Vec<Vec<u8>> {
        if self.seeds.is_empty() {
            return vec![data.to_vec()];
        }
        let mut chunks = Vec::new();
        let mut rest = data;
        for &len in self.seeds.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (head, tail) = rest.split_at(len.min(rest.len()));
            chunks.push(head.to_vec());
            rest = tail;
        }
        chunks
    }

    /// Prefix lengths of `data` after each chunk (ending with `data.len()`).
    pub fn prefix_ends(&self, len: usize) -> Vec<usize> {
        if self.seeds.is_empty() {
            return vec![len];
        }
        let mut ends = Vec::new();
        let mut at = 0;
        for &step in self.seeds.iter().cycle() {
            if at >= len {
                break;
            }
            at = (at + step).min(len);
            ends.push(at);
        }
        ends
    }
}
