//! A restricted unpickler for PyTorch state dicts.
//!
//! `torch.save` writes Python pickles, and a pickle is a small program: its
//! `GLOBAL` and `REDUCE` opcodes import and call any Python function. This
//! reader runs none. It knows the handful of globals a state dict is made
//! of (`collections.OrderedDict`, torch's tensor-rebuilding functions and
//! storage classes) and interprets them itself; any other global is refused
//! by name before anything else happens.
//!
//! Hostile input is bounded without recursion: containers live in a flat
//! arena and refer to each other by index (so nested or self-referencing
//! pickles cost no stack, and `BINGET` copies an index, not a tree), the
//! value and mark stacks have fixed limits, and every read is bounds-checked.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::rc::Rc;

/// The most values the pickle stack may hold (a state dict needs a few dozen).
const MAX_STACK: usize = 1 << 20;
/// The most nested MARKs (a state dict needs three or four).
const MAX_MARKS: usize = 1 << 12;

/// Element types of torch storages. Integer and bool ones are decoded to f32
/// too (they are buffers such as `num_batches_tracked` that a model does not
/// compute with); float64 is recognised so that it can be refused by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    F32,
    F16,
    BF16,
    F64,
    I64,
    I32,
    I16,
    I8,
    U8,
    Bool,
}

impl Dtype {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::F64 | Dtype::I64 => 8,
            Dtype::F32 | Dtype::I32 => 4,
            Dtype::F16 | Dtype::BF16 | Dtype::I16 => 2,
            Dtype::I8 | Dtype::U8 | Dtype::Bool => 1,
        }
    }

    /// The name torch gives it, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "float32",
            Dtype::F16 => "float16",
            Dtype::BF16 => "bfloat16",
            Dtype::F64 => "float64",
            Dtype::I64 => "int64",
            Dtype::I32 => "int32",
            Dtype::I16 => "int16",
            Dtype::I8 => "int8",
            Dtype::U8 => "uint8",
            Dtype::Bool => "bool",
        }
    }

    /// Whether a tensor of this type is read. float64 is not: idlab computes
    /// in f32 and converts nothing lossily without being asked.
    pub fn readable(self) -> bool {
        self != Dtype::F64
    }

    /// Appends all of little-endian `bytes` (a whole number of elements) as
    /// f32: the contiguous case, with the type matched once, not per value.
    pub fn extend(self, bytes: &[u8], out: &mut Vec<f32>) {
        macro_rules! each {
            ($n:literal, $f:expr) => {
                out.extend(bytes.chunks_exact($n).map(|c| {
                    let c: [u8; $n] = c.try_into().unwrap();
                    $f(c)
                }))
            };
        }
        match self {
            Dtype::F32 => each!(4, f32::from_le_bytes),
            Dtype::F16 => each!(2, |c| half::f16::from_bits(u16::from_le_bytes(c)).to_f32()),
            Dtype::BF16 => each!(2, |c| half::bf16::from_bits(u16::from_le_bytes(c)).to_f32()),
            _ => out.extend((0..bytes.len() / self.size()).map(|i| self.get(bytes, i))),
        }
    }

    /// Element `i` of little-endian `bytes` as f32 (the caller checked the
    /// bounds). Floats of 16 and 32 bits convert exactly; integers are exact
    /// up to 2^24, which covers the counters they hold in state dicts.
    #[inline]
    pub fn get(self, bytes: &[u8], i: usize) -> f32 {
        let s = self.size();
        let b = &bytes[i * s..i * s + s];
        match self {
            Dtype::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            Dtype::F16 => half::f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32(),
            Dtype::BF16 => half::bf16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32(),
            Dtype::F64 => f64::from_le_bytes(b.try_into().unwrap()) as f32,
            Dtype::I64 => i64::from_le_bytes(b.try_into().unwrap()) as f32,
            Dtype::I32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32,
            Dtype::I16 => i16::from_le_bytes([b[0], b[1]]) as f32,
            Dtype::I8 => b[0] as i8 as f32,
            Dtype::U8 => b[0] as f32,
            Dtype::Bool => (b[0] != 0) as u8 as f32,
        }
    }
}

/// A storage named by a persistent id: `('storage', torch.FloatStorage, key,
/// location, numel)` in the zip format, with a sixth item in the legacy one
/// (`None`, or `(view_key, offset, size)` for old torch's storage views).
#[derive(Clone, Debug, PartialEq)]
pub struct Storage {
    pub dtype: Dtype,
    pub key: String,
    /// Elements of `dtype` the root storage holds.
    pub numel: u64,
    /// For a legacy storage view: its own key, and its offset and size in
    /// elements of the root storage.
    pub view: Option<(String, u64, u64)>,
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorRef {
    pub storage: Storage,
    /// In elements, from the start of the storage (or of its view).
    pub offset: u64,
    pub shape: Vec<u64>,
    pub stride: Vec<u64>,
}

/// The globals a state dict pickle may name; everything else is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Global {
    OrderedDict,
    RebuildTensor,
    RebuildTensorV2,
    RebuildParameter,
    RebuildParameterWithState,
    RebuildFromTypeV2,
    /// `torch.Tensor` or `torch.nn.parameter.Parameter`, as the type argument
    /// of `_rebuild_from_type_v2` (or called on a tensor: gives the tensor).
    TensorClass,
    StorageClass(Dtype),
}

