//! Procedural synthetic objects (seeded): one simple shaded 3-D shape (sphere,
//! ellipsoid, box, cylinder or cone) at a random pose, size, position and
//! colour on a random background (flat, gradient or grey noise), ray-cast with
//! Lambertian shading under one directional light. Object-like images without
//! the photographs' categories: the seed paper's Fig. 5 asks whether such sets
//! identify architectures as well as natural ones.
//!
//! Every image is a pure function of (seed, index) through the crate's
//! portable generator.

use crate::rng::{stream_id, SeededRng};
use image::{Rgb, RgbImage};

type V3 = [f64; 3];

/// The shapes, each in object space of about unit radius.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Sphere,
    Ellipsoid,
    Box,
    Cylinder,
    Cone,
}

const SHAPES: [Shape; 5] = [Shape::Sphere, Shape::Ellipsoid, Shape::Box, Shape::Cylinder, Shape::Cone];

/// Which shape image `index` of a set shows (the shapes in turn, so any 5
/// consecutive images hold one of each).
pub fn shape_of(index: usize) -> Shape {
    SHAPES[index % SHAPES.len()]
}

/// Renders image `index` of the synthetic-object set for `seed`.
pub fn synthetic_object(size: u32, seed: u64, index: usize) -> RgbImage {
    let mut rng = SeededRng::new(seed, stream_id(&format!("objects/{index}")));
    let mut u = || rng.unit_f32() as f64;
    let shape = shape_of(index);
    let rot = rotation(u() * std::f64::consts::TAU, u() * 2.0 - 1.0, u() * std::f64::consts::TAU);
    let scale = 0.45 + 0.35 * u();
    let centre = [(u() - 0.5) * 0.8, (u() - 0.5) * 0.8, 0.0];
    let stretch = [0.6 + 0.8 * u(), 0.6 + 0.8 * u(), 0.6 + 0.8 * u()];
    let colour = hue(u());
    let light = normalise([u() - 0.5, u() - 0.5, -1.0]);
    let background = Background::draw(&mut u);
    let mut noise = SeededRng::new(seed, stream_id(&format!("objects/{index}/background")));
    let n = size as f64;
    RgbImage::from_fn(size, size, |px, py| {
        // Orthographic camera looking down +z; image plane spans [-1, 1].
        let (x, y) = (2.0 * (px as f64 + 0.5) / n - 1.0, 1.0 - 2.0 * (py as f64 + 0.5) / n);
        let bg = background.at(x, y, noise.unit_f32() as f64);
        // Ray in object space: undo translation, rotation (transpose), scale.
        let o = sub([x, y, -10.0], centre);
        let (o, d) = (mul_t(&rot, o), mul_t(&rot, [0.0, 0.0, 1.0]));
        let (o, d) = (div(o, scale), div(d, scale));
        match hit(shape, stretch, o, d) {
            None => Rgb(bg.map(to_u8)),
            Some(normal_obj) => {
                let normal = normalise(mul(&rot, normal_obj));
                let lambert = dot(normal, light).max(0.0); // light: direction towards the light
                let shade = 0.25 + 0.75 * lambert;
                Rgb(colour.map(|c| to_u8(255.0 * c * shade)))
            }
        }
    })
}

/// A background: flat grey level, a linear gradient between two greys, or
/// grey pixel noise around a level.
enum Background {
    Flat(f64),
    Gradient { a: f64, b: f64, dir: (f64, f64) },
    Noise { level: f64, amount: f64 },
}

impl Background {
    fn draw(u: &mut impl FnMut() -> f64) -> Background {
        match (u() * 3.0) as usize {
            0 => Background::Flat(40.0 + 180.0 * u()),
            1 => {
                let t = u() * std::f64::consts::TAU;
                Background::Gradient { a: 30.0 + 100.0 * u(), b: 120.0 + 110.0 * u(), dir: (t.cos(), t.sin()) }
            }
            _ => Background::Noise { level: 60.0 + 130.0 * u(), amount: 20.0 + 50.0 * u() },
        }
    }

    fn at(&self, x: f64, y: f64, r: f64) -> [f64; 3] {
        let v = match self {
            Background::Flat(v) => *v,
            Background::Gradient { a, b, dir } => a + (b - a) * 0.5 * (1.0 + (x * dir.0 + y * dir.1) / std::f64::consts::SQRT_2),
            Background::Noise { level, amount } => level + amount * (r - 0.5) * 2.0,
        };
        [v; 3]
    }
}

