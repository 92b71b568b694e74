//! Free loopback ports.

use std::net::{Ipv4Addr, TcpListener};

/// A TCP port on 127.0.0.1 that was free when this function returned.
///
/// The port is found by binding `127.0.0.1:0` and releasing it again, because the Go programs
/// cannot bind port 0 and report what they got. Another process may take the port before the
/// server binds it; [`crate::start_server`] notices ("address already in use") and retries with a
/// new port.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .expect("binding 127.0.0.1:0 to find a free port");
    listener
        .local_addr()
        .expect("a bound listener has a local address")
        .port()
}
