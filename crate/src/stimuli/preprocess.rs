//! The one image transform of the lab, shared by wasm and native so both see
//! the same pixels (the `image` crate decodes and resizes; the browser canvas
//! is never used).
//!
//! The transform, equal to torchvision's `Resize(size) + CenterCrop(size) +
//! ToTensor() + Normalize(mean, std)` up to the resampling filter:
//! 1. decode (PNG, JPEG, GIF, BMP, WebP; any colour mode) and convert to 8-bit
//!    RGB (grey is replicated, alpha is dropped);
//! 2. resize so the shorter side is `size`, keeping the aspect ratio, with a
//!    triangle (bilinear, antialiased when shrinking) filter, rounding to 8 bits;
//! 3. crop the central `size` x `size` square;
//! 4. scale to [0, 1] by /255, subtract `mean` and divide by `std` per channel;
//! 5. lay out as channels x height x width (NCHW with batch 1), in RGB order
//!    or, for models trained on BGR input (Caffe ports), BGR; `mean` and `std`
//!    are then given in the model's channel order.
//!
//! Models that take 0-255 input fit the same formula: mean/255 and std 1/255
//! (e.g. a Caffe BGR mean of 103.94 is 0.4076 with std 0.003922).

use crate::error::{Error, Result};
use image::{imageops, imageops::FilterType, RgbImage};

/// Order of the colour planes a model takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channels {
    /// Red, green, blue: torchvision, timm and most exports.
    #[default]
    Rgb,
    /// Blue, green, red: Caffe-era models and their ports.
    Bgr,
}

impl Channels {
    pub fn parse(s: &str) -> Option<Channels> {
        match s.to_ascii_lowercase().as_str() {
            "rgb" => Some(Channels::Rgb),
            "bgr" => Some(Channels::Bgr),
            _ => None,
        }
    }
}

/// Input size and normalisation of a model.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Preprocess {
    pub size: u32,
    /// Per-channel mean, in the model's channel order, on the [0, 1] scale.
    pub mean: [f32; 3],
    /// Per-channel std, in the model's channel order, on the [0, 1] scale.
    pub std: [f32; 3],
    pub channels: Channels,
}

impl Preprocess {
    /// torchvision's ImageNet normalisation at 224 x 224.
    pub const IMAGENET_224: Preprocess = Preprocess {
        size: 224,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        channels: Channels::Rgb,
    };

    /// Mean and std 0.5 at 224 x 224 (timm's `IMAGENET_INCEPTION_MEAN` /
    /// `_STD`, the default of its MLP-Mixer configurations).
    pub const INCEPTION_224: Preprocess = Preprocess {
        size: 224,
        mean: [0.5, 0.5, 0.5],
        std: [0.5, 0.5, 0.5],
        channels: Channels::Rgb,
    };

    /// Decodes, resizes, crops and normalises one image into a CHW f32 vector.
    pub fn apply(&self, file: &str, bytes: &[u8]) -> Result<Vec<f32>> {
        let img = decode_rgb(file, bytes)?;
        Ok(self.normalise(&resize_crop(&img, self.size)))
    }

    /// Step 4 and 5 on an image already `size` x `size`.
    pub fn normalise(&self, img: &RgbImage) -> Vec<f32> {
        let (w, h) = img.dimensions();
        let plane = (w * h) as usize;
        let mut out = vec![0f32; 3 * plane];
        let order = match self.channels {
            Channels::Rgb => [0, 1, 2],
            Channels::Bgr => [2, 1, 0],
        };
        for (i, px) in img.pixels().enumerate() {
            for (c, &src) in order.iter().enumerate() {
                out[c * plane + i] = (px[src] as f32 / 255.0 - self.mean[c]) / self.std[c];
            }
        }
        out
    }
}

/// The most pixels a stimulus may have: 64 megapixels (a 61-megapixel
/// camera's photograph fits). Every stimulus is scaled to the model's input
/// (224 pixels) anyway; the limit is there so that a small file claiming
/// 50,000 x 50,000 pixels (7.5 GB decoded) is refused from its header,
/// before anything is allocated.
pub const MAX_IMAGE_PIXELS: u64 = 64_000_000;

/// Step 1: any supported file to 8-bit RGB, with an error that names the file.
pub fn decode_rgb(file: &str, bytes: &[u8]) -> Result<RgbImage> {
    let err = |reason: String| Error::Image { file: file.into(), reason };
    let format = image::guess_format(bytes).map_err(|_| {
        err("not a PNG, JPEG, GIF, BMP or WebP file (unrecognised header)".into())
    })?;
    let reader = |bytes| {
        let mut r = image::ImageReader::new(std::io::Cursor::new(bytes));
        r.set_format(format);
        r
    };
    let bomb = |size: String| {
        Error::Limit(format!(
            "cannot decode image {file}: its header says {size}, more than the {} megapixels a stimulus may have \
             (a decompression bomb?); scale it down first",
            MAX_IMAGE_PIXELS / 1_000_000
        ))
    };
    let (w, h) = match reader(bytes).into_dimensions() {
        Ok(size) => size,
        // In wasm32 the decoder's own size arithmetic overflows `usize` for
        // such a header and it stops there, without the dimensions.
        Err(image::ImageError::Limits(_)) => return Err(bomb("more pixels than this build can address".into())),
        Err(e) => return Err(err(e.to_string())),
    };
    if u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(bomb(format!("{w} x {h} pixels ({:.0} megapixels)", f64::from(w) * f64::from(h) / 1e6)));
    }
    // A JPEG cut short still decodes (the decoder fills the missing rows
    // with grey): refuse one whose last scan has no end-of-image marker.
    if format == image::ImageFormat::Jpeg && jpeg_truncated(bytes) {
        return Err(err("the JPEG file is truncated (its image data ends before the end-of-image marker)".into()));
    }
    let img = reader(bytes).decode().map_err(|e| err(e.to_string()))?;
    if img.width() == 0 || img.height() == 0 {
        return Err(err("image has no pixels".into()));
    }
    Ok(img.to_rgb8())
}

