//! Rendering of metric families in the OpenMetrics 1.0 text format.
