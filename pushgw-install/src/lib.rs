//! pushgw-install: sets a training VM up as the Pushgateway hands-on text does, and proves it.
pub mod ip;
pub mod msg;
pub mod promyaml;
pub mod unit;
