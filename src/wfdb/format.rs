//! Signal formats: how samples are laid out in a signal file, and their decoders.
//!
//! Every decoder turns bytes into a flat, frame-interleaved stream of digital samples (`i32`);
//! de-interleaving, skew and frame averaging happen in [`super::record`], once for all formats.

/// A WFDB signal storage format (`signal(5)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignalFormat {
    /// No data stored (layout headers of multi-segment records); reads as NaN.
    Null,
    /// 8-bit first differences.
    F8,
    /// 16-bit two's complement, little-endian.
    F16,
    /// 24-bit two's complement, little-endian.
    F24,
    /// 32-bit two's complement, little-endian.
    F32,
    /// 16-bit two's complement, big-endian.
    F61,
    /// 8-bit offset binary.
    F80,
    /// 16-bit offset binary.
    F160,
    /// Two 12-bit samples packed in three bytes.
    F212,
    /// Three 10-bit samples packed in two 16-bit words.
    F310,
    /// Three 10-bit samples packed in one 32-bit word.
    F311,
    /// FLAC streams of at most 8, 16 or 24 bits.
    F508,
    F516,
    F524,
}

impl SignalFormat {
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            0 => Self::Null,
            8 => Self::F8,
            16 => Self::F16,
            24 => Self::F24,
            32 => Self::F32,
            61 => Self::F61,
            80 => Self::F80,
            160 => Self::F160,
            212 => Self::F212,
            310 => Self::F310,
            311 => Self::F311,
            508 => Self::F508,
            516 => Self::F516,
            524 => Self::F524,
            _ => return None,
        })
    }

    pub fn code(self) -> u32 {
        match self {
            Self::Null => 0,
            Self::F8 => 8,
            Self::F16 => 16,
            Self::F24 => 24,
            Self::F32 => 32,
            Self::F61 => 61,
            Self::F80 => 80,
            Self::F160 => 160,
            Self::F212 => 212,
            Self::F310 => 310,
            Self::F311 => 311,
            Self::F508 => 508,
            Self::F516 => 516,
            Self::F524 => 524,
        }
    }

    pub fn is_flac(self) -> bool {
        matches!(self, Self::F508 | Self::F516 | Self::F524)
    }

    /// The digital value that marks an invalid sample (WFDB's `WFDB_INVALID_SAMPLE` per format).
    /// Format 8 stores differences and has none.
    pub fn invalid_sample(self) -> Option<i32> {
        match self {
            Self::Null | Self::F8 => None,
            Self::F80 | Self::F508 => Some(-(1 << 7)),
            Self::F310 | Self::F311 => Some(-(1 << 9)),
            Self::F212 => Some(-(1 << 11)),
            Self::F16 | Self::F61 | Self::F160 | Self::F516 => Some(-(1 << 15)),
            Self::F24 | Self::F524 => Some(-(1 << 23)),
            Self::F32 => Some(i32::MIN),
        }
    }

    /// Storage bits per sample, the ADC resolution a header implies when it gives none.
    pub fn bits(self) -> u32 {
        match self {
            Self::Null => 0,
            Self::F8 | Self::F80 | Self::F508 => 8,
            Self::F16 | Self::F61 | Self::F160 | Self::F516 => 16,
            Self::F24 | Self::F524 => 24,
            Self::F32 => 32,
            Self::F212 => 12,
            Self::F310 | Self::F311 => 10,
        }
    }

    /// Bytes needed for `n` samples (packed formats round up to whole blocks, as the writers pad).
    /// `None` for FLAC, whose size is not a function of the sample count.
    pub fn bytes_for_samples(self, n: usize) -> Option<usize> {
        Some(match self {
            Self::Null => 0,
            Self::F8 | Self::F80 => n,
            Self::F16 | Self::F61 | Self::F160 => 2 * n,
            Self::F24 => 3 * n,
            Self::F32 => 4 * n,
            Self::F212 => (3 * n).div_ceil(2),
            Self::F310 | Self::F311 => 4 * n.div_ceil(3),
            Self::F508 | Self::F516 | Self::F524 => return None,
        })
    }

    /// Whole samples held by `n_bytes` bytes (for headers that omit the record length).
    pub fn samples_in_bytes(self, n_bytes: usize) -> Option<usize> {
        Some(match self {
            Self::Null => 0,
            Self::F8 | Self::F80 => n_bytes,
            Self::F16 | Self::F61 | Self::F160 => n_bytes / 2,
            Self::F24 => n_bytes / 3,
            Self::F32 => n_bytes / 4,
            Self::F212 => 2 * n_bytes / 3,
            Self::F310 | Self::F311 => 3 * n_bytes / 4,
            Self::F508 | Self::F516 | Self::F524 => return None,
        })
    }
}

