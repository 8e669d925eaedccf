//! k-nearest-neighbour class affinity (METHOD.md): how often a window's neighbours share its class.
//!
//! A[i][j] is the mean, over windows of class i, of the fraction of their k nearest neighbours
//! (cosine similarity) that belong to class j. The paper reports the class mean of the diagonal,
//! "intra-class consistency", for x̂ (0.083) and ĥ (0.837), excluding only the window itself.
//!
//! That protocol leaks: windows of one record overlap and look alike whatever their class, so most
//! neighbours of a window are windows of its own record and the diagonal measures record retrieval.
//! Each matrix is therefore computed three ways ([`Neighbours`]): all other windows (the paper's
//! protocol), windows of other records, and windows of other patients (the leak-free figure), each
//! with the chance level a random allowed neighbour gives, the window-weighted diagonal beside the
//! class mean, and a bootstrap CI over patients.
//!
//! Exact brute-force search, blocked and spread over all cores: memory stays O(n·k + block·n)
//! rather than O(n²), so PTB-XL's ~26,000 test windows take seconds, not gigabytes. One similarity
//! pass serves all three exclusions.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::stats;
use crate::rng::Rng;

/// Why an affinity could not be computed (inconsistent inputs, too few windows).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AffinityError(pub String);

/// Which windows may count as a window's neighbours (the window itself never does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Neighbours {
    /// Every other window: the paper's protocol, where overlapping windows of the same record count.
    All,
    /// Windows of other records only.
    OtherRecords,
    /// Windows of other patients only: nothing of the window's patient can be retrieved.
    #[default]
    OtherPatients,
}

impl Neighbours {
    pub const ALL: [Self; 3] = [Self::OtherPatients, Self::OtherRecords, Self::All];

    pub fn label(self) -> &'static str {
        match self {
            Self::All => "all windows (paper)",
            Self::OtherRecords => "other records",
            Self::OtherPatients => "other patients",
        }
    }
}

/// One affinity matrix and what it should be read against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Affinity {
    /// Which neighbours were allowed.
    pub neighbours: Neighbours,
    /// Class names, rows and columns of `matrix` in this order.
    pub classes: Vec<String>,
    /// Windows per class.
    pub counts: Vec<usize>,
    /// `matrix[i][j]`: mean fraction of class-i windows' neighbours that are of class j.
    pub matrix: Vec<Vec<f64>>,
    /// Mean of the diagonal over classes, each class counting once (the paper's figure).
    pub diagonal_mean: f64,
    /// The fraction of all windows' neighbours that share their class: the diagonal weighted by
    /// windows, dominated by the abundant classes.
    pub diagonal_weighted: f64,
    /// `chance[i]`: the share of class i among the neighbours a class-i window was allowed, averaged
    /// over class-i windows: what the diagonal would be if neighbours were drawn at random.
    pub chance: Vec<f64>,
    /// Class mean of `chance`, to read beside `diagonal_mean`.
    pub chance_mean: f64,
    /// Percentile bootstrap 95 % CI of `diagonal_mean`, patients resampled (neighbours kept);
    /// `None` with fewer than two patients.
    pub diagonal_ci95: Option<(f64, f64)>,
    /// Distinct patients among the windows (the bootstrap's unit).
    pub patients: usize,
    pub k: usize,
}

/// The three readings of one feature space.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AffinitySet {
    pub all: Affinity,
    /// `None` when some window has fewer than k windows of other records.
    pub other_record: Option<Affinity>,
    /// `None` when some window has fewer than k windows of other patients.
    pub other_patient: Option<Affinity>,
}

impl AffinitySet {
    pub fn get(&self, neighbours: Neighbours) -> Option<&Affinity> {
        match neighbours {
            Neighbours::All => Some(&self.all),
            Neighbours::OtherRecords => self.other_record.as_ref(),
            Neighbours::OtherPatients => self.other_patient.as_ref(),
        }
    }

