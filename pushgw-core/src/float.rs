//! Float formatting exactly as Go's `strconv` and `fmt` print floats in Prometheus formats.
