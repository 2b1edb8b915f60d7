//! Short-lived memos of small lookups (e.g. which version an alias names), so a hot
//! endpoint does not ask the database on every request. Entries expire after a fixed
//! time, which bounds how stale another replica's change can look; this process clears
//! what it changes at once.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

type Entry = (Instant, Arc<dyn Any + Send + Sync>);

/// A map from text keys to any shared values, each kept for `ttl`.
#[derive(Debug)]
pub struct Memo {
    ttl: Duration,
    map: RwLock<HashMap<String, Entry>>,
}

impl Default for Memo {
    fn default() -> Self {
        Self::new(Duration::from_secs(1))
    }
}

impl Memo {
    /// A memo whose entries live for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: RwLock::new(HashMap::new()),
        }
    }

    /// The value under `key`, if present, fresh and of type `T`.
    pub fn get<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        let (at, value) = map.get(key)?;
        if at.elapsed() > self.ttl {
            return None;
        }
        value.clone().downcast::<T>().ok()
    }

    /// Keeps `value` under `key`.
    pub fn put<T: Any + Send + Sync>(&self, key: String, value: Arc<T>) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() > 10_000 {
            map.retain(|_, (at, _)| at.elapsed() <= self.ttl);
        }
        map.insert(key, (Instant::now(), value));
    }

    /// Forgets every key that starts with `prefix`.
    pub fn forget_prefix(&self, prefix: &str) {
        self.map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|k, _| !k.starts_with(prefix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_expire_and_prefixes_are_forgotten() {
        let memo = Memo::new(Duration::from_millis(0));
        memo.put("a/1".into(), Arc::new(5u32));
        std::thread::sleep(Duration::from_millis(2));
        assert!(memo.get::<u32>("a/1").is_none());
        let memo = Memo::default();
        memo.put("a/1".into(), Arc::new(5u32));
        memo.put("b/1".into(), Arc::new(6u32));
        assert_eq!(memo.get::<u32>("a/1").as_deref(), Some(&5));
        assert!(memo.get::<String>("a/1").is_none());
        memo.forget_prefix("a/");
        assert!(memo.get::<u32>("a/1").is_none());
        assert_eq!(memo.get::<u32>("b/1").as_deref(), Some(&6));
    }
}
