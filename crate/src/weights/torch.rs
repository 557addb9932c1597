//! PyTorch `.pth` / `.pt` files, both formats `torch.save` writes.
//!
//! No crate reads them for wasm32 without libtorch or Python (candle's
//! reader needs candle's tensors and reads only the zip format), so this is
//! the small reader, on top of [`super::pickle`]:
//! - zip (torch 1.6 and later): `<archive>/data.pkl`, one file
//!   `<archive>/data/<key>` of raw little-endian values per storage;
//! - legacy: five pickles one after another (magic number, protocol
//!   version, system info, the object, the storage keys), then each storage
//!   as a u64 element count and its raw bytes, in the order of the keys.
//!
//! The object must be a state dict (a dict of tensors), or a dict holding
//! one under `state_dict` or `model`. Tensors are strided views of
//! storages; several may share one. float32, float16 and bfloat16 are read
//! exactly; integer and bool tensors (`num_batches_tracked`) are read as f32
//! (exact up to 2^24), so a state dict lists every buffer; float64 is
//! refused by name.

use super::pickle::{self, Dtype, TensorRef, Unpickled, Value};
use super::{StateDict, Tensor};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// `torch.serialization.MAGIC_NUMBER`, the first pickle of a legacy file.
const MAGIC: i128 = 0x1950a86a20f9469cfc6c;
/// `torch.serialization.PROTOCOL_VERSION`, the second.
const PROTOCOL_VERSION: i128 = 1001;
/// The most values a view with overlapping strides may expand to (64 MB of f32).
const MAX_EXPANDED: usize = 1 << 24;

fn input(file: &str, msg: impl std::fmt::Display) -> Error {
    Error::Input(format!("{file}: {msg}"))
}

/// Reads a state dict saved in torch's zip format.
pub fn read_zip(file: &str, bytes: &[u8]) -> Result<StateDict> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| input(file, format_args!("not a readable zip archive ({e}); is the file complete?")))?;
    let names: Vec<String> = zip.file_names().map(String::from).collect();
    let pkl = names
        .iter()
        .filter(|n| *n == "data.pkl" || n.ends_with("/data.pkl"))
        .min_by_key(|n| n.len())
        .ok_or_else(|| {
            let torchscript = names.iter().any(|n| n.ends_with("constants.pkl") || n.contains("/code/"));
            if torchscript {
                input(file, "a TorchScript archive (torch.jit.save), not a state dict; save model.state_dict() with torch.save")
            } else {
                let some: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
                input(file, format_args!("a zip without data.pkl, so not a file torch.save wrote (its entries: {})", some.join(", ")))
            }
        })?
        .clone();
    let prefix = &pkl[..pkl.len() - "data.pkl".len()];
    if names.iter().any(|n| n.starts_with(prefix) && (n.ends_with("/constants.pkl") || n[prefix.len()..].starts_with("code/"))) {
        return Err(input(
            file,
            "a TorchScript archive (torch.jit.save), not a state dict; save model.state_dict() with torch.save",
        ));
    }
    if let Some(order) = entry(file, &mut zip, bytes, &format!("{prefix}byteorder"))? {
        if order.as_ref() != b"little" {
            return Err(input(
                file,
                format_args!("saved on a {} machine; idlab reads little-endian files", String::from_utf8_lossy(&order)),
            ));
        }
    }
    let pickled = entry(file, &mut zip, bytes, &pkl)?.ok_or_else(|| input(file, format_args!("cannot read {pkl}")))?;
    let doc = pickle::load(file, &pickled, 0)?;
    let named = state_dict_of(file, &doc)?;

    let mut storages: HashMap<String, Bytes<'_>> = HashMap::new();
    let mut out = StateDict::default();
    for (name, t) in named {
        let key = &t.storage.key;
        if !storages.contains_key(key) {
            let path = format!("{prefix}data/{key}");
            let data = entry(file, &mut zip, bytes, &path)?.ok_or_else(|| {
                input(file, format_args!("tensor {name}: its storage {key} is not in the archive (no {path})"))
            })?;
            storages.insert(key.clone(), data);
        }
        let data = &storages[key];
        out.tensors.insert(name.clone(), materialize(file, &name, &t, data)?);
    }
    Ok(out)
}

/// An entry's bytes: borrowed from the file when stored uncompressed (as
/// torch writes them, so a large storage is not copied), owned otherwise.
type Bytes<'a> = std::borrow::Cow<'a, [u8]>;

