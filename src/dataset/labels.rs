//! Diagnostic labels shared by all datasets, and the PTB-XL diagnostic superclasses they map to.

use std::fmt;

use serde::Serialize;

/// PTB-XL's five diagnostic superclasses (`diagnostic_class` in `scp_statements.csv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Superclass {
    /// Normal ECG.
    #[serde(rename = "NORM")]
    Norm,
    /// Myocardial infarction.
    #[serde(rename = "MI")]
    Mi,
    /// ST/T change.
    #[serde(rename = "STTC")]
    Sttc,
    /// Conduction disturbance.
    #[serde(rename = "CD")]
    Cd,
    /// Hypertrophy.
    #[serde(rename = "HYP")]
    Hyp,
}

impl Superclass {
    pub const ALL: [Self; 5] = [Self::Norm, Self::Mi, Self::Sttc, Self::Cd, Self::Hyp];

    /// The PTB-XL spelling: `NORM`, `MI`, `STTC`, `CD`, `HYP`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Norm => "NORM",
            Self::Mi => "MI",
            Self::Sttc => "STTC",
            Self::Cd => "CD",
            Self::Hyp => "HYP",
        }
    }

    /// Parses the PTB-XL spelling (surrounding whitespace ignored, case-sensitive as in the table).
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|class| class.code() == code.trim())
    }
}

impl fmt::Display for Superclass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The coding scheme of a label's `code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelScheme {
    /// SCP-ECG statement codes, as in PTB-XL (`NORM`, `IMI`, `SR`).
    Scp,
    /// SNOMED CT concept ids, as in the PhysioNet/CinC Challenges (`426783006`).
    SnomedCt,
    /// LUDB free-text diagnoses (`Left ventricular hypertrophy`); the code is the text.
    LudbText,
    /// PTB Diagnostic's `Reason for admission` (`Myocardial infarction`); the code is the text.
    PtbReason,
    /// CODE-15% Chagas label (`chagas_positive` / `chagas_negative`).
    Chagas,
    /// PhysioNet Challenge 2024 classes (`NORM`, `Old MI`, `PVC`, `AFIB/AFL` ...), which the
    /// Challenge's script derived from PTB-XL's statements (diagnostic superclasses, rhythm and form
    /// statements). Not `scp_codes`: coarser, without likelihoods, and not an official PTB-XL table.
    Challenge2024,
}

/// One diagnostic statement about a record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Label {
    pub code: String,
    /// Human-readable name (`inferior myocardial infarction`); the code when the name is unknown.
    pub name: String,
    pub scheme: LabelScheme,
    /// PTB-XL likelihood 0-100 (0 also means "not given" for non-diagnostic statements); `None` where the
    /// source gives no likelihood.
    pub likelihood: Option<f32>,
    /// PTB-XL diagnostic superclass, where known (for other schemes: by the mappings in this module's
    /// siblings; `None` for non-diagnostic or unmapped statements).
    pub superclass: Option<Superclass>,
    /// PTB-XL diagnostic subclass (`IMI`, `LVH`, `NST_` ...), where known.
    pub subclass: Option<String>,
}

/// Likelihood threshold of a high-confidence label.
pub const HIGH_CONFIDENCE_LIKELIHOOD: f32 = 80.0;

impl Label {
    /// High-confidence: likelihood >= 80, or no likelihood given by the source.
    pub fn is_high_confidence(&self) -> bool {
        self.likelihood
            .is_none_or(|likelihood| likelihood >= HIGH_CONFIDENCE_LIKELIHOOD)
    }
}

/// The superclass of the diagnostic label with the highest likelihood among those with likelihood >=
/// `min_likelihood` (no likelihood counts as 100); ties go to the first label. The reference scripts'
/// single label per record.
pub fn dominant_superclass(labels: &[Label], min_likelihood: f32) -> Option<Superclass> {
    let mut best: Option<(f32, Superclass)> = None;
    for label in labels {
        let Some(superclass) = label.superclass else {
            continue;
        };
        let likelihood = label.likelihood.unwrap_or(100.0);
        if likelihood < min_likelihood {
            continue;
        }
        if best.is_none_or(|(best_likelihood, _)| likelihood > best_likelihood) {
            best = Some((likelihood, superclass));
        }
    }
    best.map(|(_, superclass)| superclass)
}