    /// The leak-free reading when there is one, else the least leaky there is.
    pub fn headline(&self) -> &Affinity {
        self.other_patient
            .as_ref()
            .or(self.other_record.as_ref())
            .unwrap_or(&self.all)
    }
}

/// The windows whose affinity is measured.
#[derive(Clone, Copy, Debug)]
pub struct AffinityInput<'a> {
    /// `n` rows of `dim` values, row-major.
    pub features: &'a [f32],
    pub dim: usize,
    /// Each row's class, an index into `class_names`.
    pub labels: &'a [usize],
    pub class_names: &'a [String],
    /// Each row's record and patient, as any ids (equal ids, same record or patient). A record
    /// belongs to one patient.
    pub records: &'a [u32],
    pub patients: &'a [u32],
}

/// Neighbours and the bootstrap.
#[derive(Clone, Copy, Debug)]
pub struct AffinityOptions {
    pub k: usize,
    pub bootstrap_resamples: usize,
    pub seed: u64,
}

/// Computes the affinity of `input` with all neighbours, other records' and other patients'.
/// Classes without windows are dropped.
pub fn knn_affinity(
    input: &AffinityInput<'_>,
    options: &AffinityOptions,
) -> Result<AffinitySet, AffinityError> {
    let AffinityInput {
        features,
        dim,
        labels,
        class_names,
        records,
        patients,
    } = *input;
    let k = options.k;
    let n = labels.len();
    if dim == 0 || features.len() != n * dim {
        return Err(AffinityError(format!(
            "affinity: {} feature values do not make {n} rows of {dim}",
            features.len()
        )));
    }
    if records.len() != n || patients.len() != n {
        return Err(AffinityError(format!(
            "affinity: {n} windows but {} record and {} patient ids",
            records.len(),
            patients.len()
        )));
    }
    if let Some(&bad) = labels.iter().find(|&&l| l >= class_names.len()) {
        return Err(AffinityError(format!(
            "affinity: class index {bad} but only {} classes",
            class_names.len()
        )));
    }
    if k == 0 || k >= n {
        return Err(AffinityError(format!(
            "affinity: k = {k} needs more than {k} windows, got {n}"
        )));
    }
    let mut patient_of_record: HashMap<u32, u32> = HashMap::new();
    for (&record, &patient) in records.iter().zip(patients) {
        if *patient_of_record.entry(record).or_insert(patient) != patient {
            return Err(AffinityError(format!(
                "affinity: record {record} is given two patients"
            )));
        }
    }

    let own: Vec<u32> = (0..n as u32).collect();
    let unit = normalised_rows(features, dim);
    let [all, other_record, other_patient] =
        nearest_neighbours(&unit, dim, k, [&own, records, patients]);
    let reading = |neighbours: Neighbours, found: &[u32], groups: &[u32]| {
        summarise(neighbours, found, groups, input, options)
    };
    Ok(AffinitySet {
        all: reading(Neighbours::All, &all, &own).ok_or_else(|| {
            AffinityError(format!("affinity: fewer than {k} neighbours for a window"))
        })?,
        other_record: reading(Neighbours::OtherRecords, &other_record, records),
        other_patient: reading(Neighbours::OtherPatients, &other_patient, patients),
    })
}

