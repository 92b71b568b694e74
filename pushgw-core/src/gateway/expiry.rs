//! Opt-in group expiry (our extension, spec §17): the groups' TTL deadlines, in deadline order.
//!
//! A group's deadline is its last successful push plus the TTL in force for that push (the
//! push's `ttl` parameter, else [`GatewayOptions::group_ttl`](super::GatewayOptions::group_ttl));
//! a TTL of zero, or none at all, clears it. The deadlines are kept both by key (to replace one on
//! a push: O(log n)) and in an ordered set (to find the due ones: O(expired · log n)), so checking
//! on every request costs one look at the earliest deadline.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use crate::grouping::GroupingKey;

/// The deadlines, and how many groups expired so far.
#[derive(Debug, Default)]
pub(super) struct Expiry {
    by_key: HashMap<GroupingKey, SystemTime>,
    queue: BTreeSet<(SystemTime, GroupingKey)>,
    /// `pushgw_expired_groups_total`.
    expired: u64,
    /// Whether any push ever asked for a TTL, so the counter is worth exposing.
    used: bool,
}

impl Expiry {
    /// The deadline of group `key`, if it expires.
    pub(super) fn deadline(&self, key: &GroupingKey) -> Option<SystemTime> {
        self.by_key.get(key).copied()
    }

    /// Sets (or with `None` clears) the deadline of group `key`.
    pub(super) fn set(&mut self, key: &GroupingKey, deadline: Option<SystemTime>) {
        if let Some(old) = self.by_key.remove(key) {
            self.queue.remove(&(old, key.clone()));
        }
        if let Some(deadline) = deadline {
            self.by_key.insert(key.clone(), deadline);
            self.queue.insert((deadline, key.clone()));
        }
    }

    /// Forgets every deadline (a wipe, a restore).
    pub(super) fn clear(&mut self) {
        self.by_key.clear();
        self.queue.clear();
    }

    /// Updates group `key`'s deadline after a push at `now` with the TTL `ttl` in force
    /// (`None` or zero: no expiry). A successful push restarts the clock. A failed push keeps
    /// the deadline, except that a group the failed push created gets one, so that a stream of
    /// failing pushes to ever new keys cannot pile up groups that never go.
    pub(super) fn after_push(
        &mut self,
        key: &GroupingKey,
        ttl: Option<Duration>,
        succeeded: bool,
        created: bool,
        now: SystemTime,
    ) {
        let ttl = ttl.filter(|ttl| !ttl.is_zero());
        if ttl.is_some() {
            self.used = true;
        }
        if succeeded || (created && ttl.is_some()) {
            // A deadline beyond what the system's clock can represent is no deadline.
            self.set(key, ttl.and_then(|ttl| now.checked_add(ttl)));
        }
    }

    /// Removes and returns the groups whose deadline is `now` or earlier, earliest first.
    pub(super) fn take_due(&mut self, now: SystemTime) -> Vec<GroupingKey> {
        let mut due = Vec::new();
        while let Some((deadline, _)) = self.queue.first() {
            if *deadline > now {
                break;
            }
            let (_, key) = self.queue.pop_first().expect("the set has a first entry");
            self.by_key.remove(&key);
            due.push(key);
        }
        self.expired += due.len() as u64;
        due
    }

    /// `pushgw_expired_groups_total`, if expiry is in use: a TTL is configured or a push asked
    /// for one. Without it the gateway's own metrics stay the reference's.
    pub(super) fn expired_total(&self, configured: bool) -> Option<u64> {
        (configured || self.used).then_some(self.expired)
    }
}

