//! The few complex-number operations filter design needs, written to follow NumPy's formulas
//! (Smith's division, the stable `csqrt`) so pole positions agree with SciPy to the last bits.

use std::ops::{Add, Div, Mul, Neg, Sub};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct C64 {
    pub re: f64,
    pub im: f64,
}

impl C64 {
    pub const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    pub const fn real(re: f64) -> Self {
        Self { re, im: 0.0 }
    }

    pub fn conj(self) -> Self {
        Self::new(self.re, -self.im)
    }

    pub fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }

    pub fn is_real(self) -> bool {
        self.im == 0.0
    }

    /// exp(z) as C99 `cexp`.
    pub fn exp(self) -> Self {
        let r = self.re.exp();
        if self.im == 0.0 {
            return Self::new(r, self.im);
        }
        Self::new(r * self.im.cos(), r * self.im.sin())
    }

    /// Principal square root as C99 `csqrt` (no cancellation for either sign of the real part).
    pub fn sqrt(self) -> Self {
        let (x, y) = (self.re, self.im);
        if x == 0.0 && y == 0.0 {
            return Self::new(0.0, y);
        }
        let t = ((x.abs() + x.hypot(y)) * 0.5).sqrt();
        if x >= 0.0 {
            Self::new(t, y / (2.0 * t))
        } else {
            Self::new(y.abs() / (2.0 * t), t.copysign(y))
        }
    }
}

impl Add for C64 {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self::new(self.re + o.re, self.im + o.im)
    }
}

impl Sub for C64 {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self::new(self.re - o.re, self.im - o.im)
    }
}

impl Neg for C64 {
    type Output = Self;
    fn neg(self) -> Self {
        Self::new(-self.re, -self.im)
    }
}

impl Mul for C64 {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        Self::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
}

impl Div for C64 {
    type Output = Self;
    /// Smith's algorithm, as NumPy divides complex numbers.
    fn div(self, o: Self) -> Self {
        let (a, b, c, d) = (self.re, self.im, o.re, o.im);
        if c.abs() >= d.abs() {
            if c == 0.0 && d == 0.0 {
                return Self::new(a / c.abs(), b / c.abs());
            }
            let rat = d / c;
            let scl = 1.0 / (c + d * rat);
            Self::new((a + b * rat) * scl, (b - a * rat) * scl)
        } else {
            let rat = c / d;
            let scl = 1.0 / (d + c * rat);
            Self::new((a * rat + b) * scl, (b * rat - a) * scl)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqrt_of_negative_real_is_imaginary() {
        let r = C64::real(-4.0).sqrt();
        assert_eq!(r, C64::new(0.0, 2.0));
    }

    #[test]
    fn division_inverts_multiplication() {
        let a = C64::new(1.5, -2.0);
        let b = C64::new(-0.25, 3.0);
        let q = (a * b) / b;
        assert!((q.re - a.re).abs() < 1e-15 && (q.im - a.im).abs() < 1e-15);
    }
}