/// The object-space normal where the ray o + t d first meets the shape.
fn hit(shape: Shape, stretch: V3, o: V3, d: V3) -> Option<V3> {
    match shape {
        Shape::Sphere => quadric_hit(o, d, [1.0; 3]),
        Shape::Ellipsoid => quadric_hit(o, d, stretch),
        Shape::Box => box_hit(o, d, [0.75 * stretch[0], 0.75 * stretch[1], 0.75 * stretch[2]]),
        Shape::Cylinder => cylinder_hit(o, d, 0.7, 0.9, false),
        Shape::Cone => cylinder_hit(o, d, 0.8, 0.9, true),
    }
}

/// Axis-aligned ellipsoid with semi-axes `r`.
fn quadric_hit(o: V3, d: V3, r: V3) -> Option<V3> {
    let (os, ds) = (div3(o, r), div3(d, r));
    let (a, b, c) = (dot(ds, ds), 2.0 * dot(os, ds), dot(os, os) - 1.0);
    let t = smallest_positive_root(a, b, c)?;
    let p = add(o, scale3(d, t));
    Some(normalise([p[0] / (r[0] * r[0]), p[1] / (r[1] * r[1]), p[2] / (r[2] * r[2])]))
}

/// Axis-aligned box of half-sizes `h` (slab method).
fn box_hit(o: V3, d: V3, h: V3) -> Option<V3> {
    let (mut t0, mut t1, mut axis, mut sign) = (f64::NEG_INFINITY, f64::INFINITY, 0, 1.0);
    for i in 0..3 {
        if d[i].abs() < 1e-12 {
            if o[i].abs() > h[i] {
                return None;
            }
            continue;
        }
        let (mut a, mut b) = ((-h[i] - o[i]) / d[i], (h[i] - o[i]) / d[i]);
        let mut s = -1.0;
        if a > b {
            std::mem::swap(&mut a, &mut b);
            s = 1.0;
        }
        if a > t0 {
            t0 = a;
            axis = i;
            sign = s;
        }
        t1 = t1.min(b);
    }
    if t0 > t1 || t1 < 0.0 {
        return None;
    }
    let mut n = [0.0; 3];
    n[axis] = sign;
    Some(n)
}

/// A capped cylinder (or cone, apex up) of radius `r` and half-height `h` along y.
fn cylinder_hit(o: V3, d: V3, r: f64, h: f64, cone: bool) -> Option<V3> {
    // Radius at height y: r for a cylinder, r (h - y) / 2h for a cone.
    let k = if cone { r / (2.0 * h) } else { 0.0 };
    let radius = |y: f64| if cone { k * (h - y) } else { r };
    let mut best: Option<(f64, V3)> = None;
    let mut consider = |t: f64, n: V3| {
        if t > 0.0 && best.is_none_or(|(bt, _)| t < bt) {
            best = Some((t, n));
        }
    };
    // Side: x² + z² = radius(y)².
    let (a, b, c) = if cone {
        let (oy, dy) = (h - o[1], -d[1]);
        (d[0] * d[0] + d[2] * d[2] - k * k * dy * dy, 2.0 * (o[0] * d[0] + o[2] * d[2] - k * k * oy * dy), o[0] * o[0] + o[2] * o[2] - k * k * oy * oy)
    } else {
        (d[0] * d[0] + d[2] * d[2], 2.0 * (o[0] * d[0] + o[2] * d[2]), o[0] * o[0] + o[2] * o[2] - r * r)
    };
    if a.abs() > 1e-12 {
        let disc = b * b - 4.0 * a * c;
        if disc >= 0.0 {
            for t in [(-b - disc.sqrt()) / (2.0 * a), (-b + disc.sqrt()) / (2.0 * a)] {
                let p = add(o, scale3(d, t));
                if p[1].abs() <= h {
                    let ny = if cone { k * radius(p[1]) } else { 0.0 };
                    consider(t, normalise([p[0], ny, p[2]]));
                }
            }
        }
    }
    // Caps (the cone has only its base).
    if d[1].abs() > 1e-12 {
        for (y, ny) in [(-h, -1.0), (h, 1.0)] {
            if cone && y > 0.0 {
                continue;
            }
            let t = (y - o[1]) / d[1];
            let p = add(o, scale3(d, t));
            if p[0] * p[0] + p[2] * p[2] <= radius(y) * radius(y) {
                consider(t, [0.0, ny, 0.0]);
            }
        }
    }
    best.map(|(_, n)| n)
}

