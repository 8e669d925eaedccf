//! k-nearest-neighbour class affinity (METHOD.md): how often a window's neighbours share its class.
//!
//! A[i][j] is the mean, over windows of class i, of the fraction of their k nearest neighbours
//! (cosine similarity, the window itself excluded) that belong to class j. The diagonal mean is
//! the "intra-class consistency" the paper reports for x̂ (0.083) and ĥ (0.837).
//!
//! Exact brute-force search, blocked and spread over all cores: memory stays O(n·k + block·n)
//! rather than O(n²), so PTB-XL's ~26,000 test windows take seconds, not gigabytes.

use serde::{Deserialize, Serialize};

use super::EvalError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Affinity {
    /// Class names, rows and columns of `matrix` in this order.
    pub classes: Vec<String>,
    /// Windows per class.
    pub counts: Vec<usize>,
    /// `matrix[i][j]`: mean fraction of class-i windows' neighbours that are of class j.
    pub matrix: Vec<Vec<f64>>,
    pub diagonal_mean: f64,
    pub k: usize,
}

/// Computes the affinity matrix of `features` (`n` rows of `dim` values, row-major) whose rows
/// carry class indices `labels` into `class_names`. Classes without windows are dropped.
pub fn knn_affinity(
    features: &[f32],
    dim: usize,
    labels: &[usize],
    class_names: &[String],
    k: usize,
) -> Result<Affinity, EvalError> {
    let n = labels.len();
    if dim == 0 || features.len() != n * dim {
        return Err(EvalError::Input(format!(
            "affinity: {} feature values do not make {n} rows of {dim}",
            features.len()
        )));
    }
    if let Some(&bad) = labels.iter().find(|&&l| l >= class_names.len()) {
        return Err(EvalError::Input(format!(
            "affinity: class index {bad} but only {} classes",
            class_names.len()
        )));
    }
    if k == 0 || k >= n {
        return Err(EvalError::Input(format!(
            "affinity: k = {k} needs more than {k} windows, got {n}"
        )));
    }
    let unit = normalised_rows(features, dim);
    let neighbours = nearest_neighbours(&unit, dim, k);

    let n_classes = class_names.len();
    // Neighbour counts, divided once at the end so a perfect row is exactly 1.
    let mut hits = vec![vec![0u64; n_classes]; n_classes];
    let mut counts = vec![0usize; n_classes];
    for (row, &class) in labels.iter().enumerate() {
        counts[class] += 1;
        for &j in &neighbours[row * k..(row + 1) * k] {
            hits[class][labels[j as usize]] += 1;
        }
    }
    let present: Vec<usize> = (0..n_classes).filter(|&c| counts[c] > 0).collect();
    let matrix: Vec<Vec<f64>> = present
        .iter()
        .map(|&i| {
            let total = (counts[i] * k) as f64;
            present.iter().map(|&j| hits[i][j] as f64 / total).collect()
        })
        .collect();
    let diagonal_mean =
        (0..present.len()).map(|i| matrix[i][i]).sum::<f64>() / present.len() as f64;
    Ok(Affinity {
        classes: present.iter().map(|&c| class_names[c].clone()).collect(),
        counts: present.iter().map(|&c| counts[c]).collect(),
        matrix,
        diagonal_mean,
        k,
    })
}

/// Rows scaled to unit length (zero rows stay zero: cosine similarity 0 to everything).
fn normalised_rows(features: &[f32], dim: usize) -> Vec<f32> {
    let mut unit = features.to_vec();
    for row in unit.chunks_exact_mut(dim) {
        let norm = row.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
        if norm > 0.0 {
            let scale = (1.0 / norm) as f32;
            row.iter_mut().for_each(|v| *v *= scale);
        }
    }
    unit
}

