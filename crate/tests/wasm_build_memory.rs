//! Where a tab's memory goes while a zoo model is built (a benchmark run by
//! hand, not by `./build.sh test`; BENCHMARKS.md, "Memory"): in the
//! single-threaded wasm build, the live heap's peak (a counting allocator,
//! its own test binary) against the module's growth. The live peak is what
//! the build holds, the same as natively; the growth beyond it is memory
//! freed during the build that wasm's allocator could not reuse.
//!
//!   CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_USE_BROWSER=1 \
//!   CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   RUSTFLAGS="-C target-feature=+simd128,+bulk-memory" \
//!   cargo test --release -p idlab --target wasm32-unknown-unknown \
//!   --target-dir target/wasm-single --test wasm_build_memory -- --nocapture
#![cfg(target_arch = "wasm32")]

mod common;

use idlab::experiment::memory::{estimate, UserModels};
use idlab::experiment::Spec;
use idlab::runtime::Recorder;
use idlab::runtime::split::SLICE_BYTES;
use idlab::zoo::{build_sliced, Arch};
use common::counting::{peak_since, start, Counting};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[global_allocator]
static A: Counting = Counting;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / 1048576.0
}

fn module_bytes() -> usize {
    core::arch::wasm32::memory_size(0) * 65536
}

#[wasm_bindgen_test]
fn the_build_holds_what_it_holds_natively() {
    for name in ["alexnet", "vgg11"] {
        let arch = Arch::parse(name).unwrap();
        let spec = serde_json::json!({ "idlab": 2, "stimuli": { "set": "kriegeskorte92", "limit": 3 }, "sources": [{ "arch": name, "seed": 0 }], "targets": [{ "arch": name, "seed": 1 }], "metrics": [{ "name": "cka" }] });
        let native = UserModels { tab: false, ..UserModels::default() };
        let predicted = estimate(&Spec::from_json(&spec.to_string()).unwrap(), &native).unwrap().models[0].weights;
        let (before, module) = (start(), module_bytes());
        let proto = build_sliced(arch, 0, SLICE_BYTES).proto;
        let tensors: Vec<String> = arch.layers().iter().map(|l| l.tensor.clone()).collect();
        let size = arch.preprocess().size as usize;
        let recorder = Recorder::new(name, proto, &tensors, [1, 3, size, size]).unwrap();
        let peak = peak_since(before);
        let grown = module_bytes() - module;
        drop(recorder);
        console_log!(
            "{name}: live peak {:.1} MiB (native estimate {:.1}), module grew {:.1} MiB",
            mib(peak),
            mib(predicted as usize),
            mib(grown)
        );
        let ratio = predicted as f64 / peak as f64;
        assert!((0.75..=1.25).contains(&ratio), "{name}: live peak {peak} bytes, native estimate {predicted}");
    }
}
