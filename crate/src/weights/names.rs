//! Name maps from published checkpoints to the zoo's names.
//!
//! The zoo names its parameters as torchvision's state dicts do (timm's for
//! the MLP-Mixer), so torchvision's files load as they are. timm publishes
//! some architectures under other names: its ViTs (`patch_embed.proj`,
//! `blocks.N.attn.qkv`, ...) and VGGs (the classifier as the convs
//! `pre_logits.fc1` 7x7 and `pre_logits.fc2` 1x1, then `head.fc`); its
//! ResNets and Mixers already use the zoo's names. Which naming a file uses
//! is not guessed from the architecture: every known map is tried and the one
//! that puts the most of the file's tensors on the zoo's parameter names
//! wins (ties go to the names as they are), so the maps work for any
//! architecture, including ones added to the zoo later.
//!
//! Verified against timm 1.0.31 and torchvision 0.29.2 by
//! `tests/fixtures/weights_names/make_names.py`: the names and shapes it
//! dumps are what `crate/tests/weights_apply.rs` loads, and it checks
//! numerically that timm's ViT-B/32 and VGG11 given torchvision's weights
//! under these maps compute torchvision's outputs (timm's `attn.qkv` packs
//! q, k, v in the order of torchvision's `in_proj_weight`; `pre_logits.fc1`
//! flattened is `classifier.0` in torchvision's flatten order). The ignored
//! test `timm_vit_safetensors_matches_pytorch` runs a timm-named safetensors
//! ViT-B/32 through the zoo's graph against timm's own outputs.

use super::{StateDict, Tensor};
use serde::Serialize;
use std::collections::{btree_map::Entry, BTreeMap, HashSet};

/// How a file's tensor names were read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Naming {
    /// The zoo's own names: torchvision's (and timm's for ResNet and MLP-Mixer,
    /// which equal them), or any file already written with the zoo's names.
    AsIs,
    /// timm's VisionTransformer (`vit_base_patch32_224`, ...), mapped to
    /// torchvision's `vit_b_32` names.
    TimmVit,
    /// timm's VGG (`vgg11`, ... `.tv_in1k`): the classifier as convolutions.
    TimmVgg,
}

/// One renaming rule. `from` may hold one `{i}`, a block index; a `from`
/// that ends in `.` matches every name it starts (the rest of the name is
/// kept). `flatten` reshapes a weight of rank above 2 to (first axis, the
/// product of the others): a convolution used as a linear layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub from: &'static str,
    pub to: &'static str,
    pub flatten: bool,
}

const fn rule(from: &'static str, to: &'static str) -> Rule {
    Rule { from, to, flatten: false }
}

/// timm's ViT -> torchvision's. Besides names, the two agree on everything
/// the zoo computes: q, k, v packed in that order in one (3 x width, width)
/// matrix, LayerNorm eps 1e-6, exact GELU, the class token first and its
/// position embedded with the patches' (`pos_embed` is (1, 1 + patches, width)).
const TIMM_VIT: &[Rule] = &[
    rule("cls_token", "class_token"),
    rule("pos_embed", "encoder.pos_embedding"),
    rule("patch_embed.proj.", "conv_proj."),
    rule("blocks.{i}.norm1.", "encoder.layers.encoder_layer_{i}.ln_1."),
    rule("blocks.{i}.attn.qkv.weight", "encoder.layers.encoder_layer_{i}.self_attention.in_proj_weight"),
    rule("blocks.{i}.attn.qkv.bias", "encoder.layers.encoder_layer_{i}.self_attention.in_proj_bias"),
    rule("blocks.{i}.attn.proj.", "encoder.layers.encoder_layer_{i}.self_attention.out_proj."),
    rule("blocks.{i}.norm2.", "encoder.layers.encoder_layer_{i}.ln_2."),
    rule("blocks.{i}.mlp.fc1.", "encoder.layers.encoder_layer_{i}.mlp.0."),
    rule("blocks.{i}.mlp.fc2.", "encoder.layers.encoder_layer_{i}.mlp.3."),
    rule("norm.", "encoder.ln."),
    rule("head.", "heads.head."),
];

/// timm's VGG -> torchvision's: `features` agree; the 7x7 and 1x1 convs of
/// `pre_logits` are `classifier.0` and `classifier.3` (at 224 x 224 the 7x7
/// conv sees the whole 512 x 7 x 7 map, in the order `torch.flatten` gives).
const TIMM_VGG: &[Rule] = &[
    Rule { from: "pre_logits.fc1.", to: "classifier.0.", flatten: true },
    Rule { from: "pre_logits.fc2.", to: "classifier.3.", flatten: true },
    rule("head.fc.", "classifier.6."),
];

