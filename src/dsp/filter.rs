//! IIR filter design and zero-phase filtering, step for step as `scipy.signal` does it.
//!
//! Design follows `scipy.signal.butter`: analog Butterworth prototype, frequency transform, bilinear
//! transform with prewarping, then either a polynomial pair (b, a) or second-order sections paired by
//! `zpk2sos` ("nearest"). Filtering follows `lfilter`/`filtfilt` (direct form II transposed, odd
//! extension, steady-state initial conditions) and `sosfilt`/`sosfiltfilt`. Matching SciPy matters
//! because the paper's cleaned traces, and thus its metrics, come from SciPy.

use super::DspError;
use super::complex::C64;
use super::linalg;
use serde::{Deserialize, Serialize};

/// Which band a filter passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BandType {
    LowPass,
    HighPass,
    BandPass,
    BandStop,
}

/// A transfer function as numerator `b` and denominator `a` polynomials in z⁻¹.
#[derive(Debug, Clone, PartialEq)]
pub struct Ba {
    pub b: Vec<f64>,
    pub a: Vec<f64>,
}

/// One second-order section `[b0, b1, b2, a0, a1, a2]`, SciPy's `sos` row layout.
pub type Section = [f64; 6];

/// Zeros, poles and gain of a digital filter.
#[derive(Debug, Clone)]
pub(crate) struct Zpk {
    z: Vec<C64>,
    p: Vec<C64>,
    k: f64,
}

/// Highest order accepted: beyond this the (b, a) form is numerically meaningless anyway.
const MAX_ORDER: usize = 64;

/// Returns `f_hz` unchanged below Nyquist, or `0.99 · fs/2` when it is at or above Nyquist.
///
/// METHOD.md says cut-offs at or above Nyquist are "clipped just below it"; the reference scripts
/// clip the upper band edge with `min(high, 0.99 * nyq)`, so that is the rule used here.
pub fn clip_below_nyquist(f_hz: f64, fs_hz: f64) -> f64 {
    let nyquist_hz = fs_hz / 2.0;
    if f_hz >= nyquist_hz {
        0.99 * nyquist_hz
    } else {
        f_hz
    }
}

