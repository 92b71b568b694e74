//! Request routing with the observable behaviour of the reference's Go HTTP stack.
//!
//! The Go Pushgateway serves through three layers whose quirks clients can see (spec §1, §2):
//! Go's `http.ServeMux` (percent-decoding, path cleaning with `301`, the `/api/v1` subtree), and two
//! `julienschmidt/httprouter` v1.3.0 instances (trailing-slash and case-fixing redirects, automatic
//! `OPTIONS`, `405` with an `Allow` header, `404`). This module reproduces those decisions on the
//! small, fixed route table of the gateway; it knows nothing of what the routes do.

use http::{Method, StatusCode};

/// A matched route, borrowing parameters from the percent-decoded path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route<'p> {
    /// `GET <P>/-/healthy`.
    Healthy,
    /// `GET <P>/-/ready`.
    Ready,
    /// `GET <P><telemetry path>`.
    Scrape,
    /// `PUT|POST|DELETE <P>/metrics/job[@base64]/...`: the path after `<P>/metrics/`.
    Push(&'p [u8]),
    /// `GET <P>/static/*filepath`: the file path after `<P>/static/`.
    Static(&'p [u8]),
    /// `GET <P>/` and `GET <P>/status`: the web UI.
    Ui,
    /// `PUT|POST <P>/-/quit`.
    Quit,
    /// `GET /-/quit`, never prefixed, answered with a fixed `405`.
    QuitWrongMethod,
    /// `OPTIONS <P>/api/v1/*`: CORS preflight.
    ApiOptions,
    /// `GET <P>/api/v1/status`.
    ApiStatus,
    /// `GET <P>/api/v1/metrics`.
    ApiMetrics,
    /// `PUT <P>/api/v1/admin/wipe` (only with the admin API enabled).
    ApiWipe,
}

/// What the framework layers answer by themselves, before any handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// `404 page not found`.
    NotFound,
    /// `405 Method Not Allowed` with the methods that would match.
    MethodNotAllowed { allow: String },
    /// Automatic `OPTIONS` answer: `200` with the methods that would match.
    Options { allow: String },
    /// A redirect (`301` or `307`) to a cleaned or fixed path.
    Redirect {
        status: StatusCode,
        location: String,
    },
}

/// The result of routing one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome<'p> {
    /// A handler should run.
    Route(Route<'p>),
    /// The framework answers by itself.
    Reply(Reply),
}

/// What a route table entry leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Healthy,
    Ready,
    Scrape,
    Push,
    Static,
    Ui,
    Quit,
    QuitWrongMethod,
    ApiOptions,
    ApiStatus,
    ApiMetrics,
    ApiWipe,
}

/// One route: a method and an httprouter pattern (`:name` is one non-empty segment, `*name` the
/// rest of the path including its leading `/`).
#[derive(Debug, Clone)]
struct Entry {
    method: Method,
    pattern: String,
    target: Target,
}

/// Where the routes live, derived from the route prefix and flags (spec §2, §9.2).
#[derive(Debug, Clone)]
pub(crate) struct Router {
    /// The normalised route prefix: `""` or `/something` without a trailing slash.
    prefix: String,
    /// The main httprouter instance.
    main: Vec<Entry>,
    /// The API httprouter instance, mounted (prefix stripped) at `<P>/api/v1`.
    api: Vec<Entry>,
    /// `<P>/api/v1`.
    api_mount: String,
}