fn smallest_positive_root(a: f64, b: f64, c: f64) -> Option<f64> {
    let disc = b * b - 4.0 * a * c;
    if disc < 0.0 || a == 0.0 {
        return None;
    }
    let (t0, t1) = ((-b - disc.sqrt()) / (2.0 * a), (-b + disc.sqrt()) / (2.0 * a));
    [t0, t1].into_iter().find(|t| *t > 0.0)
}

/// Rotation from Euler-like draws: yaw, cos(pitch) uniform, roll (uniform over orientations).
fn rotation(yaw: f64, cos_pitch: f64, roll: f64) -> [V3; 3] {
    let pitch = cos_pitch.acos();
    let (cy, sy, cp, sp, cr, sr) = (yaw.cos(), yaw.sin(), pitch.cos(), pitch.sin(), roll.cos(), roll.sin());
    let rz = [[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]];
    let rx = [[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]];
    let ry = [[cr, 0.0, sr], [0.0, 1.0, 0.0], [-sr, 0.0, cr]];
    matmul(&matmul(&rz, &rx), &ry)
}

fn matmul(a: &[V3; 3], b: &[V3; 3]) -> [V3; 3] {
    let mut m = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            m[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

fn mul(m: &[V3; 3], v: V3) -> V3 {
    [dot(m[0], v), dot(m[1], v), dot(m[2], v)]
}

/// Mᵀ v (the inverse of a rotation).
fn mul_t(m: &[V3; 3], v: V3) -> V3 {
    [(0..3).map(|k| m[k][0] * v[k]).sum(), (0..3).map(|k| m[k][1] * v[k]).sum(), (0..3).map(|k| m[k][2] * v[k]).sum()]
}

fn hue(h: f64) -> V3 {
    // A saturated colour around the hue circle, never too dark.
    let f = |shift: f64| 0.55 + 0.45 * (std::f64::consts::TAU * (h + shift)).cos();
    [f(0.0), f(1.0 / 3.0), f(2.0 / 3.0)]
}

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn scale3(a: V3, s: f64) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}
fn div(a: V3, s: f64) -> V3 {
    scale3(a, 1.0 / s)
}
fn div3(a: V3, b: V3) -> V3 {
    [a[0] / b[0], a[1] / b[1], a[2] / b[2]]
}
fn normalise(a: V3) -> V3 {
    scale3(a, 1.0 / dot(a, a).sqrt().max(1e-300))
}
fn to_u8(v: f64) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pixels that differ from the image's corner (the background there).
    fn object_pixels(img: &RgbImage) -> usize {
        let saturated = |p: &Rgb<u8>| p[0].max(p[1]).max(p[2]) as i32 - p[0].min(p[1]).min(p[2]) as i32 > 30;
        img.pixels().filter(|p| saturated(p)).count()
    }

    #[test]
    fn every_shape_renders_a_visible_object_and_is_seeded() {
        for i in 0..10 {
            let img = synthetic_object(96, 4, i);
            let area = object_pixels(&img);
            assert!(area > 96 * 96 / 50 && area < 96 * 96 * 9 / 10, "image {i} ({:?}): {area} coloured pixels", shape_of(i));
            assert_eq!(img, synthetic_object(96, 4, i));
        }
        assert_ne!(synthetic_object(96, 4, 0), synthetic_object(96, 5, 0));
    }

    #[test]
    fn shading_varies_across_the_object() {
        let img = synthetic_object(128, 1, 0); // a sphere
        let mut levels: Vec<u8> = img.pixels().filter(|p| p[0].max(p[1]).max(p[2]) - p[0].min(p[1]).min(p[2]) > 30).map(|p| p[0].max(p[1]).max(p[2])).collect();
        levels.sort_unstable();
        levels.dedup();
        assert!(levels.len() > 20, "Lambertian shading gives many levels, got {}", levels.len());
    }
}