/// The record's pathology class for class-wise evaluation (affinity, per-class errors): among its
/// high-confidence diagnostic labels (likelihood >= 80, or none given), the superclass of the most
/// likely one other than NORM (ties to the first); NORM only when no other superclass is present, so
/// a Challenge record with "sinus rhythm" and RBBB is CD, not NORM. `None` for a record with no
/// diagnostic label at all (CODE-15's Chagas labels, rhythm or axis statements only).
pub fn pathology_superclass(labels: &[Label]) -> Option<Superclass> {
    let diagnostic: Vec<&Label> = labels
        .iter()
        .filter(|label| label.superclass.is_some() && label.is_high_confidence())
        .collect();
    let abnormal: Vec<Label> = diagnostic
        .iter()
        .filter(|label| label.superclass != Some(Superclass::Norm))
        .map(|&label| label.clone())
        .collect();
    dominant_superclass(&abnormal, HIGH_CONFIDENCE_LIKELIHOOD).or_else(|| {
        diagnostic
            .iter()
            .any(|label| label.superclass == Some(Superclass::Norm))
            .then_some(Superclass::Norm)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pathology_class_is_norm_only_when_nothing_else_is_present() {
        let sinus = label("426783006", None, Some(Superclass::Norm));
        let rbbb = label("59118001", None, Some(Superclass::Cd));
        assert_eq!(
            pathology_superclass(&[sinus.clone(), rbbb]),
            Some(Superclass::Cd)
        );
        assert_eq!(
            pathology_superclass(std::slice::from_ref(&sinus)),
            Some(Superclass::Norm)
        );
        // PTB-XL: a low-likelihood MI does not count; the likelier of two others wins.
        let weak_mi = label("IMI", Some(35.0), Some(Superclass::Mi));
        let lvh = label("LVH", Some(80.0), Some(Superclass::Hyp));
        let ndt = label("NDT", Some(100.0), Some(Superclass::Sttc));
        assert_eq!(
            pathology_superclass(&[weak_mi.clone(), lvh, ndt]),
            Some(Superclass::Sttc)
        );
        assert_eq!(pathology_superclass(&[weak_mi]), None);
        // Rhythm statements and Chagas labels are not pathology.
        let chagas = Label {
            scheme: LabelScheme::Chagas,
            ..label("chagas_positive", None, None)
        };
        assert_eq!(
            pathology_superclass(&[chagas, label("SR", Some(0.0), None)]),
            None
        );
    }

    fn label(code: &str, likelihood: Option<f32>, superclass: Option<Superclass>) -> Label {
        Label {
            code: code.to_owned(),
            name: code.to_owned(),
            scheme: LabelScheme::Scp,
            likelihood,
            superclass,
            subclass: None,
        }
    }

    #[test]
    fn dominant_superclass_takes_highest_diagnostic_likelihood() {
        let labels = [
            label("SR", Some(100.0), None),
            label("IMI", Some(35.0), Some(Superclass::Mi)),
            label("LVH", Some(50.0), Some(Superclass::Hyp)),
            label("NDT", Some(50.0), Some(Superclass::Sttc)),
        ];
        assert_eq!(dominant_superclass(&labels, 0.0), Some(Superclass::Hyp));
        assert_eq!(dominant_superclass(&labels, 80.0), None);
        assert_eq!(dominant_superclass(&[], 0.0), None);
    }

    #[test]
    fn superclass_codes_round_trip() {
        for class in Superclass::ALL {
            assert_eq!(Superclass::parse(class.code()), Some(class));
        }
        assert_eq!(Superclass::parse("norm"), None);
    }
}
