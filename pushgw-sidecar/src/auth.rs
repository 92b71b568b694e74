//! HTTP Basic authentication against the web config's `basic_auth_users` (bcrypt hashes).
//!
//! As in exporter-toolkit (spec §9.3): an unknown user still costs a bcrypt comparison, against
//! a dummy hash, so that response times do not reveal which users exist. Unlike the toolkit,
//! whose dummy hash always has cost 10, ours is the configured hash with the highest cost: with
//! the usual single cost for every user, an unknown user costs exactly what a known one does. Successful checks are
//! cached so that a scraper sending the same credentials every few seconds does not pay bcrypt
//! each time; the cache key is a SHA-256 digest of (user, stored hash, password), compared in
//! constant time, and failures are never cached (CVE-2022-46146 was a cache that could be
//! tricked into accepting a wrong password).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use http::HeaderValue;
use subtle::ConstantTimeEq as _;
use tokio::sync::Semaphore;

/// A valid bcrypt hash (cost 10) of a password nobody knows, compared against for unknown users
/// when there are no configured hashes to take the cost from.
const DUMMY_HASH: &str = "$2b$10$7nYxG0pSjbx8KArN2Cw0nOQ3T3xZpbM5JEs24tNkyQs6cy98pMBAC";

/// `basic_auth_users`: user name → bcrypt hash, every hash checked to be well-formed.
///
/// ```
/// use std::collections::BTreeMap;
/// use pushgw_sidecar::auth::Users;
/// let users = BTreeMap::from([("alice".to_owned(), "not a hash".to_owned())]);
/// assert!(Users::new(users).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Users {
    hashes: Arc<BTreeMap<String, String>>,
    /// What an unknown user's password is compared against: the costliest configured hash
    /// (the answer is "no" whatever the comparison says).
    dummy: Arc<str>,
}

impl Users {
    /// Validates the hashes (the toolkit refuses to start with a malformed one).
    pub fn new(hashes: BTreeMap<String, String>) -> anyhow::Result<Self> {
        let mut dummy: Option<(u32, &str)> = None;
        for (user, hash) in &hashes {
            let parts = hash.parse::<bcrypt::HashParts>().map_err(|err| {
                anyhow::anyhow!("basic_auth_users: invalid bcrypt hash for user {user:?}: {err}")
            })?;
            if dummy.is_none_or(|(cost, _)| parts.get_cost() > cost) {
                dummy = Some((parts.get_cost(), hash));
            }
        }
        let dummy = Arc::from(dummy.map_or(DUMMY_HASH, |(_, hash)| hash));
        Ok(Users {
            hashes: Arc::new(hashes),
            dummy,
        })
    }

    /// No users: authentication is off.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// Checks `Authorization` headers against [`Users`], with a cache of successes.
#[derive(Debug)]
pub struct Authenticator {
    users: Users,
    /// Per user, the digest of the last credentials that passed bcrypt. Bounded by the number of
    /// configured users; a reload builds a new authenticator and so empties it.
    successes: Mutex<HashMap<String, [u8; 32]>>,
    /// bcrypt is slow on purpose; run at most this many comparisons at once so that a flood of
    /// bad passwords cannot take every core (the toolkit serialises them with a mutex).
    comparisons: Semaphore,
}

impl Authenticator {
    /// An authenticator for these users.
    pub fn new(users: Users) -> Self {
        let parallelism = std::thread::available_parallelism().map_or(1, usize::from);
        Authenticator {
            users,
            successes: Mutex::new(HashMap::new()),
            comparisons: Semaphore::new(parallelism),
        }
    }

    /// Whether authentication is required at all.
    pub fn is_enabled(&self) -> bool {
        !self.users.is_empty()
    }

