//! Large arrays read out of order (per-spell records, per-dot tables): backed by huge pages
//! where the system offers them, so that a frame's scattered reads miss the TLB far less;
//! and a prefetch hint for such reads.

/// A vector of `n` copies of `fill`, asked to be backed by transparent huge pages on Linux
/// (a hint: without them it is an ordinary vector).
pub fn huge_vec<T: Clone>(n: usize, fill: T) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(n);
    advise_huge(v.as_mut_ptr().cast(), n * std::mem::size_of::<T>());
    v.resize(n, fill);
    v
}

const HUGE: usize = 2 << 20;

#[cfg(target_os = "linux")]
fn advise_huge(ptr: *mut u8, bytes: usize) {
    if bytes < 2 * HUGE {
        return;
    }
    // Only whole 2 MiB pages inside the allocation can be huge.
    let lo = (ptr as usize).next_multiple_of(HUGE);
    let hi = (ptr as usize + bytes) / HUGE * HUGE;
    if hi > lo {
        // SAFETY: [lo, hi) lies inside the allocation just made; madvise only changes how
        // the kernel backs those pages, never their contents. Failure is harmless.
        unsafe {
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_ptr: *mut u8, _bytes: usize) {}

/// Hints the CPU to bring the cache line at `p` in; no effect on the result.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_vec_is_an_ordinary_vector() {
        let v = huge_vec(3 << 20, 7u32);
        assert_eq!(v.len(), 3 << 20);
        assert!(v.iter().all(|&x| x == 7));
        assert!(huge_vec::<u8>(0, 1).is_empty());
    }
}
