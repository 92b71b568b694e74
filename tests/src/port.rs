//! Free loopback ports.

use std::collections::HashSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Mutex;

/// A TCP port on 127.0.0.1 that was free when this function returned, and that this test binary
/// has not handed out before.
///
/// The port is found by binding `127.0.0.1:0` and releasing it again, because the Go programs
/// cannot bind port 0 and report what they got. The kernel may give a just-released port to the
/// next `bind(0)`, so two servers started at once by tests of one binary could be told the same
/// port, and the loser's readiness check would be answered by the winner: ports are therefore
/// never handed out twice per process. Another process may still take the port before the server
/// binds it; [`crate::start_server`] notices ("address already in use") and retries.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let handed_out = handed_out.get_or_insert_with(HashSet::new);
    loop {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .expect("binding 127.0.0.1:0 to find a free port");
        let port = listener
            .local_addr()
            .expect("a bound listener has a local address")
            .port();
        if handed_out.insert(port) {
            return port;
        }
    }
}
