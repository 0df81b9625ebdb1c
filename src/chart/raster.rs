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

/// The palette being built, with its channels also kept apart so that the distance from a
/// colour to every entry is one loop the compiler vectorises: nearest-colour search over 256
/// entries for each of a few thousand antialiasing shades is most of the quantiser's time.
#[derive(Default)]
struct Palette {
    colours: Vec<u32>,
    channels: [Vec<i32>; 3],
}

impl Palette {
    fn len(&self) -> usize {
        self.colours.len()
    }

    fn push(&mut self, c: u32) {
        self.colours.push(c);
        for (i, v) in unpack(c).into_iter().enumerate() {
            self.channels[i].push(i32::from(v));
        }
    }

    /// The closest entry to `c` and its distance: a weighted squared distance in which green
    /// errors count most and blue least, as the eye sees them.
    fn nearest(&self, c: u32) -> Option<(usize, u32)> {
        let [r, g, b] = unpack(c).map(i32::from);
        let [pr, pg, pb] = &self.channels;
        // Distances first (vectorised), then the smallest (a short scalar scan).
        let mut d = [0u32; 256];
        for (d, ((&x, &y), &z)) in d.iter_mut().zip(pr.iter().zip(pg).zip(pb)) {
            *d = (2 * (x - r) * (x - r) + 4 * (y - g) * (y - g) + 3 * (z - b) * (z - b)) as u32;
        }
        d[..self.len()]
            .iter()
            .copied()
            .enumerate()
            .min_by_key(|&(_, d)| d)
    }
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
    // One pass cuts the image into runs of one colour (background, fills and glyph interiors
    // make runs long) and numbers the colours as first seen; only a run's first pixel is
    // hashed. The indices are then written run by run.
    let mut runs: Vec<(u32, u16)> = Vec::new();
    let mut colours: Vec<u32> = Vec::new();
    let mut counts: Vec<u32> = Vec::new();
    let mut seen: ColourMap<u16> = ColourMap::default();
    let mut pixels = rgba
        .chunks_exact(4)
        .map(|p| u32::from_le_bytes(p.try_into().expect("chunks of 4")));
    let Some(first) = pixels.next() else {
        return Some(Indexed {
            palette: Vec::new(),
            indices: Vec::new(),
        });
    };
    let mut id_of = |word: u32| -> Option<u16> {
        let c = pack(&word.to_le_bytes());
        let id = *seen.entry(c).or_insert_with(|| {
            colours.push(c);
            counts.push(0);
            // Fits: more than MAX_DISTINCT (< u16::MAX) colours end the pass below.
            (colours.len() - 1) as u16
        });
        (colours.len() <= MAX_DISTINCT).then_some(id)
    };
    let (mut word, mut id, mut len) = (first, id_of(first)?, 1u32);
    for w in pixels {
        if w == word {
            len += 1;
        } else {
            runs.push((len, id));
            (word, id, len) = (w, id_of(w)?, 1);
        }
    }
    runs.push((len, id));
    for &(len, id) in &runs {
        counts[usize::from(id)] += len;
    }

    let mut by_count: Vec<(u32, u32)> = colours.iter().copied().zip(counts).collect();
    // Most frequent first; ties by colour so the output is deterministic.
    by_count.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let exact = by_count.len() <= 256;

    let mut palette = Palette::default();
    if exact {
        for &(c, _) in &by_count {
            palette.push(c);
        }
    } else {
        // ~4 levels apart in every channel counts as "nearly identical".
        const MIN_DISTANCE: u32 = 9 * 16;
        for &(c, _) in &by_count {
            if palette.len() == 256 {
                break;
            }
            if palette.nearest(c).is_none_or(|(_, d)| d > MIN_DISTANCE) {
                palette.push(c);
            }
        }
        // If the spread-out pass left room, fill it with the next most frequent colours.
        for &(c, _) in &by_count {
            if palette.len() == 256 {
                break;
            }
            if !palette.colours.contains(&c) {
                palette.push(c);
            }
        }
    }

    let mut lookup: ColourMap<u8> = palette
        .colours
        .iter()
        .enumerate()
        .map(|(i, &c)| (c, i as u8))
        .collect();
    for &(c, _) in &by_count {
        lookup
            .entry(c)
            .or_insert_with(|| palette.nearest(c).map_or(0, |(i, _)| i as u8));
    }

    let by_id: Vec<u8> = colours.iter().map(|c| lookup[c]).collect();
    let mut indices = Vec::with_capacity(rgba.len() / 4);
    for (len, id) in runs {
        indices.resize(indices.len() + len as usize, by_id[usize::from(id)]);
    }
    Some(Indexed {
        palette: palette.colours.iter().flat_map(|&c| unpack(c)).collect(),
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
            // Level 1: a radar at 800×500 in ~0.25 ms and ~33 KB; level 3 saves a fifth of
            // the bytes for twice the time, level 6 a few per cent more for four times.
            encoder.set_deflate_compression(png::DeflateCompression::Level(1));
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
            let mut one = Palette::default();
            one.push(pack(p));
            let (_, d) = one.nearest(pack(px)).unwrap();
            assert!(d < 9 * 64, "{px:?} → {p:?}");
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
