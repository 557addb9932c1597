//! `idlab inspect`: what idlab sees in a user's .onnx or .tflite file (input, recordable
//! layers, preprocessing metadata), before anything runs.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

pub fn run(file: &Path, json: bool) -> Result<(), String> {
    let label = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {label}: {e}"))?;
    let tflite = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("tflite"));
    let i = if tflite {
        // Converted as a run converts it, so the names listed are those a spec's layers take.
        let proto = idlab::runtime::tflite::to_onnx(&label, &bytes).map_err(crate::cli::core)?;
        idlab::runtime::inspect::inspect_proto(&label, &proto).map_err(crate::cli::core)?
    } else {
        idlab::runtime::inspect(&label, &bytes).map_err(crate::cli::core)?
    };
    let mut text = String::new();
    if json {
        text = serde_json::to_string_pretty(&i).expect("inspection serialises") + "\n";
    } else {
        table(&i, &mut text).expect("writing to a String");
    }
    // A closed pipe (`idlab inspect f.onnx | head`) is not an error.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(())
}

fn table(i: &idlab::runtime::Inspection, out: &mut String) -> std::fmt::Result {
    let size = match i.input_size {
        Some((h, w)) => format!("{h} x {w}"),
        None => match i.side("") {
            Ok(s) => format!("H x W, symbolic; idlab uses {s} x {s}"),
            Err(_) => "H x W, symbolic".into(),
        },
    };
    writeln!(out, "input: {} (N x 3 x {size})", i.input_name)?;
    match &i.preprocess {
        Some(p) => writeln!(out, "preprocessing (metadata): size {}, mean {:?}, std {:?}", p.size, p.mean, p.std)?,
        None => writeln!(out, "preprocessing: none in the metadata (idlab uses ImageNet mean/std)")?,
    }
    writeln!(out, "outputs: {}", i.outputs.join(", "))?;
    writeln!(out, "{} recordable layers (give names to --layers):", i.layers.len())?;
    let width = i.layers.iter().map(|c| c.tensor.len()).max().unwrap_or(0).max(5);
    writeln!(out, "  {:<width$}  {:<18} {:<16} {:>9}", "layer", "op", "shape", "units")?;
    for c in &i.layers {
        let shape = c.shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("x");
        writeln!(out, "  {:<width$}  {:<18} {:<16} {:>9}", c.tensor, c.op, shape, c.units)?;
    }
    Ok(())
}
