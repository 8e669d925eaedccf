//! Reading WFDB records.

pub mod annotation;