impl Router {
    /// Builds the route table for a normalised route prefix (`""` or `/foo`) and telemetry path.
    pub(crate) fn new(prefix: &str, telemetry_path: &str, admin_api: bool) -> Self {
        let p = prefix;
        let push = |pattern: &str| {
            [Method::PUT, Method::POST, Method::DELETE].map(|method| Entry {
                method,
                pattern: format!("{p}{pattern}"),
                target: Target::Push,
            })
        };
        let get = |pattern: String, target| Entry {
            method: Method::GET,
            pattern,
            target,
        };
        let mut main = vec![
            get(format!("{p}/-/healthy"), Target::Healthy),
            get(format!("{p}/-/ready"), Target::Ready),
            get(join_path(p, telemetry_path), Target::Scrape),
            get(format!("{p}/static/*filepath"), Target::Static),
            get(format!("{p}/"), Target::Ui),
            get(format!("{p}/status"), Target::Ui),
            // Registered without the prefix in the reference (spec §2).
            get("/-/quit".to_owned(), Target::QuitWrongMethod),
        ];
        for method in [Method::PUT, Method::POST] {
            main.push(Entry {
                method,
                pattern: format!("{p}/-/quit"),
                target: Target::Quit,
            });
        }
        for pattern in [
            "/metrics/job/:job",
            "/metrics/job/:job/*labels",
            "/metrics/job@base64/:job",
            "/metrics/job@base64/:job/*labels",
        ] {
            main.extend(push(pattern));
        }
        let mut api = vec![
            Entry {
                method: Method::OPTIONS,
                pattern: "/*path".to_owned(),
                target: Target::ApiOptions,
            },
            get("/status".to_owned(), Target::ApiStatus),
            get("/metrics".to_owned(), Target::ApiMetrics),
        ];
        if admin_api {
            api.push(Entry {
                method: Method::PUT,
                pattern: "/admin/wipe".to_owned(),
                target: Target::ApiWipe,
            });
        }
        Router {
            prefix: prefix.to_owned(),
            main,
            api,
            api_mount: format!("{p}/api/v1"),
        }
    }

    /// Routes a request. `decoded` must be the percent-decoded path (see [`percent_decode`]);
    /// `query` is the raw query string, kept on redirects.
    pub(crate) fn route<'p>(
        &self,
        method: &Method,
        decoded: &'p [u8],
        query: Option<&str>,
    ) -> Outcome<'p> {
        let redirect = |status, path: &[u8]| {
            let mut location = escape_path(path);
            if let Some(query) = query {
                location.push('?');
                location.push_str(query);
            }
            Outcome::Reply(Reply::Redirect { status, location })
        };

        // http.ServeMux: clean the path for every method but CONNECT.
        if method != Method::CONNECT {
            let cleaned = clean_path(decoded);
            if cleaned != decoded {
                return redirect(StatusCode::MOVED_PERMANENTLY, &cleaned);
            }
        }
        // http.ServeMux: the `<P>/api/v1/` subtree, with the prefix stripped; its root without
        // the trailing slash redirects to it.
        let mount = self.api_mount.as_bytes();
        if decoded == mount {
            let mut with_slash = decoded.to_vec();
            with_slash.push(b'/');
            return redirect(StatusCode::MOVED_PERMANENTLY, &with_slash);
        }
        if let Some(rest) = decoded
            .strip_prefix(mount)
            .filter(|r| r.first() == Some(&b'/'))
        {
            return httprouter(&self.api, method, rest, None, redirect);
        }
        // Only the trees of the push methods have the `/metrics/job/` node.
        let quirk = format!("{}/metrics/job/", self.prefix);
        let quirk = [Method::PUT, Method::POST, Method::DELETE]
            .contains(method)
            .then_some(quirk.as_bytes());
        httprouter(&self.main, method, decoded, quirk, redirect)
    }
}

