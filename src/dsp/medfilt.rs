//! Running median and median baseline removal, exactly as `scipy.signal.medfilt` (odd window,
//! zero-padded edges).
//!
//! Long windows are held in two indexed binary heaps (the lower half in a max-heap, the upper half in
//! a min-heap). Each step *replaces* the oldest sample with the newest in place, so the heap sizes
//! never change and a step costs O(log w): the whole filter is O(n log w), allocation-free after
//! setup. Windows up to [`SORTED_WINDOW_MAX`] samples (the 61-sample baseline window among them) use
//! a sorted array instead, O(n·w) in theory but faster in practice at these sizes. Up to 63 samples
//! on x86-64 the sorted window lives in vector registers and each step is a merge with no search
//! (see [`merge_setup`]); measured on the twelve leads of a 100 Hz PTB-XL record, 91 µs with
//! AVX-512 and about 180 µs with AVX2, against 357 µs for the sorted array in memory (two counted
//! searches and a memmove per step). All give exactly the same medians.

use super::DspError;
use std::cmp::Ordering;

/// Running median of odd length `window` with zeros outside the signal (`scipy.signal.medfilt`).
///
/// Non-finite samples are ordered by IEEE total order (NaN above +inf) rather than rejected, so the
/// function never fails on data; callers that care should check finiteness first.
pub fn medfilt(x: &[f64], window: usize) -> Result<Vec<f64>, DspError> {
    if window == 0 || window.is_multiple_of(2) {
        return Err(DspError::InvalidArgument(format!(
            "median window must be a positive odd number of samples, got {window}"
        )));
    }
    if window > MAX_WINDOW {
        return Err(DspError::InvalidArgument(format!(
            "median window of {window} samples is longer than the supported {MAX_WINDOW}"
        )));
    }
    let n = x.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    if window == 1 {
        return Ok(x.to_vec());
    }
    if window <= SORTED_WINDOW_MAX {
        return Ok(medfilt_sorted(x, window));
    }
    Ok(medfilt_heaps(x, window))
}

/// The two-heap running median, O(n log w); `x` non-empty, `window` odd and > 1.
fn medfilt_heaps(x: &[f64], window: usize) -> Vec<f64> {
    let n = x.len();
    let half = window / 2;
    let sample = |pos: isize| -> f64 {
        if pos < 0 {
            0.0
        } else {
            x.get(pos as usize).copied().unwrap_or(0.0)
        }
    };
    // Window slot s holds position i - half + ((s - i) mod w); the slot of the oldest sample is
    // reused for the newest one.
    let mut values: Vec<f64> = (0..window)
        .map(|s| sample(s as isize - half as isize))
        .collect();
    let mut heaps = TwoHeaps::new(&values, half);
    let mut out = Vec::with_capacity(n);
    out.push(heaps.median(&values));
    for i in 1..n {
        let slot = (i - 1) % window;
        values[slot] = sample((i + half) as isize);
        heaps.replaced(slot, &values);
        out.push(heaps.median(&values));
    }
    out
}

/// Longest median window accepted (the window is held in memory).
pub const MAX_WINDOW: usize = 1 << 22;

/// Windows up to this length use the sorted-array median.
pub const SORTED_WINDOW_MAX: usize = 255;

/// Maps a float to an integer with the same order as `f64::total_cmp` (the map is its own inverse).
fn total_key(v: f64) -> i64 {
    let bits = v.to_bits() as i64;
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}

fn from_total_key(k: i64) -> f64 {
    f64::from_bits((k ^ ((((k >> 63) as u64) >> 1) as i64)) as u64)
}

#[inline(always)]
/// Indices of the first elements not below `key1` and `key2` in sorted `a`, by branch-free binary
/// searches (real ECG samples make a branching search mispredict about every other step), run
/// interleaved so each hides the other's load latency.
fn lower_bounds(a: &[i64], key1: i64, key2: i64) -> (usize, usize) {
    let (mut base1, mut base2) = (0usize, 0usize);
    let mut size = a.len();
    while size > 1 {
        let half = size / 2;
        let (mid1, mid2) = (base1 + half, base2 + half);
        base1 = if a[mid1 - 1] < key1 { mid1 } else { base1 };
        base2 = if a[mid2 - 1] < key2 { mid2 } else { base2 };
        size -= half;
    }
    (
        base1 + usize::from(a.get(base1).is_some_and(|&v| v < key1)),
        base2 + usize::from(a.get(base2).is_some_and(|&v| v < key2)),
    )
}

