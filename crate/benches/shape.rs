//! Benchmark (not a test), issue 16's levers natively: how images share the
//! threads and whether images batched through a model pay.
//!
//! - Parallelism shape: images across the rayon pool, each image's matrix
//!   products on its own thread (what a recording step does), against one
//!   image at a time with tract's products spread over the pool (op-level).
//! - Batching: B images in one tensor [B, 3, H, W] on one thread, which reads
//!   each fully connected weight once for B images (a matrix product instead
//!   of B matrix-vector ones) but changes how tract lays out the convolutions.
//!
//! Each model records its last Table 1 layer. Run with
//! `cargo bench --bench shape [-- alexnet,resnet18]`; prints a Markdown table.

use idlab::runtime::Recorder;
use idlab::zoo::{self, Arch};
use rayon::prelude::*;
use std::time::Instant;

mod common;

const IMAGES: usize = 8;

/// Milliseconds an image, over IMAGES images after one warm-up pass.
fn per_image(mut pass: impl FnMut()) -> f64 {
    pass();
    let t = Instant::now();
    pass();
    t.elapsed().as_secs_f64() * 1e3 / IMAGES as f64
}

fn main() {
    idlab::runtime::use_thread_pool();
    let only = common::archs_asked();
    let threads = rayon::current_num_threads();
    println!("| arch | across the pool, {threads} threads (ms/image) | op-level, {threads} threads | batch 1, 1 thread | batch 2 | batch 4 | batch 8 |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for &arch in Arch::ALL {
        let wanted = match &only {
            Some(o) => o.iter().any(|n| n == arch.name()),
            None => ["alexnet", "resnet18", "vgg11"].contains(&arch.name()),
        };
        if !wanted {
            continue;
        }
        let layer = arch.layers().into_iter().map(|l| l.tensor).last().expect("every arch has layers");
        let size = arch.preprocess().size as usize;
        let image = vec![0.5f32; 3 * size * size];
        let images: Vec<Vec<f32>> = (0..IMAGES).map(|_| image.clone()).collect();
        let one = Recorder::new(arch.name(), zoo::build(arch, 0).proto, &[layer.clone()], [1, 3, size, size]).expect("zoo models load");
        let pool = per_image(|| {
            let _: Vec<_> = images.par_iter().map(|i| one.run_alone(i).expect("runs")).collect();
        });
        let op = per_image(|| images.iter().for_each(|i| drop(one.run(i).expect("runs"))));
        drop(one);
        let mut batched = Vec::new();
        for b in [1usize, 2, 4, 8] {
            // A graph whose reshapes fix the batch at 1 (ViT, Mixer) cannot take B > 1.
            let Ok(r) = Recorder::new(arch.name(), zoo::build(arch, 0).proto, &[layer.clone()], [b, 3, size, size]) else {
                batched.push("n/a".to_string());
                continue;
            };
            let input = image.repeat(b);
            let ms = per_image(|| (0..IMAGES / b).for_each(|_| drop(r.run_alone(&input).expect("runs"))));
            batched.push(format!("{ms:.1}"));
        }
        println!("| {} | {pool:.1} | {op:.1} | {} |", arch.name(), batched.join(" | "));
    }
}
