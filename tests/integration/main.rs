//! Integration tests: the real server on a port, the real binary, real files read back.
//! One test binary (modules below) so polars is linked once.

mod access;
mod access_evaluation;
mod api;
mod architecture;
mod atomic;
mod browser;
mod charts;
mod cli;
mod evaluation;
mod evaluation_browser;
mod explain;
mod flood;
mod hardening;
mod helpers;
mod hostile;
mod ingest;
mod instances;
mod object_store;
mod openapi;
mod ops;
mod pages;
mod remote;
mod reports;
mod sensitivity;
mod server;
mod sessions;
mod small_regions;
mod upload;
mod values;
