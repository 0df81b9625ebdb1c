//! Analysis over the scores and the activities, below the views, the reports and the server:
//! how sure the ranks are ([`sensitivity`], shared per scoring run in [`intervals`]), which
//! activity records a filter selects ([`activities`]), a region's indicator values over the
//! periods ([`indicators`]) and which sources feed which regions ([`sources`]).
//!
//! Each question is answered in one place, so the API, the pages, the charts, the reports and
//! the command line give the same answer. Nothing here formats for a page or knows about HTTP.

pub mod activities;
pub mod indicators;
pub mod intervals;
pub mod sensitivity;
pub mod sources;
