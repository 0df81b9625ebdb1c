//! Failed sign-in attempts, counted per user name and per client address, in bounded tables.
//!
//! A key (a name as typed, or an address) that fails `max` times within `window` of its first
//! failure is refused until that window ends: by default 5 failures per name and 20 per
//! address in 15 minutes. Names are counted whether or not they exist, so the limit tells
//! nobody which names do. IPv6 addresses count per /64, the block one customer usually gets,
//! so a single client cannot step around the limit by changing its interface id. A successful
//! login clears its name's count (not its address's: one person's success does not vouch for
//! everyone behind the same NAT).
//!
//! Each table holds at most [`MAX_KEYS`] keys; when it is full, expired entries go first, then
//! the oldest eighth, so a flood of new names or addresses costs bounded memory and only forgets
//! the attempts it pushes out. This module decides nothing about HTTP or where an address comes
//! from (the server reads it, honouring `X-Forwarded-For` only from trusted proxies).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept per table at most.
pub const MAX_KEYS: usize = 10_000;

/// How many failures a key may have within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureLimit {
    /// Failures allowed before the key is refused; 0 turns the limit off.
    pub max: u32,
    /// The window, counted from the key's first failure.
    pub window: Duration,
}

/// The failed-login limits of the `[access]` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Per user name, as typed.
    pub per_name: FailureLimit,
    /// Per client address (IPv6: per /64).
    pub per_address: FailureLimit,
}

impl Default for LoginLimits {
    fn default() -> Self {
        let window = Duration::from_secs(15 * 60);
        LoginLimits {
            per_name: FailureLimit { max: 5, window },
            per_address: FailureLimit { max: 20, window },
        }
    }
}

/// The key an address is counted under: the address itself, an IPv6 address's /64, an
/// IPv4-mapped IPv6 address as IPv4.
pub fn address_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The key a typed user name is counted under: trimmed, lower-case, at most 64 bytes (longer
/// names cannot exist, and an attacker's megabyte of name should not be kept).
pub fn name_key(name: &str) -> String {
    let name = name.trim().to_lowercase();
    let mut end = name.len().min(64);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

#[derive(Debug, Clone, Copy)]
struct Record {
    first: Instant,
    count: u32,
}

/// Failures per key within the limit's window.
#[derive(Debug)]
pub struct Failures<K> {
    limit: FailureLimit,
    table: Mutex<HashMap<K, Record>>,
}

impl<K: Hash + Eq + Clone> Failures<K> {
    /// An empty table for `limit`.
    pub fn new(limit: FailureLimit) -> Failures<K> {
        Failures {
            limit,
            table: Mutex::new(HashMap::new()),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<K, Record>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long `key` is still refused at `now`; `None` when it may try.
    pub fn refused_for(&self, key: &K, now: Instant) -> Option<Duration> {
        if self.limit.max == 0 {
            return None;
        }
        let table = self.table();
        let record = table.get(key)?;
        let ends = record.first + self.limit.window;
        (record.count >= self.limit.max && ends > now).then(|| ends - now)
    }

    /// Count a failure of `key` at `now`.
    pub fn fail(&self, key: K, now: Instant) {
        if self.limit.max == 0 {
            return;
        }
        let window = self.limit.window;
        let mut table = self.table();
        if !table.contains_key(&key) && table.len() >= MAX_KEYS {
            make_room(&mut table, now, window);
        }
        let record = table.entry(key).or_insert(Record {
            first: now,
            count: 0,
        });
        if now.duration_since(record.first) >= window {
            *record = Record {
                first: now,
                count: 0,
            };
        }
        record.count = record.count.saturating_add(1);
    }

    /// Forget `key`'s failures (a successful login).
    pub fn clear(&self, key: &K) {
        self.table().remove(key);
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.table().len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Drop expired entries; when that frees nothing, drop the oldest eighth, so the next 1,250
/// inserts need no scan.
fn make_room<K: Hash + Eq + Clone>(table: &mut HashMap<K, Record>, now: Instant, window: Duration) {
    table.retain(|_, r| now.duration_since(r.first) < window);
    if table.len() < MAX_KEYS {
        return;
    }
    let mut firsts: Vec<Instant> = table.values().map(|r| r.first).collect();
    let cut = firsts.len() / 8;
    let (_, &mut oldest_kept, _) = firsts.select_nth_unstable(cut);
    table.retain(|_, r| r.first >= oldest_kept);
    // Many entries with the same instant could all survive the cut; then drop arbitrary ones.
    if table.len() >= MAX_KEYS {
        let excess: Vec<K> = table.keys().take(cut.max(1)).cloned().collect();
        for k in excess {
            table.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: FailureLimit = FailureLimit {
        max: 3,
        window: Duration::from_secs(60),
    };

    #[test]
    fn a_key_is_refused_after_its_failures_until_the_window_ends() {
        let failures = Failures::new(LIMIT);
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(failures.refused_for(&"budi", t0), None, "failure {i}");
            failures.fail("budi", t0 + Duration::from_secs(i));
        }
        assert_eq!(
            failures.refused_for(&"budi", t0 + Duration::from_secs(10)),
            Some(Duration::from_secs(50))
        );
        assert_eq!(failures.refused_for(&"siti", t0), None);
        assert_eq!(failures.refused_for(&"budi", t0 + LIMIT.window), None);
        // A failure after the window starts a new count.
        failures.fail("budi", t0 + LIMIT.window);
        assert_eq!(failures.refused_for(&"budi", t0 + LIMIT.window), None);
        failures.clear(&"budi");
        assert!(failures.is_empty());
    }

    #[test]
    fn a_full_table_drops_its_oldest_keys_and_stays_bounded() {
        let failures = Failures::new(LIMIT);
        let t0 = Instant::now();
        for _ in 0..3 {
            failures.fail(0usize, t0);
        }
        for i in 1..MAX_KEYS + 500 {
            failures.fail(i, t0 + Duration::from_millis(i as u64));
        }
        assert!(failures.len() <= MAX_KEYS, "{}", failures.len());
        // The oldest key was pushed out; a recent one is still counted.
        assert_eq!(failures.refused_for(&0, t0), None);
        for _ in 0..2 {
            failures.fail(MAX_KEYS + 400, t0 + Duration::from_secs(20));
        }
        assert!(
            failures
                .refused_for(&(MAX_KEYS + 400), t0 + Duration::from_secs(21))
                .is_some()
        );
    }

    #[test]
    fn ipv6_addresses_count_per_64_and_names_ignore_case() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(address_key(mapped), "10.1.2.3".parse::<IpAddr>().unwrap());
        assert_eq!(name_key(" Admin "), "admin");
        assert_eq!(name_key(&"é".repeat(100)).len(), 64);
    }

    #[test]
    fn a_zero_limit_counts_nothing() {
        let failures = Failures::new(FailureLimit {
            max: 0,
            window: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        for _ in 0..100 {
            failures.fail("budi", t0);
        }
        assert_eq!(failures.refused_for(&"budi", t0), None);
        assert!(failures.is_empty());
    }
}
