//! Dataset indexes.
