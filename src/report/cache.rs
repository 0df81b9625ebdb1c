//! Rendered reports kept per scoring run, so a report is typeset once per run however often it
//! is downloaded.
//!
//! The key carries the run's identity ([`crate::job::Snapshot::id`]): when a new ingest or
//! scoring run replaces the snapshot, the first request for the new run empties the cache. The
//! cache holds at most [`ReportCache::CAPACITY`] files; beyond that the oldest is dropped. It
//! does not render anything itself.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use super::{ReportFormat, Subject};
use crate::i18n::Lang;

/// What identifies one rendered file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportKey {
    /// The scoring run ([`crate::job::Snapshot::id`]).
    pub run: String,
    /// Region or cohort.
    pub subject: Subject,
    /// Period label.
    pub period: String,
    /// Language.
    pub lang: Lang,
    /// Format.
    pub format: ReportFormat,
    /// The CSV table (`None` for the default table and other formats).
    pub table: Option<String>,
    /// Who it is for: the same subject may show more to a wider audience.
    pub audience: super::Audience,
}

#[derive(Default)]
struct Inner {
    run: String,
    files: HashMap<ReportKey, Arc<Vec<u8>>>,
    order: VecDeque<ReportKey>,
}

/// Rendered report files of the current scoring run.
#[derive(Clone, Default)]
pub struct ReportCache {
    inner: Arc<Mutex<Inner>>,
}

impl ReportCache {
    /// Files kept at most (a cohort PDF of every kab/kota is about a megabyte).
    pub const CAPACITY: usize = 256;

    /// An empty cache.
    pub fn new() -> ReportCache {
        ReportCache::default()
    }

    /// The file for `key`, if rendered for the same run.
    pub fn get(&self, key: &ReportKey) -> Option<Arc<Vec<u8>>> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.run != key.run {
            return None;
        }
        inner.files.get(key).cloned()
    }

    /// Keep `bytes` for `key`; a key of a newer run empties the cache first.
    pub fn put(&self, key: ReportKey, bytes: Arc<Vec<u8>>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.run != key.run {
            inner.files.clear();
            inner.order.clear();
            inner.run = key.run.clone();
        }
        if inner.files.insert(key.clone(), bytes).is_none() {
            inner.order.push_back(key);
        }
        while inner.order.len() > Self::CAPACITY {
            if let Some(old) = inner.order.pop_front() {
                inner.files.remove(&old);
            }
        }
    }

    /// Number of files held.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .files
            .len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::RegionCode;

    fn key(run: &str, period: &str) -> ReportKey {
        ReportKey {
            run: run.into(),
            subject: Subject::Region(RegionCode::parse("35.09.20").unwrap()),
            period: period.into(),
            lang: Lang::Id,
            format: ReportFormat::Pdf,
            table: None,
            audience: super::super::Audience::Wide,
        }
    }

    #[test]
    fn a_new_scoring_run_empties_the_cache() {
        let cache = ReportCache::new();
        cache.put(key("run1", "2025"), Arc::new(vec![1]));
        cache.put(key("run1", "2024"), Arc::new(vec![2]));
        assert_eq!(cache.get(&key("run1", "2025")).as_deref(), Some(&vec![1]));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&key("run2", "2025")).is_none());
        cache.put(key("run2", "2025"), Arc::new(vec![3]));
        assert_eq!(cache.len(), 1);
        assert!(cache.get(&key("run1", "2024")).is_none());
        assert_eq!(cache.get(&key("run2", "2025")).as_deref(), Some(&vec![3]));
    }

    #[test]
    fn the_oldest_file_goes_beyond_capacity() {
        let cache = ReportCache::new();
        for i in 0..=ReportCache::CAPACITY {
            cache.put(key("run", &i.to_string()), Arc::new(vec![]));
        }
        assert_eq!(cache.len(), ReportCache::CAPACITY);
        assert!(cache.get(&key("run", "0")).is_none());
        assert!(cache.get(&key("run", "1")).is_some());
    }
}
