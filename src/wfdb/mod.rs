//! Reading WFDB records.
