//! R-peak detection against LUDB's QRS annotations (lead II delineation): sensitivity and PPV with a
//! 100 ms tolerance over all 200 records, counting only detections inside the annotated stretch.

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
        lead_ii_total.add(rpeaks::match_beats(&reference, &found_ii, tolerance));
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
    assert_eq!(records, 200);
    assert!(
        total.sensitivity() >= 0.99,
        "sensitivity {:.4}",
        total.sensitivity()
    );
    assert!(total.ppv() >= 0.99, "PPV {:.4}", total.ppv());
}