/// Butterworth design as zeros, poles and gain (`scipy.signal.butter(..., output='zpk')`).
pub(crate) fn butter_zpk(
    order: usize,
    band: BandType,
    cutoff_hz: &[f64],
    fs_hz: f64,
) -> Result<Zpk, DspError> {
    if order == 0 || order > MAX_ORDER {
        return Err(DspError::FilterDesign(format!(
            "order must be between 1 and {MAX_ORDER}, got {order}"
        )));
    }
    if !(fs_hz.is_finite() && fs_hz > 0.0) {
        return Err(DspError::FilterDesign(format!(
            "sampling rate must be positive, got {fs_hz} Hz"
        )));
    }
    let needed = match band {
        BandType::LowPass | BandType::HighPass => 1,
        BandType::BandPass | BandType::BandStop => 2,
    };
    if cutoff_hz.len() != needed {
        return Err(DspError::FilterDesign(format!(
            "{band:?} needs {needed} cut-off frequencies, got {}",
            cutoff_hz.len()
        )));
    }
    let wn: Vec<f64> = cutoff_hz.iter().map(|f| f / (fs_hz / 2.0)).collect();
    for (f, w) in cutoff_hz.iter().zip(&wn) {
        if !(w.is_finite() && *w > 0.0 && *w < 1.0) {
            return Err(DspError::FilterDesign(format!(
                "cut-off {f} Hz must be between 0 and Nyquist ({} Hz)",
                fs_hz / 2.0
            )));
        }
    }
    if needed == 2 && wn[0] >= wn[1] {
        return Err(DspError::FilterDesign(format!(
            "low cut-off {} Hz must be below high cut-off {} Hz",
            cutoff_hz[0], cutoff_hz[1]
        )));
    }

    // Analog prototype (buttap): poles on the unit circle in the left half-plane, the middle one
    // exactly -1 for odd orders.
    let n = order as f64;
    let mut p: Vec<C64> = (0..order)
        .map(|i| {
            let m = -(n - 1.0) + 2.0 * i as f64;
            // NumPy evaluates `1j * pi * m / (2 * N)` as a complex division by 2N, i.e. a
            // multiplication by its reciprocal.
            -C64::new(0.0, std::f64::consts::PI * m * (1.0 / (2.0 * n))).exp()
        })
        .collect();
    let mut z: Vec<C64> = Vec::new();
    let mut k = 1.0;

    // Prewarp with fs = 2 (normalised frequencies), as iirfilter does.
    let fs = 2.0;
    let warped: Vec<f64> = wn
        .iter()
        .map(|w| 2.0 * fs * (std::f64::consts::PI * w / fs).tan())
        .collect();

    let degree = p.len() - z.len();
    match band {
        BandType::LowPass => {
            let wo = warped[0];
            z = z.iter().map(|&zi| C64::real(wo) * zi).collect();
            p = p.iter().map(|&pi| C64::real(wo) * pi).collect();
            k *= wo.powf(degree as f64);
        }
        BandType::HighPass => {
            let wo = warped[0];
            let k_ratio = (prod(z.iter().map(|&v| -v)) / prod(p.iter().map(|&v| -v))).re;
            z = z.iter().map(|&zi| C64::real(wo) / zi).collect();
            p = p.iter().map(|&pi| C64::real(wo) / pi).collect();
            z.extend(std::iter::repeat_n(C64::real(0.0), degree));
            k *= k_ratio;
        }
        BandType::BandPass => {
            let bw = warped[1] - warped[0];
            let wo = (warped[0] * warped[1]).sqrt();
            let wo2 = C64::real(wo.powf(2.0));
            let z_lp: Vec<C64> = z
                .iter()
                .map(|&v| v * C64::real(bw) / C64::real(2.0))
                .collect();
            let p_lp: Vec<C64> = p
                .iter()
                .map(|&v| mul_real(v, bw) / C64::real(2.0))
                .collect();
            let mut z_bp: Vec<C64> = z_lp.iter().map(|&v| v + (v * v - wo2).sqrt()).collect();
            z_bp.extend(z_lp.iter().map(|&v| v - (v * v - wo2).sqrt()));
            let mut p_bp: Vec<C64> = p_lp.iter().map(|&v| v + (v * v - wo2).sqrt()).collect();
            p_bp.extend(p_lp.iter().map(|&v| v - (v * v - wo2).sqrt()));
            z_bp.extend(std::iter::repeat_n(C64::real(0.0), degree));
            z = z_bp;
            p = p_bp;
            k *= bw.powf(degree as f64);
        }
        BandType::BandStop => {
            let bw = warped[1] - warped[0];
            let wo = (warped[0] * warped[1]).sqrt();
            let wo2 = C64::real(wo.powf(2.0));
            let k_ratio = (prod(z.iter().map(|&v| -v)) / prod(p.iter().map(|&v| -v))).re;
            let half_bw = C64::real(bw / 2.0);
            let z_hp: Vec<C64> = z.iter().map(|&v| half_bw / v).collect();
            let p_hp: Vec<C64> = p.iter().map(|&v| half_bw / v).collect();
            let mut z_bs: Vec<C64> = z_hp.iter().map(|&v| v + (v * v - wo2).sqrt()).collect();
            z_bs.extend(z_hp.iter().map(|&v| v - (v * v - wo2).sqrt()));
            let mut p_bs: Vec<C64> = p_hp.iter().map(|&v| v + (v * v - wo2).sqrt()).collect();
            p_bs.extend(p_hp.iter().map(|&v| v - (v * v - wo2).sqrt()));
            z_bs.extend(std::iter::repeat_n(C64::new(0.0, wo), degree));
            z_bs.extend(std::iter::repeat_n(C64::new(0.0, -wo), degree));
            z = z_bs;
            p = p_bs;
            k *= k_ratio;
        }
    }

    // Bilinear transform (bilinear_zpk with fs = 2).
    let fs2 = C64::real(2.0 * fs);
    let degree = p.len() - z.len();
    let k_ratio = (prod(z.iter().map(|&v| fs2 - v)) / prod(p.iter().map(|&v| fs2 - v))).re;
    let mut z_z: Vec<C64> = z.iter().map(|&v| (fs2 + v) / (fs2 - v)).collect();
    let p_z: Vec<C64> = p.iter().map(|&v| (fs2 + v) / (fs2 - v)).collect();
    z_z.extend(std::iter::repeat_n(C64::real(-1.0), degree));
    Ok(Zpk {
        z: z_z,
        p: p_z,
        k: k * k_ratio,
    })
}

/// Complex times real the way NumPy does it after promoting the real to complex.
fn mul_real(v: C64, r: f64) -> C64 {
    v * C64::real(r)
}

fn prod(values: impl Iterator<Item = C64>) -> C64 {
    values.fold(C64::real(1.0), |acc, v| acc * v)
}

/// Polynomial with the given roots, highest power first (`numpy.poly`), real part kept.
///
/// Each step is `convolve(a, [1, -root])`, which NumPy evaluates as a complex BLAS dot product
/// (`zdotu`) over two terms: real and imaginary products are accumulated separately and combined at
/// the end. Grouping the sums the same way keeps the coefficients bit-identical to SciPy's, which
/// matters for ill-conditioned designs (e.g. 0.5 Hz band edges at 500 Hz).
fn poly(roots: &[C64]) -> Vec<f64> {
    let mut a = vec![C64::real(1.0)];
    for &root in roots {
        let q = -root;
        let mut next = Vec::with_capacity(a.len() + 1);
        next.push(a[0]);
        for i in 1..a.len() {
            let (p1, p2) = (a[i - 1], a[i]);
            let d0 = p1.re * q.re + p2.re;
            let d1 = p1.im * q.im + p2.im * 0.0;
            let d2 = p1.re * q.im + p2.re * 0.0;
            let d3 = p1.im * q.re + p2.im;
            next.push(C64::new(d0 - d1, d2 + d3));
        }
        if let Some(&last) = a.last() {
            next.push(last * q);
        }
        a = next;
    }
    a.iter().map(|c| c.re).collect()
}

fn zpk_to_ba(zpk: &Zpk) -> Ba {
    let b = poly(&zpk.z).iter().map(|c| zpk.k * c).collect();
    Ba { b, a: poly(&zpk.p) }
}

