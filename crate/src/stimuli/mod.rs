//! Stimulus sets and the one preprocessing transform.

pub mod objects;
mod preprocess;
pub mod sets;
pub mod textures;

pub use preprocess::{decode_rgb, resize_crop, Channels, Preprocess};