/// The sorted-array running median (same result as the heaps). Values are kept as integer keys of
/// the IEEE total order, so comparisons are integer ones. Up to 63 samples, with AVX-512 or AVX2,
/// the sorted window lives in registers and is updated by a merge (see [`merge_setup`]); longer
/// windows with AVX2 find the two positions by counting (`vpcmpgtq` over the whole window, no
/// dependent loads); otherwise by binary search.
fn medfilt_sorted(x: &[f64], window: usize) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if window <= MERGE_WINDOW_MAX && std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU supports AVX-512F, checked just above.
        return unsafe { avx512::medfilt(x, window) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe {
            if window <= MERGE_WINDOW_MAX {
                avx2_merge::medfilt(x, window)
            } else {
                medfilt_sorted_avx2(x, window)
            }
        };
    }
    medfilt_sorted_with(x, window, lower_bounds)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn medfilt_sorted_avx2(x: &[f64], window: usize) -> Vec<f64> {
    medfilt_sorted_with(x, window, count_below)
}

/// How many elements of `a` are below `key1` and below `key2`: for sorted `a`, the same indices as
/// [`lower_bounds`]. Branch-free and vectorisable.
#[inline(always)]
fn count_below(a: &[i64], key1: i64, key2: i64) -> (usize, usize) {
    let (mut c1, mut c2) = (0usize, 0usize);
    for &v in a {
        c1 += usize::from(v < key1);
        c2 += usize::from(v < key2);
    }
    (c1, c2)
}

#[inline(always)]
fn medfilt_sorted_with(
    x: &[f64],
    window: usize,
    positions: impl Fn(&[i64], i64, i64) -> (usize, usize),
) -> Vec<f64> {
    let n = x.len();
    let half = window / 2;
    let zero = total_key(0.0);
    let at = |pos: isize| -> i64 {
        if pos < 0 {
            zero
        } else {
            x.get(pos as usize).map_or(zero, |&v| total_key(v))
        }
    };
    let mut sorted: Vec<i64> = (0..window)
        .map(|s| at(s as isize - half as isize))
        .collect();
    sorted.sort_unstable();
    let mut out = Vec::with_capacity(n);
    out.push(from_total_key(sorted[half]));
    for i in 1..n {
        let old = at(i as isize - 1 - half as isize);
        let new = at((i + half) as isize);
        if old != new {
            // `old` is in the window, so the search finds an element equal to it.
            let (from, to) = positions(&sorted, old, new);
            if to > from {
                // Shift the elements between down by one and put `new` just before position `to`.
                sorted.copy_within(from + 1..to, from);
                sorted[to - 1] = new;
            } else {
                sorted.copy_within(to..from, to + 1);
                sorted[to] = new;
            }
        }
        out.push(from_total_key(sorted[half]));
    }
    out
}

/// Windows up to this length can use the register merge kernels ([`avx512`], [`avx2_merge`]).
const MERGE_WINDOW_MAX: usize = 63;

/// Where the median sits in the 64 keys of a merge kernel, whatever the window.
const MERGE_MIDDLE: usize = 31;