/// True when a JPEG has no end-of-image marker (FF D9) after the start of its
/// last scan (FF DA); scan data never holds either (an FF in it is stuffed
/// with 00), and an embedded thumbnail's pair comes before the main scan.
fn jpeg_truncated(bytes: &[u8]) -> bool {
    let last = |marker: u8| bytes.windows(2).rposition(|w| w == [0xFF, marker]);
    match (last(0xDA), last(0xD9)) {
        (Some(scan), Some(end)) => end < scan,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Steps 2 and 3.
pub fn resize_crop(img: &RgbImage, size: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    let scale = size as f64 / w.min(h) as f64;
    let nw = ((w as f64 * scale).round() as u32).max(size);
    let nh = ((h as f64 * scale).round() as u32).max(size);
    let resized = if (nw, nh) == (w, h) {
        img.clone()
    } else {
        imageops::resize(img, nw, nh, FilterType::Triangle)
    };
    let (x, y) = ((nw - size) / 2, (nh - size) / 2);
    imageops::crop_imm(&resized, x, y, size, size).to_image()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgb};
    use std::io::Cursor;

    fn png(img: &image::DynamicImage) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        img.write_to(&mut buf, ImageFormat::Png).unwrap();
        buf.into_inner()
    }

    #[test]
    fn normalises_with_imagenet_stats() {
        let img = RgbImage::from_pixel(224, 224, Rgb([255, 0, 128]));
        let p = Preprocess::IMAGENET_224;
        let t = p.apply("red.png", &png(&img.into())).unwrap();
        assert_eq!(t.len(), 3 * 224 * 224);
        let plane = 224 * 224;
        assert!((t[0] - (1.0 - 0.485) / 0.229).abs() < 1e-6);
        assert!((t[plane] - (0.0 - 0.456) / 0.224).abs() < 1e-6);
        assert!((t[2 * plane + 5] - (128.0 / 255.0 - 0.406) / 0.225).abs() < 1e-6);
    }

    #[test]
    fn bgr_models_get_blue_first_with_their_own_stats() {
        let img = RgbImage::from_pixel(4, 4, Rgb([255, 0, 51]));
        let p = Preprocess { size: 4, mean: [0.2, 0.0, 1.0], std: [0.5, 1.0, 0.25], channels: Channels::Bgr };
        let t = p.normalise(&img);
        assert!((t[0] - (0.2 - 0.2) / 0.5).abs() < 1e-6, "blue plane first: {}", t[0]);
        assert!((t[16] - 0.0).abs() < 1e-6);
        assert!((t[32] - (1.0 - 1.0) / 0.25).abs() < 1e-6, "red plane last: {}", t[32]);
    }

    #[test]
    fn resize_keeps_aspect_and_crops_centre() {
        // 400 x 200: left half black, right half white; after shorter side -> 100
        // the image is 200 x 100 and the central 100 x 100 crop spans both halves.
        let img = RgbImage::from_fn(400, 200, |x, _| if x < 200 { Rgb([0; 3]) } else { Rgb([255; 3]) });
        let out = resize_crop(&img, 100);
        assert_eq!(out.dimensions(), (100, 100));
        assert_eq!(out.get_pixel(5, 50)[0], 0);
        assert_eq!(out.get_pixel(95, 50)[0], 255);
    }

    #[test]
    fn grey_and_alpha_become_rgb() {
        let grey = image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(10, 10, image::Luma([77])));
        let rgb = decode_rgb("g.png", &png(&grey)).unwrap();
        assert_eq!(rgb.get_pixel(3, 3).0, [77, 77, 77]);
        let rgba = image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(4, 4, image::Rgba([1, 2, 3, 0])));
        assert_eq!(decode_rgb("a.png", &png(&rgba)).unwrap().get_pixel(0, 0).0, [1, 2, 3]);
    }

    #[test]
    fn bad_file_is_named() {
        let e = Preprocess::IMAGENET_224.apply("notes.txt", b"hello world").unwrap_err().to_string();
        assert!(e.contains("notes.txt") && e.contains("unrecognised"), "{e}");
        let mut truncated = png(&RgbImage::from_pixel(50, 50, Rgb([9; 3])).into());
        truncated.truncate(40);
        let e = Preprocess::IMAGENET_224.apply("cut.png", &truncated).unwrap_err().to_string();
        assert!(e.contains("cut.png"), "{e}");
    }
}
