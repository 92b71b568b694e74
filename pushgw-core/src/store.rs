//! The store: groups of metric families with the reference Pushgateway's push semantics.
