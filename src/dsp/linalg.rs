//! A dense linear solve for the small systems of `lfilter_zi` (LU with partial pivoting, as LAPACK's
//! `gesv` that NumPy calls).

/// Solves `m · x = rhs` for a row-major `n × n` matrix; `None` when the matrix is singular.
pub(crate) fn solve(mut m: Vec<Vec<f64>>, mut rhs: Vec<f64>) -> Option<Vec<f64>> {
    let n = rhs.len();
    if m.len() != n || m.iter().any(|row| row.len() != n) {
        return None;
    }
    for col in 0..n {
        // First row with the largest magnitude, as LAPACK's idamax picks it.
        let mut pivot_row = col;
        for row in col + 1..n {
            if m[row][col].abs() > m[pivot_row][col].abs() {
                pivot_row = row;
            }
        }
        if m[pivot_row][col] == 0.0 || !m[pivot_row][col].is_finite() {
            return None;
        }
        m.swap(col, pivot_row);
        rhs.swap(col, pivot_row);
        let inv_pivot = 1.0 / m[col][col];
        for row in col + 1..n {
            let factor = m[row][col] * inv_pivot;
            m[row][col] = factor;
            let (upper, lower) = m.split_at_mut(row);
            for (dst, src) in lower[0][col + 1..].iter_mut().zip(&upper[col][col + 1..]) {
                *dst -= factor * src;
            }
            rhs[row] -= factor * rhs[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let mut acc = rhs[row];
        for k in row + 1..n {
            acc -= m[row][k] * x[k];
        }
        x[row] = acc / m[row][row];
    }
    Some(x)
}

/// Sum with NumPy's pairwise algorithm (blocks of 128, eight accumulators), so sums of long arrays
/// round exactly as `np.sum` does.
pub(crate) fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = -0.0;
        for v in a {
            res += v;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let whole = n - n % 8;
        let mut i = 8;
        while i < whole {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &a[whole..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_with_pivoting() {
        let m = vec![vec![0.0, 2.0], vec![3.0, 1.0]];
        let x = solve(m, vec![4.0, 5.0]).unwrap_or_default();
        assert_eq!(x, vec![1.0, 2.0]);
    }

    #[test]
    fn singular_is_none() {
        assert!(solve(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 2.0]).is_none());
    }
}