/// Butterworth filter as (b, a), exactly as `scipy.signal.butter(order, cutoff, btype, fs=fs)`.
///
/// `cutoff_hz` holds one frequency for low/high-pass and `[low, high]` for band-pass/stop.
pub fn butter_ba(
    order: usize,
    band: BandType,
    cutoff_hz: &[f64],
    fs_hz: f64,
) -> Result<Ba, DspError> {
    Ok(zpk_to_ba(&butter_zpk(order, band, cutoff_hz, fs_hz)?))
}

/// Butterworth filter as second-order sections, exactly as `scipy.signal.butter(..., output='sos')`.
pub fn butter_sos(
    order: usize,
    band: BandType,
    cutoff_hz: &[f64],
    fs_hz: f64,
) -> Result<Vec<Section>, DspError> {
    zpk_to_sos(butter_zpk(order, band, cutoff_hz, fs_hz)?)
}

/// Splits roots into one representative (positive imaginary part) per conjugate pair, then the
/// real roots, both sorted as SciPy's `_cplxreal` does.
fn cplxreal(mut z: Vec<C64>) -> Result<Vec<C64>, DspError> {
    if z.is_empty() {
        return Ok(z);
    }
    let tol = 100.0 * f64::EPSILON;
    z.sort_by(|a, b| {
        a.re.total_cmp(&b.re)
            .then(a.im.abs().total_cmp(&b.im.abs()))
    });
    let is_real = |v: &C64| v.im.abs() <= tol * v.abs();
    let reals: Vec<C64> = z
        .iter()
        .filter(|v| is_real(v))
        .map(|v| C64::real(v.re))
        .collect();
    let complex: Vec<C64> = z.iter().filter(|v| !is_real(v)).copied().collect();
    let mut zp: Vec<C64> = complex.iter().filter(|v| v.im > 0.0).copied().collect();
    let mut zn: Vec<C64> = complex.iter().filter(|v| v.im < 0.0).copied().collect();
    if zp.len() != zn.len() {
        return Err(DspError::FilterDesign(
            "roots are not in complex-conjugate pairs".to_owned(),
        ));
    }
    // Runs of (nearly) equal real part are sorted by imaginary magnitude.
    let mut start = 0;
    while start < zp.len() {
        let mut stop = start;
        while stop + 1 < zp.len() && zp[stop + 1].re - zp[stop].re <= tol * zp[stop].abs() {
            stop += 1;
        }
        if stop > start {
            zp[start..=stop].sort_by(|a, b| a.im.abs().total_cmp(&b.im.abs()));
            zn[start..=stop].sort_by(|a, b| a.im.abs().total_cmp(&b.im.abs()));
        }
        start = stop + 1;
    }
    let mut out: Vec<C64> = Vec::with_capacity(zp.len() + reals.len());
    for (a, b) in zp.iter().zip(&zn) {
        if (*a - b.conj()).abs() > tol * b.abs() {
            return Err(DspError::FilterDesign(
                "roots are not in complex-conjugate pairs".to_owned(),
            ));
        }
        let sum = *a + b.conj();
        out.push(C64::new(sum.re / 2.0, sum.im / 2.0));
    }
    out.extend(reals);
    Ok(out)
}

/// Index of the pole closest to the unit circle (first on ties, as `argmin`).
fn idx_worst(p: &[C64]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, v) in p.iter().enumerate() {
        let d = (1.0 - v.abs()).abs();
        if best.is_none_or(|(_, bd)| d < bd) {
            best = Some((i, d));
        }
    }
    best.map(|(i, _)| i)
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Real,
    Complex,
    Any,
}

/// The nearest root of the requested kind (`_nearest_real_complex_idx`).
fn nearest_idx(fro: &[C64], to: C64, which: Which) -> Option<usize> {
    let mut order: Vec<usize> = (0..fro.len()).collect();
    order.sort_by(|&i, &j| (fro[i] - to).abs().total_cmp(&(fro[j] - to).abs()));
    order.into_iter().find(|&i| match which {
        Which::Any => true,
        Which::Real => fro[i].is_real(),
        Which::Complex => !fro[i].is_real(),
    })
}

fn single_section(z: &[C64], p: &[C64]) -> Section {
    let b = poly(z);
    let a = poly(p);
    let mut sos = [0.0; 6];
    for (i, v) in b.iter().enumerate() {
        sos[3 - b.len() + i] = *v;
    }
    for (i, v) in a.iter().enumerate() {
        sos[6 - a.len() + i] = *v;
    }
    sos
}

fn take(v: &mut Vec<C64>, idx: Option<usize>) -> Result<C64, DspError> {
    match idx {
        Some(i) if i < v.len() => Ok(v.remove(i)),
        _ => Err(DspError::FilterDesign(
            "could not pair poles and zeros into sections".to_owned(),
        )),
    }
}

