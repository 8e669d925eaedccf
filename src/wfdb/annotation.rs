//! Reader of WFDB annotation files in the standard MIT format (`.atr`, `.qrs`, LUDB's `.i`, `.ii` …),
//! giving the same annotations as wfdb-python's `rdann`.
//!
//! The format is a stream of 16-bit little-endian words: the top 6 bits are a code, the low 10 bits a
//! time delta. Codes 1–49 are annotation types; SKIP (59) is followed by a 32-bit interval stored
//! PDP-11 style (high half first); NUM (60), SUB (61) and CHN (62) set a field from their low byte;
//! AUX (63) carries a string of `low byte` bytes padded to an even length; a zero word ends the file.

use std::path::Path;

/// One annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Sample index from the start of the record.
    pub sample: i64,
    /// Annotation code (wfdb-python's `label_store`), 1–49.
    pub code: u8,
    /// Subtype (signed; 0 unless a SUB word follows).
    pub subtype: i8,
    /// Signal channel (carries over from the previous annotation unless a CHN word follows).
    pub chan: u8,
    /// Annotator number (signed; carries over like `chan`).
    pub num: i8,
    /// Auxiliary note, empty when absent.
    pub aux: String,
}

impl Annotation {
    /// The standard symbol of the code, as wfdb-python prints it (`N`, `V`, `(`, `)`, `p`, `t` …).
    pub fn symbol(&self) -> &'static str {
        symbol_of(self.code)
    }
}

/// An annotation file: its annotations and the time resolution it declares, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotations {
    pub annotations: Vec<Annotation>,
    /// From a `## time resolution: X` note at sample 0 (otherwise the record's rate applies).
    pub time_resolution_hz: Option<f64>,
}

/// Errors of the annotation reader.
#[derive(Debug, thiserror::Error)]
pub enum AnnotationError {
    #[error("cannot read annotation file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("annotation file is truncated at byte {offset}")]
    Truncated { offset: usize },
}

const SKIP: u16 = 59;
const NUM: u16 = 60;
const SUB: u16 = 61;
const CHN: u16 = 62;
const AUX: u16 = 63;
const NOTE: u8 = 22;

const SYMBOLS: [&str; 50] = [
    " ", "N", "L", "R", "a", "V", "F", "J", "A", "S", "E", "j", "/", "Q", "~", "[15]", "|", "[17]",
    "s", "T", "*", "D", "\"", "=", "p", "B", "^", "t", "+", "u", "?", "!", "[", "]", "e", "n", "@",
    "x", "f", "(", ")", "r", "[42]", "[43]", "[44]", "[45]", "[46]", "[47]", "[48]", "[49]",
];

/// The symbol of an annotation code (`[code]` for codes without a standard symbol).
pub fn symbol_of(code: u8) -> &'static str {
    SYMBOLS.get(code as usize).copied().unwrap_or("[?]")
}

