//! Payload masking (RFC 6455 §5.3): 32-byte key blocks the compiler vectorizes, AVX2 for long payloads.

/// XORs `buf` with `key`, starting at key position `offset % 4`.
///
/// RFC 6455 §5.3: "Octet i of the transformed data is the XOR of octet i of the original data
/// with octet at index i modulo 4 of the masking key." `offset` is the index of `buf[0]` within
/// the frame payload, so a payload that arrives in pieces can be unmasked piece by piece.
/// Masking twice with the same key and offset restores the input.
///
/// ```
/// use loopio_frame::apply_mask;
///
/// // RFC 6455 §5.7: "Hello" masked with key 37 fa 21 3d.
/// let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
/// apply_mask(&mut payload[..2], [0x37, 0xfa, 0x21, 0x3d], 0);
/// apply_mask(&mut payload[2..], [0x37, 0xfa, 0x21, 0x3d], 2);
/// assert_eq!(&payload, b"Hello");
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    // Short payloads (most messages) stay inline: the feature check and call cost more than
    // the wider XORs save.
    #[cfg(target_arch = "x86_64")]
    if buf.len() >= AVX2_MIN {
        return mask_long(buf, key, offset);
    }
    mask_portable(buf, key, offset)
}

/// Payloads at least this long (bytes) take the AVX2 path when the CPU has it.
#[cfg(target_arch = "x86_64")]
const AVX2_MIN: usize = 256;

#[cfg(target_arch = "x86_64")]
#[inline(never)]
fn mask_long(buf: &mut [u8], key: [u8; 4], offset: usize) {
    if std::is_x86_feature_detected!("avx2") {
        #[allow(unsafe_code)]
        // SAFETY: `mask_avx2` is safe code compiled with AVX2 enabled; the only obligation is
        // that the CPU has AVX2, which the check above established (std caches the answer).
        // Tested through `apply_mask` and against `mask_portable` in this module's tests.
        unsafe {
            return mask_avx2(buf, key, offset);
        }
    }
    mask_portable(buf, key, offset)
}

/// [`mask_portable`] compiled for AVX2: the same loop, with 32-byte XORs (twice SSE2's width,
/// which matters for 64 KiB payloads: the mask is most of a large frame's decoding cost).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn mask_avx2(buf: &mut [u8], key: [u8; 4], offset: usize) {
    mask_portable(buf, key, offset)
}

/// The mask in plain Rust. The byte-wise XOR against a 32-byte key block is what LLVM
/// vectorizes (to two SSE2 or one AVX2 XOR per block); a `u128` XOR compiles to scalar 64-bit
/// XORs instead.
#[inline(always)]
fn mask_portable(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset % 4);
    // Each 32-byte block starts at a multiple of 4 from `buf[0]`, so one block of the rotated
    // key masks every block.
    let mut wide = [0; 32];
    for quad in wide.chunks_exact_mut(4) {
        quad.copy_from_slice(&key);
    }
    let mut blocks = buf.chunks_exact_mut(32);
    for block in &mut blocks {
        for (byte, k) in block.iter_mut().zip(wide) {
            *byte ^= k;
        }
    }
    // The tail also starts at a multiple of 32, so the key lines up with index 0 again.
    for (byte, k) in blocks.into_remainder().iter_mut().zip(wide) {
        *byte ^= k;
    }
}

/// Copies `src` into `dst` (of the same length) masked with `key` from key position
/// `offset % 4`: [`apply_mask`] and a copy in one pass, for payload that moves to another
/// buffer anyway (the first part of a frame that spans reads), so it is read and written once.
pub(crate) fn copy_masked(dst: &mut [u8], src: &[u8], key: [u8; 4], offset: usize) {
    assert_eq!(dst.len(), src.len(), "copy_masked: lengths differ");
    #[cfg(target_arch = "x86_64")]
    if src.len() >= AVX2_MIN && std::is_x86_feature_detected!("avx2") {
        #[allow(unsafe_code)]
        // SAFETY: `copy_masked_avx2` is safe code compiled with AVX2 enabled; the only
        // obligation is that the CPU has AVX2, which the check above established. Tested
        // against plain XOR in this module's tests.
        unsafe {
            return copy_masked_avx2(dst, src, key, offset);
        }
    }
    copy_masked_portable(dst, src, key, offset)
}