/// Decodes `n` samples from `bytes` into `out` (cleared first). For format 8 the values are the
/// stored differences; the caller integrates them per signal. `bytes` must hold
/// [`SignalFormat::bytes_for_samples`] bytes except that a packed format's last block may be short.
pub(crate) fn decode(format: SignalFormat, bytes: &[u8], n: usize, out: &mut Vec<i32>) {
    out.clear();
    out.reserve(n);
    match format {
        SignalFormat::F8 => out.extend(bytes[..n].iter().map(|&b| b as i8 as i32)),
        SignalFormat::F80 => out.extend(bytes[..n].iter().map(|&b| b as i32 - 128)),
        SignalFormat::F16 => out.extend(
            bytes[..2 * n]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as i32),
        ),
        SignalFormat::F61 => out.extend(
            bytes[..2 * n]
                .chunks_exact(2)
                .map(|c| i16::from_be_bytes([c[0], c[1]]) as i32),
        ),
        SignalFormat::F160 => out.extend(
            bytes[..2 * n]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]) as i32 - 32768),
        ),
        SignalFormat::F24 => out.extend(
            bytes[..3 * n]
                .chunks_exact(3)
                .map(|c| i32::from_le_bytes([0, c[0], c[1], c[2]]) >> 8),
        ),
        SignalFormat::F32 => out.extend(
            bytes[..4 * n]
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        ),
        SignalFormat::F212 => {
            let byte = |i: usize| bytes.get(i).copied().unwrap_or(0) as i32;
            for pair in 0..n.div_ceil(2) {
                let (b0, b1, b2) = (byte(3 * pair), byte(3 * pair + 1), byte(3 * pair + 2));
                out.push(sign_extend(b0 | (b1 & 0x0f) << 8, 12));
                if out.len() < n {
                    out.push(sign_extend(b2 | (b1 >> 4) << 8, 12));
                }
            }
        }
        SignalFormat::F310 => {
            let byte = |i: usize| bytes.get(i).copied().unwrap_or(0) as i32;
            for block in 0..n.div_ceil(3) {
                let b: [i32; 4] = std::array::from_fn(|k| byte(4 * block + k));
                let samples = [
                    (b[0] >> 1) | (b[1] & 0x07) << 7,
                    (b[2] >> 1) | (b[3] & 0x07) << 7,
                    ((b[1] >> 3) & 0x1f) | ((b[3] >> 3) & 0x1f) << 5,
                ];
                for s in samples {
                    if out.len() < n {
                        out.push(sign_extend(s, 10));
                    }
                }
            }
        }
        SignalFormat::F311 => {
            let byte = |i: usize| bytes.get(i).copied().unwrap_or(0) as i32;
            for block in 0..n.div_ceil(3) {
                let b: [i32; 4] = std::array::from_fn(|k| byte(4 * block + k));
                // WFDB Python masks 7 bits of the last byte; bit 30 is never set by writers.
                let samples = [
                    b[0] | (b[1] & 0x03) << 8,
                    (b[1] >> 2) | (b[2] & 0x0f) << 6,
                    (b[2] >> 4) | (b[3] & 0x7f) << 4,
                ];
                for s in samples {
                    if out.len() < n {
                        out.push(if s > 511 { s - 1024 } else { s });
                    }
                }
            }
        }
        // Null signals have no file; FLAC files are decoded by `wfdb::flac`.
        SignalFormat::Null | SignalFormat::F508 | SignalFormat::F516 | SignalFormat::F524 => {}
    }
}

fn sign_extend(value: i32, bits: u32) -> i32 {
    let shift = 32 - bits;
    (value << shift) >> shift
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(format: SignalFormat, bytes: &[u8], n: usize) -> Vec<i32> {
        let mut out = Vec::new();
        decode(format, bytes, n, &mut out);
        out
    }

    #[test]
    fn byte_formats() {
        assert_eq!(
            decoded(SignalFormat::F16, &[0x00, 0x80, 0xff, 0x7f], 2),
            [-32768, 32767]
        );
        assert_eq!(
            decoded(SignalFormat::F61, &[0x80, 0x00, 0x7f, 0xff], 2),
            [-32768, 32767]
        );
        assert_eq!(
            decoded(SignalFormat::F160, &[0x00, 0x00, 0xff, 0xff], 2),
            [-32768, 32767]
        );
        assert_eq!(decoded(SignalFormat::F80, &[0, 255], 2), [-128, 127]);
        assert_eq!(decoded(SignalFormat::F8, &[0xff, 0x01], 2), [-1, 1]);
        assert_eq!(
            decoded(SignalFormat::F24, &[0xfe, 0xff, 0xff, 0x01, 0, 0x80], 2),
            [-2, -(1 << 23) + 1]
        );
        assert_eq!(decoded(SignalFormat::F32, &(-5i32).to_le_bytes(), 1), [-5]);
    }

    #[test]
    fn packed_formats() {
        // 212: samples 0x123 = 291 and -1 (0xfff).
        assert_eq!(
            decoded(SignalFormat::F212, &[0x23, 0xf1, 0xff], 2),
            [291, -1]
        );
        // An odd count reads half of the last block.
        assert_eq!(decoded(SignalFormat::F212, &[0x23, 0xf1], 1), [291]);
        // 311: samples 1, -1, 511 packed into one little-endian 32-bit word.
        let word: u32 = 1 | (0x3ff << 10) | (511 << 20);
        assert_eq!(
            decoded(SignalFormat::F311, &word.to_le_bytes(), 3),
            [1, -1, 511]
        );
        // 310: samples 5, -2, -512.
        let (s0, s1, s2) = (5u16, 0x3feu16, 0x200u16);
        let w0 = (s0 << 1) | ((s2 & 0x1f) << 11);
        let w1 = (s1 << 1) | ((s2 >> 5) << 11);
        let mut bytes = w0.to_le_bytes().to_vec();
        bytes.extend(w1.to_le_bytes());
        assert_eq!(decoded(SignalFormat::F310, &bytes, 3), [5, -2, -512]);
    }

    #[test]
    fn sizes_round_trip() {
        for code in [8, 16, 24, 32, 61, 80, 160, 212, 310, 311] {
            let f = SignalFormat::from_code(code).unwrap();
            assert_eq!(f.code(), code);
            for n in [0, 1, 2, 3, 6, 7] {
                let bytes = f.bytes_for_samples(n).unwrap();
                assert!(f.samples_in_bytes(bytes).unwrap() >= n, "{code} {n}");
            }
        }
    }
}
