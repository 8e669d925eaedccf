//! The physics of the leads: Φ(t) = A(s)·v(t), the body-surface leads Φ as a lead field A that
//! depends on hidden anatomy s, applied to the heart's dipole v.
//!
//! - [`matrices`]: the published Dower, inverse Dower and Kors matrices, each cited.
//! - [`anatomy`]: anatomy as parameters (heart rotation, dipole size, electrode positions) and the
//!   12-lead lead field it gives; the limb-lead relations hold by construction.
//! - [`dipole`]: the vectorcardiogram of a 12-lead record, the leads a dipole projects to, and the
//!   dipole solved from recorded leads, which makes the physics baseline of reconstruction.
//! - [`loops`]: P, QRS and T loops and the electrical axis.
//! - [`augment`]: training windows re-synthesised through random anatomies.
//! - [`search`]: anatomies that keep I, II and V2 but change V3–V5 (why reconstruction is ill-posed).
//!
//! Pure functions on samples in mV; no files, no models. Why it matters for reconstruction: three
//! leads fix the three components of v(t) exactly, so every error of a reconstruction is either
//! anatomy the three leads cannot see or activity a single dipole does not describe.

pub mod anatomy;
pub mod augment;
pub mod dipole;
pub mod geometry;
pub mod loops;
pub mod matrices;
pub mod search;

pub use anatomy::{Anatomy, LeadField, TWELVE_LEADS, twelve_lead_index};
pub use augment::AnatomyAugmentation;
pub use dipole::{DipoleFit, ThreeLeadDipole, Vcg, VcgMethod, vcg_from_leads};
pub use search::{SameInputsResult, SameInputsSearch};

/// Why a physics computation could not be done.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PhysicsError {
    #[error("a dipole needs at least three leads, got {0}")]
    TooFewLeads(usize),
    #[error(
        "the leads' lead vectors are nearly dependent (condition number {condition:.3e}): \
         they cannot determine the dipole"
    )]
    IllConditioned { condition: f64 },
    #[error("leads have different lengths ({first} and {other} samples)")]
    LengthMismatch { first: usize, other: usize },
    #[error("{0}")]
    Shape(String),
}
