//! The allocator of the `cnexport` binary: [mimalloc], with freed memory
//! given back to the system at once.
//!
//! A build frees about a gigabyte in pieces while it allocates as much
//! again: the merge frees each file's parsed rows as it passes them while
//! it fills the merged facts, one new block. glibc's malloc keeps freed
//! blocks in its arenas (they stay resident); mimalloc gives them back, but
//! by default only once they are a second old (`purge_delay` 1000 ms in
//! mimalloc 3), so the resident set still held both at the merge's end. With
//! the delay at 0 a page is given back when its last block is freed.
//! Measured at national scale (docs/performance.md): resident set after the
//! merge 1,368 MB instead of 2,063 MB, the merge 4.0 s instead of 5.5 s.
//!
//! This crate holds the project's only unsafe code: the one FFI call that
//! sets that option (the workspace forbids unsafe code everywhere else).

pub use mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_t` of
/// mimalloc 3's `mimalloc.h`; the Rust bindings have no constant for it).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc to give freed memory back to the system at once. Call it
/// first thing in `main`; without it everything still works, with more
/// memory resident.
pub fn return_freed_memory_promptly() {
    #[allow(unsafe_code)]
    // SAFETY: mi_option_set takes no pointers; setting an option is allowed
    // at any time and from any thread (mimalloc reads options atomically).
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        super::return_freed_memory_promptly();
        #[allow(unsafe_code)]
        // SAFETY: reading an option takes no pointers.
        let delay = unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) };
        assert_eq!(delay, 0);
        // Its neighbours keep their defaults (the index is not off by one).
        #[allow(unsafe_code)]
        // SAFETY: as above.
        let numa = unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY + 1) };
        assert_eq!(numa, 0, "use_numa_nodes");
    }
}