/// Indices of the `k` most similar rows of each row (self excluded), most similar first; ties go
/// to the lower index.
fn nearest_neighbours(unit: &[f32], dim: usize, k: usize) -> Vec<u32> {
    let n = unit.len() / dim;
    let mut result = vec![0u32; n * k];
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let rows_per_thread = n.div_ceil(threads);
    std::thread::scope(|scope| {
        for (chunk_index, out) in result.chunks_mut(rows_per_thread * k).enumerate() {
            let first = chunk_index * rows_per_thread;
            scope.spawn(move || {
                const BLOCK: usize = 32;
                let rows = out.len() / k;
                let mut sims = vec![0.0f32; BLOCK * n];
                for block_start in (0..rows).step_by(BLOCK) {
                    let block = BLOCK.min(rows - block_start);
                    let queries =
                        &unit[(first + block_start) * dim..(first + block_start + block) * dim];
                    block_similarities(queries, unit, dim, &mut sims[..block * n]);
                    for q in 0..block {
                        let query_row = first + block_start + q;
                        let top = &mut out[(block_start + q) * k..(block_start + q + 1) * k];
                        top_k(&sims[q * n..(q + 1) * n], query_row, top);
                    }
                }
            });
        }
    });
    result
}

/// `out[q * n + c]` = similarity of query row `q` with candidate row `c`. Uses AVX2 where the CPU
/// has it (chosen at run time, so one binary serves every x86-64 machine); the arithmetic is the
/// same on both paths (no FMA contraction), so results do not depend on the CPU.
fn block_similarities(queries: &[f32], candidates: &[f32], dim: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { block_similarities_avx2(queries, candidates, dim, out) };
        return;
    }
    block_similarities_portable(queries, candidates, dim, out);
}

/// The four-query kernel with explicit 256-bit vectors (LLVM's auto-vectoriser stays at 128
/// bits here). Same lane layout and summation order as the portable kernel: identical results.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn block_similarities_avx2(queries: &[f32], candidates: &[f32], dim: usize, out: &mut [f32]) {
    use std::arch::x86_64::{
        _mm256_add_ps, _mm256_loadu_ps, _mm256_mul_ps, _mm256_setzero_ps, _mm256_storeu_ps,
    };

    let n_queries = queries.len() / dim;
    let n = candidates.len() / dim;
    let chunks = dim / 8;
    let full = n_queries / 4 * 4;
    for q in (0..full).step_by(4) {
        let rows: [&[f32]; 4] = std::array::from_fn(|i| &queries[(q + i) * dim..(q + i + 1) * dim]);
        for (c, candidate) in candidates.chunks_exact(dim).enumerate() {
            let mut acc = [_mm256_setzero_ps(); 4];
            for chunk in 0..chunks {
                let at = chunk * 8;
                // SAFETY: `at + 8 <= chunks * 8 <= dim`, the length of every row sliced above.
                unsafe {
                    let cand = _mm256_loadu_ps(candidate.as_ptr().add(at));
                    for (i, row) in rows.iter().enumerate() {
                        let query = _mm256_loadu_ps(row.as_ptr().add(at));
                        acc[i] = _mm256_add_ps(acc[i], _mm256_mul_ps(query, cand));
                    }
                }
            }
            for (i, row) in rows.iter().enumerate() {
                let mut lanes = [0.0f32; 8];
                // SAFETY: `lanes` holds exactly eight f32.
                unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc[i]) };
                let mut tail = 0.0f32;
                for j in chunks * 8..dim {
                    tail += row[j] * candidate[j];
                }
                out[(q + i) * n + c] = lanes.iter().sum::<f32>() + tail;
            }
        }
    }
    for q in full..n_queries {
        let query = &queries[q * dim..(q + 1) * dim];
        for (c, candidate) in candidates.chunks_exact(dim).enumerate() {
            out[q * n + c] = dot(query, candidate);
        }
    }
}

/// Four queries against one candidate at a time: each candidate chunk is loaded once for four
/// dot products, with eight lanes per accumulator so the compiler vectorises it.
#[inline(always)]
fn block_similarities_portable(queries: &[f32], candidates: &[f32], dim: usize, out: &mut [f32]) {
    let n_queries = queries.len() / dim;
    let n = candidates.len() / dim;
    let mut q = 0;
    while q + 4 <= n_queries {
        let rows: [&[f32]; 4] = std::array::from_fn(|i| &queries[(q + i) * dim..(q + i + 1) * dim]);
        for (c, candidate) in candidates.chunks_exact(dim).enumerate() {
            let mut acc = [[0.0f32; 8]; 4];
            let mut tail = [0.0f32; 4];
            let chunks = dim / 8;
            for chunk in 0..chunks {
                let cand = &candidate[chunk * 8..chunk * 8 + 8];
                for (i, row) in rows.iter().enumerate() {
                    let query = &row[chunk * 8..chunk * 8 + 8];
                    for lane in 0..8 {
                        acc[i][lane] += query[lane] * cand[lane];
                    }
                }
            }
            for (i, row) in rows.iter().enumerate() {
                for j in chunks * 8..dim {
                    tail[i] += row[j] * candidate[j];
                }
                out[(q + i) * n + c] = acc[i].iter().sum::<f32>() + tail[i];
            }
        }
        q += 4;
    }
    for q in q..n_queries {
        let query = &queries[q * dim..(q + 1) * dim];
        for (c, candidate) in candidates.chunks_exact(dim).enumerate() {
            out[q * n + c] = dot(query, candidate);
        }
    }
}