/// Second-order sections from zeros, poles and gain: SciPy's `zpk2sos` with `pairing='nearest'`.
pub(crate) fn zpk_to_sos(zpk: Zpk) -> Result<Vec<Section>, DspError> {
    let Zpk { mut z, mut p, k } = zpk;
    if z.is_empty() && p.is_empty() {
        return Ok(vec![[k, 0.0, 0.0, 1.0, 0.0, 0.0]]);
    }
    while p.len() < z.len() {
        p.push(C64::real(0.0));
    }
    while z.len() < p.len() {
        z.push(C64::real(0.0));
    }
    let n_sections = p.len().div_ceil(2);
    if p.len() % 2 == 1 {
        p.push(C64::real(0.0));
        z.push(C64::real(0.0));
    }
    let mut z = cplxreal(z)?;
    let mut p = cplxreal(p)?;
    let mut sos = vec![[0.0; 6]; n_sections];
    for si in (0..n_sections).rev() {
        let p1 = {
            let idx = idx_worst(&p);
            take(&mut p, idx)?
        };
        let real_poles_left = p.iter().filter(|v| v.is_real()).count();
        if p1.is_real() && real_poles_left == 0 {
            let z1 = {
                let idx = nearest_idx(&z, p1, Which::Real);
                take(&mut z, idx)?
            };
            sos[si] = single_section(&[z1, C64::real(0.0)], &[p1, C64::real(0.0)]);
        } else if p.len() + 1 == z.len()
            && !p1.is_real()
            && real_poles_left == 1
            && z.iter().filter(|v| v.is_real()).count() == 1
        {
            let z1 = {
                let idx = nearest_idx(&z, p1, Which::Complex);
                take(&mut z, idx)?
            };
            sos[si] = single_section(&[z1, z1.conj()], &[p1, p1.conj()]);
        } else {
            let p2 = if p1.is_real() {
                let real_idx: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_real()).collect();
                let real_p: Vec<C64> = real_idx.iter().map(|&i| p[i]).collect();
                let pick = idx_worst(&real_p).and_then(|i| real_idx.get(i).copied());
                take(&mut p, pick)?
            } else {
                p1.conj()
            };
            if z.is_empty() {
                sos[si] = single_section(&[], &[p1, p2]);
            } else {
                let z1 = {
                    let idx = nearest_idx(&z, p1, Which::Any);
                    take(&mut z, idx)?
                };
                if !z1.is_real() {
                    sos[si] = single_section(&[z1, z1.conj()], &[p1, p2]);
                } else if z.is_empty() {
                    sos[si] = single_section(&[z1], &[p1, p2]);
                } else {
                    let z2 = {
                        let idx = nearest_idx(&z, p1, Which::Real);
                        take(&mut z, idx)?
                    };
                    sos[si] = single_section(&[z1, z2], &[p1, p2]);
                }
            }
        }
    }
    if let Some(first) = sos.first_mut() {
        for c in first.iter_mut().take(3) {
            *c *= k;
        }
    }
    Ok(sos)
}

/// Second-order IIR notch, exactly as `scipy.signal.iirnotch(w0, Q, fs)`.
pub fn iirnotch(notch_hz: f64, quality: f64, fs_hz: f64) -> Result<Ba, DspError> {
    if !(fs_hz.is_finite() && fs_hz > 0.0) {
        return Err(DspError::FilterDesign(format!(
            "sampling rate must be positive, got {fs_hz} Hz"
        )));
    }
    if !(quality.is_finite() && quality > 0.0) {
        return Err(DspError::FilterDesign(format!(
            "notch quality factor must be positive, got {quality}"
        )));
    }
    let w0 = 2.0 * notch_hz / fs_hz;
    if !(0.0..=1.0).contains(&w0) {
        return Err(DspError::FilterDesign(format!(
            "notch frequency {notch_hz} Hz must be between 0 and Nyquist ({} Hz)",
            fs_hz / 2.0
        )));
    }
    let bw = w0 / quality * std::f64::consts::PI;
    let w0 = w0 * std::f64::consts::PI;
    let beta = (bw / 2.0).tan();
    let gain = 1.0 / (1.0 + beta);
    Ok(Ba {
        b: vec![gain * 1.0, gain * (-2.0 * w0.cos()), gain * 1.0],
        a: vec![1.0, -2.0 * gain * w0.cos(), 2.0 * gain - 1.0],
    })
}

/// Pads `b` and `a` to a common length and divides both by `a[0]` (as SciPy's C kernel does).
fn normalise(b: &[f64], a: &[f64]) -> Result<(Vec<f64>, Vec<f64>), DspError> {
    let a0 = match a.first() {
        Some(&a0) if a0 != 0.0 && a0.is_finite() => a0,
        _ => {
            return Err(DspError::FilterDesign(
                "the first denominator coefficient must be non-zero".to_owned(),
            ));
        }
    };
    if b.is_empty() {
        return Err(DspError::FilterDesign("the numerator is empty".to_owned()));
    }
    let n = a.len().max(b.len());
    let mut bn = vec![0.0; n];
    let mut an = vec![0.0; n];
    for (dst, src) in bn.iter_mut().zip(b) {
        *dst = src / a0;
    }
    for (dst, src) in an.iter_mut().zip(a) {
        *dst = src / a0;
    }
    Ok((bn, an))
}

