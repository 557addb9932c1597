//! `idlab zoo` and `idlab export`.

use idlab::zoo::{self, manifest, Arch};
use std::path::Path;

pub fn list(json: bool) -> Result<(), String> {
    if json {
        let text = serde_json::to_string_pretty(&manifest::manifest()).expect("manifest serialises");
        println!("{text}");
        return Ok(());
    }
    println!("{:<18} {:<11} {:>11} {:>7}  layers", "arch", "family", "parameters", "input");
    for &a in Arch::ALL {
        let e = manifest::entry(a);
        let layers: Vec<String> = a.layers().into_iter().map(|l| l.name).collect();
        println!(
            "{:<18} {:<11} {:>11} {:>7}  {} ({})",
            a.name(),
            e["family"].as_str().unwrap_or(""),
            a.parameter_count(),
            format!("{0}x{0}", a.preprocess().size),
            layers.len(),
            layers.join(", ")
        );
    }
    Ok(())
}

pub fn export(arch: &str, seed: u64, out: &Path) -> Result<(), String> {
    let arch = Arch::parse(arch).map_err(|e| e.to_string())?;
    let model = zoo::build(arch, seed);
    let bytes = zoo::to_onnx_bytes(&model.proto);
    std::fs::write(out, &bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!(
        "idlab: wrote {} seed {seed} ({} parameters, {:.1} MB) to {}",
        arch.name(),
        model.parameters,
        bytes.len() as f64 / 1e6,
        out.display()
    );
    Ok(())
}