/// Setup shared by the merge kernels: the keys of the zero-padded signal (position `p` is sample
/// `p − half`), and the first window sorted into 64 keys with `i64::MIN` padding below and
/// `i64::MAX` above, placed so that the median is at [`MERGE_MIDDLE`].
///
/// The kernels rest on one observation: replacing `old` by `new` in a sorted array is a merge that
/// needs no positions. When `old < new`, every element from `old`'s first copy on becomes
/// `max(a[j], min(a[j + 1], new))`: the run up to `new` moves down one place and `new` drops into
/// the gap. When `old > new`, every element up to `old`'s last copy becomes
/// `min(a[j], max(a[j − 1], new))`. A step is then a few vector instructions per register with the
/// whole window in registers: no searches, no stores, no memmove. Padding keys equal to real ones (a
/// NaN with a full payload) are harmless, as equal keys are interchangeable.
fn merge_setup(x: &[f64], window: usize) -> (Vec<i64>, [i64; 64]) {
    let n = x.len();
    let half = window / 2;
    let mut keys = vec![total_key(0.0); n + 2 * half];
    for (k, &v) in keys[half..half + n].iter_mut().zip(x) {
        *k = total_key(v);
    }
    let below = MERGE_MIDDLE - half;
    let mut first = [i64::MAX; 64];
    first[..below].fill(i64::MIN);
    first[below..below + window].copy_from_slice(&keys[..window]);
    first.sort_unstable();
    (keys, first)
}

/// The merge with the 64 keys in eight AVX-512 registers.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{MERGE_MIDDLE, from_total_key, merge_setup};
    use std::arch::x86_64::*;

    /// `x` non-empty, `window` odd, 1 < `window` ≤ `MERGE_WINDOW_MAX`.
    #[target_feature(enable = "avx512f")]
    pub fn medfilt(x: &[f64], window: usize) -> Vec<f64> {
        let (keys, first) = merge_setup(x, window);
        // SAFETY: each offset leaves 8 i64 values to read inside `first`.
        let load = |at: usize| unsafe { _mm512_loadu_si512(first[at..at + 8].as_ptr().cast()) };
        // Eight named registers: LLVM kept an array of them on the stack.
        let (mut a0, mut a1, mut a2, mut a3) = (load(0), load(8), load(16), load(24));
        let (mut a4, mut a5, mut a6, mut a7) = (load(32), load(40), load(48), load(56));
        let top = _mm512_set1_epi64(i64::MAX);
        let bottom = _mm512_set1_epi64(i64::MIN);
        // Written in place, not pushed: a possible reallocation call inside the loop would make
        // LLVM keep every register on the stack (all vector registers are caller-saved).
        let mut out = vec![0.0; x.len()];
        out[0] = middle(a3);
        let steps = keys.iter().zip(&keys[window..]).zip(&mut out[1..]);
        for ((&old, &new), median) in steps {
            let (old_v, new_v) = (_mm512_set1_epi64(old), _mm512_set1_epi64(new));
            if old < new {
                // Ascending, so each register still sees its successor's old contents.
                let up = |cur: __m512i, next: __m512i| {
                    let shifted = _mm512_alignr_epi64::<1>(next, cur);
                    let merged = _mm512_max_epi64(cur, _mm512_min_epi64(shifted, new_v));
                    _mm512_mask_blend_epi64(_mm512_cmplt_epi64_mask(cur, old_v), merged, cur)
                };
                a0 = up(a0, a1);
                a1 = up(a1, a2);
                a2 = up(a2, a3);
                a3 = up(a3, a4);
                a4 = up(a4, a5);
                a5 = up(a5, a6);
                a6 = up(a6, a7);
                a7 = up(a7, top);
            } else if old > new {
                let down = |cur: __m512i, prev: __m512i| {
                    let shifted = _mm512_alignr_epi64::<7>(cur, prev);
                    let merged = _mm512_min_epi64(cur, _mm512_max_epi64(shifted, new_v));
                    _mm512_mask_blend_epi64(_mm512_cmpgt_epi64_mask(cur, old_v), merged, cur)
                };
                a7 = down(a7, a6);
                a6 = down(a6, a5);
                a5 = down(a5, a4);
                a4 = down(a4, a3);
                a3 = down(a3, a2);
                a2 = down(a2, a1);
                a1 = down(a1, a0);
                a0 = down(a0, bottom);
            }
            *median = middle(a3);
        }
        out
    }

    /// Key 31 is lane 7 of the fourth register.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn middle(a3: __m512i) -> f64 {
        const { assert!(MERGE_MIDDLE == 3 * 8 + 7) };
        from_total_key(_mm256_extract_epi64::<3>(_mm512_extracti64x4_epi64::<1>(
            a3,
        )))
    }
}

