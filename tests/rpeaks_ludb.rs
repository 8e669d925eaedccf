//! R-peak detection against LUDB's QRS annotations (lead II delineation): sensitivity and PPV with a
//! 100 ms tolerance over all 200 records, counting only detections inside the annotated stretch.

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

mod common;

use precordial::dsp::rpeaks::{self, BeatMatch, RPeakConfig};
use precordial::wfdb::{Record, annotation};

#[test]
fn rpeaks_on_ludb_reach_99_percent() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let ludb = data.join("ludb/data");
    let cfg = RPeakConfig::default();
    let mut total = BeatMatch::default();
    let mut lead_ii_total = BeatMatch::default();
    let mut reference_total = BeatMatch::default();
    let clean_cfg = precordial::dsp::clean::CleanConfig::default();
    let mut records = 0;
    for n in 1..=200 {
        let record = ludb.join(n.to_string());
        let rec = Record::read(&record).unwrap_or_else(|e| panic!("LUDB {n}: {e}"));
        let anns = annotation::read(&record.with_extension("ii"))
            .unwrap_or_else(|e| panic!("LUDB {n}: {e}"));
        let reference: Vec<usize> = annotation::qrs_peaks(&anns.annotations)
            .into_iter()
            .filter_map(|s| usize::try_from(s).ok())
            .collect();
        let tolerance = (0.1 * rec.fs_hz()).round() as usize;
        let leads: Vec<&[f64]> = rec.signals().collect();
        let found =
            rpeaks::detect(&leads, rec.fs_hz(), &cfg).unwrap_or_else(|e| panic!("LUDB {n}: {e}"));
        let m = rpeaks::match_beats(&reference, &found, tolerance);
        if m.false_negatives + m.false_positives > 0 {
            println!(
                "LUDB {n}: TP {} FN {} FP {}",
                m.true_positives, m.false_negatives, m.false_positives
            );
        }
        total.add(m);
        let lead_ii = rec
            .signal_by_name("ii")
            .unwrap_or_else(|| panic!("LUDB {n}: no lead ii"));
        let found_ii = rpeaks::detect(&[lead_ii], rec.fs_hz(), &cfg)
            .unwrap_or_else(|e| panic!("LUDB {n}: {e}"));
        let m_ii = rpeaks::match_beats(&reference, &found_ii, tolerance);
        if m_ii != m {
            println!(
                "LUDB {n} lead II only: TP {} FN {} FP {}",
                m_ii.true_positives, m_ii.false_negatives, m_ii.false_positives
            );
        }
        lead_ii_total.add(m_ii);
        // The paper's find_peaks rule on cleaned 100 Hz lead II, mapped back to 500 Hz samples.
        let cleaned = precordial::dsp::clean::clean_lead(lead_ii, rec.fs_hz(), &clean_cfg)
            .unwrap_or_else(|e| panic!("LUDB {n}: {e}"));
        let scale = rec.fs_hz() / clean_cfg.target_fs_hz;
        let found_ref: Vec<usize> = rpeaks::reference_peaks(&cleaned, clean_cfg.target_fs_hz)
            .unwrap_or_else(|e| panic!("LUDB {n}: {e}"))
            .into_iter()
            .map(|p| (p as f64 * scale).round() as usize)
            .collect();
        reference_total.add(rpeaks::match_beats(&reference, &found_ref, tolerance));
        records += 1;
    }
    println!(
        "LUDB R peaks, {records} records, 12 leads: Se {:.4} PPV {:.4} (TP {}, FN {}, FP {})",
        total.sensitivity(),
        total.ppv(),
        total.true_positives,
        total.false_negatives,
        total.false_positives
    );
    println!(
        "LUDB R peaks, {records} records, lead II only: Se {:.4} PPV {:.4} (TP {}, FN {}, FP {})",
        lead_ii_total.sensitivity(),
        lead_ii_total.ppv(),
        lead_ii_total.true_positives,
        lead_ii_total.false_negatives,
        lead_ii_total.false_positives
    );
    println!(
        "LUDB R peaks, {records} records, reference find_peaks rule on cleaned lead II: Se {:.4} PPV {:.4} (TP {}, FN {}, FP {})",
        reference_total.sensitivity(),
        reference_total.ppv(),
        reference_total.true_positives,
        reference_total.false_negatives,
        reference_total.false_positives
    );
    assert_eq!(records, 200);
    assert!(
        total.sensitivity() >= 0.99,
        "sensitivity {:.4}",
        total.sensitivity()
    );
    assert!(total.ppv() >= 0.99, "PPV {:.4}", total.ppv());
}

#[test]
fn reference_peaks_match_scipy_find_peaks() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let fx = common::scipy_reference();
    let cfg = precordial::dsp::clean::CleanConfig::default();
    let mut checked = 0;
    for d in fx["reference_peaks"].as_array().into_iter().flatten() {
        let rel = d["record"].as_str().unwrap_or("");
        let rec = Record::read(data.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let lead = rec
            .signal_by_name("ii")
            .unwrap_or_else(|| panic!("{rel}: no lead ii"));
        let cleaned = precordial::dsp::clean::clean_lead(lead, rec.fs_hz(), &cfg)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        let peaks =
            rpeaks::reference_peaks(&cleaned, cfg.target_fs_hz).unwrap_or_else(|e| panic!("{e}"));
        let want: Vec<usize> = d["peaks"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_u64())
                    .map(|v| v as usize)
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(peaks, want, "{rel}");
        checked += 1;
    }
    assert_eq!(checked, 40);
}
