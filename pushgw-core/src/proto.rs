//! Length-delimited `io.prometheus.client.MetricFamily` protobuf, decoded into and encoded from the model.
