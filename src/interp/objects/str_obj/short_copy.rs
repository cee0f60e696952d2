//! Copying the few bytes of a short string piece without a call to `memcpy`: the pieces a
//! loop cuts and joins (a word of a split line, a number's digits, a path segment) are mostly
//! under 16 bytes, where the call and `memcpy`'s size dispatch cost more than the copy.
//! Touches only the bytes it is given.

/// Copies `len` bytes from `src` to `dst`: up to 16 bytes by two loads and two stores of the
/// widest width that fits (they overlap in the middle when `len` is not twice that width),
/// longer pieces by `memcpy`.
///
/// # Safety
/// `src` is readable and `dst` writable for `len` bytes, and the two ranges do not overlap.
#[inline(always)]
pub(crate) unsafe fn copy_short(src: *const u8, dst: *mut u8, len: usize) {
    // SAFETY: every access below is inside the first `len` bytes of `src` or `dst` (the
    // caller's promise); all the loads are done before the stores.
    unsafe {
        if len > 16 {
            std::ptr::copy_nonoverlapping(src, dst, len);
        } else if len >= 8 {
            let (head, tail) =
                ((src as *const u64).read_unaligned(), (src.add(len - 8) as *const u64).read_unaligned());
            (dst as *mut u64).write_unaligned(head);
            (dst.add(len - 8) as *mut u64).write_unaligned(tail);
        } else if len >= 4 {
            let (head, tail) =
                ((src as *const u32).read_unaligned(), (src.add(len - 4) as *const u32).read_unaligned());
            (dst as *mut u32).write_unaligned(head);
            (dst.add(len - 4) as *mut u32).write_unaligned(tail);
        } else if len >= 2 {
            let (head, tail) =
                ((src as *const u16).read_unaligned(), (src.add(len - 2) as *const u16).read_unaligned());
            (dst as *mut u16).write_unaligned(head);
            (dst.add(len - 2) as *mut u16).write_unaligned(tail);
        } else if len == 1 {
            *dst = *src;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::copy_short;

    #[test]
    fn every_length_copies_exactly_its_bytes() {
        let source: Vec<u8> = (0..40u8).map(|b| b.wrapping_mul(37).wrapping_add(1)).collect();
        for len in 0..=source.len() {
            let mut target = [0xaau8; 48];
            // SAFETY: both buffers hold at least `len` bytes and are distinct.
            unsafe { copy_short(source.as_ptr(), target.as_mut_ptr(), len) };
            assert_eq!(&target[..len], &source[..len], "length {len}");
            assert!(target[len..].iter().all(|&b| b == 0xaa), "wrote past {len}");
        }
    }
}