/// [`copy_masked_portable`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn copy_masked_avx2(dst: &mut [u8], src: &[u8], key: [u8; 4], offset: usize) {
    copy_masked_portable(dst, src, key, offset)
}

/// [`mask_portable`]'s 32-byte blocks, reading from `src` and writing to `dst`.
#[inline(always)]
fn copy_masked_portable(dst: &mut [u8], src: &[u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset % 4);
    let mut wide = [0; 32];
    for quad in wide.chunks_exact_mut(4) {
        quad.copy_from_slice(&key);
    }
    let mut to = dst.chunks_exact_mut(32);
    let mut from = src.chunks_exact(32);
    for (out, block) in (&mut to).zip(&mut from) {
        for ((byte, b), k) in out.iter_mut().zip(block).zip(wide) {
            *byte = b ^ k;
        }
    }
    let tail = to.into_remainder().iter_mut().zip(from.remainder());
    for ((byte, b), k) in tail.zip(wide) {
        *byte = b ^ k;
    }
}

fn rotate(key: [u8; 4], by: usize) -> [u8; 4] {
    [
        key[by % 4],
        key[(by + 1) % 4],
        key[(by + 2) % 4],
        key[(by + 3) % 4],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain_xor(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, byte) in buf.iter_mut().enumerate() {
            *byte ^= key[(offset + i) % 4];
        }
    }

    #[test]
    fn matches_plain_xor_for_every_length_alignment_and_key_offset() {
        let key = [0x6d, 0xb6, 0xb2, 0x80];
        let source: Vec<u8> = (0..80u8).map(|i| i.wrapping_mul(37)).collect();
        for len in 0..=64 {
            for start in 0..=7 {
                for offset in 0..8 {
                    let mut fast = source.clone();
                    let mut slow = source.clone();
                    apply_mask(&mut fast[start..start + len], key, offset);
                    plain_xor(&mut slow[start..start + len], key, offset);
                    assert_eq!(fast, slow, "len {len} start {start} offset {offset}");
                }
            }
        }
    }

    #[test]
    fn portable_and_dispatched_masks_agree() {
        // `apply_mask` takes the AVX2 path on CPUs that have it; this pins it to the portable
        // one for lengths across the 64-byte chunk, 16-byte lane and byte tails.
        let key = [0x12, 0x34, 0x56, 0x78];
        let source: Vec<u8> = (0..333u16).map(|i| (i * 7) as u8).collect();
        for len in [
            0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 257, 300, 319, 320, 333,
        ] {
            for offset in 0..4 {
                let mut fast = source[..len].to_vec();
                let mut portable = fast.clone();
                apply_mask(&mut fast, key, offset);
                mask_portable(&mut portable, key, offset);
                assert_eq!(fast, portable, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn copy_masked_matches_plain_xor_for_every_length_alignment_and_key_offset() {
        let key = [0x6d, 0xb6, 0xb2, 0x80];
        let source: Vec<u8> = (0..700u16).map(|i| (i * 37) as u8).collect();
        for len in (0..=70).chain([255, 256, 257, 300, 319, 320, 333, 600]) {
            for start in 0..=7 {
                for offset in 0..8 {
                    let src = &source[start..start + len];
                    let mut dst = vec![0; len + 2];
                    copy_masked(&mut dst[1..=len], src, key, offset);
                    let mut expected = src.to_vec();
                    plain_xor(&mut expected, key, offset);
                    assert_eq!(
                        &dst[1..=len],
                        &expected[..],
                        "len {len} start {start} offset {offset}"
                    );
                    assert_eq!((dst[0], dst[len + 1]), (0, 0), "wrote outside dst");
                }
            }
        }
    }

    #[test]
    fn masking_in_pieces_equals_masking_whole() {
        let key = [1, 2, 3, 4];
        let mut whole: Vec<u8> = (0..100).collect();
        let mut pieces = whole.clone();
        apply_mask(&mut whole, key, 0);
        for (i, piece) in pieces.chunks_mut(7).enumerate() {
            apply_mask(piece, key, i * 7);
        }
        assert_eq!(whole, pieces);
    }
}
