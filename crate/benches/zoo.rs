//! Benchmark (not a test): per zoo architecture, the time to draw its seeded
//! weights and emit the ONNX graph, the time for tract to load and optimise
//! it, one image's inference, and the process's resident memory after each
//! step. Run with `cargo bench --bench zoo [-- NAME,NAME]`; prints a Markdown
//! table for BENCHMARKS.md.

use idlab::runtime::Recorder;
use idlab::zoo::{self, Arch};
use std::time::Instant;

mod common;

/// Resident set size in MB (Linux), or NaN elsewhere.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()))
        .map(|pages| pages * 4096.0 / 1e6)
        .unwrap_or(f64::NAN)
}

fn main() {
    idlab::runtime::use_thread_pool();
    let only = common::archs_asked();
    println!("| arch | parameters | weights + graph (s) | tract load (s) | 1 image (s) | RSS after load (MB) |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for &arch in Arch::ALL {
        if only.as_ref().is_some_and(|o| !o.iter().any(|n| n == arch.name())) {
            continue;
        }
        let t = Instant::now();
        let model = zoo::build(arch, 0);
        let t_build = t.elapsed().as_secs_f64();
        let tensors: Vec<String> = arch.layers().into_iter().map(|l| l.tensor).collect();
        let size = arch.preprocess().size as usize;
        let t = Instant::now();
        let recorder = Recorder::new(arch.name(), model.proto, &tensors, [1, 3, size, size]).expect("zoo models load");
        let t_load = t.elapsed().as_secs_f64();
        let rss = rss_mb();
        let image = vec![0.5f32; 3 * size * size];
        recorder.run(&image).expect("warm-up");
        let t = Instant::now();
        recorder.run(&image).expect("inference");
        let t_run = t.elapsed().as_secs_f64();
        println!(
            "| {} | {} | {t_build:.2} | {t_load:.2} | {t_run:.3} | {rss:.0} |",
            arch.name(),
            model.parameters
        );
        drop(recorder);
    }
}