/// A pickle value. Containers, storages and tensors live in the arena of
/// the [`Unpickled`] they came from; `Ref` is their index there.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i128),
    /// An integer too long for i128 (kept only to be described).
    HugeInt,
    Float(f64),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    Global(Global),
    Ref(usize),
}

/// An arena object.
#[derive(Debug)]
pub enum Obj {
    List(Vec<Value>),
    Tuple(Vec<Value>),
    Dict(Dict),
    Storage(Storage),
    Tensor(TensorRef),
}

/// A dict in insertion order; a key set twice keeps its first place and
/// its last value, as in Python.
#[derive(Debug, Default)]
pub struct Dict {
    pub items: Vec<(Value, Value)>,
    index: HashMap<DictKey, usize>,
}

#[derive(Debug, PartialEq, Eq, Hash)]
enum DictKey {
    Str(Rc<str>),
    Int(i128),
}

impl Dict {
    fn set(&mut self, key: Value, value: Value) {
        let k = match &key {
            Value::Str(s) => Some(DictKey::Str(s.clone())),
            Value::Int(i) => Some(DictKey::Int(*i)),
            _ => None,
        };
        if let Some(k) = k {
            if let Some(&i) = self.index.get(&k) {
                self.items[i].1 = value;
                return;
            }
            self.index.insert(k, self.items.len());
        }
        self.items.push((key, value));
    }
}

/// One unpickled object: its arena, its top value, and the byte just past
/// its STOP (legacy files hold several pickles one after another).
#[derive(Debug)]
pub struct Unpickled {
    pub objs: Vec<Obj>,
    pub value: Value,
    pub end: usize,
}

impl Unpickled {
    /// The object behind a value, if it is a container, storage or tensor.
    pub fn obj(&self, v: &Value) -> Option<&Obj> {
        match v {
            Value::Ref(i) => self.objs.get(*i),
            _ => None,
        }
    }

    /// A dict's items, if `v` is one.
    pub fn dict(&self, v: &Value) -> Option<&[(Value, Value)]> {
        match self.obj(v) {
            Some(Obj::Dict(d)) => Some(&d.items),
            _ => None,
        }
    }

    /// The items of a list or tuple.
    pub fn seq(&self, v: &Value) -> Option<&[Value]> {
        match self.obj(v) {
            Some(Obj::List(l)) | Some(Obj::Tuple(l)) => Some(l),
            _ => None,
        }
    }

    pub fn tensor(&self, v: &Value) -> Option<&TensorRef> {
        match self.obj(v) {
            Some(Obj::Tensor(t)) => Some(t),
            _ => None,
        }
    }

    /// Every storage the pickle named, in the order it named them.
    pub fn storages(&self) -> impl Iterator<Item = &Storage> {
        self.objs.iter().filter_map(|o| match o {
            Obj::Storage(s) => Some(s),
            Obj::Tensor(t) => Some(&t.storage),
            _ => None,
        })
    }

    /// What a value is, in words, for messages (never recursive).
    pub fn describe(&self, v: &Value) -> String {
        match v {
            Value::None => "None".into(),
            Value::Bool(b) => format!("the bool {}", if *b { "True" } else { "False" }),
            Value::Int(i) => format!("the int {i}"),
            Value::HugeInt => "a very long int".into(),
            Value::Float(f) => format!("the float {f}"),
            Value::Str(s) => format!("the str '{}'", clip(s)),
            Value::Bytes(b) => format!("bytes ({} of them)", b.len()),
            Value::Global(g) => format!("the class or function {g:?}"),
            Value::Ref(_) => match self.obj(v) {
                Some(Obj::List(l)) => format!("a list of {} item{}", l.len(), plural(l.len())),
                Some(Obj::Tuple(l)) => format!("a tuple of {} item{}", l.len(), plural(l.len())),
                Some(Obj::Dict(d)) => {
                    let keys: Vec<String> = d.items.iter().take(8).map(|(k, _)| self.key_name(k)).collect();
                    let more = if d.items.len() > 8 { ", ..." } else { "" };
                    format!("a dict with keys {}{more}", keys.join(", "))
                }
                Some(Obj::Storage(s)) => format!("a bare {} storage", s.dtype.name()),
                Some(Obj::Tensor(t)) => format!("a tensor of shape {:?}", t.shape),
                None => "nothing".into(),
            },
        }
    }