/// Reads an annotation file from disk.
pub fn read(path: &Path) -> Result<Annotations, AnnotationError> {
    let bytes = std::fs::read(path).map_err(|source| AnnotationError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse(&bytes)
}

/// Parses annotation bytes. Like `rdann`, drops code-0 entries and definition notes at sample 0.
pub fn parse(bytes: &[u8]) -> Result<Annotations, AnnotationError> {
    let word_at = |pos: usize| -> Result<u16, AnnotationError> {
        match bytes.get(pos..pos + 2) {
            Some(w) => Ok(u16::from_le_bytes([w[0], w[1]])),
            None => Err(AnnotationError::Truncated { offset: pos }),
        }
    };
    let mut raw: Vec<Annotation> = Vec::new();
    let mut pos = 0usize;
    let mut time: i64 = 0;
    let (mut chan, mut num) = (0u8, 0i8);
    // A file may end without the terminating zero word; stop at the last whole word.
    while pos + 1 < bytes.len() {
        let mut word = word_at(pos)?;
        if word == 0 {
            break;
        }
        while word >> 10 == SKIP {
            let hi = word_at(pos + 2)? as u32;
            let lo = word_at(pos + 4)? as u32;
            time += ((hi << 16) | lo) as i32 as i64;
            pos += 6;
            word = word_at(pos)?;
        }
        let code = (word >> 10) as u8;
        time += (word & 0x3ff) as i64;
        pos += 2;
        let mut ann = Annotation {
            sample: time,
            code,
            subtype: 0,
            chan,
            num,
            aux: String::new(),
        };
        // Modifier words that follow belong to this annotation.
        while pos + 1 < bytes.len() {
            let w = word_at(pos)?;
            let low = (w & 0xff) as u8;
            match w >> 10 {
                NUM => ann.num = low as i8,
                SUB => ann.subtype = low as i8,
                CHN => ann.chan = low,
                AUX => {
                    let len = low as usize;
                    let text = bytes
                        .get(pos + 2..pos + 2 + len)
                        .ok_or(AnnotationError::Truncated { offset: pos + 2 })?;
                    ann.aux = text.iter().map(|&b| b as char).collect();
                    pos += len.div_ceil(2) * 2;
                }
                _ => break,
            }
            pos += 2;
        }
        chan = ann.chan;
        num = ann.num;
        raw.push(ann);
    }
    let mut time_resolution_hz = None;
    let annotations = raw
        .into_iter()
        .filter(|a| {
            if a.sample == 0 && a.code == NOTE {
                if let Some(rest) = a.aux.strip_prefix("## time resolution: ") {
                    time_resolution_hz = rest.trim_end_matches('\0').trim().parse().ok();
                }
                return false;
            }
            a.code != 0
        })
        .collect();
    Ok(Annotations {
        annotations,
        time_resolution_hz,
    })
}

/// Samples of the QRS peaks in a LUDB-style delineation: each `N` between `(` and `)`.
pub fn qrs_peaks(annotations: &[Annotation]) -> Vec<i64> {
    let mut peaks = Vec::new();
    let mut open = false;
    let mut inside_is_qrs = false;
    let mut candidate = None;
    for a in annotations {
        match a.symbol() {
            "(" => {
                open = true;
                inside_is_qrs = false;
                candidate = None;
            }
            ")" => {
                if open && inside_is_qrs {
                    peaks.extend(candidate);
                }
                open = false;
            }
            "N" if open => {
                inside_is_qrs = true;
                candidate = Some(a.sample);
            }
            _ if open => inside_is_qrs = false,
            _ => {}
        }
    }
    peaks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(code: u16, delta: u16) -> [u8; 2] {
        ((code << 10) | delta).to_le_bytes()
    }

    #[test]
    fn parses_skip_aux_and_modifiers() {
        let mut b = Vec::new();
        b.extend(word(SKIP, 0));
        b.extend(0x0001u16.to_le_bytes()); // high half
        b.extend(0x0002u16.to_le_bytes()); // low half: interval 65538
        b.extend(word(1, 5));
        b.extend(word(AUX, 3));
        b.extend(b"(N\0\0");
        b.extend(word(CHN, 2));
        b.extend(word(5, 10));
        b.extend(word(SUB, 0xff));
        b.extend([0, 0]);
        let parsed = parse(&b);
        let Ok(parsed) = parsed else {
            panic!("{parsed:?}");
        };
        let a = &parsed.annotations;
        assert_eq!(a.len(), 2);
        assert_eq!(
            (a[0].sample, a[0].symbol(), a[0].aux.as_str(), a[0].chan),
            (65543, "N", "(N\0", 2)
        );
        assert_eq!(
            (a[1].sample, a[1].symbol(), a[1].subtype, a[1].chan),
            (65553, "V", -1, 2)
        );
    }

    #[test]
    fn truncated_input_is_an_error() {
        let mut b = Vec::new();
        b.extend(word(SKIP, 0));
        b.extend([1, 0]);
        assert!(parse(&b).is_err());
        assert!(parse(&[]).is_ok_and(|a| a.annotations.is_empty()));
        assert!(parse(&[7]).is_ok());
    }

    #[test]
    fn qrs_peaks_take_n_inside_parentheses() {
        let mk = |sample, code| Annotation {
            sample,
            code,
            subtype: 0,
            chan: 0,
            num: 0,
            aux: String::new(),
        };
        let anns = [
            mk(1, 39),
            mk(2, 24),
            mk(3, 40),
            mk(4, 39),
            mk(5, 1),
            mk(6, 40),
            mk(7, 1),
        ];
        assert_eq!(qrs_peaks(&anns), vec![5]);
    }
}