/// Direct form II transposed filtering (`scipy.signal.lfilter`); returns the output and final state.
///
/// `zi` is the initial state of length `max(len(a), len(b)) - 1` (zeros when `None`).
pub fn lfilter(
    b: &[f64],
    a: &[f64],
    x: &[f64],
    zi: Option<&[f64]>,
) -> Result<(Vec<f64>, Vec<f64>), DspError> {
    let (b, a) = normalise(b, a)?;
    let order = b.len() - 1;
    let mut z = match zi {
        Some(zi) if zi.len() == order => zi.to_vec(),
        Some(zi) => {
            return Err(DspError::InvalidArgument(format!(
                "initial state has {} values, the filter needs {order}",
                zi.len()
            )));
        }
        None => vec![0.0; order],
    };
    let mut y = x.to_vec();
    lfilter_in_place(&b, &a, y.iter_mut(), &mut z);
    Ok((y, z))
}

/// The kernel of [`lfilter`] on normalised, equal-length coefficients, in place over `samples`
/// (forward or reversed: each output depends only on its own input and the state). Common orders
/// run on fixed-size arrays (no bounds checks, state in registers); the arithmetic is the same.
fn lfilter_in_place<'a>(
    b: &[f64],
    a: &[f64],
    samples: impl Iterator<Item = &'a mut f64>,
    z: &mut [f64],
) {
    match z.len() {
        2 => lfilter_fixed::<2, 3>(b, a, samples, z),
        4 => lfilter_fixed::<4, 5>(b, a, samples, z),
        6 => lfilter_fixed::<6, 7>(b, a, samples, z),
        8 => lfilter_fixed::<8, 9>(b, a, samples, z),
        _ => lfilter_dyn(b, a, samples, z),
    }
}

/// Direct form II transposed of order `N` (`M = N + 1` coefficients), as SciPy's C kernel.
fn lfilter_fixed<'a, const N: usize, const M: usize>(
    b: &[f64],
    a: &[f64],
    samples: impl Iterator<Item = &'a mut f64>,
    z: &mut [f64],
) {
    let (Ok(b), Ok(a), Ok(state)) = (
        <[f64; M]>::try_from(b),
        <[f64; M]>::try_from(a),
        <[f64; N]>::try_from(&*z),
    ) else {
        return lfilter_dyn(b, a, samples, z);
    };
    let mut s = state;
    for v in samples {
        let xn = *v;
        let out = s[0] + b[0] * xn;
        for n in 0..N - 1 {
            s[n] = s[n + 1] + xn * b[n + 1] - out * a[n + 1];
        }
        s[N - 1] = xn * b[N] - out * a[N];
        *v = out;
    }
    z.copy_from_slice(&s);
}

fn lfilter_dyn<'a>(
    b: &[f64],
    a: &[f64],
    samples: impl Iterator<Item = &'a mut f64>,
    z: &mut [f64],
) {
    let order = z.len();
    for v in samples {
        let xn = *v;
        if order == 0 {
            *v = xn * b[0];
            continue;
        }
        let out = z[0] + b[0] * xn;
        for n in 0..order - 1 {
            z[n] = z[n + 1] + xn * b[n + 1] - out * a[n + 1];
        }
        z[order - 1] = xn * b[order] - out * a[order];
        *v = out;
    }
}

/// Steady-state initial condition of `lfilter` for a unit step (`scipy.signal.lfilter_zi`).
pub fn lfilter_zi(b: &[f64], a: &[f64]) -> Result<Vec<f64>, DspError> {
    let mut a = a;
    while a.len() > 1 && a[0] == 0.0 {
        a = &a[1..];
    }
    let (b, a) = normalise(b, a)?;
    let n = b.len();
    if n <= 1 {
        return Ok(Vec::new());
    }
    let m = n - 1;
    // I - companion(a)ᵀ: first column 1 + a1, a2, ..., superdiagonal -1, diagonal 1.
    let mut mat = vec![vec![0.0; m]; m];
    for (i, row) in mat.iter_mut().enumerate() {
        row[0] = a[i + 1];
        if i > 0 {
            row[i] = 1.0;
        }
        if i + 1 < m {
            row[i + 1] = -1.0;
        }
    }
    mat[0][0] += 1.0;
    let rhs: Vec<f64> = (1..n).map(|i| b[i] - a[i] * b[0]).collect();
    linalg::solve(mat, rhs).ok_or_else(|| {
        DspError::FilterDesign("filter has a pole at z = 1: no steady state".to_owned())
    })
}

/// Odd extension of `x` by `edge` samples at both ends (`scipy.signal._arraytools.odd_ext`).
fn odd_ext(x: &[f64], edge: usize) -> Vec<f64> {
    let n = x.len();
    let mut ext = Vec::with_capacity(n + 2 * edge);
    if n == 0 {
        return ext;
    }
    let first = x[0];
    let last = x[n - 1];
    ext.extend((0..edge).map(|i| 2.0 * first - x[edge - i]));
    ext.extend_from_slice(x);
    ext.extend((0..edge).map(|i| 2.0 * last - x[n - 2 - i]));
    ext
}

/// Zero-phase forward-backward filtering, exactly as `scipy.signal.filtfilt(b, a, x)` with its
/// defaults: odd extension of `3 · max(len(a), len(b))` samples, state from [`lfilter_zi`].
pub fn filtfilt(b: &[f64], a: &[f64], x: &[f64]) -> Result<Vec<f64>, DspError> {
    ZeroPhase::ba(b, a)?.apply(x)
}