/// One httprouter v1.3.0 `ServeHTTP` decision over a table of entries.
///
/// `slash_quirk` is a path at which httprouter recommends dropping the trailing slash although
/// no route exists without it: its radix tree stops at a `/` node right before a parameter
/// (observed: `PUT /metrics/job/` → `307 Location: /metrics/job`, which then 404s).
fn httprouter<'p>(
    table: &[Entry],
    method: &Method,
    path: &'p [u8],
    slash_quirk: Option<&[u8]>,
    redirect: impl Fn(StatusCode, &[u8]) -> Outcome<'p>,
) -> Outcome<'p> {
    let for_method = || table.iter().filter(|entry| entry.method == method);
    for entry in for_method() {
        if let Some(route) = matches(entry, path) {
            return Outcome::Route(route);
        }
    }
    let has_method = for_method().next().is_some();
    if has_method && method != Method::CONNECT && path != b"/" {
        let status = if method == Method::GET {
            StatusCode::MOVED_PERMANENTLY
        } else {
            StatusCode::TEMPORARY_REDIRECT
        };
        let toggled = toggle_trailing_slash(path);
        if for_method().any(|entry| matches(entry, &toggled).is_some()) || slash_quirk == Some(path)
        {
            return redirect(status, &toggled);
        }
        let cleaned = clean_path(path);
        for candidate in [cleaned.clone(), toggle_trailing_slash(&cleaned)] {
            if let Some(fixed) = for_method().find_map(|entry| fix_case(&entry.pattern, &candidate))
            {
                return redirect(status, &fixed);
            }
        }
    }
    let allowed = |exclude: &Method| {
        let mut methods: Vec<&str> = Vec::new();
        for entry in table {
            if entry.method != exclude
                && entry.method != Method::OPTIONS
                && !methods.contains(&entry.method.as_str())
                && matches(entry, path).is_some()
            {
                methods.push(entry.method.as_str());
            }
        }
        if methods.is_empty() {
            return None;
        }
        methods.push("OPTIONS");
        methods.sort_unstable();
        Some(methods.join(", "))
    };
    if method == Method::OPTIONS {
        if let Some(allow) = allowed(method) {
            return Outcome::Reply(Reply::Options { allow });
        }
    } else if let Some(allow) = allowed(method) {
        return Outcome::Reply(Reply::MethodNotAllowed { allow });
    }
    Outcome::Reply(Reply::NotFound)
}

/// Matches `path` against an entry's pattern exactly (case-sensitively).
fn matches<'p>(entry: &Entry, path: &'p [u8]) -> Option<Route<'p>> {
    let catch_all_at = walk(&entry.pattern, path, Case::Exact, None)?;
    Some(match entry.target {
        Target::Healthy => Route::Healthy,
        Target::Ready => Route::Ready,
        Target::Scrape => Route::Scrape,
        Target::Push => {
            // Everything after `<P>/metrics/`; `rfind` because the prefix could contain it too.
            let start = entry.pattern.rfind("/metrics/job").map_or(0, |at| at + 9);
            Route::Push(&path[start..])
        }
        // The catch-all starts at the pattern's `/` before `*`; the file path is what follows.
        Target::Static => Route::Static(
            path.get(catch_all_at.unwrap_or(path.len()) + 1..)
                .unwrap_or_default(),
        ),
        Target::Ui => Route::Ui,
        Target::Quit => Route::Quit,
        Target::QuitWrongMethod => Route::QuitWrongMethod,
        Target::ApiOptions => Route::ApiOptions,
        Target::ApiStatus => Route::ApiStatus,
        Target::ApiMetrics => Route::ApiMetrics,
        Target::ApiWipe => Route::ApiWipe,
    })
}

/// httprouter's `findCaseInsensitivePath` for one pattern: the path with the pattern's static
/// parts in their registered case and parameters as given, if they match case-insensitively.
fn fix_case(pattern: &str, path: &[u8]) -> Option<Vec<u8>> {
    let mut fixed = Vec::with_capacity(path.len());
    walk(pattern, path, Case::Insensitive, Some(&mut fixed))?;
    Some(fixed)
}

/// How [`walk`] compares the pattern's static parts with the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Exact,
    Insensitive,
}

