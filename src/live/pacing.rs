//! When a connection sends: the back-off between attempts and the pacing of a backlog.

use std::time::Duration;

use tokio::time::{Instant, sleep_until};

/// The wait before attempt `failures + 1`: the first retry at once, then `initial`,
/// doubling, capped at `max` (live-ingest.md §5.4).
pub(crate) fn backoff_delay(failures: u32, initial: Duration, max: Duration) -> Duration {
    if failures <= 1 {
        return Duration::ZERO;
    }
    let doublings = (failures - 2).min(20);
    initial.saturating_mul(1 << doublings).min(max)
}

/// Limits the first `remaining` fragments of a POST (the backlog) to `speed` times real
/// time, so a reconnect does not burst minutes of media at the server.
pub(crate) struct Pacer {
    start: Instant,
    remaining: usize,
    media: Duration,
    speed: Option<f64>,
    timescale: u32,
}

impl Pacer {
    pub(crate) fn new(remaining: usize, speed: Option<f64>, timescale: u32) -> Self {
        Self {
            start: Instant::now(),
            remaining,
            media: Duration::ZERO,
            speed,
            timescale,
        }
    }

    pub(crate) async fn after(&mut self, ticks: u64) {
        let Some(speed) = self.speed else { return };
        if self.remaining == 0 || self.timescale == 0 {
            return;
        }
        self.remaining -= 1;
        self.media += Duration::from_secs_f64(ticks as f64 / f64::from(self.timescale));
        sleep_until(self.start + self.media.div_f64(speed)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_at_once_then_doubles_to_the_cap() {
        let ms = Duration::from_millis;
        let delays: Vec<Duration> = (1..=7)
            .map(|n| backoff_delay(n, ms(250), ms(2000)))
            .collect();
        assert_eq!(
            delays,
            [
                ms(0),
                ms(250),
                ms(500),
                ms(1000),
                ms(2000),
                ms(2000),
                ms(2000)
            ]
        );
        assert_eq!(backoff_delay(u32::MAX, ms(250), ms(2000)), ms(2000));
    }
}