/// A zero-phase filter designed once and applied to many signals (the leads of a record): the
/// normalised coefficients, the steady-state initial conditions and the edge padding of
/// [`filtfilt`] or [`sosfiltfilt`], computed up front.
#[derive(Debug, Clone, PartialEq)]
pub enum ZeroPhase {
    /// `filtfilt` on (b, a).
    Ba {
        b: Vec<f64>,
        a: Vec<f64>,
        zi: Vec<f64>,
        edge: usize,
    },
    /// `sosfiltfilt` on second-order sections.
    Sos {
        sos: Vec<Section>,
        zi: Vec<[f64; 2]>,
        edge: usize,
    },
}

impl ZeroPhase {
    /// [`filtfilt`]'s filter.
    pub fn ba(b: &[f64], a: &[f64]) -> Result<Self, DspError> {
        let edge = 3 * a.len().max(b.len());
        let zi = lfilter_zi(b, a)?;
        let (b, a) = normalise(b, a)?;
        Ok(Self::Ba { b, a, zi, edge })
    }

    /// [`sosfiltfilt`]'s filter: odd extension of `3 · (2·n_sections + 1 − min(#b2 = 0, #a2 = 0))`.
    pub fn sos(sos: &[Section]) -> Result<Self, DspError> {
        validate_sos(sos)?;
        let zero_b2 = sos.iter().filter(|s| s[2] == 0.0).count();
        let zero_a2 = sos.iter().filter(|s| s[5] == 0.0).count();
        let ntaps = 2 * sos.len() + 1 - zero_b2.min(zero_a2);
        Ok(Self::Sos {
            sos: sos.to_vec(),
            zi: sosfilt_zi(sos)?,
            edge: 3 * ntaps,
        })
    }

    /// Filters `x` forward and backward over its odd extension, in one buffer.
    pub fn apply(&self, x: &[f64]) -> Result<Vec<f64>, DspError> {
        self.apply_checked_len(x)?;
        let edge = self.edge();
        let mut ext = odd_ext(x, edge);
        // Each pass starts in the steady state for the value it meets first.
        match self {
            Self::Ba { b, a, zi, .. } => {
                let scaled = |v: f64| zi.iter().map(|z| z * v).collect::<Vec<f64>>();
                let mut state = scaled(ext[0]);
                lfilter_in_place(b, a, ext.iter_mut(), &mut state);
                let mut state = scaled(ext[ext.len() - 1]);
                lfilter_in_place(b, a, ext.iter_mut().rev(), &mut state);
            }
            Self::Sos { sos, zi, .. } => {
                let scaled = |v: f64| zi.iter().map(|z| [z[0] * v, z[1] * v]).collect::<Vec<_>>();
                let mut state = scaled(ext[0]);
                sosfilt_in_place(sos, ext.iter_mut(), &mut state);
                let mut state = scaled(ext[ext.len() - 1]);
                sosfilt_in_place(sos, ext.iter_mut().rev(), &mut state);
            }
        }
        Ok(ext[edge..ext.len() - edge].to_vec())
    }

    /// [`apply`](Self::apply) to several signals of one length, e.g. the leads of a record, with
    /// the same result bit for bit. The recurrence of one signal is bound by the latency of its
    /// multiply-add chain; [`LANES`] signals side by side in vector lanes run in about the same
    /// time as one (transfer-function filters of order 2 to 8; others go one by one).
    pub fn apply_many(&self, xs: &[&[f64]]) -> Result<Vec<Vec<f64>>, DspError> {
        let Self::Ba { b, a, zi, edge } = self else {
            return xs.iter().map(|x| self.apply(x)).collect();
        };
        let len = xs.first().map_or(0, |x| x.len());
        if xs.iter().any(|x| x.len() != len) || !matches!(zi.len(), 2 | 4 | 6 | 8) {
            return xs.iter().map(|x| self.apply(x)).collect();
        }
        let mut out = Vec::with_capacity(xs.len());
        let mut groups = xs.chunks_exact(LANES);
        for group in groups.by_ref() {
            let exts = group
                .iter()
                .map(|x| self.apply_checked_len(x).map(|()| odd_ext(x, *edge)))
                .collect::<Result<Vec<_>, _>>()?;
            // Sample-major: lane l of row t is sample t of signal l.
            let mut rows: Vec<[f64; LANES]> = (0..exts[0].len())
                .map(|t| std::array::from_fn(|l| exts[l][t]))
                .collect();
            let scaled = |row: &[f64; LANES]| -> Vec<[f64; LANES]> {
                zi.iter()
                    .map(|z| std::array::from_fn(|l| z * row[l]))
                    .collect()
            };
            let first = rows[0];
            let mut state = scaled(&first);
            lfilter_lanes(b, a, rows.iter_mut(), &mut state);
            let last = rows[rows.len() - 1];
            let mut state = scaled(&last);
            lfilter_lanes(b, a, rows.iter_mut().rev(), &mut state);
            let kept = &rows[*edge..rows.len() - *edge];
            out.extend((0..LANES).map(|l| kept.iter().map(|row| row[l]).collect()));
        }
        for x in groups.remainder() {
            out.push(self.apply(x)?);
        }
        Ok(out)
    }