/// The push URL's `ttl` query parameter (`?ttl=10m`), if present: the first one counts, as Go's
/// `url.Values.Get` has it. Its value is percent-decoded and parsed as a Go duration.
pub(super) fn ttl_parameter(query: Option<&str>) -> Result<Option<Duration>, String> {
    let Some(value) = query
        .into_iter()
        .flat_map(|query| query.split('&'))
        .find_map(|pair| match pair.split_once('=') {
            Some(("ttl", value)) => Some(value),
            None if pair == "ttl" => Some(""),
            _ => None,
        })
    else {
        return Ok(None);
    };
    let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
    crate::duration::parse(&decoded)
        .map(Some)
        .map_err(|err| format!("invalid ttl parameter {decoded:?}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(job: &str) -> GroupingKey {
        GroupingKey::new(job, []).expect("a valid job")
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn due_groups_come_out_in_deadline_order_once() {
        let mut expiry = Expiry::default();
        let ttl = Some(Duration::from_secs(10));
        expiry.after_push(&key("b"), ttl, true, true, at(5));
        expiry.after_push(&key("a"), ttl, true, true, at(7));
        expiry.after_push(&key("c"), ttl, true, true, at(100));
        assert_eq!(expiry.take_due(at(14)), []);
        assert_eq!(expiry.take_due(at(17)), [key("b"), key("a")]);
        assert_eq!(expiry.take_due(at(17)), []);
        assert_eq!(expiry.deadline(&key("c")), Some(at(110)));
        assert_eq!(expiry.expired_total(false), Some(2));
    }

    #[test]
    fn pushes_restart_or_clear_the_clock_and_failures_do_not() {
        let mut expiry = Expiry::default();
        let ttl = Some(Duration::from_secs(10));
        expiry.after_push(&key("j"), ttl, true, true, at(0));
        expiry.after_push(&key("j"), ttl, false, false, at(5));
        assert_eq!(expiry.deadline(&key("j")), Some(at(10)));
        expiry.after_push(&key("j"), ttl, true, false, at(5));
        assert_eq!(expiry.deadline(&key("j")), Some(at(15)));
        expiry.after_push(&key("j"), Some(Duration::ZERO), true, false, at(6));
        assert_eq!(expiry.deadline(&key("j")), None);
        assert_eq!(expiry.take_due(at(1000)), []);
        // A failed push that creates a group starts its clock.
        expiry.after_push(&key("new"), ttl, false, true, at(0));
        assert_eq!(expiry.deadline(&key("new")), Some(at(10)));
    }

    #[test]
    fn unused_expiry_exposes_no_counter() {
        let mut expiry = Expiry::default();
        expiry.after_push(&key("j"), None, true, true, at(0));
        assert_eq!(expiry.expired_total(false), None);
        assert_eq!(expiry.expired_total(true), Some(0));
    }

    mod http {
        use super::*;
        use crate::gateway::{Gateway, GatewayOptions};
        use bytes::Bytes;

        fn send(gateway: &Gateway, method: &str, uri: &str, body: &str, now: u64) -> (u16, String) {
            let request = ::http::Request::builder()
                .method(method)
                .uri(uri)
                .body(Bytes::from(body.to_owned()))
                .expect("a valid request");
            let response = gateway.handle(request, at(now));
            let status = response.status().as_u16();
            (
                status,
                String::from_utf8_lossy(response.body()).into_owned(),
            )
        }

        fn jobs(gateway: &Gateway, now: u64) -> String {
            send(gateway, "GET", "/api/v1/metrics", "", now).1
        }

        #[test]
        fn groups_go_lazily_at_their_deadline_and_are_counted() {
            let gateway = Gateway::new(GatewayOptions {
                group_ttl: Some(Duration::from_secs(60)),
                ..GatewayOptions::default()
            });
            assert_eq!(send(&gateway, "PUT", "/metrics/job/a", "m 1\n", 0).0, 200);
            assert_eq!(
                send(&gateway, "PUT", "/metrics/job/b?ttl=0", "m 1\n", 0).0,
                200
            );
            assert_eq!(
                send(&gateway, "PUT", "/metrics/job/c?ttl=2m", "m 1\n", 0).0,
                200
            );
            let listing = jobs(&gateway, 59);
            assert!(
                listing.contains(r#""expires_at":"1970-01-01T00:01:00Z","labels":{"job":"a"}"#),
                "{listing}"
            );
            assert!(
                !listing.contains(r#""expires_at":"1970-01-01T00:00:00Z""#),
                "b never expires"
            );
            // A failed push does not restart the clock.
            assert_eq!(
                send(&gateway, "PUT", "/metrics/job/a", "m 1 5\n", 30).0,
                400
            );

            let listing = jobs(&gateway, 60);
            assert!(!listing.contains(r#""job":"a""#), "{listing}");
            assert!(listing.contains(r#""job":"b""#) && listing.contains(r#""job":"c""#));
            let scrape = send(&gateway, "GET", "/metrics", "", 60).1;
            assert!(
                scrape.contains("\npushgw_expired_groups_total 1\n"),
                "{scrape}"
            );
            assert!(!jobs(&gateway, 120).contains(r#""job":"c""#));
        }

        #[test]
        fn without_ttl_nothing_changes() {
            let gateway = Gateway::new(GatewayOptions::default());
            assert_eq!(send(&gateway, "PUT", "/metrics/job/a", "m 1\n", 0).0, 200);
            assert!(!jobs(&gateway, u64::from(u32::MAX)).contains("expires_at"));
            let scrape = send(&gateway, "GET", "/metrics", "", 1).1;
            assert!(!scrape.contains("pushgw_expired_groups_total"), "{scrape}");
            // A `ttl` parameter switches it on for that group only.
            assert_eq!(
                send(&gateway, "POST", "/metrics/job/b?ttl=1s", "", 0).0,
                200
            );
            let scrape = send(&gateway, "GET", "/metrics", "", 1).1;
            assert!(
                scrape.contains("\npushgw_expired_groups_total 1\n"),
                "{scrape}"
            );
            assert!(jobs(&gateway, 1).contains(r#""job":"a""#));
        }

        #[test]
        fn an_invalid_ttl_is_a_400_naming_the_parameter() {
            let gateway = Gateway::new(GatewayOptions::default());
            let (status, body) = send(&gateway, "PUT", "/metrics/job/a?ttl=-5m", "m 1\n", 0);
            assert_eq!(status, 400);
            assert_eq!(
                body,
                "invalid ttl parameter \"-5m\": time: invalid duration \"-5m\" (must be between 0 and 292 years)\n"
            );
            assert!(
                !jobs(&gateway, 0).contains(r#""job":"a""#),
                "nothing was stored"
            );
        }

        #[test]
        fn deleted_groups_lose_their_deadline() {
            let gateway = Gateway::new(GatewayOptions {
                group_ttl: Some(Duration::from_secs(60)),
                ..GatewayOptions::default()
            });
            send(&gateway, "PUT", "/metrics/job/a", "m 1\n", 0);
            assert_eq!(send(&gateway, "DELETE", "/metrics/job/a", "", 1).0, 202);
            send(&gateway, "PUT", "/metrics/job/a?ttl=0", "m 1\n", 2);
            assert_eq!(gateway.expire(at(1000)), 0);
        }
    }

    #[test]
    fn ttl_parameter_parses_go_durations() {
        assert_eq!(ttl_parameter(None), Ok(None));
        assert_eq!(ttl_parameter(Some("a=1")), Ok(None));
        assert_eq!(
            ttl_parameter(Some("a=1&ttl=1h30m&ttl=5s")),
            Ok(Some(Duration::from_secs(5400)))
        );
        assert_eq!(ttl_parameter(Some("ttl=0")), Ok(Some(Duration::ZERO)));
        assert_eq!(
            ttl_parameter(Some("ttl=1%2E5s")),
            Ok(Some(Duration::from_millis(1500)))
        );
        assert_eq!(
            ttl_parameter(Some("ttl=soon")),
            Err(r#"invalid ttl parameter "soon": time: invalid duration "soon""#.to_owned())
        );
        assert!(ttl_parameter(Some("ttl")).is_err());
    }
}