/// Reads one zip entry, or None if there is no such entry. The CRC is
/// checked in both cases, so a damaged file is an error, not wrong weights.
fn entry<'a>(
    file: &str,
    zip: &mut zip::ZipArchive<Cursor<&'a [u8]>>,
    bytes: &'a [u8],
    path: &str,
) -> Result<Option<Bytes<'a>>> {
    let Some(i) = zip.index_for_name(path) else { return Ok(None) };
    let bad = |e: &dyn std::fmt::Display| input(file, format_args!("cannot read {path} in the archive ({e})"));
    let mut f = zip.by_index(i).map_err(|e| bad(&e))?;
    if f.compression() == zip::CompressionMethod::Stored {
        let start = f.data_start() as usize;
        let len = f.size() as usize;
        std::io::copy(&mut f, &mut std::io::sink()).map_err(|e| bad(&e))?;
        let end = start.checked_add(len).filter(|&e| e <= bytes.len()).ok_or_else(|| bad(&"it runs past the file's end"))?;
        Ok(Some(Bytes::Borrowed(&bytes[start..end])))
    } else {
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).map_err(|e| bad(&e))?;
        Ok(Some(Bytes::Owned(buf)))
    }
}

/// Reads a state dict saved in torch's legacy format (before torch 1.6,
/// or with `_use_new_zipfile_serialization=False`).
pub fn read_legacy(file: &str, bytes: &[u8]) -> Result<StateDict> {
    let magic = pickle::load(file, bytes, 0)?;
    if magic.value != Value::Int(MAGIC) {
        return Err(input(
            file,
            format_args!(
                "a pickle, but not one torch.save wrote: it starts with {} where torch writes its magic number",
                magic.describe(&magic.value)
            ),
        ));
    }
    let version = pickle::load(file, bytes, magic.end)?;
    if version.value != Value::Int(PROTOCOL_VERSION) {
        return Err(input(
            file,
            format_args!("torch legacy protocol version {} (idlab reads {PROTOCOL_VERSION})", version.describe(&version.value)),
        ));
    }
    let info = pickle::load(file, bytes, version.end)?;
    if let Some(items) = info.dict(&info.value) {
        let big = items.iter().any(|(k, v)| matches!(k, Value::Str(s) if &**s == "little_endian") && *v == Value::Bool(false));
        if big {
            return Err(input(file, "saved on a big-endian machine; idlab reads little-endian files"));
        }
    }
    let doc = pickle::load(file, bytes, info.end)?;
    let named = state_dict_of(file, &doc)?;
    let keys_doc = pickle::load(file, bytes, doc.end)?;
    let keys: Vec<String> = keys_doc
        .seq(&keys_doc.value)
        .ok_or_else(|| input(file, "the list of storage keys after the state dict is missing"))?
        .iter()
        .map(|k| match k {
            Value::Str(s) => Ok(s.to_string()),
            Value::Int(i) => Ok(i.to_string()),
            other => Err(input(file, format_args!("a storage key that is {}", keys_doc.describe(other)))),
        })
        .collect::<Result<_>>()?;

    // The element type of each storage is that of the first persistent id
    // naming it, as in torch's loader.
    let mut declared: HashMap<&str, (Dtype, u64)> = HashMap::new();
    for s in doc.storages() {
        declared.entry(s.key.as_str()).or_insert((s.dtype, s.numel));
    }
    let mut raw: HashMap<&str, &[u8]> = HashMap::new();
    let mut pos = keys_doc.end;
    for key in &keys {
        let &(dtype, numel) = declared
            .get(key.as_str())
            .ok_or_else(|| input(file, format_args!("storage {key} is listed but no tensor refers to it")))?;
        let head = bytes.get(pos..pos + 8).ok_or_else(|| {
            input(file, format_args!("the file ends at byte {} before storage {key} (truncated?)", bytes.len()))
        })?;
        let n = u64::from_le_bytes(head.try_into().unwrap());
        if n != numel {
            return Err(input(file, format_args!("storage {key} holds {n} values, its persistent id says {numel}")));
        }
        let len = n
            .checked_mul(dtype.size() as u64)
            .and_then(|l| usize::try_from(l).ok())
            .and_then(|l| (pos + 8).checked_add(l).map(|e| (l, e)))
            .filter(|&(_, e)| e <= bytes.len());
        let Some((_, end)) = len else {
            return Err(input(
                file,
                format_args!(
                    "the file ends at byte {} inside storage {key} ({n} values of {} from byte {}); is it truncated?",
                    bytes.len(),
                    dtype.name(),
                    pos + 8
                ),
            ));
        };
        raw.insert(key.as_str(), &bytes[pos + 8..end]);
        pos = end;
    }

    let mut out = StateDict::default();
    for (name, t) in named {
        let data = raw.get(t.storage.key.as_str()).ok_or_else(|| {
            input(file, format_args!("tensor {name}: its storage {} is not in the file", t.storage.key))
        })?;
        out.tensors.insert(name.clone(), materialize(file, &name, &t, data)?);
    }
    Ok(out)
}

