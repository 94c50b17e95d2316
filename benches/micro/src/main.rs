//! Codec micro-benchmarks (work in progress).
fn main() {}