    /// Samples of odd extension at each end.
    fn edge(&self) -> usize {
        match self {
            Self::Ba { edge, .. } | Self::Sos { edge, .. } => *edge,
        }
    }

    fn apply_checked_len(&self, x: &[f64]) -> Result<(), DspError> {
        if x.len() <= self.edge() {
            return Err(DspError::TooShort {
                len: x.len(),
                needed: self.edge(),
                what: match self {
                    Self::Ba { .. } => "filtfilt padding",
                    Self::Sos { .. } => "sosfiltfilt padding",
                },
            });
        }
        Ok(())
    }
}

/// Signals filtered side by side by [`ZeroPhase::apply_many`]: four f64 fill an AVX2 register.
pub const LANES: usize = 4;

/// [`lfilter_in_place`] on [`LANES`] signals at once, each lane with exactly the scalar arithmetic
/// (Rust never fuses a multiply and an add, so wider registers change nothing but the speed).
fn lfilter_lanes<'a>(
    b: &[f64],
    a: &[f64],
    rows: impl Iterator<Item = &'a mut [f64; LANES]>,
    z: &mut [[f64; LANES]],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { lfilter_lanes_avx2(b, a, rows, z) };
    }
    lfilter_lanes_with(b, a, rows, z);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn lfilter_lanes_avx2<'a>(
    b: &[f64],
    a: &[f64],
    rows: impl Iterator<Item = &'a mut [f64; LANES]>,
    z: &mut [[f64; LANES]],
) {
    lfilter_lanes_with(b, a, rows, z);
}

#[inline(always)]
fn lfilter_lanes_with<'a>(
    b: &[f64],
    a: &[f64],
    rows: impl Iterator<Item = &'a mut [f64; LANES]>,
    z: &mut [[f64; LANES]],
) {
    match z.len() {
        2 => lfilter_lanes_fixed::<2, 3>(b, a, rows, z),
        4 => lfilter_lanes_fixed::<4, 5>(b, a, rows, z),
        6 => lfilter_lanes_fixed::<6, 7>(b, a, rows, z),
        _ => lfilter_lanes_fixed::<8, 9>(b, a, rows, z),
    }
}

#[inline(always)]
fn lfilter_lanes_fixed<'a, const N: usize, const M: usize>(
    b: &[f64],
    a: &[f64],
    rows: impl Iterator<Item = &'a mut [f64; LANES]>,
    z: &mut [[f64; LANES]],
) {
    let (Ok(b), Ok(a), Ok(mut s)) = (
        <[f64; M]>::try_from(b),
        <[f64; M]>::try_from(a),
        <[[f64; LANES]; N]>::try_from(&*z),
    ) else {
        return;
    };
    for row in rows {
        let xn = *row;
        let out: [f64; LANES] = std::array::from_fn(|l| s[0][l] + b[0] * xn[l]);
        for n in 0..N - 1 {
            s[n] = std::array::from_fn(|l| s[n + 1][l] + xn[l] * b[n + 1] - out[l] * a[n + 1]);
        }
        s[N - 1] = std::array::from_fn(|l| xn[l] * b[N] - out[l] * a[N]);
        *row = out;
    }
    z.copy_from_slice(&s);
}

fn validate_sos(sos: &[Section]) -> Result<(), DspError> {
    if sos.is_empty() {
        return Err(DspError::FilterDesign(
            "no second-order sections".to_owned(),
        ));
    }
    if sos.iter().any(|s| s[3] != 1.0) {
        return Err(DspError::FilterDesign(
            "every section needs a0 = 1 (sos[:, 3] == 1)".to_owned(),
        ));
    }
    Ok(())
}

/// Cascaded second-order sections (`scipy.signal.sosfilt`); returns output and final states.
pub fn sosfilt(
    sos: &[Section],
    x: &[f64],
    zi: Option<&[[f64; 2]]>,
) -> Result<(Vec<f64>, Vec<[f64; 2]>), DspError> {
    validate_sos(sos)?;
    let mut z = match zi {
        Some(zi) if zi.len() == sos.len() => zi.to_vec(),
        Some(zi) => {
            return Err(DspError::InvalidArgument(format!(
                "initial state has {} sections, the filter has {}",
                zi.len(),
                sos.len()
            )));
        }
        None => vec![[0.0; 2]; sos.len()],
    };
    let mut y = x.to_vec();
    sosfilt_in_place(sos, y.iter_mut(), &mut z);
    Ok((y, z))
}

fn sosfilt_in_place<'a>(
    sos: &[Section],
    samples: impl Iterator<Item = &'a mut f64>,
    z: &mut [[f64; 2]],
) {
    for v in samples {
        let mut cur = *v;
        for (s, zs) in sos.iter().zip(z.iter_mut()) {
            let new = s[0] * cur + zs[0];
            zs[0] = s[1] * cur - s[4] * new + zs[1];
            zs[1] = s[2] * cur - s[5] * new;
            cur = new;
        }
        *v = cur;
    }
}