/// The merge with the 64 keys in sixteen AVX2 registers: AVX2 has no 64-bit min or max, so each
/// is a compare and a blend, and a few registers spill. About half the speed of [`avx512`], twice
/// that of the searching kernel.
#[cfg(target_arch = "x86_64")]
mod avx2_merge {
    use super::{MERGE_MIDDLE, from_total_key, merge_setup};
    use std::arch::x86_64::*;

    const VECTORS: usize = 16;

    /// `x` non-empty, `window` odd, 1 < `window` ≤ `MERGE_WINDOW_MAX`.
    #[target_feature(enable = "avx2")]
    pub fn medfilt(x: &[f64], window: usize) -> Vec<f64> {
        let (keys, first) = merge_setup(x, window);
        let mut a: [__m256i; VECTORS] = std::array::from_fn(|i| {
            // SAFETY: 4 i64 values from offset 4·i < 64.
            unsafe { _mm256_loadu_si256(first[4 * i..4 * i + 4].as_ptr().cast()) }
        });
        let top = _mm256_set1_epi64x(i64::MAX);
        let bottom = _mm256_set1_epi64x(i64::MIN);
        let mut out = vec![0.0; x.len()];
        out[0] = middle(a[MERGE_MIDDLE / 4]);
        let steps = keys.iter().zip(&keys[window..]).zip(&mut out[1..]);
        for ((&old, &new), median) in steps {
            let (old_v, new_v) = (_mm256_set1_epi64x(old), _mm256_set1_epi64x(new));
            if old < new {
                for i in 0..VECTORS {
                    let next = if i + 1 < VECTORS { a[i + 1] } else { top };
                    let halves = _mm256_permute2x128_si256::<0x21>(a[i], next);
                    let shifted = _mm256_alignr_epi8::<8>(halves, a[i]);
                    let merged = max(a[i], min(shifted, new_v));
                    a[i] = select(_mm256_cmpgt_epi64(old_v, a[i]), merged, a[i]);
                }
            } else if old > new {
                for i in (0..VECTORS).rev() {
                    let prev = if i > 0 { a[i - 1] } else { bottom };
                    let halves = _mm256_permute2x128_si256::<0x21>(prev, a[i]);
                    let shifted = _mm256_alignr_epi8::<8>(a[i], halves);
                    let merged = min(a[i], max(shifted, new_v));
                    a[i] = select(_mm256_cmpgt_epi64(a[i], old_v), merged, a[i]);
                }
            }
            *median = middle(a[MERGE_MIDDLE / 4]);
        }
        out
    }

    /// Lanes of `mask` that are all ones take `b`, the others `a`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn select(mask: __m256i, a: __m256i, b: __m256i) -> __m256i {
        let pd = _mm256_castsi256_pd;
        _mm256_castpd_si256(_mm256_blendv_pd(pd(a), pd(b), pd(mask)))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn min(a: __m256i, b: __m256i) -> __m256i {
        select(_mm256_cmpgt_epi64(a, b), a, b)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn max(a: __m256i, b: __m256i) -> __m256i {
        select(_mm256_cmpgt_epi64(a, b), b, a)
    }

    /// Key 31 is lane 3 of the eighth register.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn middle(v: __m256i) -> f64 {
        const { assert!(MERGE_MIDDLE == 7 * 4 + 3) };
        from_total_key(_mm256_extract_epi64::<3>(v))
    }
}

/// `x − medfilt(x, w)` where `w = round(window_s · fs_hz)`, made odd by adding one when even
/// (0.6 s at 100 Hz gives 61 samples, as METHOD.md states).
pub fn remove_baseline(x: &[f64], fs_hz: f64, window_s: f64) -> Result<Vec<f64>, DspError> {
    let window = baseline_window(fs_hz, window_s)?;
    let median = medfilt(x, window)?;
    Ok(x.iter().zip(&median).map(|(v, m)| v - m).collect())
}

