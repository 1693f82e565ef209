//! Test harness: moto server on loopback and the built binaries.
