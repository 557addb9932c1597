//! `idlab`, the native front door: the same specs as the page, files in and out.
//! On wasm32, where the crate is a library for the page, this is an empty program.

#[cfg(not(target_arch = "wasm32"))]
mod activations;
#[cfg(not(target_arch = "wasm32"))]
mod assignment;
#[cfg(not(target_arch = "wasm32"))]
mod classify;
#[cfg(not(target_arch = "wasm32"))]
mod cli;
#[cfg(not(target_arch = "wasm32"))]
mod cluster;
#[cfg(not(target_arch = "wasm32"))]
mod inspect;
#[cfg(not(target_arch = "wasm32"))]
mod memory;
#[cfg(not(target_arch = "wasm32"))]
mod metric;
#[cfg(not(target_arch = "wasm32"))]
mod npy;
#[cfg(not(target_arch = "wasm32"))]
mod rdm;
#[cfg(not(target_arch = "wasm32"))]
mod run;
#[cfg(not(target_arch = "wasm32"))]
mod serve;
#[cfg(not(target_arch = "wasm32"))]
mod sweep;
#[cfg(not(target_arch = "wasm32"))]
mod upload;
#[cfg(not(target_arch = "wasm32"))]
mod zoo;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
