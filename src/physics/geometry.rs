//! Three-vectors and 3×3 matrices: rotations of the heart and the small systems the dipole fit solves.

/// A 3×3 matrix, row-major.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mat3(pub [[f64; 3]; 3]);

impl Mat3 {
    pub const IDENTITY: Self = Self([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);

    /// A rotation by `angle_deg` about one of Frank's axes (0 = X, 1 = Y, 2 = Z), right-handed.
    pub fn rotation_about(axis: usize, angle_deg: f64) -> Self {
        let (s, c) = angle_deg.to_radians().sin_cos();
        let (i, j) = match axis {
            0 => (1, 2),
            1 => (2, 0),
            _ => (0, 1),
        };
        let mut m = Self::IDENTITY.0;
        m[i][i] = c;
        m[j][j] = c;
        m[i][j] = -s;
        m[j][i] = s;
        Self(m)
    }

    pub fn mul(&self, other: &Self) -> Self {
        Self(std::array::from_fn(|r| {
            std::array::from_fn(|c| (0..3).map(|k| self.0[r][k] * other.0[k][c]).sum())
        }))
    }

    pub fn apply(&self, v: [f64; 3]) -> [f64; 3] {
        std::array::from_fn(|r| dot(self.0[r], v))
    }

    pub fn transpose(&self) -> Self {
        Self(std::array::from_fn(|r| {
            std::array::from_fn(|c| self.0[c][r])
        }))
    }

    pub fn determinant(&self) -> f64 {
        let m = &self.0;
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    }

    /// The inverse by the adjugate; `None` when the determinant vanishes against the entries' scale.
    pub fn inverse(&self) -> Option<Self> {
        let det = self.determinant();
        let scale = self.frobenius().powi(3);
        if !det.is_finite() || det.abs() <= 1e-12 * scale {
            return None;
        }
        let m = &self.0;
        let cofactor = |r: usize, c: usize| {
            let (r0, r1) = ((r + 1) % 3, (r + 2) % 3);
            let (c0, c1) = ((c + 1) % 3, (c + 2) % 3);
            m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
        };
        // inverse[r][c] = cofactor(c, r) / det (the cyclic indices carry the signs).
        Some(Self(std::array::from_fn(|r| {
            std::array::from_fn(|c| cofactor(c, r) / det)
        })))
    }

    pub fn frobenius(&self) -> f64 {
        self.0.iter().flatten().map(|v| v * v).sum::<f64>().sqrt()
    }

    /// The condition number in the Frobenius norm, an upper bound of the 2-norm's (infinite when
    /// singular): how much relative noise in the leads can grow in the solved dipole.
    pub fn condition(&self) -> f64 {
        self.inverse()
            .map_or(f64::INFINITY, |inv| self.frobenius() * inv.frobenius())
    }
}

pub fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Linear interpolation between two vectors.
pub fn lerp(a: [f64; 3], b: [f64; 3], t: f64) -> [f64; 3] {
    std::array::from_fn(|i| a[i] + (b[i] - a[i]) * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &Mat3, b: &Mat3, tolerance: f64) -> bool {
        a.0.iter()
            .flatten()
            .zip(b.0.iter().flatten())
            .all(|(x, y)| (x - y).abs() < tolerance)
    }

    #[test]
    fn rotations_compose_and_invert() {
        for axis in 0..3 {
            let a = Mat3::rotation_about(axis, 20.0);
            let b = Mat3::rotation_about(axis, -35.0);
            assert!(close(&a.mul(&b), &Mat3::rotation_about(axis, -15.0), 1e-12));
            assert!(close(&a.mul(&a.transpose()), &Mat3::IDENTITY, 1e-12));
            assert!((a.determinant() - 1.0).abs() < 1e-12);
        }
        assert!(close(&Mat3::rotation_about(1, 0.0), &Mat3::IDENTITY, 1e-15));
    }

    /// Right-handed: a quarter turn about Z takes X to Y.
    #[test]
    fn rotation_is_right_handed() {
        let v = Mat3::rotation_about(2, 90.0).apply([1.0, 0.0, 0.0]);
        assert!((v[1] - 1.0).abs() < 1e-12 && v[0].abs() < 1e-12);
        let v = Mat3::rotation_about(0, 90.0).apply([0.0, 1.0, 0.0]);
        assert!((v[2] - 1.0).abs() < 1e-12);
        let v = Mat3::rotation_about(1, 90.0).apply([0.0, 0.0, 1.0]);
        assert!((v[0] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn inverse_and_condition() {
        let m = Mat3([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 1.0]]);
        let inv = m.inverse().unwrap();
        assert!(close(&m.mul(&inv), &Mat3::IDENTITY, 1e-12));
        assert!((Mat3::IDENTITY.condition() - 3.0).abs() < 1e-12);
        let singular = Mat3([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]]);
        assert!(singular.inverse().is_none());
        assert!(singular.condition().is_infinite());
    }
}
