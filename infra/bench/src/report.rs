//! The report: one table on standard output, the same figures as JSON in `target/bench/report.json`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::prices::{PriceRow, PriceTable};
use crate::stats::{Spread, ratio, rounded};

/// A function's init p50 may be at most this many times the floor's (measured in the same run).
pub const MAX_INIT_RATIO: f64 = 1.5;
/// The feed's p50 for a reader who follows 200 accounts may be at most this many times its p50 for
/// a reader who follows one: a feed page costs the same whoever one follows.
pub const MAX_FEED_RATIO: f64 = 2.0;
/// The two feed rows that ratio compares.
pub const FEED_OF_ONE: &str = "GET /api/articles/feed (1 followed)";
pub const FEED_OF_200: &str = "GET /api/articles/feed (200 followed)";

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub settings: Settings,
    pub floor: Option<FloorRow>,
    pub functions: Vec<FunctionRow>,
    pub endpoints: Vec<EndpointRow>,
    /// What a million requests of each endpoint cost; `None` when no endpoint was measured.
    pub prices: Option<Prices>,
    pub stream_work: Vec<StreamWorkRow>,
}

/// The endpoints priced (USD per million requests), with the table and assumptions used.
#[derive(Debug, Clone, Serialize)]
pub struct Prices {
    pub table: PriceTable,
    /// The assumed pace of one token's requests, for the authorizer's share.
    pub seconds_between_requests_per_token: f64,
    pub authorizer_cache_seconds: f64,
    pub rows: Vec<PriceRow>,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    /// UTC date of the run, `YYYY-MM-DD`.
    pub date: String,
    /// Logical CPUs (`nproc`).
    pub cpus: usize,
    /// The architecture the binaries were built for and run on: this machine's, not Lambda's arm64.
    pub arch: String,
    /// The Cargo profile the binaries were built with (`release` is what production deploys).
    pub build_profile: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Measured cold starts per function (and per floor sample group), after one discarded.
    pub cold_starts: usize,
    /// Warm invocations after each cold start's first.
    pub warm_invocations: usize,
    /// Measured requests per endpoint, after `warmup_requests` unmeasured ones.
    pub requests: usize,
    pub warmup_requests: usize,
    /// The network model's delay per DynamoDB request (0: off).
    pub network_delay_ms: Option<u64>,
}

/// What every cold-started binary reports. Times in milliseconds, memory and sizes in MiB.
#[derive(Debug, Clone, Serialize)]
pub struct ColdStartFigures {
    pub init_ms_p50: f64,
    pub init_ms_p99: f64,
    pub first_ms_p50: f64,
    pub first_ms_p99: f64,
    pub warm_ms_p50: f64,
    pub warm_ms_p99: f64,
    /// p50 over cold starts of the process's peak resident set (`VmHWM`).
    pub peak_rss_mb: f64,
    pub peak_rss_mb_p99: f64,
    /// The binary zipped as `bootstrap` (deflate); `None` when no zip was given.
    pub zip_mb: Option<f64>,
    pub samples: usize,
}