/// Prefixes that wrap a whole state dict: `nn.DataParallel`'s `module.` and
/// `torch.compile`'s `_orig_mod.`; stripped when every name has one.
const WRAPPERS: &[&str] = &["module.", "_orig_mod."];

impl Naming {
    /// The rules of this naming (none for [`Naming::AsIs`]).
    pub fn rules(self) -> &'static [Rule] {
        match self {
            Naming::AsIs => &[],
            Naming::TimmVit => TIMM_VIT,
            Naming::TimmVgg => TIMM_VGG,
        }
    }

    /// In words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Naming::AsIs => "as they are (torchvision's)",
            Naming::TimmVit => "as timm's ViT names",
            Naming::TimmVgg => "as timm's VGG names",
        }
    }

    /// Every naming, the default first (it wins ties).
    pub const ALL: &'static [Naming] = &[Naming::AsIs, Naming::TimmVit, Naming::TimmVgg];
}

/// The name map used for one file, as results record it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NameMap {
    pub naming: Naming,
    /// Prefixes removed from every name, outermost first (`module.`).
    pub stripped: Vec<String>,
    /// The rules applied (empty for names as they are).
    pub rules: Vec<Rule>,
    /// How many tensors were renamed by a rule.
    pub renamed: usize,
}

/// Where a tensor under a zoo name came from: its name and shape in the file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Origin {
    pub name: String,
    pub shape: Vec<usize>,
}

/// A state dict under the zoo's names, with each tensor's origin, and the
/// tensors no rule could place (two file names mapped to one zoo name: the
/// later one, in name order, is left over).
#[derive(Debug, Default)]
pub struct Mapped {
    pub tensors: BTreeMap<String, (Tensor, Origin)>,
    pub duplicates: Vec<Origin>,
}

/// Matches `name` against a rule's `from`; returns the zoo name.
fn apply_rule(rule: &Rule, name: &str) -> Option<String> {
    let (head, tail, index) = match rule.from.split_once("{i}") {
        None => (rule.from, "", None),
        Some((h, t)) => {
            let rest = name.strip_prefix(h)?;
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            (h, t, Some(&rest[..digits]))
        }
    };
    let after = match index {
        None => name.strip_prefix(head)?,
        Some(i) => &name[head.len() + i.len()..],
    };
    let pattern_rest = if index.is_some() { tail } else { "" };
    let rest = if rule.from.ends_with('.') {
        after.strip_prefix(pattern_rest)?
    } else if after == pattern_rest {
        ""
    } else {
        return None;
    };
    let to = match index {
        Some(i) => rule.to.replacen("{i}", i, 1),
        None => rule.to.to_string(),
    };
    Some(format!("{to}{rest}"))
}

/// The zoo name of `name` under `naming`, and whether the rule flattens it.
pub fn map_name(naming: Naming, name: &str) -> (String, bool) {
    naming
        .rules()
        .iter()
        .find_map(|r| apply_rule(r, name).map(|to| (to, r.flatten)))
        .unwrap_or_else(|| (name.to_string(), false))
}

/// Strips wrapper prefixes shared by every name, repeatedly (`module.module.`).
fn wrappers<'a, I: Iterator<Item = &'a str> + Clone>(names: I) -> Vec<&'static str> {
    let mut stripped = Vec::new();
    loop {
        let depth: usize = stripped.iter().map(|p: &&str| p.len()).sum();
        let next = WRAPPERS.iter().find(|p| {
            let mut any = false;
            let all = names.clone().all(|n| {
                any = true;
                n.get(depth..).is_some_and(|rest| rest.starts_with(**p))
            });
            any && all
        });
        match next {
            Some(p) => stripped.push(*p),
            None => return stripped,
        }
    }
}

/// Picks the naming of a file whose tensor names are `names` for a model
/// whose parameters are `zoo`: the one mapping the most names onto `zoo`
/// (ties to the earliest in [`Naming::ALL`]), and the wrapper prefixes to strip.
pub fn detect<'a, I>(names: I, zoo: &HashSet<&str>) -> (Naming, Vec<&'static str>)
where
    I: Iterator<Item = &'a str> + Clone,
{
    let stripped = wrappers(names.clone());
    let depth: usize = stripped.iter().map(|p| p.len()).sum();
    let mut best = (Naming::AsIs, 0usize);
    for &naming in Naming::ALL {
        let hits = names.clone().filter(|n| zoo.contains(map_name(naming, &n[depth..]).0.as_str())).count();
        if hits > best.1 {
            best = (naming, hits);
        }
    }
    (best.0, stripped)
}

