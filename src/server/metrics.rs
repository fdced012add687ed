//! Request counts and latencies per route and status, served as Prometheus text at `/metrics`, so
//! benchmarks and operators can see what clients really cost the service.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default)]
struct Series {
    /// Requests by status code.
    statuses: BTreeMap<u16, u64>,
    /// Cumulative counts per bucket, as Prometheus wants them.
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

/// Everything counted since the service started, by (method, route template).
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String), Series>>,
}

impl Metrics {
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut series = self
            .series
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = series
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        *entry.statuses.entry(status).or_default() += 1;
        for (bound, bucket) in BUCKETS.iter().zip(entry.buckets.iter_mut()) {
            if seconds <= *bound {
                *bucket += 1;
            }
        }
        entry.count += 1;
        entry.sum_seconds += seconds;
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let series = self
            .series
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::new();
        out.push_str(
            "# HELP alertform_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE alertform_http_requests_total counter\n");
        for ((method, route), s) in series.iter() {
            for (status, n) in &s.statuses {
                let _ = writeln!(
                    out,
                    "alertform_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP alertform_http_request_duration_seconds Time to answer, by method and route.\n",
        );
        out.push_str("# TYPE alertform_http_request_duration_seconds histogram\n");
        for ((method, route), s) in series.iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (bound, n) in BUCKETS.iter().zip(s.buckets.iter()) {
                let _ = writeln!(
                    out,
                    "alertform_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "alertform_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "alertform_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum_seconds
            );
            let _ = writeln!(
                out,
                "alertform_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets_are_cumulative() {
        let metrics = Metrics::default();
        metrics.record(
            "GET",
            "/api/v1/{collection}",
            200,
            Duration::from_micros(800),
        );
        metrics.record(
            "GET",
            "/api/v1/{collection}",
            200,
            Duration::from_millis(30),
        );
        metrics.record(
            "GET",
            "/api/v1/{collection}",
            401,
            Duration::from_micros(100),
        );
        let text = metrics.render();
        assert!(text.contains("alertform_http_requests_total{method=\"GET\",route=\"/api/v1/{collection}\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("status=\"401\"} 1"));
        assert!(text.contains("le=\"0.001\"} 2"), "{text}");
        assert!(text.contains("le=\"0.05\"} 3"), "{text}");
        assert!(text.contains("le=\"+Inf\"} 3"));
        assert!(text.contains("_count{method=\"GET\",route=\"/api/v1/{collection}\"} 3"));
    }
}