/// Walks an httprouter pattern (`:name` is one non-empty segment, `*name` the rest) along
/// `path`. On a match, returns where the catch-all's leading `/` is in `path`, if the pattern
/// has one, and writes into `fixed` the path with the pattern's static parts as registered.
fn walk(
    pattern: &str,
    path: &[u8],
    case: Case,
    mut fixed: Option<&mut Vec<u8>>,
) -> Option<Option<usize>> {
    let pattern = pattern.as_bytes();
    let (mut i, mut j) = (0, 0);
    let mut catch_all_at = None;
    let mut keep = |bytes: &[u8]| {
        if let Some(fixed) = fixed.as_deref_mut() {
            fixed.extend_from_slice(bytes);
        }
    };
    while i < pattern.len() {
        match pattern[i] {
            b':' => {
                let end = path[j..]
                    .iter()
                    .position(|&b| b == b'/')
                    .map_or(path.len(), |n| j + n);
                if end == j {
                    return None;
                }
                keep(&path[j..end]);
                j = end;
                i += pattern[i..]
                    .iter()
                    .position(|&b| b == b'/')
                    .unwrap_or(pattern.len() - i);
            }
            b'*' => {
                // The pattern's `/` before `*` was consumed already; the catch-all keeps it.
                catch_all_at = Some(j - 1);
                keep(&path[j..]);
                j = path.len();
                i = pattern.len();
            }
            c => {
                let same = path.get(j).is_some_and(|&b| match case {
                    Case::Exact => b == c,
                    Case::Insensitive => b.eq_ignore_ascii_case(&c),
                });
                if !same {
                    return None;
                }
                keep(&[c]);
                i += 1;
                j += 1;
            }
        }
    }
    (j == path.len()).then_some(catch_all_at)
}

fn toggle_trailing_slash(path: &[u8]) -> Vec<u8> {
    match path.strip_suffix(b"/") {
        Some(without) => without.to_vec(),
        None => [path, b"/"].concat(),
    }
}

/// `path.Join(prefix, telemetry_path)` for the exposition route.
fn join_path(prefix: &str, path: &str) -> String {
    let joined = format!("{prefix}/{path}");
    String::from_utf8(clean_path(joined.as_bytes()))
        .expect("cleaning only removes whole ASCII segments, so UTF-8 stays UTF-8")
}

/// Percent-decodes a request path as Go's `url.PathUnescape` does: `%XX` escapes (either case)
/// become bytes, `+` stays `+`. `None` for an invalid escape (Go's server answers a bare `400`).
///
/// The result may be invalid UTF-8 (`%FF`); routing works on bytes.
pub(crate) fn percent_decode(raw: &str) -> Option<Vec<u8>> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let value = std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())?;
            out.push(value);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Go's `http.ServeMux` `cleanPath`: `path.Clean` that keeps a trailing slash.
pub(crate) fn clean_path(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b"/".to_vec();
    }
    let mut parts: Vec<&[u8]> = Vec::new();
    for segment in path.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut cleaned = Vec::with_capacity(path.len() + 1);
    for part in &parts {
        cleaned.push(b'/');
        cleaned.extend_from_slice(part);
    }
    if cleaned.is_empty() || (path.ends_with(b"/") && path.len() > 1) {
        cleaned.push(b'/');
    }
    cleaned
}

