//! Polling with a deadline: the harness's only way of waiting for something.

use std::fmt::Display;
use std::thread;
use std::time::{Duration, Instant};

/// The first pause between two checks; it doubles up to [`MAX_PAUSE`], so that fast conditions
/// are seen quickly and slow ones are not polled in a busy loop.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
const MAX_PAUSE: Duration = Duration::from_millis(100);

/// Polls `check` until it returns `Ok(true)`, panicking after `timeout`.
///
/// An `Err` counts as "not yet" and is remembered: the panic message names `what` was awaited and
/// the last error, e.g. `timed out after 10s waiting for the Go Pushgateway to be ready; last
/// attempt: GET http://127.0.0.1:4242/-/ready: connection refused`.
///
/// ```
/// use std::time::Duration;
/// let mut n = 0;
/// pushgw_tests::wait_until(Duration::from_secs(5), "the third attempt", || {
///     n += 1;
///     Ok::<_, String>(n == 3)
/// });
/// ```
#[track_caller]
pub fn wait_until<E: Display>(
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> Result<bool, E>,
) {
    wait_for(timeout, what, || check().map(|done| done.then_some(())));
}

/// Polls `check` until it returns `Ok(Some(value))` and returns that value, panicking after
/// `timeout` like [`wait_until`].
///
/// ```
/// use std::time::Duration;
/// let mut n = 0;
/// let found = pushgw_tests::wait_for(Duration::from_secs(5), "a number above 2", || {
///     n += 1;
///     Ok::<_, String>((n > 2).then_some(n))
/// });
/// assert_eq!(found, 3);
/// ```
#[track_caller]
pub fn wait_for<T, E: Display>(
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> Result<Option<T>, E>,
) -> T {
    let start = Instant::now();
    let mut pause = FIRST_PAUSE;
    let mut attempts = 0_u32;
    loop {
        attempts += 1;
        let last = match check() {
            Ok(Some(value)) => return value,
            Ok(None) => "the condition did not hold yet".to_owned(),
            Err(error) => error.to_string(),
        };
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            panic!(
                "timed out after {elapsed:.1?} ({attempts} attempts) waiting for {what}; \
                 last attempt: {last}"
            );
        }
        thread::sleep(pause.min(timeout - elapsed));
        pause = (pause * 2).min(MAX_PAUSE);
    }
}
