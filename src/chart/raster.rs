//! From opaque RGBA pixels to a small PNG file.
//!
//! Charts are a few flat colours plus antialiasing ramps, so the image is stored as an 8-bit
//! palette PNG: a quarter of the raw size of RGBA before compression, and far more
//! compressible. Drawing the pixels is the surfaces' business, not this module's.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::ChartError;

/// Multiplicative hash for packed colours: SipHash (the std default) guards against
/// adversarial keys, which pixel values are not, and costs several times more.
#[derive(Default)]
struct ColourHasher(u64);

impl Hasher for ColourHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (u64::from(n) ^ 0x5bd1_e995).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 ^= self.0 >> 29;
    }
}

type ColourMap<V> = HashMap<u32, V, BuildHasherDefault<ColourHasher>>;

fn pack(px: &[u8]) -> u32 {
    (u32::from(px[0]) << 16) | (u32::from(px[1]) << 8) | u32::from(px[2])
}

fn unpack(c: u32) -> [u8; 3] {
    [(c >> 16) as u8, (c >> 8) as u8, c as u8]
}

fn distance(a: u32, b: u32) -> u32 {
    let (a, b) = (unpack(a), unpack(b));
    // Weighted squared distance: green errors are the most visible, blue the least.
    let d = |i: usize| (i32::from(a[i]) - i32::from(b[i])).unsigned_abs();
    2 * d(0) * d(0) + 4 * d(1) * d(1) + 3 * d(2) * d(2)
}

/// A palette of at most 256 colours and the index of every pixel.
struct Indexed {
    palette: Vec<u8>,
    indices: Vec<u8>,
}

/// Above this many distinct colours the image is not a chart-like picture and nearest-colour
/// mapping would cost too much; it is stored as RGB instead.
const MAX_DISTINCT: usize = 40_000;

/// Reduces the image to ≤ 256 colours, or `None` when it has too many to do that well.
///
/// Exact when the image already has ≤ 256 colours. Otherwise the palette is picked by pixel
/// count, skipping colours nearly identical to one already picked (so that a long
/// antialiasing ramp does not use up the palette), and every other colour is snapped to its
/// nearest entry. Only antialiased edge pixels move, by a few levels.
fn quantise(rgba: &[u8]) -> Option<Indexed> {
    let mut counts: ColourMap<u32> = ColourMap::default();
    // Long runs of one colour (background, fills) are the norm; counting runs instead of pixels
    // keeps the hashing cost proportional to the number of colour changes.
    let mut run_colour = u32::MAX;
    let mut run_len = 0u32;
    for px in rgba.chunks_exact(4) {
        let c = pack(px);
        if c == run_colour {
            run_len += 1;
        } else {
            if run_len > 0 {
                *counts.entry(run_colour).or_insert(0) += run_len;
            }
            run_colour = c;
            run_len = 1;
            if counts.len() > MAX_DISTINCT {
                return None;
            }
        }
    }
    if run_len > 0 {
        *counts.entry(run_colour).or_insert(0) += run_len;
    }

    let mut by_count: Vec<(u32, u32)> = counts.into_iter().collect();
    // Most frequent first; ties by colour so the output is deterministic.
    by_count.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let exact = by_count.len() <= 256;

    let mut palette: Vec<u32> = Vec::with_capacity(256);
    if exact {
        palette.extend(by_count.iter().map(|&(c, _)| c));
    } else {
        // ~4 levels apart in every channel counts as "nearly identical".
        const MIN_DISTANCE: u32 = 9 * 16;
        for &(c, _) in &by_count {
            if palette.len() == 256 {
                break;
            }
            if palette.iter().all(|&p| distance(p, c) > MIN_DISTANCE) {
                palette.push(c);
            }
        }
        // If the spread-out pass left room, fill it with the next most frequent colours.
        for &(c, _) in &by_count {
            if palette.len() == 256 {
                break;
            }
            if !palette.contains(&c) {
                palette.push(c);
            }
        }
    }

    let mut lookup: ColourMap<u8> = palette
        .iter()
        .enumerate()
        .map(|(i, &c)| (c, i as u8))
        .collect();
    for &(c, _) in &by_count {
        lookup.entry(c).or_insert_with(|| {
            palette
                .iter()
                .enumerate()
                .min_by_key(|&(_, &p)| distance(p, c))
                .map_or(0, |(i, _)| i as u8)
        });
    }

    let mut indices = Vec::with_capacity(rgba.len() / 4);
    let mut last = (u32::MAX, 0u8);
    for px in rgba.chunks_exact(4) {
        let c = pack(px);
        if c != last.0 {
            last = (c, lookup[&c]);
        }
        indices.push(last.1);
    }
    Some(Indexed {
        palette: palette.iter().flat_map(|&c| unpack(c)).collect(),
        indices,
    })
}

fn encode_err(e: png::EncodingError) -> ChartError {
    ChartError::Encode(e.to_string())
}

/// Encodes an opaque RGBA image as PNG: palette-based when the colours allow, RGBA otherwise.
pub(crate) fn encode_png(rgba: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_depth(png::BitDepth::Eight);
    match quantise(rgba) {
        Some(indexed) => {
            encoder.set_color(png::ColorType::Indexed);
            encoder.set_palette(indexed.palette);
            // Level 3 is within ~3 % of level 6 in size on these images at half the time.
            encoder.set_deflate_compression(png::DeflateCompression::Level(3));
            // Filters predict smooth gradients, which palette indices are not; unfiltered
            // rows compress best and fastest here (adaptive filtering: ~30 % larger).
            encoder.set_filter(png::Filter::NoFilter);
            let mut writer = encoder.write_header().map_err(encode_err)?;
            writer
                .write_image_data(&indexed.indices)
                .map_err(encode_err)?;
            writer.finish().map_err(encode_err)?;
        }
        None => {
            encoder.set_color(png::ColorType::Rgba);
            encoder.set_compression(png::Compression::Fast);
            let mut writer = encoder.write_header().map_err(encode_err)?;
            writer.write_image_data(rgba).map_err(encode_err)?;
            writer.finish().map_err(encode_err)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_colours_are_exact_and_many_are_snapped() {
        let few: Vec<u8> = (0..100u8).flat_map(|i| [i % 3, 0, 0, 255]).collect();
        let q = quantise(&few).unwrap();
        assert_eq!(q.palette.len(), 3 * 3);

        let many: Vec<u8> = (0..2000u32)
            .flat_map(|i| [(i % 256) as u8, (i / 256) as u8 * 30, 7, 255])
            .collect();
        let q = quantise(&many).unwrap();
        assert_eq!(q.palette.len(), 256 * 3);
        // Every pixel maps to a palette entry close to it.
        for (px, &i) in many.chunks_exact(4).zip(&q.indices) {
            let p = &q.palette[usize::from(i) * 3..][..3];
            assert!(distance(pack(px), pack(p)) < 9 * 64, "{px:?} → {p:?}");
        }
    }

    #[test]
    fn png_round_trips() {
        let rgba: Vec<u8> = (0..64u32 * 32)
            .flat_map(|i| [(i % 64) as u8 * 4, 0, 255, 255])
            .collect();
        let bytes = encode_png(&rgba, 64, 32).unwrap();
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
        let rgb: Vec<u8> = rgba
            .chunks_exact(4)
            .flat_map(|px| px[..3].to_vec())
            .collect();
        assert_eq!(buf, rgb);
    }
}