/// The state dict in an unpickled object: (name, tensor) pairs in file order.
fn state_dict_of(file: &str, doc: &Unpickled) -> Result<Vec<(String, TensorRef)>> {
    const WHAT: &str = "a state dict (a dict of tensors), or a dict holding one under 'state_dict' or 'model'";
    let Some(items) = doc.dict(&doc.value) else {
        return Err(input(file, format_args!("the file holds {}, not {WHAT}", doc.describe(&doc.value))));
    };
    let all_tensors = |items: &[(Value, Value)]| items.iter().all(|(_, v)| doc.tensor(v).is_some());
    let chosen = if all_tensors(items) {
        items
    } else {
        let mut found = None;
        for key in ["state_dict", "model"] {
            let Some((_, v)) = items.iter().find(|(k, _)| matches!(k, Value::Str(s) if &**s == key)) else { continue };
            match doc.dict(v) {
                Some(inner) => {
                    if let Some((k, v)) = inner.iter().find(|(_, v)| doc.tensor(v).is_none()) {
                        return Err(input(
                            file,
                            format_args!(
                                "'{key}' holds a dict whose {} is {}, not a tensor",
                                doc.key_name(k),
                                doc.describe(v)
                            ),
                        ));
                    }
                    found = Some(inner);
                    break;
                }
                None => {
                    return Err(input(file, format_args!("'{key}' holds {}, not a dict of tensors", doc.describe(v))))
                }
            }
        }
        match found {
            Some(inner) => inner,
            None => {
                let (k, v) = items.iter().find(|(_, v)| doc.tensor(v).is_none()).unwrap();
                return Err(input(
                    file,
                    format_args!(
                        "the file holds {}, whose {} is {}; expected {WHAT}",
                        doc.describe(&doc.value),
                        doc.key_name(k),
                        doc.describe(v)
                    ),
                ));
            }
        }
    };
    chosen
        .iter()
        .map(|(k, v)| match k {
            Value::Str(s) => Ok((s.to_string(), doc.tensor(v).unwrap().clone())),
            other => Err(input(file, format_args!("a state dict key that is {}, not a name", doc.describe(other)))),
        })
        .collect()
}