/// The odd median window length, in samples, for a window of `window_s` seconds at `fs_hz`.
pub fn baseline_window(fs_hz: f64, window_s: f64) -> Result<usize, DspError> {
    let samples = (window_s * fs_hz).round();
    if !(1.0..1e9).contains(&samples) {
        return Err(DspError::InvalidArgument(format!(
            "baseline window of {window_s} s at {fs_hz} Hz is not a usable number of samples"
        )));
    }
    let samples = samples as usize;
    Ok(if samples.is_multiple_of(2) {
        samples + 1
    } else {
        samples
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Low,
    High,
}

/// Two indexed heaps over window slots: `low` (max-heap, `half + 1` slots) and `high` (min-heap,
/// `half` slots). Every value in `low` is ≤ every value in `high`, so the median is `low`'s top.
struct TwoHeaps {
    low: Vec<usize>,
    high: Vec<usize>,
    /// For each slot: which heap holds it and where.
    place: Vec<(Side, usize)>,
}

fn cmp(a: f64, b: f64) -> Ordering {
    a.total_cmp(&b)
}

impl TwoHeaps {
    fn new(values: &[f64], half: usize) -> Self {
        let mut slots: Vec<usize> = (0..values.len()).collect();
        slots.sort_by(|&a, &b| cmp(values[a], values[b]));
        // Ascending order is a valid min-heap; descending a valid max-heap.
        let mut low: Vec<usize> = slots[..=half].to_vec();
        low.reverse();
        let high: Vec<usize> = slots[half + 1..].to_vec();
        let mut place = vec![(Side::Low, 0); values.len()];
        for (i, &s) in low.iter().enumerate() {
            place[s] = (Side::Low, i);
        }
        for (i, &s) in high.iter().enumerate() {
            place[s] = (Side::High, i);
        }
        Self { low, high, place }
    }

    fn median(&self, values: &[f64]) -> f64 {
        values[self.low[0]]
    }

    /// Restores both heap orders after the value in `slot` changed.
    fn replaced(&mut self, slot: usize, values: &[f64]) {
        let (side, pos) = self.place[slot];
        let pos = self.sift_up(side, pos, values);
        self.sift_down(side, pos, values);
        let (Some(&lo), Some(&hi)) = (self.low.first(), self.high.first()) else {
            return;
        };
        if cmp(values[lo], values[hi]) == Ordering::Greater {
            self.low[0] = hi;
            self.high[0] = lo;
            self.place[hi] = (Side::Low, 0);
            self.place[lo] = (Side::High, 0);
            self.sift_down(Side::Low, 0, values);
            self.sift_down(Side::High, 0, values);
        }
    }

    /// True when `a` belongs above `b` in the given heap.
    fn before(side: Side, a: f64, b: f64) -> bool {
        match side {
            Side::Low => cmp(a, b) == Ordering::Greater,
            Side::High => cmp(a, b) == Ordering::Less,
        }
    }

    fn swap(&mut self, side: Side, i: usize, j: usize) {
        let heap = match side {
            Side::Low => &mut self.low,
            Side::High => &mut self.high,
        };
        heap.swap(i, j);
        let (si, sj) = (heap[i], heap[j]);
        self.place[si] = (side, i);
        self.place[sj] = (side, j);
    }

    fn sift_up(&mut self, side: Side, mut pos: usize, values: &[f64]) -> usize {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            let heap = match side {
                Side::Low => &self.low,
                Side::High => &self.high,
            };
            if Self::before(side, values[heap[pos]], values[heap[parent]]) {
                self.swap(side, pos, parent);
                pos = parent;
            } else {
                break;
            }
        }
        pos
    }

    fn sift_down(&mut self, side: Side, mut pos: usize, values: &[f64]) {
        loop {
            let heap = match side {
                Side::Low => &self.low,
                Side::High => &self.high,
            };
            let (left, right) = (2 * pos + 1, 2 * pos + 2);
            let mut best = pos;
            if left < heap.len() && Self::before(side, values[heap[left]], values[heap[best]]) {
                best = left;
            }
            if right < heap.len() && Self::before(side, values[heap[right]], values[heap[best]]) {
                best = right;
            }
            if best == pos {
                break;
            }
            self.swap(side, pos, best);
            pos = best;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: sort each zero-padded window and take the middle.
    fn naive(x: &[f64], w: usize) -> Vec<f64> {
        let h = (w / 2) as isize;
        (0..x.len() as isize)
            .map(|i| {
                let mut win: Vec<f64> = (i - h..=i + h)
                    .map(|p| {
                        if p < 0 {
                            0.0
                        } else {
                            x.get(p as usize).copied().unwrap_or(0.0)
                        }
                    })
                    .collect();
                win.sort_by(|a, b| a.total_cmp(b));
                win[w / 2]
            })
            .collect()
    }

    #[test]
    fn matches_the_definition_on_pseudo_random_data() {
        let mut state = 12345u64;
        let x: Vec<f64> = (0..500)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 33) % 21) as f64 - 10.0
            })
            .collect();
        for w in [1, 3, 5, 61, 253, 255, 257, 499, 501, 999] {
            assert_eq!(
                medfilt(&x, w).unwrap_or_default(),
                naive(&x, w),
                "window {w}"
            );
        }
        assert_eq!(medfilt(&x[..2], 5).unwrap_or_default(), naive(&x[..2], 5));
    }

    /// Each kernel on its own (the public function only reaches the one this CPU prefers), on data
    /// full of ties, signed zeros, infinities and NaNs, compared bit for bit.
    #[test]
    fn every_kernel_matches_the_definition_on_awkward_data() {
        let specials = [
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
        ];
        let mut state = 99u64;
        let x: Vec<f64> = (0..300)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (state >> 33) as usize;
                if r.is_multiple_of(17) {
                    specials[(r / 17) % specials.len()]
                } else {
                    (r % 9) as f64 - 4.0
                }
            })
            .collect();
        let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        for w in (3..=65).step_by(2).chain([101, 255]) {
            for len in [1, 2, w / 2, w, x.len()] {
                let x = &x[..len.clamp(1, x.len())];
                let want = bits(naive(x, w));
                assert_eq!(
                    bits(medfilt_sorted_with(x, w, lower_bounds)),
                    want,
                    "search {w}"
                );
                assert_eq!(
                    bits(medfilt_sorted_with(x, w, count_below)),
                    want,
                    "count {w}"
                );
                assert_eq!(bits(medfilt_heaps(x, w)), want, "heaps {w}");
                #[cfg(target_arch = "x86_64")]
                if w <= MERGE_WINDOW_MAX && std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports AVX-512F, checked just above.
                    assert_eq!(bits(unsafe { avx512::medfilt(x, w) }), want, "avx512 {w}");
                }
                #[cfg(target_arch = "x86_64")]
                if w <= MERGE_WINDOW_MAX && std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2, checked just above.
                    assert_eq!(bits(unsafe { avx2_merge::medfilt(x, w) }), want, "avx2 {w}");
                }
            }
        }
    }

    #[test]
    fn lower_bound_matches_partition_point() {
        let a = [-5i64, -5, 0, 1, 1, 1, 7, 9, 9];
        for key in -7..12 {
            for len in 0..=a.len() {
                let s = &a[..len];
                let want = s.partition_point(|&v| v < key);
                let want3 = s.partition_point(|&v| v < 3);
                assert_eq!(lower_bounds(s, key, 3), (want, want3), "{key} {len}");
                assert_eq!(count_below(s, key, 3), (want, want3), "{key} {len}");
            }
        }
    }

    #[test]
    fn even_window_is_an_error() {
        assert!(medfilt(&[1.0, 2.0], 4).is_err());
        assert!(medfilt(&[1.0, 2.0], 0).is_err());
    }

    #[test]
    fn baseline_window_is_61_at_100_hz() {
        assert_eq!(baseline_window(100.0, 0.6), Ok(61));
        assert_eq!(baseline_window(500.0, 0.6), Ok(301));
        assert!(baseline_window(100.0, -1.0).is_err());
    }
}
