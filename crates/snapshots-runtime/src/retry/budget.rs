//! The retry budget: a token bucket shared by every clone of a client, so that a failing
//! service is not hammered with retries (the scheme of the AWS SDK for Rust).
//!
//! Each retry withdraws tokens ([`RetryBudgetConfig::retry_cost`], or
//! [`RetryBudgetConfig::timeout_retry_cost`] after a timeout); each successful call deposits
//! [`RetryBudgetConfig::success_reward`] tokens, up to [`RetryBudgetConfig::capacity`]. When the
//! bucket cannot pay for a retry, the call gives up instead of retrying. First attempts never
//! cost anything: the budget only limits *extra* load.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// The sizes of a [`RetryBudget`]. Defaults: capacity 500, retry cost 5, timeout retry cost 10,
/// success reward 1 (those of the AWS SDK for Rust), so that a client that only sees failures
/// makes at most 100 retries (50 after timeouts) before it stops retrying.
///
/// ```
/// use snapshots_runtime::retry::RetryBudgetConfig;
///
/// let config = RetryBudgetConfig::default().with_capacity(50);
/// assert_eq!(config.capacity, 50);
/// assert_eq!(config.retry_cost, 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryBudgetConfig {
    /// Tokens in a full bucket (the bucket starts full). Default 500.
    pub capacity: u32,
    /// Tokens withdrawn by a retry after anything but a timeout. Default 5.
    pub retry_cost: u32,
    /// Tokens withdrawn by a retry after a timeout. Default 10.
    pub timeout_retry_cost: u32,
    /// Tokens deposited by each successful call. Default 1.
    pub success_reward: u32,
}

impl Default for RetryBudgetConfig {
    fn default() -> Self {
        Self {
            capacity: 500,
            retry_cost: 5,
            timeout_retry_cost: 10,
            success_reward: 1,
        }
    }
}

impl RetryBudgetConfig {
    /// A budget that never runs out: retries cost nothing (retries stay bounded by
    /// `max_attempts` and `total_timeout` of the [`RetryConfig`](super::RetryConfig)).
    ///
    /// ```
    /// use snapshots_runtime::retry::{RetryBudget, RetryBudgetConfig, RetryKind};
    ///
    /// let budget = RetryBudget::new(RetryBudgetConfig::unlimited());
    /// assert!((0..10_000).all(|_| budget.try_withdraw(RetryKind::Timeout)));
    /// ```
    pub fn unlimited() -> Self {
        Self {
            capacity: 0,
            retry_cost: 0,
            timeout_retry_cost: 0,
            success_reward: 0,
        }
    }

    /// Sets [`capacity`](Self::capacity).
    #[must_use]
    pub fn with_capacity(mut self, capacity: u32) -> Self {
        self.capacity = capacity;
        self
    }

    /// Sets [`retry_cost`](Self::retry_cost).
    #[must_use]
    pub fn with_retry_cost(mut self, cost: u32) -> Self {
        self.retry_cost = cost;
        self
    }

    /// Sets [`timeout_retry_cost`](Self::timeout_retry_cost).
    #[must_use]
    pub fn with_timeout_retry_cost(mut self, cost: u32) -> Self {
        self.timeout_retry_cost = cost;
        self
    }

    /// Sets [`success_reward`](Self::success_reward).
    #[must_use]
    pub fn with_success_reward(mut self, reward: u32) -> Self {
        self.success_reward = reward;
        self
    }
}

/// What a retry is paying for: timeouts cost more than other failures, because each one
/// has already held a connection for the whole read timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetryKind {
    /// A retry after a response (5xx, 429, throttling code) or a transport error other than a
    /// timeout: costs [`RetryBudgetConfig::retry_cost`].
    Standard,
    /// A retry after a timeout: costs [`RetryBudgetConfig::timeout_retry_cost`].
    Timeout,
}

/// A token bucket of retries, shared by all its clones (clone it into every copy of a
/// client). It starts full.
///
/// ```
/// use snapshots_runtime::retry::{RetryBudget, RetryBudgetConfig, RetryKind};
///
/// let budget = RetryBudget::new(RetryBudgetConfig::default().with_capacity(10));
/// let clone = budget.clone();
/// assert!(budget.try_withdraw(RetryKind::Standard)); // 10 -> 5
/// assert!(!clone.try_withdraw(RetryKind::Timeout)); // 5 < 10: refused, nothing withdrawn
/// assert!(clone.try_withdraw(RetryKind::Standard)); // 5 -> 0
/// budget.deposit_success();
/// assert_eq!(clone.available(), 1);
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    inner: Arc<Inner>,
}

struct Inner {
    config: RetryBudgetConfig,
    available: Mutex<u32>,
}

