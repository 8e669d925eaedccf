//! PTB Diagnostic ECG Database: records `patientNNN/sNNNNxxx`, 1000 Hz, 15 signals (12 standard leads in
//! lower case + Frank leads vx vy vz). The label is the header's `# Reason for admission:`; the patient id
//! is the `patientNNN` folder. The method's cross-dataset test set, never trained on.

use super::scan::ScannedHeader;
use super::{DatasetKind, Label, LabelScheme, RecordEntry, Sex, Superclass, parse_age_years};

/// True for a `patientNNN` folder name.
pub fn is_patient_folder(name: &str) -> bool {
    name.strip_prefix("patient")
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The entry of one PTB header. Record id = `patientNNN/sNNNNxxx` (PhysioNet's record name) when the
/// header sits in a patient folder, else its path relative to the indexed folder.
pub fn entry(scanned: &ScannedHeader) -> RecordEntry {
    let header = &scanned.header;
    let patient_folder = scanned.parent_folder();
    let (record_id, patient_id) = if is_patient_folder(patient_folder) {
        (
            format!("{patient_folder}/{}", scanned.stem()),
            Some(patient_folder.to_owned()),
        )
    } else {
        (scanned.relative_name.clone(), None)
    };
    let mut entry = scanned.entry(
        DatasetKind::Ptb,
        DatasetKind::Ptb.name(),
        record_id,
        patient_id,
    );
    entry.age_years = header.comment_value("age").and_then(parse_age_years);
    entry.sex = header.comment_value("sex").and_then(Sex::parse);
    if let Some(reason) = header
        .comment_value("Reason for admission")
        .filter(|reason| !reason.is_empty() && !reason.eq_ignore_ascii_case("n/a"))
    {
        entry.labels.push(reason_label(reason));
    }
    entry
}

/// A `Reason for admission` as a label. Our superclass mapping: myocardial infarction → MI, healthy
/// control → NORM, bundle branch block → CD, myocardial hypertrophy → HYP; the others (cardiomyopathy /
/// heart failure, dysrhythmia, valvular heart disease, myocarditis, miscellaneous) stay unmapped.
pub fn reason_label(reason: &str) -> Label {
    let reason = reason.trim();
    let superclass = match reason.to_ascii_lowercase().as_str() {
        "myocardial infarction" => Some(Superclass::Mi),
        "healthy control" => Some(Superclass::Norm),
        "bundle branch block" => Some(Superclass::Cd),
        "myocardial hypertrophy" => Some(Superclass::Hyp),
        _ => None,
    };
    Label {
        code: reason.to_owned(),
        name: reason.to_owned(),
        scheme: LabelScheme::PtbReason,
        likelihood: None,
        superclass,
        subclass: (superclass == Some(Superclass::Norm)).then(|| "NORM".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_folders() {
        assert!(is_patient_folder("patient001"));
        assert!(!is_patient_folder("patient"));
        assert!(!is_patient_folder("patients"));
        assert!(!is_patient_folder("data"));
    }

    #[test]
    fn reasons() {
        assert_eq!(
            reason_label("Myocardial infarction").superclass,
            Some(Superclass::Mi)
        );
        assert_eq!(
            reason_label("Healthy control").superclass,
            Some(Superclass::Norm)
        );
        assert_eq!(reason_label("Dysrhythmia").superclass, None);
    }
}