    /// A dict key as it would be written in Python, for messages.
    pub fn key_name(&self, k: &Value) -> String {
        match k {
            Value::Str(s) => format!("'{}'", clip(s)),
            Value::Int(i) => i.to_string(),
            // A key that is itself a container is named, not described: a dict may hold
            // itself as a key through the pickle's memo, and describing it would recurse
            // without end (a stack overflow the fuzzer found).
            Value::Ref(_) => match self.obj(k) {
                Some(Obj::List(_)) => "a list".into(),
                Some(Obj::Tuple(_)) => "a tuple".into(),
                Some(Obj::Dict(_)) => "a dict".into(),
                _ => self.describe(k),
            },
            other => self.describe(other),
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Maps an imported name to the global it stands for, or refuses it,
/// naming it and saying why.
fn global(file: &str, module: &str, name: &str) -> Result<Global> {
    let storage = |n: &str| -> Option<Dtype> {
        Some(match n {
            "FloatStorage" => Dtype::F32,
            "HalfStorage" => Dtype::F16,
            "BFloat16Storage" => Dtype::BF16,
            "DoubleStorage" => Dtype::F64,
            "LongStorage" => Dtype::I64,
            "IntStorage" => Dtype::I32,
            "ShortStorage" => Dtype::I16,
            "CharStorage" => Dtype::I8,
            "ByteStorage" => Dtype::U8,
            "BoolStorage" => Dtype::Bool,
            _ => return None,
        })
    };
    let g = match (module, name) {
        ("collections", "OrderedDict") => Some(Global::OrderedDict),
        ("torch._utils", "_rebuild_tensor") => Some(Global::RebuildTensor),
        ("torch._utils", "_rebuild_tensor_v2") => Some(Global::RebuildTensorV2),
        ("torch._utils", "_rebuild_parameter") => Some(Global::RebuildParameter),
        ("torch._utils", "_rebuild_parameter_with_state") => Some(Global::RebuildParameterWithState),
        ("torch._utils", "_rebuild_from_type_v2") => Some(Global::RebuildFromTypeV2),
        ("torch", "Tensor") | ("torch.nn.parameter", "Parameter") => Some(Global::TensorClass),
        // GPU-saved legacy files may name the CUDA classes; the location is ignored.
        ("torch", n) | ("torch.cuda", n) => storage(n).map(Global::StorageClass),
        _ => None,
    };
    g.ok_or_else(|| {
        let what = format!("{module}.{name}");
        let whole_model = ["torch.nn.modules.", "torchvision.", "timm.", "__main__", "__torch__"]
            .iter()
            .any(|p| module.starts_with(p) || module == p.trim_end_matches('.'));
        let why = if whole_model {
            "a class of a whole pickled model, not of a state dict (save model.state_dict() instead); \
             idlab reads only tensors"
                .to_string()
        } else if module == "torch" || module.starts_with("torch.") {
            "which idlab does not read (it reads state dicts of float32, float16 and bfloat16 tensors)".to_string()
        } else {
            "which a state dict never needs; idlab reads only tensors".to_string()
        };
        Error::Input(format!("{file}: the pickle asks for {what}, {why} (refused, nothing executed)"))
    })
}

/// The opcode names a message may quote.
fn opcode_name(op: u8) -> &'static str {
    match op {
        b'I' => "INT",
        b'L' => "LONG",
        b'F' => "FLOAT",
        b'S' => "STRING",
        b'V' => "UNICODE",
        b'P' => "PERSID",
        b'g' => "GET",
        b'p' => "PUT",
        b'i' => "INST",
        b'o' => "OBJ",
        0x82..=0x84 => "EXT",
        0x92 => "NEWOBJ_EX",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => "unknown",
    }
}

/// Reads one pickle starting at `start` of `bytes`. `file` names the file
/// in errors.
pub fn load(file: &str, bytes: &[u8], start: usize) -> Result<Unpickled> {
    Machine { file, bytes, pos: start, stack: Vec::new(), marks: Vec::new(), memo: HashMap::new(), objs: Vec::new() }
        .run()
}

struct Machine<'a> {
    file: &'a str,
    bytes: &'a [u8],
    pos: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u32, Value>,
    objs: Vec<Obj>,
}

impl Machine<'_> {
    fn bad(&self, at: usize, what: impl std::fmt::Display) -> Error {
        Error::Input(format!("{}: the pickle at byte {at} is malformed: {what}", self.file))
    }

    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or_else(|| {
            Error::Input(format!(
                "{}: the file ends at byte {} inside a pickle ({} more bytes expected at byte {}); is it truncated?",
                self.file,
                self.bytes.len(),
                n,
                self.pos
            ))
        })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap()))
    }
    fn len64(&mut self) -> Result<usize> {
        let n = self.u64()?;
        usize::try_from(n).map_err(|_| self.bad(self.pos - 8, format!("length {n} too large")))
    }

    /// A newline-terminated line (GLOBAL's module and name).
    fn line(&mut self) -> Result<String> {
        let rest = &self.bytes[self.pos..];
        let n = rest.iter().take(1024).position(|&b| b == b'\n').ok_or_else(|| {
            if rest.len() < 1024 {
                Error::Input(format!(
                    "{}: the file ends at byte {} inside a pickle (in a GLOBAL name); is it truncated?",
                    self.file,
                    self.bytes.len()
                ))
            } else {
                self.bad(self.pos, "a GLOBAL name without its end of line")
            }
        })?;
        let s = String::from_utf8_lossy(&rest[..n]).into_owned();
        self.pos += n + 1;
        Ok(s)
    }

    fn utf8(&mut self, n: usize) -> Result<Value> {
        let at = self.pos;
        let b = self.take(n)?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(Value::Str(Rc::from(s))),
            Err(e) => Err(self.bad(at, format!("a string that is not UTF-8 ({e})"))),
        }
    }

    /// Python 2 `str` (BINSTRING): bytes, read as Latin-1 as torch's loader does.
    fn latin1(&mut self, n: usize) -> Result<Value> {
        let s: String = self.take(n)?.iter().map(|&b| b as char).collect();
        Ok(Value::Str(Rc::from(s)))
    }

    fn bytes_value(&mut self, n: usize) -> Result<Value> {
        Ok(Value::Bytes(Rc::from(self.take(n)?)))
    }

    fn push(&mut self, v: Value) -> Result<()> {
        if self.stack.len() >= MAX_STACK {
            return Err(Error::Input(format!(
                "{}: the pickle holds more than {MAX_STACK} values at once (byte {}); no state dict does",
                self.file, self.pos
            )));
        }
        self.stack.push(v);
        Ok(())
    }

    fn new_obj(&mut self, o: Obj) -> Result<()> {
        self.objs.push(o);
        self.push(Value::Ref(self.objs.len() - 1))
    }

    fn pop(&mut self, at: usize) -> Result<Value> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(self.bad(at, "an opcode takes a value from an empty stack"));
        }
        Ok(self.stack.pop().unwrap())
    }

    fn top(&self, at: usize) -> Result<&Value> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(self.bad(at, "an opcode needs a value on an empty stack"));
        }
        Ok(self.stack.last().unwrap())
    }

    /// The values pushed since the last MARK, and the mark dropped.
    fn pop_mark(&mut self, at: usize) -> Result<Vec<Value>> {
        let m = self.marks.pop().ok_or_else(|| self.bad(at, "an opcode needs a MARK that is not there"))?;
        Ok(self.stack.split_off(m))
    }

    fn memo_get(&self, at: usize, i: u32) -> Result<Value> {
        self.memo.get(&i).cloned().ok_or_else(|| self.bad(at, format!("memo entry {i} is read before it is written")))
    }

    fn memo_put(&mut self, at: usize, i: u32) -> Result<()> {
        let v = self.top(at)?.clone();
        self.memo.insert(i, v);
        Ok(())
    }

    fn str_of(&self, at: usize, v: &Value, what: &str) -> Result<Rc<str>> {
        match v {
            Value::Str(s) => Ok(s.clone()),
            _ => Err(self.bad(at, format!("{what} is not a string"))),
        }
    }

    fn int_of(&self, at: usize, v: &Value, what: &str) -> Result<u64> {
        match v {
            Value::Int(i) if *i >= 0 && *i <= u64::MAX as i128 => Ok(*i as u64),
            _ => Err(self.bad(at, format!("{what} is not a non-negative integer"))),
        }
    }

    fn tuple_items(&self, at: usize, v: &Value, what: &str) -> Result<Vec<Value>> {
        match v {
            Value::Ref(i) => match self.objs.get(*i) {
                Some(Obj::Tuple(t)) | Some(Obj::List(t)) => Ok(t.clone()),
                _ => Err(self.bad(at, format!("{what} is not a tuple"))),
            },
            _ => Err(self.bad(at, format!("{what} is not a tuple"))),
        }
    }

    fn ints(&self, at: usize, v: &Value, what: &str) -> Result<Vec<u64>> {
        self.tuple_items(at, v, what)?.iter().map(|x| self.int_of(at, x, what)).collect()
    }

    fn storage_of(&self, at: usize, v: &Value) -> Result<Storage> {
        match v {
            Value::Ref(i) => match self.objs.get(*i) {
                Some(Obj::Storage(s)) => Ok(s.clone()),
                _ => Err(self.bad(at, "a tensor's storage is not a storage")),
            },
            _ => Err(self.bad(at, "a tensor's storage is not a storage")),
        }
    }

    /// A persistent id (BINPERSID): torch's reference to a storage.
    fn persistent(&mut self, at: usize, pid: Value) -> Result<()> {
        let items = self.tuple_items(at, &pid, "a persistent id")?;
        if items.len() < 5 || items.len() > 6 {
            return Err(self.bad(at, format!("a persistent id of {} items (torch writes 5 or 6)", items.len())));
        }
        match &items[0] {
            Value::Str(s) if &**s == "storage" => {}
            other => {
                return Err(self.bad(at, format!("a persistent id of kind {other:?}; only 'storage' ids are read")))
            }
        }
        let dtype = match items[1] {
            Value::Global(Global::StorageClass(d)) => d,
            _ => return Err(self.bad(at, "a persistent id without a storage class")),
        };
        let key = match &items[2] {
            Value::Str(s) => s.to_string(),
            Value::Int(i) => i.to_string(),
            _ => return Err(self.bad(at, "a storage key that is neither a string nor an int")),
        };
        let numel = self.int_of(at, &items[4], "a storage's size")?;
        let view = match items.get(5) {
            None | Some(Value::None) => None,
            Some(v) => {
                let t = self.tuple_items(at, v, "a storage view")?;
                if t.len() != 3 {
                    return Err(self.bad(at, "a storage view that is not (key, offset, size)"));
                }
                let vkey = match &t[0] {
                    Value::Str(s) => s.to_string(),
                    Value::Int(i) => i.to_string(),
                    _ => return Err(self.bad(at, "a storage view key that is not a string")),
                };
                Some((vkey, self.int_of(at, &t[1], "a view offset")?, self.int_of(at, &t[2], "a view size")?))
            }
        };
        self.new_obj(Obj::Storage(Storage { dtype, key, numel, view }))
    }

    /// REDUCE (and NEWOBJ): a call of an allowed global, done here by hand.
    fn call(&mut self, at: usize, f: Value, args: Value) -> Result<()> {
        let g = match f {
            Value::Global(g) => g,
            other => return Err(self.bad(at, format!("a call of {other:?}, which is not a function"))),
        };
        let args = self.tuple_items(at, &args, "a call's arguments")?;
        let arity = |lo: usize, hi: usize| -> Result<()> {
            if args.len() < lo || args.len() > hi {
                Err(self.bad(at, format!("{g:?} called with {} arguments", args.len())))
            } else {
                Ok(())
            }
        };
        match g {
            Global::OrderedDict => {
                arity(0, 1)?;
                let mut d = Dict::default();
                if let Some(pairs) = args.first() {
                    for p in self.tuple_items(at, pairs, "OrderedDict's items")? {
                        let kv = self.tuple_items(at, &p, "an OrderedDict item")?;
                        if kv.len() != 2 {
                            return Err(self.bad(at, "an OrderedDict item that is not a pair"));
                        }
                        d.set(kv[0].clone(), kv[1].clone());
                    }
                }
                self.new_obj(Obj::Dict(d))
            }
            Global::RebuildTensor | Global::RebuildTensorV2 => {
                if g == Global::RebuildTensor {
                    arity(4, 4)?
                } else {
                    arity(6, 7)?
                }
                let storage = self.storage_of(at, &args[0])?;
                let offset = self.int_of(at, &args[1], "a tensor's storage offset")?;
                let shape = self.ints(at, &args[2], "a tensor's size")?;
                let stride = self.ints(at, &args[3], "a tensor's stride")?;
                if shape.len() != stride.len() {
                    return Err(self.bad(at, format!("a tensor of size {shape:?} with stride {stride:?}")));
                }
                self.new_obj(Obj::Tensor(TensorRef { storage, offset, shape, stride }))
            }
            Global::RebuildParameter | Global::RebuildParameterWithState | Global::TensorClass => {
                if g == Global::RebuildParameter {
                    arity(3, 3)?
                } else if g == Global::RebuildParameterWithState {
                    arity(4, 4)?
                } else {
                    arity(1, 2)?
                }
                match self.objs.get(match args[0] {
                    Value::Ref(i) => i,
                    _ => usize::MAX,
                }) {
                    Some(Obj::Tensor(_)) => self.push(args[0].clone()),
                    _ => Err(self.bad(at, format!("{g:?} of something that is not a tensor"))),
                }
            }
            Global::RebuildFromTypeV2 => {
                // (func, new_type, args, state): the tensor func builds; the
                // type is Tensor or Parameter (checked when it was imported).
                arity(4, 4)?;
                if args[1] != Value::Global(Global::TensorClass) {
                    return Err(self.bad(at, "_rebuild_from_type_v2 of a type that is not a tensor"));
                }
                match args[0] {
                    Value::Global(Global::RebuildFromTypeV2) => {
                        Err(self.bad(at, "_rebuild_from_type_v2 nested in itself"))
                    }
                    _ => self.call(at, args[0].clone(), args[2].clone()),
                }
            }
            Global::StorageClass(_) => Err(self.bad(at, "a storage class is called; torch.save never does")),
        }
    }

    fn run(mut self) -> Result<Unpickled> {
        loop {
            let at = self.pos;
            let op = self.u8()?;
            match op {
                0x80 => {
                    let p = self.u8()?;
                    if p > 5 {
                        return Err(self.bad(at, format!("pickle protocol {p} (idlab reads 2 to 5)")));
                    }
                }
                0x95 => {
                    self.u64()?; // FRAME: a length hint only
                }
                b'.' => {
                    let value = self.pop(at)?;
                    return Ok(Unpickled { objs: self.objs, value, end: self.pos });
                }
                b'(' => {
                    if self.marks.len() >= MAX_MARKS {
                        return Err(self.bad(at, format!("more than {MAX_MARKS} nested MARKs")));
                    }
                    self.marks.push(self.stack.len());
                }
                b'0' => {
                    self.pop(at)?;
                }
                b'1' => {
                    self.pop_mark(at)?;
                }
                b'2' => {
                    let v = self.top(at)?.clone();
                    self.push(v)?;
                }
                b'N' => self.push(Value::None)?,
                0x88 => self.push(Value::Bool(true))?,
                0x89 => self.push(Value::Bool(false))?,
                b'J' => {
                    let v = self.u32()? as i32;
                    self.push(Value::Int(v as i128))?
                }
                b'K' => {
                    let v = self.u8()?;
                    self.push(Value::Int(v as i128))?
                }
                b'M' => {
                    let v = self.u16()?;
                    self.push(Value::Int(v as i128))?
                }
                0x8a | 0x8b => {
                    let n = if op == 0x8a { self.u8()? as usize } else { self.u32()? as usize };
                    let b = self.take(n)?;
                    let v = if n == 0 {
                        Value::Int(0)
                    } else if n <= 16 {
                        let fill = if b[n - 1] & 0x80 != 0 { 0xff } else { 0 };
                        let mut buf = [fill; 16];
                        buf[..n].copy_from_slice(b);
                        Value::Int(i128::from_le_bytes(buf))
                    } else {
                        Value::HugeInt
                    };
                    self.push(v)?
                }
                b'G' => {
                    let b = self.take(8)?;
                    let v = f64::from_be_bytes(b.try_into().unwrap());
                    self.push(Value::Float(v))?
                }
                b'X' => {
                    let n = self.u32()? as usize;
                    let v = self.utf8(n)?;
                    self.push(v)?
                }
                0x8c => {
                    let n = self.u8()? as usize;
                    let v = self.utf8(n)?;
                    self.push(v)?
                }
                0x8d => {
                    let n = self.len64()?;
                    let v = self.utf8(n)?;
                    self.push(v)?
                }
                b'T' => {
                    let n = self.u32()? as usize;
                    let v = self.latin1(n)?;
                    self.push(v)?
                }
                b'U' => {
                    let n = self.u8()? as usize;
                    let v = self.latin1(n)?;
                    self.push(v)?
                }
                b'B' => {
                    let n = self.u32()? as usize;
                    let v = self.bytes_value(n)?;
                    self.push(v)?
                }
                b'C' => {
                    let n = self.u8()? as usize;
                    let v = self.bytes_value(n)?;
                    self.push(v)?
                }
                0x8e | 0x96 => {
                    let n = self.len64()?;
                    let v = self.bytes_value(n)?;
                    self.push(v)?
                }
                b'}' => self.new_obj(Obj::Dict(Dict::default()))?,
                b']' | 0x8f => self.new_obj(Obj::List(Vec::new()))?,
                b')' => self.new_obj(Obj::Tuple(Vec::new()))?,
                b'd' => {
                    let items = self.pop_mark(at)?;
                    if items.len() % 2 != 0 {
                        return Err(self.bad(at, "DICT of an odd number of values"));
                    }
                    let mut d = Dict::default();
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        d.set(k, v);
                    }
                    self.new_obj(Obj::Dict(d))?
                }
                b'l' | 0x91 => {
                    let items = self.pop_mark(at)?;
                    self.new_obj(Obj::List(items))?
                }
                b't' => {
                    let items = self.pop_mark(at)?;
                    self.new_obj(Obj::Tuple(items))?
                }
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop(at)?);
                    }
                    items.reverse();
                    self.new_obj(Obj::Tuple(items))?
                }
                b'a' | b'e' | 0x90 => {
                    let items = if op == b'a' { vec![self.pop(at)?] } else { self.pop_mark(at)? };
                    let target = self.top(at)?.clone();
                    match target {
                        Value::Ref(i) => match self.objs.get_mut(i) {
                            Some(Obj::List(l)) => l.extend(items),
                            _ => return Err(self.bad(at, "APPEND to something that is not a list")),
                        },
                        _ => return Err(self.bad(at, "APPEND to something that is not a list")),
                    }
                }
                b's' | b'u' => {
                    let items = if op == b's' {
                        let v = self.pop(at)?;
                        let k = self.pop(at)?;
                        vec![k, v]
                    } else {
                        self.pop_mark(at)?
                    };
                    if items.len() % 2 != 0 {
                        return Err(self.bad(at, "SETITEMS of an odd number of values"));
                    }
                    let target = self.top(at)?.clone();
                    let d = match target {
                        Value::Ref(i) => match self.objs.get_mut(i) {
                            Some(Obj::Dict(d)) => d,
                            _ => return Err(self.bad(at, "SETITEM on something that is not a dict")),
                        },
                        _ => return Err(self.bad(at, "SETITEM on something that is not a dict")),
                    };
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        d.set(k, v);
                    }
                }
                b'h' => {
                    let i = self.u8()? as u32;
                    let v = self.memo_get(at, i)?;
                    self.push(v)?
                }
                b'j' => {
                    let i = self.u32()?;
                    let v = self.memo_get(at, i)?;
                    self.push(v)?
                }
                b'q' => {
                    let i = self.u8()? as u32;
                    self.memo_put(at, i)?
                }
                b'r' => {
                    let i = self.u32()?;
                    self.memo_put(at, i)?
                }
                0x94 => {
                    let i = u32::try_from(self.memo.len()).map_err(|_| self.bad(at, "memo too large"))?;
                    self.memo_put(at, i)?
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    let g = global(self.file, &module, &name)?;
                    self.push(Value::Global(g))?
                }
                0x93 => {
                    let name = self.pop(at)?;
                    let module = self.pop(at)?;
                    let name = self.str_of(at, &name, "STACK_GLOBAL's name")?;
                    let module = self.str_of(at, &module, "STACK_GLOBAL's module")?;
                    let g = global(self.file, &module, &name)?;
                    self.push(Value::Global(g))?
                }
                b'Q' => {
                    let pid = self.pop(at)?;
                    self.persistent(at, pid)?
                }
                b'R' | 0x81 => {
                    let args = self.pop(at)?;
                    let f = self.pop(at)?;
                    self.call(at, f, args)?
                }
                b'b' => {
                    // BUILD sets an object's attributes (an OrderedDict's
                    // `_metadata`, a tensor's hooks): nothing idlab needs.
                    self.pop(at)?;
                    match self.top(at)? {
                        Value::Ref(_) => {}
                        _ => return Err(self.bad(at, "BUILD on something that is not an object")),
                    }
                }
                _ => {
                    return Err(Error::Input(format!(
                        "{}: the pickle at byte {at} uses opcode 0x{op:02x} ({}), which a state dict saved by \
                         torch.save does not; idlab reads pickle protocols 2 to 5 (refused, nothing executed)",
                        self.file,
                        opcode_name(op)
                    )))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(bytes: &[u8]) -> String {
        load("t.pth", bytes, 0).unwrap_err().to_string()
    }

    #[test]
    fn scalars_and_containers() {
        // {'a': (1, -2, 300, 70000, True, None, 1.5), 'b': [b'xy', 'é']}
        let p = b"\x80\x02}q\x00(X\x01\x00\x00\x00a(K\x01J\xfe\xff\xff\xffM,\x01J\x70\x11\x01\x00\x88N\
                  G\x3f\xf8\x00\x00\x00\x00\x00\x00tX\x01\x00\x00\x00b]q\x01(C\x02xyX\x02\x00\x00\x00\xc3\xa9eu.";
        let u = load("t", p, 0).unwrap();
        assert_eq!(u.end, p.len());
        let d = u.dict(&u.value).unwrap();
        assert_eq!(d.len(), 2);
        let t = u.seq(&d[0].1).unwrap();
        assert_eq!(
            t,
            &[
                Value::Int(1),
                Value::Int(-2),
                Value::Int(300),
                Value::Int(70000),
                Value::Bool(true),
                Value::None,
                Value::Float(1.5)
            ]
        );
        let l = u.seq(&d[1].1).unwrap();
        assert_eq!(l[0], Value::Bytes(Rc::from(&b"xy"[..])));
        assert_eq!(l[1], Value::Str(Rc::from("é")));
    }

    #[test]
    fn long1_is_signed_little_endian() {
        // torch's legacy magic number, then -1 and 2^63.
        let u = load("t", b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 0).unwrap();
        assert_eq!(u.value, Value::Int(0x1950a86a20f9469cfc6c));
        assert_eq!(load("t", b"\x8a\x01\xff.", 0).unwrap().value, Value::Int(-1));
        assert_eq!(load("t", b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00.", 0).unwrap().value, Value::Int(1 << 63));
    }

    #[test]
    fn memo_shares_mutations() {
        // d = {}; memo[0] = d; d['k'] = 1 (after the put); [d, memo[0]]: both see 'k'.
        let u = load("t", b"(}q\x00X\x01\x00\x00\x00kK\x01sh\x00l.", 0).unwrap();
        let l = u.seq(&u.value).unwrap();
        assert_eq!(l[0], l[1]);
        assert_eq!(u.dict(&l[1]).unwrap().len(), 1);
    }

    #[test]
    fn protocol_4_framing_and_stack_global() {
        let p = b"\x80\x04\x95\x20\x00\x00\x00\x00\x00\x00\x00\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94.";
        let u = load("t", p, 0).unwrap();
        assert!(u.dict(&u.value).unwrap().is_empty());
    }

    #[test]
    fn refuses_unknown_globals_by_name() {
        let e = err(b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00lsR.");
        assert!(e.contains("os.system") && e.contains("nothing executed"), "{e}");
        let e = err(b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93.");
        assert!(e.contains("builtins.eval"), "{e}");
        let e = err(b"\x80\x02ctorch.nn.modules.linear\nLinear\n.");
        assert!(e.contains("torch.nn.modules.linear.Linear") && e.contains("state_dict()"), "{e}");
        let e = err(b"\x80\x02ctorch._utils\n_rebuild_qtensor\n.");
        assert!(e.contains("torch._utils._rebuild_qtensor"), "{e}");
    }

    #[test]
    fn malformed_and_truncated_input_is_an_error() {
        for p in [
            &b""[..],
            b"\x80",
            b"\x80\x02",
            b"\x80\x02X\xff\xff\xff\xff",
            b"\x80\x02h\x05.",
            b"\x80\x02.",
            b"\x80\x02t.",
            b"\x80\x02K\x01a.",
            b"\x80\x02K\x01K\x02s.",
            b"\x80\x02I1\n.",
            b"\x80\x02N\x8e\xff\xff\xff\xff\xff\xff\xff\xff.",
            b"\x80\x02cos\nsys",
            b"\x80\x09.",
            b"\x80\x02NNR.",
        ] {
            let e = err(p);
            assert!(e.starts_with("t.pth: "), "{e}");
        }
    }

    #[test]
    fn deep_nesting_costs_no_stack() {
        // A tuple nested a million deep (one byte per level), and a list appended to itself.
        let mut p = b"\x80\x02)".to_vec();
        p.extend(std::iter::repeat_n(0x85u8, 1_000_000));
        p.push(b'.');
        let u = load("t", &p, 0).unwrap();
        assert_eq!(u.objs.len(), 1_000_001);
        assert!(u.describe(&u.value).contains("tuple of 1 item"));
        let u = load("t", b"]q\x00h\x00a.", 0).unwrap();
        assert_eq!(u.seq(&u.value).unwrap()[0], u.value);
    }

    #[test]
    fn bounded_stack_and_marks() {
        let p: Vec<u8> = std::iter::repeat_n(b'N', MAX_STACK + 1).chain([b'.']).collect();
        assert!(err(&p).contains("more than"));
        let p: Vec<u8> = std::iter::repeat_n(b'(', MAX_MARKS + 1).chain([b'.']).collect();
        assert!(err(&p).contains("MARK"));
    }

    #[test]
    fn rebuilds_a_tensor_from_a_persistent_id() {
        // _rebuild_tensor_v2(('storage', torch.HalfStorage, '7', 'cuda:0', 6), 1, (2, 2), (1, 2), False, OrderedDict())
        let p = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch.cuda\nHalfStorage\n\
                  X\x01\x00\x00\x007X\x06\x00\x00\x00cuda:0K\x06tQK\x01K\x02K\x02\x86K\x01K\x02\x86\x89\
                  ccollections\nOrderedDict\n)RtR.";
        let u = load("t", p, 0).unwrap();
        let t = u.tensor(&u.value).unwrap();
        assert_eq!(t.storage, Storage { dtype: Dtype::F16, key: "7".into(), numel: 6, view: None });
        assert_eq!((t.offset, t.shape.clone(), t.stride.clone()), (1, vec![2, 2], vec![1, 2]));
    }

    #[test]
    fn dtype_decoding_is_exact() {
        let b = half::bf16::from_f32(-1.5).to_bits().to_le_bytes();
        assert_eq!(Dtype::BF16.get(&b, 0), -1.5);
        let h = half::f16::from_f32(0.333).to_bits().to_le_bytes();
        assert_eq!(Dtype::F16.get(&h, 0), half::f16::from_f32(0.333).to_f32());
        assert_eq!(Dtype::I64.get(&(-7i64).to_le_bytes(), 0), -7.0);
        assert_eq!(Dtype::F32.get(&0.1f32.to_le_bytes(), 0), 0.1f32);
        let mut out = Vec::new();
        let bytes: Vec<u8> = [1.5f32, -0.25, 1e-40].iter().flat_map(|x| x.to_le_bytes()).collect();
        Dtype::F32.extend(&bytes, &mut out);
        Dtype::BF16.extend(&b, &mut out);
        Dtype::I64.extend(&(-7i64).to_le_bytes(), &mut out);
        assert_eq!(out, vec![1.5, -0.25, 1e-40, -1.5, -7.0]);
    }
}