/// The matrix, chance levels and CI of one exclusion; `None` when a window lacks k neighbours.
fn summarise(
    neighbours: Neighbours,
    found: &[u32],
    groups: &[u32],
    input: &AffinityInput<'_>,
    options: &AffinityOptions,
) -> Option<Affinity> {
    let (labels, class_names, k) = (input.labels, input.class_names, options.k);
    if found.contains(&NONE) {
        return None;
    }
    let n_classes = class_names.len();
    // Neighbour counts, divided once at the end so a perfect row is exactly 1.
    let mut hits = vec![vec![0u64; n_classes]; n_classes];
    let mut counts = vec![0usize; n_classes];
    for (row, &class) in labels.iter().enumerate() {
        counts[class] += 1;
        for &j in &found[row * k..(row + 1) * k] {
            hits[class][labels[j as usize]] += 1;
        }
    }

    // Chance: class c's share of the windows outside the window's own group.
    let mut group_sizes: HashMap<u32, usize> = HashMap::new();
    let mut group_class_sizes: HashMap<(u32, usize), usize> = HashMap::new();
    for (&group, &class) in groups.iter().zip(labels) {
        *group_sizes.entry(group).or_default() += 1;
        *group_class_sizes.entry((group, class)).or_default() += 1;
    }
    let n = labels.len();
    let mut chance_sum = vec![0.0f64; n_classes];
    for (&group, &class) in groups.iter().zip(labels) {
        let allowed = n - group_sizes[&group];
        let allowed_same = counts[class] - group_class_sizes[&(group, class)];
        chance_sum[class] += allowed_same as f64 / allowed as f64;
    }

    let present: Vec<usize> = (0..n_classes).filter(|&c| counts[c] > 0).collect();
    let matrix: Vec<Vec<f64>> = present
        .iter()
        .map(|&i| {
            let total = (counts[i] * k) as f64;
            present.iter().map(|&j| hits[i][j] as f64 / total).collect()
        })
        .collect();
    let class_mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
    let diagonal: Vec<f64> = (0..present.len()).map(|i| matrix[i][i]).collect();
    let chance: Vec<f64> = present
        .iter()
        .map(|&c| chance_sum[c] / counts[c] as f64)
        .collect();
    let same_class: u64 = present.iter().map(|&c| hits[c][c]).sum();
    let (diagonal_ci95, patients) = bootstrap_diagonal(found, input, options);
    Some(Affinity {
        neighbours,
        classes: present.iter().map(|&c| class_names[c].clone()).collect(),
        counts: present.iter().map(|&c| counts[c]).collect(),
        diagonal_mean: class_mean(&diagonal),
        diagonal_weighted: same_class as f64 / (n * k) as f64,
        chance_mean: class_mean(&chance),
        chance,
        matrix,
        diagonal_ci95,
        patients,
        k,
    })
}