impl ColdStartFigures {
    pub fn new(init: Spread, first: Spread, warm: Spread, rss: Spread, zip_mb: Option<f64>, samples: usize) -> Self {
        Self {
            init_ms_p50: rounded(init.p50),
            init_ms_p99: rounded(init.p99),
            first_ms_p50: rounded(first.p50),
            first_ms_p99: rounded(first.p99),
            warm_ms_p50: rounded(warm.p50),
            warm_ms_p99: rounded(warm.p99),
            peak_rss_mb: rounded(rss.p50),
            peak_rss_mb_p99: rounded(rss.p99),
            zip_mb: zip_mb.map(rounded),
            samples,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FloorRow {
    pub name: String,
    #[serde(flatten)]
    pub figures: ColdStartFigures,
}

#[derive(Debug, Clone, Serialize)]
pub struct FunctionRow {
    pub name: String,
    #[serde(flatten)]
    pub figures: ColdStartFigures,
    /// `init_ms_p50` over the floor's `init_ms_p50`.
    pub init_ratio: Option<f64>,
}

impl FunctionRow {
    pub fn new(name: String, figures: ColdStartFigures, floor: Option<&FloorRow>) -> Self {
        // From the rounded medians: the ratio is then the one a reader computes from the report.
        let init_ratio = floor.and_then(|floor| ratio(figures.init_ms_p50, floor.figures.init_ms_p50)).map(rounded);
        Self { name, figures, init_ratio }
    }
}

/// One endpoint: latency over its measured requests, and per request the p50 of what it consumed.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointRow {
    /// The request as sent, with its parameters named (`GET /api/articles?tag=`).
    pub route: String,
    /// The route key API Gateway selects (`GET /api/articles/{slug}`, or `$default`).
    pub route_key: String,
    pub function: String,
    pub round_trips: f64,
    pub read_units: f64,
    pub write_units: f64,
    pub calls: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: usize,
    /// The latency with the network model's delay on every DynamoDB request; `None` when the
    /// model was off or no request was measured with it.
    pub delayed: Option<DelayedLatency>,
    /// For a list page, the least it could read (`conduit_api_tests::read_floor`): p50 over the
    /// measured requests, in read units.
    pub read_floor: Option<f64>,
}

/// An endpoint's latency through the delaying proxy (see [`crate::endpoints`]).
#[derive(Debug, Clone, Serialize)]
pub struct DelayedLatency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: usize,
}

/// One large piece of work that follows a write (a purge, a clearing), done by its consumer in
/// chunks: how many invocations it took, and how long they took.
#[derive(Debug, Clone, Serialize)]
pub struct StreamWorkRow {
    /// What was done, with its size (`purge: 20000 favorites, 5000 comments`).
    pub work: String,
    /// Items it removed in all.
    pub items: usize,
    /// The chunk limit it ran with (`STREAM_CHUNK_ITEMS`).
    pub chunk_items: usize,
    pub invocations: usize,
    /// All its invocations' time, seconds.
    pub total_s: f64,
    pub p50_ms: f64,
    pub max_ms: f64,
}

impl Report {
    /// Functions whose init ratio is over [`MAX_INIT_RATIO`].
    pub fn slow_inits(&self) -> Vec<&FunctionRow> {
        self.functions.iter().filter(|row| row.init_ratio.is_some_and(|ratio| ratio > MAX_INIT_RATIO)).collect()
    }

    /// The feed's p50 at 200 followed accounts over its p50 at one, when both were measured.
    pub fn feed_ratio(&self) -> Option<f64> {
        let p50 = |route: &str| self.endpoints.iter().find(|row| row.route == route).map(|row| row.p50_ms);
        ratio(p50(FEED_OF_200)?, p50(FEED_OF_ONE)?).map(rounded)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report serialises")
    }

