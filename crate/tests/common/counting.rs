//! A global allocator that counts live heap bytes and their peak, for the
//! memory tests and benchmarks (each its own test binary, declaring
//! `#[global_allocator] static A: Counting = Counting;`, so nothing else
//! allocates meanwhile).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

pub struct Counting;
pub static LIVE: AtomicUsize = AtomicUsize::new(0);
pub static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Starts a measurement: the live bytes now, from which the peak is counted.
pub fn start() -> usize {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    before
}

/// The peak of live bytes above `before` since [`start`] returned it.
pub fn peak_since(before: usize) -> usize {
    PEAK.load(Relaxed) - before
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Relaxed);
    }
    /// Growing may move (counted as both blocks at once, as `alloc` and
    /// `dealloc` would be); shrinking frees the tail in place (glibc natively,
    /// dlmalloc in wasm), which `runtime::split` relies on.
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new > l.size() {
                PEAK.fetch_max(LIVE.load(Relaxed) + new, Relaxed);
                LIVE.fetch_add(new - l.size(), Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Relaxed);
            }
        }
        q
    }
}