/// Dot product with the same lane layout as the four-query kernel (identical rounding).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = a.len() / 8;
    for chunk in 0..chunks {
        for lane in 0..8 {
            acc[lane] += a[chunk * 8 + lane] * b[chunk * 8 + lane];
        }
    }
    let mut tail = 0.0f32;
    for j in chunks * 8..a.len() {
        tail += a[j] * b[j];
    }
    acc.iter().sum::<f32>() + tail
}

/// Fills `top` with the indices of the largest similarities, skipping `own`.
fn top_k(sims: &[f32], own: usize, top: &mut [u32]) {
    let k = top.len();
    let mut best: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
    for (j, &s) in sims.iter().enumerate() {
        if j == own {
            continue;
        }
        if best.len() == k && s <= best[k - 1].0 {
            continue;
        }
        // Insert keeping descending similarity; equal similarities keep index order.
        let at = best.partition_point(|&(b, _)| b >= s);
        best.insert(at, (s, j as u32));
        best.truncate(k);
    }
    for (slot, (_, j)) in top.iter_mut().zip(best) {
        *slot = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("class {i}")).collect()
    }

    #[test]
    fn separated_clusters_give_identity() {
        // Three tight clusters along different axes.
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for class in 0..3 {
            for i in 0..20 {
                let mut row = vec![0.01 * i as f32; 4];
                row[class] = 1.0;
                features.extend(row);
                labels.push(class);
            }
        }
        let a = knn_affinity(&features, 4, &labels, &names(3), 5).unwrap();
        assert_eq!(a.counts, [20, 20, 20]);
        assert_eq!(a.diagonal_mean, 1.0);
        assert_eq!(a.matrix[0][1], 0.0);
    }

    #[test]
    fn random_labels_give_chance_level() {
        // Deterministic pseudo-random features with labels unrelated to them.
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let features: Vec<f32> = (0..2000 * 8).map(|_| next()).collect();
        let labels: Vec<usize> = (0..2000).map(|i| (i * 7 + i / 3) % 2).collect();
        let a = knn_affinity(&features, 8, &labels, &names(2), 10).unwrap();
        assert!((a.diagonal_mean - 0.5).abs() < 0.05, "{}", a.diagonal_mean);
        for row in &a.matrix {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn vector_kernel_matches_portable_bit_for_bit() {
        // 7 queries (a partial group of four) and dim 37 (a partial chunk of eight).
        let values: Vec<f32> = (0..30 * 37)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
            .collect();
        let (queries, candidates) = (&values[..7 * 37], &values[..]);
        let mut fast = vec![0.0f32; 7 * 30];
        let mut portable = vec![0.0f32; 7 * 30];
        block_similarities(queries, candidates, 37, &mut fast);
        block_similarities_portable(queries, candidates, 37, &mut portable);
        assert_eq!(fast, portable);
    }

    #[test]
    fn classes_without_windows_are_dropped_and_bad_input_refused() {
        let features = [1.0, 0.0, 0.9, 0.1, 0.0, 1.0, 0.1, 0.9];
        let a = knn_affinity(&features, 2, &[0, 0, 2, 2], &names(3), 1).unwrap();
        assert_eq!(a.classes, ["class 0", "class 2"]);
        assert_eq!(a.matrix, [[1.0, 0.0], [0.0, 1.0]]);
        assert!(knn_affinity(&features, 2, &[0, 0, 2, 2], &names(3), 4).is_err());
        assert!(knn_affinity(&features, 3, &[0, 0, 2, 2], &names(3), 1).is_err());
        assert!(knn_affinity(&features, 2, &[0, 0, 5, 2], &names(3), 1).is_err());
    }
}