    /// Whether the request's `Authorization` header names a configured user with the right
    /// password. Always true when no users are configured.
    pub async fn check(&self, authorization: Option<&HeaderValue>) -> bool {
        if !self.is_enabled() {
            return true;
        }
        let Some((user, password)) = authorization.and_then(parse_basic) else {
            return false;
        };
        let known = self.users.hashes.get(&user).cloned();
        let hash = known
            .clone()
            .unwrap_or_else(|| self.users.dummy.as_ref().to_owned());
        let digest = cache_key(&user, &hash, &password);
        if known.is_some() && self.cached(&user, &digest) {
            return true;
        }
        let Ok(_permit) = self.comparisons.acquire().await else {
            return false;
        };
        let matches = tokio::task::spawn_blocking(move || {
            bcrypt::verify(password.as_bytes(), &hash).unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        let passed = matches && known.is_some();
        if passed {
            self.successes
                .lock()
                .expect("the success cache is never poisoned: no panics while held")
                .insert(user, digest);
        }
        passed
    }

    fn cached(&self, user: &str, digest: &[u8; 32]) -> bool {
        let successes = self
            .successes
            .lock()
            .expect("the success cache is never poisoned: no panics while held");
        successes
            .get(user)
            .is_some_and(|cached| bool::from(cached.ct_eq(digest)))
    }
}

/// Go's `Request.BasicAuth`: `Basic ` (any case), standard base64, user and password split at
/// the first `:`.
fn parse_basic(header: &HeaderValue) -> Option<(String, String)> {
    let value = header.as_bytes();
    let prefix = value.get(..6)?;
    if !prefix.eq_ignore_ascii_case(b"basic ") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&value[6..])
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// SHA-256 of the length-prefixed triple, so that no two triples share a key.
fn cache_key(user: &str, hash: &str, password: &str) -> [u8; 32] {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in [user, hash, password] {
        context.update(&(part.len() as u64).to_le_bytes());
        context.update(part.as_bytes());
    }
    let mut key = [0; 32];
    key.copy_from_slice(context.finish().as_ref());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(user: &str, password: &str) -> HeaderValue {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        HeaderValue::from_str(&format!("Basic {encoded}")).expect("ASCII header")
    }

    fn authenticator() -> Authenticator {
        let hash = bcrypt::hash("secret", 4).expect("hashing works");
        let users = Users::new(BTreeMap::from([("alice".to_owned(), hash)])).expect("valid hash");
        Authenticator::new(users)
    }

    #[test]
    fn the_dummy_hash_is_a_valid_hash() {
        assert!(DUMMY_HASH.parse::<bcrypt::HashParts>().is_ok());
    }

    #[tokio::test]
    async fn right_wrong_and_missing_credentials() {
        let auth = authenticator();
        assert!(auth.check(Some(&header("alice", "secret"))).await);
        // Second time from the cache.
        assert!(auth.check(Some(&header("alice", "secret"))).await);
        assert!(!auth.check(Some(&header("alice", "wrong"))).await);
        assert!(!auth.check(Some(&header("bob", "secret"))).await);
        assert!(!auth.check(None).await);
        assert!(
            !auth
                .check(Some(&HeaderValue::from_static("Bearer x")))
                .await
        );
        assert!(
            !auth
                .check(Some(&HeaderValue::from_static("Basic !!!")))
                .await
        );
    }

    #[tokio::test]
    async fn no_users_means_no_authentication() {
        let auth = Authenticator::new(Users::default());
        assert!(auth.check(None).await);
    }

    #[test]
    fn basic_prefix_is_case_insensitive_and_password_may_hold_colons() {
        let value = HeaderValue::from_static("bAsIc YWxpY2U6YTpi");
        assert_eq!(
            parse_basic(&value),
            Some(("alice".to_owned(), "a:b".to_owned()))
        );
    }

    /// The timing defence, structurally: an unknown user's password goes through a bcrypt
    /// comparison of the same cost as the users' hashes (the costliest, when they differ).
    #[test]
    fn unknown_users_are_compared_against_the_costliest_configured_hash() {
        let cheap = bcrypt::hash("a", 4).expect("hashing works");
        let dear = bcrypt::hash("b", 5).expect("hashing works");
        let users = Users::new(BTreeMap::from([
            ("alice".to_owned(), cheap),
            ("bob".to_owned(), dear.clone()),
        ]))
        .expect("valid hashes");
        assert_eq!(&*users.dummy, dear);
        let none = Users::new(BTreeMap::new()).expect("no users");
        assert_eq!(&*none.dummy, DUMMY_HASH);
    }

    #[test]
    fn cache_keys_do_not_collide_on_concatenation() {
        assert_ne!(cache_key("ab", "h", "c"), cache_key("a", "h", "bc"));
    }
}