    /// The table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} on {} CPUs ({}), profile {}; {} cold starts x {} warm invocations per function, {} requests per endpoint",
            self.machine.date,
            self.machine.cpus,
            self.machine.arch,
            self.machine.build_profile,
            self.settings.cold_starts,
            self.settings.warm_invocations,
            self.settings.requests
        );
        if !self.functions.is_empty() || self.floor.is_some() {
            let _ = writeln!(
                out,
                "\n{:<24} {:>9} {:>8} {:>6} {:>10} {:>8} {:>9} {:>8} {:>8} {:>8}",
                "function", "init p50", "p99", "ratio", "first p50", "p99", "warm p50", "p99", "RSS MiB", "zip MiB"
            );
            let line = |out: &mut String, name: &str, figures: &ColdStartFigures, ratio: Option<f64>| {
                let _ = writeln!(
                    out,
                    "{:<24} {:>9.1} {:>8.1} {:>6} {:>10.1} {:>8.1} {:>9.1} {:>8.1} {:>8.1} {:>8}",
                    name,
                    figures.init_ms_p50,
                    figures.init_ms_p99,
                    ratio.map_or("-".to_owned(), |ratio| format!("{ratio:.2}")),
                    figures.first_ms_p50,
                    figures.first_ms_p99,
                    figures.warm_ms_p50,
                    figures.warm_ms_p99,
                    figures.peak_rss_mb,
                    figures.zip_mb.map_or("-".to_owned(), |zip| format!("{zip:.2}")),
                );
            };
            if let Some(floor) = &self.floor {
                line(&mut out, &format!("({})", floor.name), &floor.figures, None);
            }
            for row in &self.functions {
                line(&mut out, &row.name, &row.figures, row.init_ratio);
            }
        }
        if !self.endpoints.is_empty() {
            let width = self.endpoints.iter().map(|row| row.route.len()).max().unwrap_or(5).max(5);
            let _ = writeln!(
                out,
                "\n{:<width$} {:>4} {:>6} {:>6} {:>8} {:>8} {:>10} {:>10}",
                "route", "RT", "RU", "WU", "p50 ms", "p99 ms", "p50 +net", "p99 +net"
            );
            for row in &self.endpoints {
                let delayed = |value: fn(&DelayedLatency) -> f64| {
                    row.delayed.as_ref().map_or("-".to_owned(), |delayed| format!("{:.1}", value(delayed)))
                };
                let _ = writeln!(
                    out,
                    "{:<width$} {:>4} {:>6} {:>6} {:>8.1} {:>8.1} {:>10} {:>10}",
                    row.route,
                    row.round_trips,
                    row.read_units,
                    row.write_units,
                    row.p50_ms,
                    row.p99_ms,
                    delayed(|delayed| delayed.p50_ms),
                    delayed(|delayed| delayed.p99_ms)
                );
            }
            if let Some(delay_ms) = self.settings.network_delay_ms.filter(|delay| *delay > 0) {
                let _ = writeln!(out, "(+net: every DynamoDB request held {delay_ms} ms by a loopback proxy)");
            }
            let floored: Vec<&EndpointRow> = self.endpoints.iter().filter(|row| row.read_floor.is_some()).collect();
            if !floored.is_empty() {
                let _ = writeln!(out, "\n{:<width$} {:>6} {:>6} {:>6}", "list page", "RU", "floor", "ratio");
                for row in floored {
                    let floor = row.read_floor.unwrap_or_default();
                    let ratio = if floor > 0.0 { row.read_units / floor } else { 0.0 };
                    let _ = writeln!(out, "{:<width$} {:>6} {:>6} {:>6.2}", row.route, row.read_units, floor, ratio);
                }
                let _ = writeln!(
                    out,
                    "(floor: the page's summaries at 0.5 RU per 4 KB, 0.5 RU per distinct author, 1 RU for a viewer's relations)"
                );
            }
            if let Some(feed_ratio) = self.feed_ratio() {
                let _ =
                    writeln!(out, "\nfeed p50, 200 followed / 1 followed: {feed_ratio:.2} (at most {MAX_FEED_RATIO})");
            }
        }
        if let Some(prices) = &self.prices {
            let _ = writeln!(
                out,
                "\nUSD per million requests in {} (prices effective {}): the authorizer's share at one request per token every {} s (answers cached {} s), and at worst on every request",
                prices.table.region,
                prices.table.effective,
                prices.seconds_between_requests_per_token,
                prices.authorizer_cache_seconds
            );
            let width = prices.rows.iter().map(|row| row.route.len()).max().unwrap_or(5).max(5);
            let _ = writeln!(
                out,
                "{:<width$} {:>5} {:>6} {:>8} {:>7} {:>8} {:>10} {:>7} {:>7}",
                "route", "MB", "billed", "DynamoDB", "Lambda", "HTTP API", "authorizer", "total", "worst"
            );
            let optional = |value: Option<f64>| value.map_or("-".to_owned(), |value| format!("{value:.3}"));
            for row in &prices.rows {
                let _ = writeln!(
                    out,
                    "{:<width$} {:>5} {:>4} ms {:>8.3} {:>7.3} {:>8.3} {:>10} {:>7.3} {:>7.3}",
                    row.route,
                    row.memory_mb,
                    row.billed_ms,
                    row.dynamodb,
                    row.lambda,
                    row.http_api,
                    optional(row.authorizer),
                    row.total,
                    row.total_worst
                );
            }
        }
        if !self.stream_work.is_empty() {
            let width = self.stream_work.iter().map(|row| row.work.len()).max().unwrap_or(4).max(4);
            let _ = writeln!(
                out,
                "\n{:<width$} {:>6} {:>11} {:>8} {:>9} {:>9}",
                "work", "chunk", "invocations", "total s", "p50 ms", "max ms"
            );
            for row in &self.stream_work {
                let _ = writeln!(
                    out,
                    "{:<width$} {:>6} {:>11} {:>8.1} {:>9.1} {:>9.1}",
                    row.work, row.chunk_items, row.invocations, row.total_s, row.p50_ms, row.max_ms
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(init_p50: f64) -> ColdStartFigures {
        let spread = |p50: f64| Spread { p50, p99: p50 * 2.0 };
        ColdStartFigures::new(spread(init_p50), spread(20.0), spread(2.0), spread(12.345), Some(3.9), 15)
    }

    fn report() -> Report {
        let floor = FloorRow { name: "bench-floor".into(), figures: figures(10.0) };
        let functions = vec![
            FunctionRow::new("list-tags".into(), figures(12.0), Some(&floor)),
            FunctionRow::new("login-user".into(), figures(16.0), Some(&floor)),
        ];
        Report {
            machine: Machine {
                date: "2026-01-01".into(),
                cpus: 2,
                arch: "x86_64".into(),
                build_profile: "release".into(),
            },
            settings: Settings {
                cold_starts: 15,
                warm_invocations: 5,
                requests: 50,
                warmup_requests: 5,
                network_delay_ms: Some(4),
            },
            floor: Some(floor),
            functions,
            endpoints: vec![EndpointRow {
                route: "GET /api/tags".into(),
                route_key: "GET /api/tags".into(),
                function: "list-tags".into(),
                round_trips: 1.0,
                read_units: 0.5,
                write_units: 0.0,
                calls: 1.0,
                p50_ms: 3.2,
                p99_ms: 7.9,
                requests: 25,
                delayed: Some(DelayedLatency { p50_ms: 7.4, p99_ms: 12.0, requests: 25 }),
                read_floor: None,
            }],
            prices: None,
            stream_work: vec![StreamWorkRow {
                work: "purge: 20000 favorites, 5000 comments".into(),
                items: 25_000,
                chunk_items: 1_000,
                invocations: 26,
                total_s: 61.5,
                p50_ms: 2_400.0,
                max_ms: 3_100.0,
            }],
        }
    }

    #[test]
    fn the_json_has_the_floor_every_function_and_every_endpoint_with_their_keys() {
        let json: serde_json::Value = serde_json::from_str(&report().to_json()).expect("JSON");

        assert_eq!(json["floor"]["init_ms_p50"], 10.0);
        assert!(json["floor"].get("init_ratio").is_none());
        let function = &json["functions"][0];
        for key in ["name", "init_ms_p50", "init_ratio", "first_ms_p50", "warm_ms_p50", "peak_rss_mb", "zip_mb"] {
            assert!(function.get(key).is_some(), "functions[].{key} missing: {function}");
        }
        assert_eq!(function["init_ratio"], 1.2);
        assert_eq!(function["peak_rss_mb"], 12.35);
        let endpoint = &json["endpoints"][0];
        for key in ["route", "round_trips", "read_units", "write_units", "p50_ms", "p99_ms"] {
            assert!(endpoint.get(key).is_some(), "endpoints[].{key} missing: {endpoint}");
        }
    }

    #[test]
    fn a_function_over_the_ratio_is_reported_and_one_at_it_is_not() {
        let mut report = report();
        let floor = report.floor.clone();
        report.functions.push(FunctionRow::new("slow".into(), figures(15.1), floor.as_ref()));
        report.functions.push(FunctionRow::new("at-limit".into(), figures(15.0), floor.as_ref()));

        let slow: Vec<&str> = report.slow_inits().iter().map(|row| row.name.as_str()).collect();

        assert_eq!(slow, ["login-user", "slow"]);
    }

    #[test]
    fn without_a_floor_there_is_no_ratio() {
        let row = FunctionRow::new("list-tags".into(), figures(12.0), None);

        assert_eq!(row.init_ratio, None);
    }

    #[test]
    fn a_list_page_is_shown_beside_its_read_floor_and_other_endpoints_are_not() {
        let mut report = report();
        let mut list = report.endpoints[0].clone();
        (list.route, list.read_units, list.read_floor) = ("GET /api/articles?tag=".into(), 5.0, Some(2.5));
        report.endpoints.push(list);

        let table = report.table();

        let floors: Vec<&str> = table.lines().skip_while(|line| !line.starts_with("list page")).skip(1).collect();
        assert!(floors[0].starts_with("GET /api/articles?tag=") && floors[0].ends_with(" 2.00"), "{table}");
        assert!(!floors.iter().any(|line| line.starts_with("GET /api/tags")), "{table}");
    }

    #[test]
    fn the_table_has_a_line_per_function_and_endpoint() {
        let table = report().table();

        assert!(table.contains("(bench-floor)"), "{table}");
        assert!(table.lines().any(|line| line.starts_with("list-tags") && line.contains("1.20")), "{table}");
        assert!(
            table
                .lines()
                .any(|line| line.starts_with("GET /api/tags") && line.contains(" 3.2 ") && line.contains(" 7.4 ")),
            "{table}"
        );
        assert!(
            table.lines().any(|line| line.starts_with("purge: 20000 favorites") && line.contains(" 26 ")),
            "{table}"
        );
    }
}