/// Percentile bootstrap of the class-mean diagonal with patients resampled: each patient brings
/// its windows and their neighbours as found (the neighbours are not searched again). Returns the
/// CI and the number of patients.
fn bootstrap_diagonal(
    found: &[u32],
    input: &AffinityInput<'_>,
    options: &AffinityOptions,
) -> (Option<(f64, f64)>, usize) {
    let (labels, k) = (input.labels, options.k);
    let n_classes = input.class_names.len();
    // Per patient and class: windows, and neighbours of the same class.
    let mut index: HashMap<u32, usize> = HashMap::new();
    let mut windows: Vec<Vec<u64>> = Vec::new();
    let mut same: Vec<Vec<u64>> = Vec::new();
    for (row, (&patient, &class)) in input.patients.iter().zip(labels).enumerate() {
        let at = *index.entry(patient).or_insert_with(|| {
            windows.push(vec![0; n_classes]);
            same.push(vec![0; n_classes]);
            windows.len() - 1
        });
        windows[at][class] += 1;
        same[at][class] += found[row * k..(row + 1) * k]
            .iter()
            .filter(|&&j| labels[j as usize] == class)
            .count() as u64;
    }
    let units = windows.len();
    if units < 2 || options.bootstrap_resamples == 0 {
        return (None, units);
    }
    let mut rng = Rng::new(options.seed);
    let mut drawn_windows = vec![0u64; n_classes];
    let mut drawn_same = vec![0u64; n_classes];
    let mut means: Vec<f64> = (0..options.bootstrap_resamples)
        .map(|_| {
            drawn_windows.fill(0);
            drawn_same.fill(0);
            for _ in 0..units {
                let unit = rng.below(units);
                for c in 0..n_classes {
                    drawn_windows[c] += windows[unit][c];
                    drawn_same[c] += same[unit][c];
                }
            }
            let (sum, classes) = (0..n_classes).filter(|&c| drawn_windows[c] > 0).fold(
                (0.0, 0usize),
                |(sum, classes), c| {
                    let diagonal = drawn_same[c] as f64 / (drawn_windows[c] * k as u64) as f64;
                    (sum + diagonal, classes + 1)
                },
            );
            sum / classes as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    (
        Some((
            stats::quantile(&means, 0.025),
            stats::quantile(&means, 0.975),
        )),
        units,
    )
}

/// Made-up matrices for the report's and figures' tests.
#[cfg(test)]
impl Affinity {
    /// `diagonal` on the diagonal, the rest spread evenly; chance 1 / classes.
    pub(crate) fn uniform(classes: &[&str], diagonal: f64, neighbours: Neighbours) -> Self {
        let n = classes.len();
        let off = (1.0 - diagonal) / (n - 1).max(1) as f64;
        Self {
            neighbours,
            classes: classes.iter().map(|c| (*c).to_owned()).collect(),
            counts: (0..n).map(|i| 40 - 5 * i).collect(),
            matrix: (0..n)
                .map(|i| {
                    (0..n)
                        .map(|j| if i == j { diagonal } else { off })
                        .collect()
                })
                .collect(),
            diagonal_mean: diagonal,
            diagonal_weighted: diagonal,
            chance: vec![1.0 / n as f64; n],
            chance_mean: 1.0 / n as f64,
            diagonal_ci95: Some((diagonal - 0.05, diagonal + 0.05)),
            patients: 30,
            k: 10,
        }
    }
}

#[cfg(test)]
impl AffinitySet {
    /// All neighbours at `diagonal`, other records' at 0.6 of it, other patients' at half.
    pub(crate) fn uniform(classes: &[&str], diagonal: f64) -> Self {
        Self {
            all: Affinity::uniform(classes, diagonal, Neighbours::All),
            other_record: Some(Affinity::uniform(
                classes,
                0.6 * diagonal,
                Neighbours::OtherRecords,
            )),
            other_patient: Some(Affinity::uniform(
                classes,
                0.5 * diagonal,
                Neighbours::OtherPatients,
            )),
        }
    }
}

/// Marks a neighbour slot left empty (fewer allowed windows than k).
const NONE: u32 = u32::MAX;
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

/// For each grouping in `groups`, the indices of the `k` most similar rows of each row outside the
/// row's own group, most similar first (ties to the lower index); [`NONE`] fills the slots of a row
/// with fewer than `k` such rows. One similarity pass serves every grouping.
fn nearest_neighbours<const G: usize>(
    unit: &[f32],
    dim: usize,
    k: usize,
    groups: [&[u32]; G],
) -> [Vec<u32>; G] {
    let n = unit.len() / dim;
    let mut results: [Vec<u32>; G] = std::array::from_fn(|_| vec![NONE; n * k]);
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let rows_per_thread = n.div_ceil(threads).max(1);
    // Each thread takes the same rows of every result.
    let mut per_thread: Vec<Vec<&mut [u32]>> = Vec::new();
    for result in &mut results {
        for (chunk_index, out) in result.chunks_mut(rows_per_thread * k).enumerate() {
            if per_thread.len() <= chunk_index {
                per_thread.push(Vec::with_capacity(G));
            }
            per_thread[chunk_index].push(out);
        }
    }
    std::thread::scope(|scope| {
        for (chunk_index, mut outs) in per_thread.into_iter().enumerate() {
            let first = chunk_index * rows_per_thread;
            scope.spawn(move || {
                const BLOCK: usize = 32;
                let rows = outs.first().map_or(0, |out| out.len() / k);
                let mut sims = vec![0.0f32; BLOCK * n];
                let mut best = Vec::with_capacity(k + 1);
                for block_start in (0..rows).step_by(BLOCK) {
                    let block = BLOCK.min(rows - block_start);
                    let queries =
                        &unit[(first + block_start) * dim..(first + block_start + block) * dim];
                    block_similarities(queries, unit, dim, &mut sims[..block * n]);
                    for q in 0..block {
                        let query_row = first + block_start + q;
                        let slots = (block_start + q) * k..(block_start + q + 1) * k;
                        for (out, group) in outs.iter_mut().zip(groups) {
                            top_k(
                                &sims[q * n..(q + 1) * n],
                                group,
                                group[query_row],
                                &mut best,
                                &mut out[slots.clone()],
                            );
                        }
                    }
                }
            });
        }
    });
    results
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

/// Fills `top` with the indices of the largest similarities among the rows outside `own_group`,
/// most similar first; slots beyond the rows found stay [`NONE`]. `best` is scratch space.
fn top_k(
    sims: &[f32],
    groups: &[u32],
    own_group: u32,
    best: &mut Vec<(f32, u32)>,
    top: &mut [u32],
) {
    let k = top.len();
    best.clear();
    for (j, (&s, &group)) in sims.iter().zip(groups).enumerate() {
        if group == own_group {
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
    top.fill(NONE);
    for (slot, &(_, j)) in top.iter_mut().zip(best.iter()) {
        *slot = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("class {i}")).collect()
    }

    const OPTIONS: AffinityOptions = AffinityOptions {
        k: 5,
        bootstrap_resamples: 200,
        seed: 7,
    };

    /// Affinity of windows where each window is its own record and patient.
    fn independent(
        features: &[f32],
        dim: usize,
        labels: &[usize],
        classes: usize,
        k: usize,
    ) -> Result<AffinitySet, AffinityError> {
        let ids: Vec<u32> = (0..labels.len() as u32).collect();
        let names = names(classes);
        knn_affinity(
            &AffinityInput {
                features,
                dim,
                labels,
                class_names: &names,
                records: &ids,
                patients: &ids,
            },
            &AffinityOptions { k, ..OPTIONS },
        )
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
        let a = independent(&features, 4, &labels, 3, 5).unwrap().all;
        assert_eq!(a.counts, [20, 20, 20]);
        assert_eq!(a.diagonal_mean, 1.0);
        assert_eq!(a.diagonal_weighted, 1.0);
        assert_eq!(a.matrix[0][1], 0.0);
        // A random neighbour is of the window's class 19 times in 59.
        for chance in &a.chance {
            assert!((chance - 19.0 / 59.0).abs() < 1e-12);
        }
    }

    #[test]
    fn random_labels_give_chance_level() {
        // Deterministic pseudo-random features with labels unrelated to them.
        let mut rng = Rng::new(12345);
        let features: Vec<f32> = (0..2000 * 8).map(|_| rng.uniform() as f32 - 0.5).collect();
        let labels: Vec<usize> = (0..2000).map(|i| (i * 7 + i / 3) % 2).collect();
        let a = independent(&features, 8, &labels, 2, 10).unwrap().all;
        assert!((a.diagonal_mean - 0.5).abs() < 0.05, "{}", a.diagonal_mean);
        assert!((a.chance_mean - 0.5).abs() < 0.01, "{}", a.chance_mean);
        let (lo, hi) = a.diagonal_ci95.unwrap();
        assert!(lo < a.diagonal_mean && a.diagonal_mean < hi, "{lo} {hi}");
        for row in &a.matrix {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    /// Records of five near-identical windows, the class alternating by record: with all windows
    /// allowed, every neighbour is a window of the same record (identity); without them, the
    /// neighbours are other records' and the diagonal is no better than chance.
    #[test]
    fn same_record_neighbours_are_excluded() {
        let mut rng = Rng::new(3);
        let (n_records, per_record, dim) = (40usize, 5usize, 6usize);
        let mut features = Vec::new();
        let (mut labels, mut records, mut patients) = (Vec::new(), Vec::new(), Vec::new());
        for record in 0..n_records {
            let centre: Vec<f32> = (0..dim).map(|_| rng.normal() as f32).collect();
            for _ in 0..per_record {
                features.extend(centre.iter().map(|v| v + 1e-3 * rng.normal() as f32));
                labels.push(record % 2);
                records.push(record as u32);
                // Two records per patient, of different classes.
                patients.push((record / 2) as u32);
            }
        }
        let names = names(2);
        let input = AffinityInput {
            features: &features,
            dim,
            labels: &labels,
            class_names: &names,
            records: &records,
            patients: &patients,
        };
        let options = AffinityOptions { k: 4, ..OPTIONS };
        let set = knn_affinity(&input, &options).unwrap();
        assert_eq!(set.all.diagonal_mean, 1.0);
        let other = set.other_record.as_ref().unwrap();
        assert!(other.diagonal_mean < 0.75, "{}", other.diagonal_mean);
        // 95 of the 195 windows of other records share a window's class.
        assert!((other.chance[0] - 95.0 / 195.0).abs() < 1e-12);
        let (lo, hi) = other.diagonal_ci95.unwrap();
        assert!(lo <= other.diagonal_mean && other.diagonal_mean <= hi);
        assert_eq!(other.patients, 20);
        // Other patients: the record's twin (the other class) is gone too: 95 of 190.
        let other_patient = set.other_patient.as_ref().unwrap();
        assert!((other_patient.chance[0] - 95.0 / 190.0).abs() < 1e-12);

        // No neighbour found shares the window's record, or patient.
        let unit = normalised_rows(&features, dim);
        let own: Vec<u32> = (0..labels.len() as u32).collect();
        let [all, by_record, by_patient] =
            nearest_neighbours(&unit, dim, 4, [&own, &records, &patients]);
        for row in 0..labels.len() {
            let slots = row * 4..(row + 1) * 4;
            assert!(
                all[slots.clone()]
                    .iter()
                    .all(|&j| records[j as usize] == records[row])
            );
            assert!(
                by_record[slots.clone()]
                    .iter()
                    .all(|&j| records[j as usize] != records[row])
            );
            assert!(
                by_patient[slots]
                    .iter()
                    .all(|&j| patients[j as usize] != patients[row])
            );
        }
    }

    #[test]
    fn too_few_other_patients_leave_that_reading_out() {
        // Two patients of three windows each: other patients give three neighbours, not four.
        let features = [1.0, 0.0, 0.9, 0.1, 0.8, 0.2, 0.0, 1.0, 0.1, 0.9, 0.2, 0.8];
        let names = names(2);
        let input = AffinityInput {
            features: &features,
            dim: 2,
            labels: &[0, 0, 0, 1, 1, 1],
            class_names: &names,
            records: &[0, 0, 0, 1, 1, 1],
            patients: &[0, 0, 0, 1, 1, 1],
        };
        let set = knn_affinity(&input, &AffinityOptions { k: 4, ..OPTIONS }).unwrap();
        assert!(set.other_record.is_none() && set.other_patient.is_none());
        assert_eq!(set.headline().neighbours, Neighbours::All);
        let set = knn_affinity(&input, &AffinityOptions { k: 3, ..OPTIONS }).unwrap();
        let other = set.other_patient.unwrap();
        // Every allowed neighbour is of the other class: the diagonal and chance are both 0.
        assert_eq!(other.diagonal_mean, 0.0);
        assert_eq!(other.chance_mean, 0.0);
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
        let a = independent(&features, 2, &[0, 0, 2, 2], 3, 1).unwrap().all;
        assert_eq!(a.classes, ["class 0", "class 2"]);
        assert_eq!(a.matrix, [[1.0, 0.0], [0.0, 1.0]]);
        assert!(independent(&features, 2, &[0, 0, 2, 2], 3, 4).is_err());
        assert!(independent(&features, 3, &[0, 0, 2, 2], 3, 1).is_err());
        assert!(independent(&features, 2, &[0, 0, 5, 2], 3, 1).is_err());
        let names = names(3);
        let two_patients = AffinityInput {
            features: &features,
            dim: 2,
            labels: &[0, 0, 2, 2],
            class_names: &names,
            records: &[0, 0, 1, 1],
            patients: &[0, 1, 2, 2],
        };
        assert!(knn_affinity(&two_patients, &AffinityOptions { k: 1, ..OPTIONS }).is_err());
    }
}
