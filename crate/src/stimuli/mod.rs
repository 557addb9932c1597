//! Stimulus sets and the one preprocessing transform.

mod preprocess;
pub mod sets;

pub use preprocess::{decode_rgb, resize_crop, Channels, Preprocess};