impl RetryBudget {
    /// A full bucket of the given sizes.
    pub fn new(config: RetryBudgetConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                available: Mutex::new(config.capacity),
            }),
        }
    }

    /// The sizes this bucket was made with.
    ///
    /// ```
    /// use snapshots_runtime::retry::{RetryBudget, RetryBudgetConfig};
    ///
    /// assert_eq!(RetryBudget::default().config(), RetryBudgetConfig::default());
    /// ```
    pub fn config(&self) -> RetryBudgetConfig {
        self.inner.config
    }

    /// Withdraws the cost of one retry of this kind and returns `true`, or returns `false`
    /// and withdraws nothing if the bucket holds less than the cost.
    ///
    /// ```
    /// use snapshots_runtime::retry::{RetryBudget, RetryKind};
    ///
    /// let budget = RetryBudget::default();
    /// assert!(budget.try_withdraw(RetryKind::Timeout));
    /// assert_eq!(budget.available(), 490);
    /// ```
    pub fn try_withdraw(&self, kind: RetryKind) -> bool {
        let cost = match kind {
            RetryKind::Standard => self.inner.config.retry_cost,
            RetryKind::Timeout => self.inner.config.timeout_retry_cost,
        };
        let mut available = self.lock();
        if *available >= cost {
            *available -= cost;
            true
        } else {
            false
        }
    }

    /// Deposits the reward of one successful call, never above the capacity.
    ///
    /// ```
    /// use snapshots_runtime::retry::RetryBudget;
    ///
    /// let budget = RetryBudget::default();
    /// budget.deposit_success();
    /// assert_eq!(budget.available(), 500); // already full
    /// ```
    pub fn deposit_success(&self) {
        let config = self.inner.config;
        let mut available = self.lock();
        *available = available
            .saturating_add(config.success_reward)
            .min(config.capacity);
    }

    /// Tokens in the bucket now.
    ///
    /// ```
    /// use snapshots_runtime::retry::RetryBudget;
    ///
    /// assert_eq!(RetryBudget::default().available(), 500);
    /// ```
    pub fn available(&self) -> u32 {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u32> {
        // The critical sections cannot panic, but a poisoned counter would still be valid.
        self.inner
            .available
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for RetryBudget {
    /// A full bucket of [`RetryBudgetConfig::default`] sizes.
    fn default() -> Self {
        Self::new(RetryBudgetConfig::default())
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("available", &self.available())
            .field("config", &self.inner.config)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_full() {
        assert_eq!(RetryBudget::default().available(), 500);
    }

    #[test]
    fn default_allows_100_standard_retries_then_refuses() {
        let budget = RetryBudget::default();
        for _ in 0..100 {
            assert!(budget.try_withdraw(RetryKind::Standard));
        }
        assert_eq!(budget.available(), 0);
        assert!(!budget.try_withdraw(RetryKind::Standard));
        assert_eq!(budget.available(), 0);
    }

    #[test]
    fn default_allows_50_timeout_retries() {
        let budget = RetryBudget::default();
        for _ in 0..50 {
            assert!(budget.try_withdraw(RetryKind::Timeout));
        }
        assert!(!budget.try_withdraw(RetryKind::Timeout));
    }

    #[test]
    fn a_refused_withdrawal_takes_nothing() {
        let budget = RetryBudget::new(RetryBudgetConfig::default().with_capacity(7));
        assert!(!budget.try_withdraw(RetryKind::Timeout));
        assert_eq!(budget.available(), 7);
        assert!(budget.try_withdraw(RetryKind::Standard));
        assert_eq!(budget.available(), 2);
    }

    #[test]
    fn successes_refill_up_to_capacity() {
        let budget = RetryBudget::new(RetryBudgetConfig::default().with_capacity(10));
        assert!(budget.try_withdraw(RetryKind::Standard));
        assert!(budget.try_withdraw(RetryKind::Standard));
        assert!(!budget.try_withdraw(RetryKind::Standard));
        for _ in 0..5 {
            budget.deposit_success();
        }
        assert!(budget.try_withdraw(RetryKind::Standard));
        for _ in 0..100 {
            budget.deposit_success();
        }
        assert_eq!(budget.available(), 10);
    }

    #[test]
    fn clones_share_the_bucket() {
        let a = RetryBudget::default();
        let b = a.clone();
        assert!(a.try_withdraw(RetryKind::Timeout));
        assert_eq!(b.available(), 490);
        b.deposit_success();
        assert_eq!(a.available(), 491);
    }

    #[test]
    fn setters_set() {
        let c = RetryBudgetConfig::default()
            .with_capacity(1)
            .with_retry_cost(2)
            .with_timeout_retry_cost(3)
            .with_success_reward(4);
        assert_eq!(
            (
                c.capacity,
                c.retry_cost,
                c.timeout_retry_cost,
                c.success_reward
            ),
            (1, 2, 3, 4)
        );
    }

    #[test]
    fn debug_shows_the_level() {
        let text = format!("{:?}", RetryBudget::default());
        assert!(text.contains("available: 500"), "{text}");
    }
}
