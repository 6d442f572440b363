//! Client-side pacing of AWS calls to the account's rate limits.
//!
//! AWS throttles per account and Region with token buckets. EC2 ("Request throttling for the
//! Amazon EC2 API") keeps one bucket per API action: a mutating action's holds 50 tokens and
//! refills at 5 per second. Route 53 allows about five requests a second. A [`Pacer`] is such a
//! bucket on the client: requests start at once while it holds tokens, then one per refill
//! interval, so that a large rollout queues here instead of being throttled. The account's
//! bucket is shared with the customer's other callers; what they take still comes back as
//! `RequestLimitExceeded`, which the SDK retries.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// EC2's bucket for a mutating action refills at 5 per second and holds 50 tokens. The client
/// takes the refill rate but a burst of 40: the 10 tokens left over absorb the jitter between
/// when a request leaves here and when EC2 counts it, and leave the customer's other tooling
/// a few calls of the same action at once.
pub const EC2_WRITES_PER_SECOND: u32 = 5;
pub const EC2_WRITE_BURST: u32 = 40;

/// Hands out start times from a token bucket of `burst` tokens refilled at `per_second`,
/// shared by all tasks of a process (the generic cell rate algorithm: a theoretical arrival
/// time that advances one interval per request, and may run `burst - 1` intervals ahead).
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    /// How far ahead of now the theoretical arrival time may run: `(burst - 1)` intervals.
    tolerance: Duration,
    theoretical_arrival: Mutex<Instant>,
}

impl Pacer {
    /// Evenly spaced requests, `requests` a second, no burst.
    pub fn per_second(requests: u32) -> Self {
        Self::bucket(requests, 1)
    }

    /// A full bucket of `burst`, refilled at `per_second`.
    pub fn bucket(per_second: u32, burst: u32) -> Self {
        let interval = Duration::from_secs(1) / per_second.max(1);
        Self {
            interval,
            tolerance: interval * (burst.max(1) - 1),
            theoretical_arrival: Mutex::new(Instant::now()),
        }
    }

    /// Reserves the next start time: now while the bucket holds a token, else when the next
    /// one refills.
    pub async fn reserve(&self) -> Instant {
        let mut tat = self.theoretical_arrival.lock().await;
        let now = Instant::now();
        let earliest = tat.checked_sub(self.tolerance).unwrap_or(now);
        let slot = now.max(earliest);
        *tat = (*tat).max(slot) + self.interval;
        slot
    }

    /// Waits for this request's start time.
    pub async fn wait(&self) {
        let slot = self.reserve().await;
        tokio::time::sleep_until(slot).await;
    }
}

/// One [`Pacer`] per API action, made on first use: EC2's buckets for mutating actions.
#[derive(Debug)]
pub struct ActionBuckets {
    per_second: u32,
    burst: u32,
    buckets: std::sync::Mutex<HashMap<&'static str, Arc<Pacer>>>,
}

impl ActionBuckets {
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second,
            burst,
            buckets: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// EC2's mutating actions: [`EC2_WRITE_BURST`] each, refilled at 5 per second.
    pub fn ec2_writes() -> Self {
        Self::new(EC2_WRITES_PER_SECOND, EC2_WRITE_BURST)
    }

    fn bucket(&self, action: &'static str) -> Arc<Pacer> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets
            .entry(action)
            .or_insert_with(|| Arc::new(Pacer::bucket(self.per_second, self.burst)))
            .clone()
    }

    /// Waits for a token of `action`'s bucket.
    pub async fn wait(&self, action: &'static str) {
        self.bucket(action).wait().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// On tokio's paused clock: time moves only when every task waits, so the spacing is
    /// exact and the test measures no real time.
    #[tokio::test(start_paused = true)]
    async fn without_a_burst_requests_are_evenly_spaced() {
        let pacer = Pacer::per_second(2);
        let slots: Vec<_> = futures::future::join_all((0..6).map(|_| pacer.reserve())).await;
        for pair in slots.windows(2) {
            assert_eq!(pair[1] - pair[0], Duration::from_millis(500));
        }
        // Waiting never starts a request before its slot: six requests 20 ms apart span 100 ms.
        let pacer = Arc::new(Pacer::per_second(50));
        let start = Instant::now();
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move { pacer.wait().await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_lets_its_burst_through_then_paces_to_the_refill() {
        let pacer = Pacer::bucket(EC2_WRITES_PER_SECOND, EC2_WRITE_BURST);
        let start = Instant::now();
        let slots: Vec<_> = futures::future::join_all((0..60).map(|_| pacer.reserve())).await;
        let offsets: Vec<Duration> = slots.iter().map(|s| *s - start).collect();
        assert!(
            offsets[..40].iter().all(|o| o.is_zero()),
            "the burst of 40 starts at once"
        );
        for (i, o) in offsets[40..].iter().enumerate() {
            assert_eq!(
                *o,
                Duration::from_millis(200) * (i as u32 + 1),
                "then one per 200 ms"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_bucket_refills_but_never_beyond_its_burst() {
        let pacer = Pacer::bucket(5, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(pacer.reserve().await, start);
        }
        assert_eq!(pacer.reserve().await - start, Duration::from_millis(200));
        // A long pause refills the bucket to 3, not more.
        tokio::time::advance(Duration::from_secs(60)).await;
        let later = Instant::now();
        for _ in 0..3 {
            assert_eq!(pacer.reserve().await, later);
        }
        assert_eq!(pacer.reserve().await - later, Duration::from_millis(200));
    }

    #[tokio::test(start_paused = true)]
    async fn each_action_has_a_bucket_of_its_own() {
        let buckets = ActionBuckets::new(5, 2);
        let start = Instant::now();
        for _ in 0..2 {
            buckets.wait("CreateRoute").await;
        }
        assert_eq!(Instant::now(), start, "the burst of one action");
        buckets.wait("CreateTags").await;
        assert_eq!(Instant::now(), start, "another action's bucket is full");
        buckets.wait("CreateRoute").await;
        assert_eq!(Instant::now() - start, Duration::from_millis(200));
    }
}
