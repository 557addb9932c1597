//! The memory estimate (`experiment::memory`) against the peak of live heap
//! bytes a real run reaches, measured by a counting allocator (its own test
//! binary, so nothing else allocates meanwhile): within 25% for three zoo models.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::drive::finish;
use common::site::add_site_files;
use idlab::experiment::memory::{estimate, UserModels};
use idlab::experiment::{Experiment, Spec};
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

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
}

#[global_allocator]
static A: Counting = Counting;

/// Peak live bytes above the start of a 16-image run of `arch` (seed 1) against itself (seed 0), and the estimate.
fn measure(arch: &str) -> (usize, u64) {
    let spec = json!({
        "idlab": 2,
        "stimuli": { "set": "kriegeskorte92", "limit": 16 },
        "sources": [{ "arch": arch, "seed": 0 }],
        "targets": [{ "arch": arch, "seed": 1 }],
        "metrics": [{ "name": "cka" }, { "name": "regression" }]
    });
    let spec = Spec::from_json(&spec.to_string()).unwrap();
    let predicted = estimate(&spec, &UserModels::default()).unwrap();
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let mut s = Experiment::new(spec).unwrap();
    add_site_files(&mut s);
    let r = finish(&mut s);
    assert_eq!(r.scores.len(), 2);
    drop((r, s));
    let peak = PEAK.load(Relaxed) - before;
    (peak, predicted.total - predicted.models[0].base)
}

#[test]
fn the_estimate_is_within_a_quarter_of_the_measured_peak() {
    let mut report = Vec::new();
    for arch in ["alexnet", "resnet18", "vit_b_32"] {
        let (peak, predicted) = measure(arch);
        let ratio = predicted as f64 / peak as f64;
        report.push(format!("{arch}: measured {:.1} MiB, estimated {:.1} MiB ({ratio:.2})", peak as f64 / 1048576.0, predicted as f64 / 1048576.0));
        eprintln!("{}", report.last().unwrap());
    }
    for (line, arch) in report.iter().zip(["alexnet", "resnet18", "vit_b_32"]) {
        let ratio: f64 = line.rsplit('(').next().unwrap().trim_end_matches(')').parse().unwrap();
        assert!((0.75..=1.25).contains(&ratio), "{arch}: {}", report.join("; "));
    }
}
