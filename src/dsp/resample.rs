//! Polyphase resampling, exactly as `scipy.signal.resample_poly(x, up, down)` with its defaults:
//! a Kaiser-windowed (β = 5) sinc low-pass from `firwin` with `10 · max(up, down)` taps per side, gain
//! `up`, zero-padded edges and SciPy's output length and phase alignment.
//!
//! This is how the reference brings 500 Hz (PTB-XL), 1000 Hz (PTB) and 257 Hz (INCART) records to the
//! 100 Hz the models run at.

use super::DspError;
use super::linalg::pairwise_sum;

/// Largest reduced up or down factor accepted; the filter has 20 taps per unit of it.
const MAX_FACTOR: usize = 100_000;

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Reduced `(up, down)` with `fs_out / fs_in = up / down` (500 → 100 Hz gives (1, 5), 257 → 100 Hz
/// gives (100, 257)). Non-integer rates are approximated by continued fractions to 1e-9 relative.
pub fn rational_factors(fs_in_hz: f64, fs_out_hz: f64) -> Result<(usize, usize), DspError> {
    let usable = |f: f64| f.is_finite() && f > 0.0 && f < 1e9;
    if !usable(fs_in_hz) || !usable(fs_out_hz) {
        return Err(DspError::InvalidArgument(format!(
            "sampling rates must be positive and finite, got {fs_in_hz} Hz → {fs_out_hz} Hz"
        )));
    }
    let (up, down) = if fs_in_hz.fract() == 0.0 && fs_out_hz.fract() == 0.0 {
        let (i, o) = (fs_in_hz as usize, fs_out_hz as usize);
        let g = gcd(i, o);
        (o / g, i / g)
    } else {
        approximate_ratio(fs_out_hz / fs_in_hz).ok_or_else(|| {
            DspError::InvalidArgument(format!(
                "no small rational factor maps {fs_in_hz} Hz to {fs_out_hz} Hz"
            ))
        })?
    };
    if up.max(down) > MAX_FACTOR {
        return Err(DspError::InvalidArgument(format!(
            "resampling {fs_in_hz} Hz → {fs_out_hz} Hz needs factors {up}/{down}, above {MAX_FACTOR}"
        )));
    }
    Ok((up, down))
}

/// Continued-fraction convergent of `ratio` within 1e-9 relative, denominators up to `MAX_FACTOR`.
fn approximate_ratio(ratio: f64) -> Option<(usize, usize)> {
    let (mut h0, mut h1) = (0u128, 1u128);
    let (mut k0, mut k1) = (1u128, 0u128);
    let mut rest = ratio;
    for _ in 0..64 {
        let a = rest.floor();
        if !(a.is_finite() && a < 1e12) {
            return None;
        }
        let a = a as u128;
        (h0, h1) = (h1, a * h1 + h0);
        (k0, k1) = (k1, a * k1 + k0);
        if k1 as usize > MAX_FACTOR || h1 as usize > MAX_FACTOR {
            return None;
        }
        if k1 > 0 && ((h1 as f64 / k1 as f64) / ratio - 1.0).abs() < 1e-9 {
            return Some((h1 as usize, k1 as usize));
        }
        let frac = rest - rest.floor();
        if frac == 0.0 {
            return None;
        }
        rest = 1.0 / frac;
    }
    None
}

/// Modified Bessel function of the first kind, order 0, by its power series (all terms positive,
/// so it is accurate to a few ulps for the Kaiser arguments used here).
fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..500 {
        term *= q / (k as f64 * k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// Low-pass FIR with cut-off `cutoff` (relative to Nyquist) and a symmetric Kaiser window, scaled
/// to unit DC gain: `scipy.signal.firwin(numtaps, cutoff, window=('kaiser', beta))`.
pub fn firwin_kaiser(numtaps: usize, cutoff: f64, beta: f64) -> Result<Vec<f64>, DspError> {
    if numtaps == 0 || !(cutoff > 0.0 && cutoff < 1.0) {
        return Err(DspError::FilterDesign(format!(
            "FIR low-pass needs taps > 0 and 0 < cutoff < 1, got {numtaps} taps, cutoff {cutoff}"
        )));
    }
    let alpha = 0.5 * (numtaps as f64 - 1.0);
    let i0_beta = bessel_i0(beta);
    let mut h: Vec<f64> = (0..numtaps)
        .map(|n| {
            let m = n as f64 - alpha;
            let x = cutoff * m;
            let sinc = if x == 0.0 {
                1.0
            } else {
                let y = std::f64::consts::PI * x;
                y.sin() / y
            };
            let window = if numtaps == 1 {
                1.0
            } else {
                let r = (n as f64 - alpha) / alpha;
                bessel_i0(beta * (1.0 - r * r).sqrt()) / i0_beta
            };
            cutoff * sinc * window
        })
        .collect();
    let s = pairwise_sum(&h);
    for v in &mut h {
        *v /= s;
    }
    Ok(h)
}

/// Memoised anti-aliasing filters, keyed by reduced (up, down).
type DesignCache = std::cell::RefCell<Vec<((usize, usize), std::rc::Rc<Vec<f64>>)>>;

thread_local! {
    /// The last few anti-aliasing filters: a whole dataset usually shares one rate, and the
    /// 257 → 100 Hz design alone has 5,141 Kaiser taps.
    static DESIGNS: DesignCache = const { std::cell::RefCell::new(Vec::new()) };
}

/// `firwin(2·half_len + 1, 1/max_rate, ('kaiser', 5.0)) · up` for reduced factors, memoised.
fn design_cached(up: usize, down: usize) -> Result<std::rc::Rc<Vec<f64>>, DspError> {
    if let Some(h) = DESIGNS.with(|d| {
        d.borrow()
            .iter()
            .find(|(key, _)| *key == (up, down))
            .map(|(_, h)| h.clone())
    }) {
        return Ok(h);
    }
    let max_rate = up.max(down);
    let mut h = firwin_kaiser(2 * 10 * max_rate + 1, 1.0 / max_rate as f64, 5.0)?;
    for v in &mut h {
        *v *= up as f64;
    }
    let h = std::rc::Rc::new(h);
    DESIGNS.with(|d| {
        let mut d = d.borrow_mut();
        if d.len() >= 8 {
            d.remove(0);
        }
        d.push(((up, down), h.clone()));
    });
    Ok(h)
}

/// `((in_len − 1)·up + len_h − 1) / down + 1`, SciPy's `_output_len`.
fn output_len(len_h: usize, in_len: usize, up: usize, down: usize) -> usize {
    ((in_len - 1) * up + len_h - 1) / down + 1
}

/// Resamples `x` by `up / down` exactly as `scipy.signal.resample_poly(x, up, down)`.
///
/// The output has `ceil(len · up / down)` samples (after reducing the factors).
pub fn resample_poly(x: &[f64], up: usize, down: usize) -> Result<Vec<f64>, DspError> {
    if up == 0 || down == 0 {
        return Err(DspError::InvalidArgument(format!(
            "resampling factors must be ≥ 1, got up {up}, down {down}"
        )));
    }
    let g = gcd(up, down);
    let (up, down) = (up / g, down / g);
    if up.max(down) > MAX_FACTOR {
        return Err(DspError::InvalidArgument(format!(
            "resampling factors {up}/{down} exceed {MAX_FACTOR}"
        )));
    }
    if up == 1 && down == 1 {
        return Ok(x.to_vec());
    }
    let n_in = x.len();
    if n_in == 0 {
        return Ok(Vec::new());
    }
    let n_out = (n_in * up).div_ceil(down);
    let max_rate = up.max(down);
    let half_len = 10 * max_rate;
    let h = design_cached(up, down)?;
    let n_pre_pad = down - half_len % down;
    let mut n_post_pad = 0;
    let n_pre_remove = (half_len + n_pre_pad) / down;
    while output_len(h.len() + n_pre_pad + n_post_pad, n_in, up, down) < n_out + n_pre_remove {
        n_post_pad += 1;
    }
    let mut hp = vec![0.0; n_pre_pad];
    hp.extend_from_slice(h.as_slice());
    hp.extend(std::iter::repeat_n(0.0, n_post_pad));
    Ok(upfirdn_range(&hp, x, up, down, n_pre_remove, n_out))
}

/// [`upfirdn_range_with`], compiled for AVX2 when the CPU has it. Only the vector width changes (no
/// FMA), so both paths give bit-identical results.
fn upfirdn_range(
    h: &[f64],
    x: &[f64],
    up: usize,
    down: usize,
    first: usize,
    count: usize,
) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { upfirdn_range_avx2(h, x, up, down, first, count) };
    }
    upfirdn_range_with(h, x, up, down, first, count)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn upfirdn_range_avx2(
    h: &[f64],
    x: &[f64],
    up: usize,
    down: usize,
    first: usize,
    count: usize,
) -> Vec<f64> {
    upfirdn_range_with(h, x, up, down, first, count)
}

/// Outputs `first .. first + count` of upsample-by-`up`, FIR `h`, downsample-by-`down`, with zeros
/// outside `x`.
///
/// Output `k` sits at upsampled position `t = k·down` and sums `x[i] · h[t − i·up]`. The taps that
/// meet one output all belong to phase `t mod up`, so each phase is stored reversed once; every
/// output is then a dot product of two contiguous slices, which the compiler vectorises.
#[inline(always)]
fn upfirdn_range_with(
    h: &[f64],
    x: &[f64],
    up: usize,
    down: usize,
    first: usize,
    count: usize,
) -> Vec<f64> {
    let len_h = h.len();
    let n_in = x.len();
    // phases[ph][m] = h[ph + up·(len_ph − 1 − m)]: phase `ph`'s taps, last first.
    let phases: Vec<Vec<f64>> = (0..up)
        .map(|ph| {
            let mut taps: Vec<f64> = h.iter().skip(ph).step_by(up).copied().collect();
            taps.reverse();
            taps
        })
        .collect();
    (first..first + count)
        .map(|k| {
            let t = k * down;
            let (ph, q) = (t % up, t / up);
            let taps = &phases[ph];
            // Input i meets tap j = q − i of this phase; j < len_ph, i ≤ n_in − 1, i ≥ 0.
            let i_max = q.min(n_in - 1);
            let i_min = (q + 1).saturating_sub(taps.len());
            if i_min > i_max || len_h == 0 {
                return 0.0;
            }
            // Tap j = q − i sits at reversed index len_ph − 1 − j = len_ph − 1 − q + i.
            let offset = taps.len() - 1 - q;
            dot(&x[i_min..=i_max], &taps[i_min + offset..=i_max + offset])
        })
        .collect()
}

/// Dot product with eight independent accumulators (vectorisable; rounding differs from a strictly
/// sequential sum only in the last bits).
#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let chunks_a = a.chunks_exact(8);
    let chunks_b = b.chunks_exact(8);
    let tail: f64 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for l in 0..8 {
            acc[l] += ca[l] * cb[l];
        }
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_for_common_rates() {
        assert_eq!(rational_factors(500.0, 100.0), Ok((1, 5)));
        assert_eq!(rational_factors(400.0, 100.0), Ok((1, 4)));
        assert_eq!(rational_factors(1000.0, 100.0), Ok((1, 10)));
        assert_eq!(rational_factors(257.0, 100.0), Ok((100, 257)));
        assert_eq!(rational_factors(128.5, 100.0), Ok((200, 257)));
        assert!(rational_factors(0.0, 100.0).is_err());
    }

    #[test]
    fn output_length_is_ceil() {
        let x = vec![1.0; 5000];
        assert_eq!(resample_poly(&x, 1, 5).map(|y| y.len()), Ok(1000));
        assert_eq!(resample_poly(&x[..4999], 1, 5).map(|y| y.len()), Ok(1000));
        assert_eq!(
            resample_poly(&x[..2570], 100, 257).map(|y| y.len()),
            Ok(1000)
        );
        assert_eq!(resample_poly(&[], 1, 5), Ok(vec![]));
    }

    #[test]
    fn simd_and_portable_paths_agree_bit_for_bit() {
        let x: Vec<f64> = (0..2570)
            .map(|i| (i as f64 * 0.37).sin() + (i % 13) as f64)
            .collect();
        for (up, down) in [(1, 5), (100, 257), (5, 2)] {
            let h = design_cached(up, down).unwrap_or_default();
            let fast = upfirdn_range(&h, &x, up, down, 3, 500);
            let portable = upfirdn_range_with(&h, &x, up, down, 3, 500);
            let same = fast
                .iter()
                .zip(&portable)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{up}/{down}");
        }
    }

    #[test]
    fn i0_known_values() {
        assert!((bessel_i0(0.0) - 1.0).abs() < 1e-16);
        assert!((bessel_i0(5.0) - 27.239871823604442).abs() < 1e-12);
    }
}
