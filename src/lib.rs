//! kotacerdas: smart-city indicators for Indonesian regions.
//!
//! The modules read like the pipeline: reference data ([`region`]) and the scoring framework
//! ([`framework`]) are loaded from `data/`; activity records are read and validated
//! ([`ingest`]) into the [`store`]; [`score`] turns them into dimension scores, an index and
//! ranks; [`chart`] draws them; [`report`] turns them into PDF, Excel and CSV documents; [`job`] runs those stages in order; [`server`] serves the
//! dashboard, the API and the charts. [`evaluation`] runs the ministry's evaluation rounds
//! (self-assessment, verification, results) on the database in [`db`]. [`cli`] and [`config`] sit at the edge.

pub mod analysis;
pub mod auth;
pub mod bench;
pub mod cells;
pub mod chart;
pub mod cli;
pub mod config;
pub mod db;
pub mod engine;
pub mod evaluation;
pub mod framework;
pub mod generate;
pub mod geo;
pub mod i18n;
pub mod ingest;
pub mod job;
pub mod region;
pub mod report;
pub mod score;
pub mod server;
pub mod store;
pub mod view;