/// Copies a strided view of a storage's raw little-endian bytes into a
/// row-major f32 tensor, after checking that the view fits the storage.
pub(crate) fn materialize(file: &str, name: &str, t: &TensorRef, storage: &[u8]) -> Result<Tensor> {
    let dtype = t.storage.dtype;
    let key = &t.storage.key;
    if !dtype.readable() {
        return Err(input(
            file,
            format_args!(
                "tensor {name} is {}; idlab reads float32, float16 and bfloat16 weights (save it with .float())",
                dtype.name()
            ),
        ));
    }
    let size = dtype.size();
    // A legacy storage view is a window of its root storage.
    let (storage, held) = match &t.storage.view {
        None => (storage, storage.len() / size),
        Some((vkey, off, n)) => {
            let window = off
                .checked_add(*n)
                .and_then(|e| usize::try_from(e).ok())
                .filter(|&e| e <= storage.len() / size)
                .map(|e| &storage[*off as usize * size..e * size]);
            match window {
                Some(w) => (w, *n as usize),
                None => {
                    return Err(input(
                        file,
                        format_args!(
                            "tensor {name}: storage view {vkey} ({n} values from {off}) runs past storage {key} ({} values)",
                            storage.len() / size
                        ),
                    ))
                }
            }
        }
    };
    let declared = if t.storage.view.is_some() { held as u64 } else { t.storage.numel };
    if (held as u64) < declared {
        return Err(input(
            file,
            format_args!(
                "tensor {name}: storage {key} holds {} bytes, {declared} values of {} need {}",
                storage.len(),
                dtype.name(),
                declared.saturating_mul(size as u64)
            ),
        ));
    }
    let too_big = || input(file, format_args!("tensor {name}: shape {:?} is too large", t.shape));
    let shape: Vec<usize> = t.shape.iter().map(|&d| usize::try_from(d).map_err(|_| too_big())).collect::<Result<_>>()?;
    let numel = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or_else(too_big)?;
    if numel == 0 {
        return Ok(Tensor { shape, data: Vec::new() });
    }
    // The last element the view touches, +1: what the storage must hold.
    let need = t
        .shape
        .iter()
        .zip(&t.stride)
        .try_fold(t.offset, |a, (&d, &s)| (d - 1).checked_mul(s).and_then(|x| a.checked_add(x)))
        .and_then(|x| x.checked_add(1));
    match need {
        Some(need) if need <= held as u64 => {}
        need => {
            let need = need.map_or_else(|| "more than 2^64".to_string(), |n| n.to_string());
            return Err(input(
                file,
                format_args!(
                    "tensor {name}: storage {key} holds {held} values, the view needs {need} \
                     (offset {}, shape {:?}, stride {:?})",
                    t.offset, t.shape, t.stride
                ),
            ));
        }
    }
    // Overlapping strides (an `expand`) may view more values than the storage
    // holds; bounded, so that a hostile shape cannot ask for terabytes.
    if numel > held && numel > MAX_EXPANDED {
        return Err(input(
            file,
            format_args!(
                "tensor {name}: shape {:?} views {numel} values of storage {key}, which holds {held} \
                 (overlapping strides {:?}); idlab expands such views to at most {MAX_EXPANDED} values",
                t.shape, t.stride
            ),
        ));
    }
    let offset = t.offset as usize;
    let stride: Vec<usize> = t.stride.iter().map(|&s| s as usize).collect();
    let mut data = Vec::with_capacity(numel);
    let contiguous = {
        let mut expect = 1usize;
        let mut ok = true;
        for (&d, &s) in shape.iter().zip(&stride).rev() {
            ok &= d == 1 || s == expect;
            expect *= d;
        }
        ok
    };
    if contiguous {
        dtype.extend(&storage[offset * size..(offset + numel) * size], &mut data);
    } else {
        // An odometer over the indices, last dimension fastest: no recursion.
        let nd = shape.len();
        let mut idx = vec![0usize; nd];
        let mut at = offset;
        for _ in 0..numel {
            data.push(dtype.get(storage, at));
            for k in (0..nd).rev() {
                // Wrapping: a dimension of size 1 may have any stride.
                idx[k] += 1;
                at = at.wrapping_add(stride[k]);
                if idx[k] < shape[k] {
                    break;
                }
                at = at.wrapping_sub(stride[k].wrapping_mul(shape[k]));
                idx[k] = 0;
            }
        }
    }
    Ok(Tensor { shape, data })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::pickle::Storage;

    fn view(offset: u64, shape: &[u64], stride: &[u64], numel: u64) -> TensorRef {
        TensorRef {
            storage: Storage { dtype: Dtype::F32, key: "3".into(), numel, view: None },
            offset,
            shape: shape.to_vec(),
            stride: stride.to_vec(),
        }
    }

    fn f32s(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn strided_views() {
        let s = f32s(&(0..12).map(|i| i as f32).collect::<Vec<_>>());
        // Transposed 3x4 -> 4x3.
        let t = materialize("w.pth", "t", &view(0, &[4, 3], &[1, 4], 12), &s).unwrap();
        assert_eq!(t.data, vec![0., 4., 8., 1., 5., 9., 2., 6., 10., 3., 7., 11.]);
        // Offset, step 2, stride 0 (expand), 0-d.
        let t = materialize("w.pth", "t", &view(1, &[2, 3], &[0, 2], 12), &s).unwrap();
        assert_eq!(t.data, vec![1., 3., 5., 1., 3., 5.]);
        let t = materialize("w.pth", "t", &view(11, &[], &[], 12), &s).unwrap();
        assert_eq!((t.shape, t.data), (vec![], vec![11.]));
    }

    #[test]
    fn a_view_past_its_storage_is_named() {
        let s = f32s(&[0.0; 100]);
        let e = materialize("weights.pth", "layer1.0.conv1.weight", &view(0, &[3, 7, 7], &[49, 7, 1], 100), &s)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("weights.pth: tensor layer1.0.conv1.weight: storage 3 holds 100 values, the view needs 147"), "{e}");
        let e = materialize("w.pth", "x", &view(0, &[2], &[u64::MAX], 100), &s).unwrap_err().to_string();
        assert!(e.contains("more than 2^64"), "{e}");
        let e = materialize("w.pth", "x", &view(0, &[2], &[1], 200), &s).unwrap_err().to_string();
        assert!(e.contains("holds 400 bytes"), "{e}");
        let e = materialize("w.pth", "x", &view(0, &[1 << 40], &[0], 100), &s).unwrap_err().to_string();
        assert!(e.contains("overlapping strides"), "{e}");
    }
}