/// Steady-state initial conditions of `sosfilt` for a unit step (`scipy.signal.sosfilt_zi`).
pub fn sosfilt_zi(sos: &[Section]) -> Result<Vec<[f64; 2]>, DspError> {
    validate_sos(sos)?;
    let mut scale = 1.0;
    let mut out = Vec::with_capacity(sos.len());
    for s in sos {
        let zi = lfilter_zi(&s[..3], &s[3..])?;
        let mut pair = [0.0; 2];
        for (dst, v) in pair.iter_mut().zip(&zi) {
            *dst = scale * v;
        }
        out.push(pair);
        scale *= (s[0] + s[1] + s[2]) / (s[3] + s[4] + s[5]);
    }
    Ok(out)
}

/// Zero-phase filtering with second-order sections, exactly as `scipy.signal.sosfiltfilt(sos, x)`:
/// odd extension of `3 · (2·n_sections + 1 − min(#b2 = 0, #a2 = 0))` samples.
pub fn sosfiltfilt(sos: &[Section], x: &[f64]) -> Result<Vec<f64>, DspError> {
    ZeroPhase::sos(sos)?.apply(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
    }

    #[test]
    fn butter_lowpass_order2_matches_scipy() {
        // scipy.signal.butter(2, 10, fs=100)
        let ba = butter_ba(2, BandType::LowPass, &[10.0], 100.0).unwrap_or(Ba {
            b: vec![],
            a: vec![],
        });
        let b = [
            0.06745527388907191,
            0.13491054777814382,
            0.06745527388907191,
        ];
        let a = [1.0, -1.142980502539901, 0.41280159809618866];
        assert!(close(&ba.b, &b, 1e-14), "{:?}", ba.b);
        assert!(close(&ba.a, &a, 1e-14), "{:?}", ba.a);
    }

    #[test]
    fn bad_designs_are_errors() {
        assert!(butter_ba(4, BandType::BandPass, &[45.0, 0.5], 100.0).is_err());
        assert!(butter_ba(4, BandType::LowPass, &[50.0], 100.0).is_err());
        assert!(butter_ba(0, BandType::LowPass, &[5.0], 100.0).is_err());
        assert!(butter_ba(2, BandType::LowPass, &[-1.0], 100.0).is_err());
        assert!(iirnotch(60.0, 30.0, 100.0).is_err());
    }

    /// Side-by-side filtering is an optimisation only: every signal comes out bit for bit as
    /// filtered alone, for each fixed order, a full group plus a remainder, and the fallbacks.
    #[test]
    fn apply_many_matches_apply_bit_for_bit() {
        let signal = |k: usize, len: usize| -> Vec<f64> {
            (0..len)
                .map(|i| ((i * (k + 3)) as f64 * 0.013).sin() + (k as f64) * 0.1)
                .collect()
        };
        let mut filters = vec![ZeroPhase::sos(
            &butter_sos(4, BandType::BandPass, &[0.5, 45.0], 100.0).unwrap_or_default(),
        )];
        for order in [1, 2, 3, 4, 5] {
            let band = [0.5, 40.0];
            if let Ok(ba) = butter_ba(order, BandType::BandPass, &band, 100.0) {
                filters.push(ZeroPhase::ba(&ba.b, &ba.a));
            }
        }
        if let Ok(ba) = iirnotch(50.0, 30.0, 500.0) {
            filters.push(ZeroPhase::ba(&ba.b, &ba.a));
        }
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for filter in filters {
            let Ok(filter) = filter else {
                panic!("design failed");
            };
            for lens in [vec![700; 7], vec![700, 700, 701, 700, 700]] {
                let xs: Vec<Vec<f64>> = lens
                    .iter()
                    .enumerate()
                    .map(|(k, &n)| signal(k, n))
                    .collect();
                let slices: Vec<&[f64]> = xs.iter().map(Vec::as_slice).collect();
                let many = filter.apply_many(&slices).unwrap_or_default();
                assert_eq!(many.len(), xs.len());
                for (x, y) in xs.iter().zip(&many) {
                    let alone = filter.apply(x).unwrap_or_default();
                    assert_eq!(bits(y), bits(&alone));
                }
            }
            let short: &[f64] = &[1.0; 5];
            assert!(filter.apply_many(&[short; 4]).is_err());
        }
    }

    #[test]
    fn filtfilt_keeps_a_constant() {
        let ba = butter_ba(4, BandType::LowPass, &[5.0], 100.0);
        let ba = ba.unwrap_or(Ba {
            b: vec![1.0],
            a: vec![1.0],
        });
        let x = vec![3.0; 200];
        let y = filtfilt(&ba.b, &ba.a, &x).unwrap_or_default();
        assert!(close(&y, &x, 1e-9));
    }

    #[test]
    fn short_input_is_an_error_not_a_panic() {
        assert!(filtfilt(&[1.0, 1.0], &[1.0, 0.5], &[1.0; 6]).is_err());
        assert!(sosfiltfilt(&[[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]], &[]).is_err());
        assert!(lfilter(&[1.0], &[0.0], &[1.0], None).is_err());
    }

    #[test]
    fn clip_keeps_frequencies_below_nyquist() {
        assert_eq!(clip_below_nyquist(45.0, 100.0), 45.0);
        assert_eq!(clip_below_nyquist(50.0, 100.0), 49.5);
    }
}
