//! ImageNet-1k class labels and the top classes of a logits vector, for
//! `idlab classify` and the accuracy checks of trained models.
//!
//! The labels are Coral's `imagenet_labels.txt` (Apache-2.0, shipped with its
//! MobileNets in `models/trained/coral/`) without its first line,
//! `background`: `models/imagenet_labels.txt`, line i is class i of
//! ImageNet-1k (0 `tench, Tinca tinca` ... 999 `toilet tissue, ...`), the
//! order of torchvision's and TensorFlow's 1000-way classifiers.
//!
//! Models trained with TensorFlow's slim pipeline (the Coral TFLite
//! MobileNets) have 1001 outputs, background at 0: [`top_k`] ranks their
//! classes shifted down by one, so index i is ImageNet's i either way.

/// Number of ImageNet-1k classes.
pub const IMAGENET_CLASSES: usize = 1000;

const LABELS_TXT: &str = include_str!("../../../models/imagenet_labels.txt");

/// The 1000 labels, index = ImageNet-1k class.
pub fn imagenet_labels() -> &'static [&'static str] {
    static LABELS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    LABELS.get_or_init(|| {
        let labels: Vec<&str> = LABELS_TXT.lines().collect();
        debug_assert_eq!(labels.len(), IMAGENET_CLASSES);
        labels
    })
}

/// The label of ImageNet-1k class `index`, if there is one.
pub fn imagenet_label(index: usize) -> Option<&'static str> {
    imagenet_labels().get(index).copied()
}

/// What a classifier's outputs are, told by their number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Classes {
    /// 1000 outputs: ImageNet-1k's classes in order.
    ImageNet,
    /// 1001 outputs: background at 0, then ImageNet-1k's classes (TensorFlow slim).
    ImageNetWithBackground,
    /// Any other count: not ImageNet, the model's own indices.
    Other(usize),
}

impl Classes {
    pub fn of(outputs: usize) -> Classes {
        match outputs {
            IMAGENET_CLASSES => Classes::ImageNet,
            1001 => Classes::ImageNetWithBackground,
            n => Classes::Other(n),
        }
    }

    pub fn is_imagenet(self) -> bool {
        !matches!(self, Classes::Other(_))
    }
}

/// One ranked class: its index (ImageNet-1k's for an ImageNet model, else the
/// model's own output index), its label and its softmax probability.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Prediction {
    pub index: usize,
    pub label: String,
    pub p: f64,
}

/// Softmax of `logits` in f64 (the maximum subtracted first, so large logits
/// do not overflow).
pub fn softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().map(|&v| v as f64).fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = logits.iter().map(|&v| (v as f64 - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.into_iter().map(|v| v / sum).collect()
}

/// The `k` most probable classes of one image's `logits`, most probable first
/// (ties by the lower index). p is the softmax over all outputs; for 1001
/// outputs the background class is left out of the ranking (so it is never
/// a prediction) and the others are shifted to ImageNet's 0-999; for a count
/// other than 1000 or 1001, indices are the model's and labels `class N`
/// (a model that is not ImageNet's, see [`Classes`]).
pub fn top_k(logits: &[f32], k: usize) -> Vec<Prediction> {
    let classes = Classes::of(logits.len());
    let p = softmax(logits);
    let skip = usize::from(classes == Classes::ImageNetWithBackground);
    let mut order: Vec<usize> = (skip..p.len()).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .take(k)
        .map(|i| {
            let index = i - skip;
            let label = match classes {
                Classes::Other(_) => format!("class {index}"),
                _ => imagenet_label(index).unwrap_or_default().to_string(),
            };
            Prediction { index, label, p: p[i] }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_imagenets_1000() {
        let l = imagenet_labels();
        assert_eq!(l.len(), 1000);
        assert_eq!(l[0], "tench, Tinca tinca");
        assert_eq!(l[999], "toilet tissue, toilet paper, bathroom tissue");
        assert!(l.iter().all(|s| !s.is_empty() && *s != "background"));
        assert_eq!(imagenet_label(1000), None);
    }

    #[test]
    fn top_k_ranks_by_softmax() {
        let mut logits = vec![0f32; 1000];
        logits[7] = 3.0;
        logits[2] = 2.0;
        logits[5] = 2.0;
        let t = top_k(&logits, 3);
        assert_eq!(t.iter().map(|p| p.index).collect::<Vec<_>>(), [7, 2, 5]);
        assert_eq!(t[0].label, "cock");
        let z = 3f64.exp() + 2.0 * 2f64.exp() + 997.0;
        assert!((t[0].p - 3f64.exp() / z).abs() < 1e-15);
        assert!((softmax(&logits).iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn background_is_dropped_and_indices_shifted() {
        let mut logits = vec![0f32; 1001];
        logits[0] = 9.0; // background, never a prediction
        logits[1] = 5.0; // ImageNet class 0
        let t = top_k(&logits, 2);
        assert_eq!((t[0].index, t[0].label.as_str()), (0, "tench, Tinca tinca"));
        assert!(t[0].p < 0.1, "p is over all 1001 outputs");
        assert_eq!(t[1].index, 1);
    }

    #[test]
    fn other_models_keep_their_indices() {
        let t = top_k(&[0.0, 1.0, -1.0], 5);
        assert_eq!(t.len(), 3);
        assert_eq!((t[0].index, t[0].label.as_str()), (1, "class 1"));
        assert_eq!(Classes::of(965), Classes::Other(965));
        assert!(!Classes::of(965).is_imagenet());
    }
}