/// Go's `url.URL.EscapedPath` for a path without a valid raw form: escapes every byte except
/// unreserved characters and `$&+,/:;=@`.
pub(crate) fn escape_path(path: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(path.len());
    for &b in path {
        if b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Routes one request the way the tests below spell it, e.g. `"PUT /metrics/job/x"`, and
    /// describes the outcome in one line.
    #[track_caller]
    fn check(router: &Router, request: &str, expected: &str) {
        let (method, target) = request.split_once(' ').expect("request as METHOD PATH");
        let method = Method::from_bytes(method.as_bytes()).expect("valid method");
        let (raw, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (target, None),
        };
        let actual = match percent_decode(raw) {
            None => "400".to_owned(),
            Some(decoded) => match router.route(&method, &decoded, query) {
                Outcome::Route(Route::Push(rest)) => {
                    format!("push {}", String::from_utf8_lossy(rest))
                }
                Outcome::Route(Route::Static(rest)) => {
                    format!("static {}", String::from_utf8_lossy(rest))
                }
                Outcome::Route(route) => format!("{route:?}"),
                Outcome::Reply(Reply::Redirect { status, location }) => {
                    format!("{} {location}", status.as_u16())
                }
                Outcome::Reply(Reply::MethodNotAllowed { allow }) => format!("405 {allow}"),
                Outcome::Reply(Reply::Options { allow }) => format!("200 {allow}"),
                Outcome::Reply(reply) => format!("{reply:?}"),
            },
        };
        assert_eq!(actual, expected, "{request}");
    }

    // Every expectation below was observed on the Go Pushgateway 1.5.1 (Debian), started with
    // `--web.enable-admin-api`, with `curl --path-as-is -X METHOD`.
    #[test]
    fn default_routes_match_the_reference() {
        let router = Router::new("", "/metrics", true);
        for (request, expected) in [
            ("GET /", "Ui"),
            ("GET /status", "Ui"),
            ("GET /status/", "301 /status"),
            ("GET /metrics", "Scrape"),
            ("GET /metrics/", "301 /metrics"),
            ("GET /METRICS", "301 /metrics"),
            ("GET /Metrics/job/x", "NotFound"),
            ("GET /metrics/job", "NotFound"),
            ("GET /metrics/job/", "NotFound"),
            ("GET /metrics/job/x", "405 DELETE, OPTIONS, POST, PUT"),
            ("GET /metrics/job/x/", "405 DELETE, OPTIONS, POST, PUT"),
            ("GET /metrics/job@base64/", "NotFound"),
            ("GET /metrics/jobs/x", "NotFound"),
            ("GET /-/healthy", "Healthy"),
            ("GET /-/healthy/", "301 /-/healthy"),
            ("GET /-/HEALTHY/", "301 /-/healthy"),
            ("GET /-/Quit", "301 /-/quit"),
            ("GET /-/quit", "QuitWrongMethod"),
            ("GET /static/", "static "),
            ("GET /static/x.js", "static x.js"),
            ("GET /api/v1", "301 /api/v1/"),
            ("GET /api/v1/", "NotFound"),
            ("GET /api/v1/status", "ApiStatus"),
            // The API router sees the path with its mount stripped, so its redirect loses it.
            ("GET /api/v1/status/", "301 /status"),
            ("GET /api/v1/metrics", "ApiMetrics"),
            ("GET /api/v1/admin/wipe", "405 OPTIONS, PUT"),
            ("GET /api/v1/foo", "NotFound"),
            ("GET /api/", "NotFound"),
            ("GET /nope", "NotFound"),
            ("GET /metrics/job/x/%2e%2e", "301 /metrics/job"),
            ("GET /metrics/job/x//a/b", "301 /metrics/job/x/a/b"),
            ("PUT /", "405 GET, OPTIONS"),
            ("PUT /status/", "NotFound"),
            ("PUT /metrics", "405 GET, OPTIONS"),
            ("PUT /METRICS", "NotFound"),
            ("PUT /Metrics/job/x", "307 /metrics/job/x"),
            ("PUT /Metrics/Job/x/A/b", "307 /metrics/job/x/A/b"),
            ("PUT /metrics/job", "NotFound"),
            ("PUT /metrics/job/", "307 /metrics/job"),
            ("PUT /metrics/job/x", "push job/x"),
            ("PUT /metrics/job/x/", "push job/x/"),
            ("PUT /metrics/job/x/a", "push job/x/a"),
            ("PUT /metrics/job/a%20b/c/d", "push job/a b/c/d"),
            ("PUT /metrics/job/x/a/b?x=1", "push job/x/a/b"),
            (
                "POST /metrics/job@base64/eA/a@base64/Yg",
                "push job@base64/eA/a@base64/Yg",
            ),
            ("PUT /metrics/job@base64", "NotFound"),
            ("PUT /metrics/job@base64/", "NotFound"),
            ("PUT /-/healthy", "405 GET, OPTIONS"),
            ("PUT /-/healthy/", "NotFound"),
            ("PUT /-/HEALTHY/", "NotFound"),
            ("PUT /-/quit", "Quit"),
            ("PUT /-/Quit", "307 /-/quit"),
            ("PUT /static/x.js", "405 GET, OPTIONS"),
            ("PUT /api/v1", "301 /api/v1/"),
            ("PUT /api/v1/status", "405 GET, OPTIONS"),
            ("PUT /api/v1/status/", "NotFound"),
            ("PUT /api/v1/admin/wipe", "ApiWipe"),
            ("PUT /metrics/job/x/a/%2Fb", "301 /metrics/job/x/a/b"),
            ("PUT /metrics/job/x/./a/b?q=1", "301 /metrics/job/x/a/b?q=1"),
            ("PUT /metrics/job/x%zz", "400"),
            ("DELETE /metrics/job/x", "push job/x"),
            ("DELETE /-/quit", "405 GET, OPTIONS, POST, PUT"),
            ("DELETE /api/v1/admin/wipe", "405 OPTIONS, PUT"),
            ("POST /api/v1/admin/wipe", "405 OPTIONS, PUT"),
            ("OPTIONS /", "200 GET, OPTIONS"),
            ("OPTIONS /metrics/", "NotFound"),
            ("OPTIONS /Metrics/job/x", "NotFound"),
            ("OPTIONS /metrics/job/x/a", "200 DELETE, OPTIONS, POST, PUT"),
            ("OPTIONS /-/quit", "200 GET, OPTIONS, POST, PUT"),
            ("OPTIONS /api/v1", "301 /api/v1/"),
            ("OPTIONS /api/v1/", "ApiOptions"),
            ("OPTIONS /api/v1/foo", "ApiOptions"),
            ("OPTIONS /api/", "NotFound"),
            ("PATCH /metrics/job/x", "405 DELETE, OPTIONS, POST, PUT"),
            ("PATCH /Metrics/job/x", "NotFound"),
            ("HEAD /-/healthy", "405 GET, OPTIONS"),
        ] {
            check(&router, request, expected);
        }
    }

    #[test]
    fn wipe_is_not_routed_without_the_admin_api() {
        let router = Router::new("", "/metrics", false);
        check(&router, "PUT /api/v1/admin/wipe", "NotFound");
        check(&router, "OPTIONS /api/v1/admin/wipe", "ApiOptions");
    }

    // Spec §9.2: with a route prefix everything moves under it, except the unprefixed
    // `GET /-/quit` handler.
    #[test]
    fn route_prefix_moves_every_route() {
        let router = Router::new("/foo", "/metrics", false);
        for (request, expected) in [
            ("GET /foo/metrics", "Scrape"),
            ("GET /foo/-/healthy", "Healthy"),
            ("GET /foo/api/v1/status", "ApiStatus"),
            ("GET /foo/static/x.js", "static x.js"),
            ("GET /foo/", "Ui"),
            ("GET /foo", "301 /foo/"),
            ("GET /", "NotFound"),
            ("GET /metrics", "NotFound"),
            ("PUT /foo/metrics/job/x", "push job/x"),
            ("PUT /foo/metrics/job/", "307 /foo/metrics/job"),
            ("GET /foo/-/quit", "405 OPTIONS, POST, PUT"),
            ("GET /-/quit", "QuitWrongMethod"),
        ] {
            check(&router, request, expected);
        }
    }

    #[test]
    fn telemetry_path_is_joined_to_the_prefix() {
        let router = Router::new("/foo", "prom", false);
        check(&router, "GET /foo/prom", "Scrape");
        // Pushes stay under /metrics whatever the telemetry path is (spec §2).
        check(&router, "PUT /foo/metrics/job/x", "push job/x");
    }

    #[test]
    fn clean_path_keeps_a_trailing_slash() {
        for (path, cleaned) in [
            ("", "/"),
            ("/", "/"),
            ("/a//b", "/a/b"),
            ("/a/./b/", "/a/b/"),
            ("/a/b/..", "/a"),
            ("/a/b/../", "/a/"),
            ("/..", "/"),
            ("a/b", "/a/b"),
        ] {
            assert_eq!(clean_path(path.as_bytes()), cleaned.as_bytes(), "{path}");
        }
    }

    #[test]
    fn escape_path_is_gos_escaped_path() {
        assert_eq!(escape_path(b"/a b/c+d/\xff/!"), "/a%20b/c+d/%FF/%21");
    }
}