/// Renames a state dict to the zoo's names (`zoo`: the model's parameter and
/// buffer names), moving the tensors (no copy; a flatten only changes the shape).
pub fn to_zoo(sd: StateDict, zoo: &HashSet<&str>) -> (Mapped, NameMap) {
    let (naming, stripped) = detect(sd.tensors.keys().map(String::as_str), zoo);
    let depth: usize = stripped.iter().map(|p| p.len()).sum();
    let mut mapped = Mapped::default();
    let mut renamed = 0;
    for (name, mut tensor) in sd.tensors {
        let origin = Origin { name: name.clone(), shape: tensor.shape.clone() };
        let (to, flatten) = map_name(naming, &name[depth..]);
        if to != name[depth..] {
            renamed += 1;
        }
        if flatten && tensor.shape.len() > 2 {
            tensor.shape = vec![tensor.shape[0], tensor.shape[1..].iter().product()];
        }
        match mapped.tensors.entry(to) {
            Entry::Vacant(e) => {
                e.insert((tensor, origin));
            }
            Entry::Occupied(_) => mapped.duplicates.push(origin),
        }
    }
    let map = NameMap {
        naming,
        stripped: stripped.iter().map(|s| s.to_string()).collect(),
        rules: naming.rules().to_vec(),
        renamed,
    };
    (mapped, map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sd(names: &[(&str, &[usize])]) -> StateDict {
        let tensors = names
            .iter()
            .map(|(n, s)| (n.to_string(), Tensor { shape: s.to_vec(), data: vec![0.0; s.iter().product()] }))
            .collect();
        StateDict { tensors }
    }

    #[test]
    fn rules_match_whole_names_and_block_indices() {
        let m = |n| map_name(Naming::TimmVit, n).0;
        assert_eq!(m("blocks.11.attn.qkv.weight"), "encoder.layers.encoder_layer_11.self_attention.in_proj_weight");
        assert_eq!(m("blocks.3.norm1.bias"), "encoder.layers.encoder_layer_3.ln_1.bias");
        assert_eq!(m("blocks.0.attn.proj.weight"), "encoder.layers.encoder_layer_0.self_attention.out_proj.weight");
        assert_eq!(m("cls_token"), "class_token");
        assert_eq!(m("cls_token_x"), "cls_token_x");
        assert_eq!(m("norm.weight"), "encoder.ln.weight");
        assert_eq!(m("fc_norm.weight"), "fc_norm.weight");
        assert_eq!(m("blocks.x.norm1.weight"), "blocks.x.norm1.weight");
        assert_eq!(m("head.weight"), "heads.head.weight");
        assert_eq!(map_name(Naming::TimmVgg, "pre_logits.fc1.weight"), ("classifier.0.weight".into(), true));
        assert_eq!(map_name(Naming::AsIs, "pre_logits.fc1.weight"), ("pre_logits.fc1.weight".into(), false));
    }

    #[test]
    fn detects_naming_strips_wrappers_and_flattens() {
        let zoo: HashSet<&str> = ["features.0.weight", "classifier.0.weight", "classifier.0.bias"].into();
        let file = sd(&[
            ("module.features.0.weight", &[64, 3, 3, 3]),
            ("module.pre_logits.fc1.weight", &[4096, 512, 7, 7]),
            ("module.pre_logits.fc1.bias", &[4096]),
        ]);
        let (mapped, map) = to_zoo(file, &zoo);
        assert_eq!((map.naming, map.stripped.as_slice(), map.renamed), (Naming::TimmVgg, &["module.".to_string()][..], 2));
        let (t, origin) = &mapped.tensors["classifier.0.weight"];
        assert_eq!((t.shape.as_slice(), origin.name.as_str()), (&[4096, 25088][..], "module.pre_logits.fc1.weight"));
        assert_eq!(origin.shape, vec![4096, 512, 7, 7]);
        // Names as they are win ties; a prefix only some names carry stays.
        let (mapped, map) = to_zoo(sd(&[("features.0.weight", &[1]), ("module.x", &[1])]), &zoo);
        assert_eq!((map.naming, map.stripped.len()), (Naming::AsIs, 0));
        assert!(mapped.tensors.contains_key("module.x"));
    }

    #[test]
    fn two_names_for_one_tensor_leave_one_over() {
        let zoo: HashSet<&str> = ["class_token", "conv_proj.bias"].into();
        let (mapped, map) = to_zoo(sd(&[("class_token", &[1]), ("cls_token", &[1]), ("patch_embed.proj.bias", &[1])]), &zoo);
        assert_eq!(map.naming, Naming::TimmVit);
        assert_eq!(mapped.tensors.len(), 2);
        assert_eq!(mapped.duplicates.len(), 1);
    }
}
