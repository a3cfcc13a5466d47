//! What a million requests of each endpoint cost on AWS, priced from one dated table
//! (`infra/bench/prices/us-east-1.json`, or the file `--prices` names for another region).
//!
//! A request pays its function's DynamoDB units, its Lambda compute (the template's memory size
//! times the billed duration, which Lambda rounds up to the millisecond) and Lambda's request
//! charge, and the HTTP API's request charge. A request to a protected route may also pay an
//! authorizer invocation: API Gateway keeps the authorizer's answer for a token as long as the
//! template's `ReauthorizeEvery`, so a token's calls share one invocation in that time.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Prices in USD, for one region, as AWS published them on `effective`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    pub region: String,
    /// The date from which these prices hold.
    pub effective: String,
    /// When they were copied into the table.
    pub recorded: String,
    pub source: String,
    pub dynamodb_read_request_units_per_million: f64,
    pub dynamodb_write_request_units_per_million: f64,
    pub lambda_arm64_gb_second: f64,
    pub lambda_requests_per_million: f64,
    pub http_api_requests_per_million: f64,
}

impl PriceTable {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
        serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// One invocation of a function of `memory_mb` billed for `billed_ms`, in USD.
    fn invocation(&self, memory_mb: u32, billed_ms: u64) -> f64 {
        let gb_seconds = f64::from(memory_mb) / 1024.0 * (billed_ms as f64) / 1000.0;
        gb_seconds * self.lambda_arm64_gb_second + self.lambda_requests_per_million / MILLION
    }

    fn dynamodb(&self, read_units: f64, write_units: f64) -> f64 {
        (read_units * self.dynamodb_read_request_units_per_million
            + write_units * self.dynamodb_write_request_units_per_million)
            / MILLION
    }
}

const MILLION: f64 = 1_000_000.0;

/// The assumed pace of one client: a protected request every 5 seconds with the same token (a
/// reader clicking through articles). With the template's 60-second cache, one in twelve of its
/// requests invokes the authorizer. The worst case, every request with a token the cache has not
/// seen, invokes it every time.
pub const ASSUMED_SECONDS_BETWEEN_REQUESTS_PER_TOKEN: f64 = 5.0;

/// What one authorizer invocation reads: the account's session generation, one eventually
/// consistent `GetItem` of an item under 4 KB (shared/repository/README.md, access patterns: "session check").
pub const AUTHORIZER_READ_UNITS: f64 = 0.5;

/// What the bench measured of one endpoint, as billing sees it.
#[derive(Debug, Clone)]
pub struct Measured<'a> {
    pub route: &'a str,
    pub function: &'a str,
    pub memory_mb: u32,
    /// The function's p50 per request, in milliseconds.
    pub duration_ms: f64,
    pub read_units: f64,
    pub write_units: f64,
    pub protected: bool,
}

/// The authorizer as billing sees it: its memory and its warm duration (p50, milliseconds).
#[derive(Debug, Clone, Copy)]
pub struct Authorizer {
    pub memory_mb: u32,
    pub duration_ms: f64,
    /// How long API Gateway keeps its answer for a token (`ReauthorizeEvery`).
    pub cache_seconds: f64,
}

/// One endpoint's cost per million requests, in USD, by what pays it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceRow {
    pub route: String,
    pub function: String,
    pub memory_mb: u32,
    pub billed_ms: u64,
    pub dynamodb: f64,
    /// Compute and the request charge.
    pub lambda: f64,
    pub http_api: f64,
    /// The authorizer's share at the assumed pace; `None` on routes without it, or when the
    /// authorizer's duration was not measured in this run.
    pub authorizer: Option<f64>,
    /// The authorizer invoked for every request.
    pub authorizer_worst: Option<f64>,
    pub total: f64,
    pub total_worst: f64,
}

impl PriceRow {
    pub fn new(prices: &PriceTable, measured: &Measured<'_>, authorizer: Option<&Authorizer>) -> Self {
        let billed_ms = billed(measured.duration_ms);
        let dynamodb = prices.dynamodb(measured.read_units, measured.write_units) * MILLION;
        let lambda = prices.invocation(measured.memory_mb, billed_ms) * MILLION;
        let http_api = prices.http_api_requests_per_million;
        let per_invocation = authorizer.filter(|_| measured.protected).map(|authorizer| {
            let one = prices.invocation(authorizer.memory_mb, billed(authorizer.duration_ms))
                + prices.dynamodb(AUTHORIZER_READ_UNITS, 0.0);
            let share = (ASSUMED_SECONDS_BETWEEN_REQUESTS_PER_TOKEN / authorizer.cache_seconds).min(1.0);
            (one * share * MILLION, one * MILLION)
        });
        let base = dynamodb + lambda + http_api;
        Self {
            route: measured.route.to_owned(),
            function: measured.function.to_owned(),
            memory_mb: measured.memory_mb,
            billed_ms,
            dynamodb: cents(dynamodb),
            lambda: cents(lambda),
            http_api: cents(http_api),
            authorizer: per_invocation.map(|(assumed, _)| cents(assumed)),
            authorizer_worst: per_invocation.map(|(_, worst)| cents(worst)),
            total: cents(base + per_invocation.map_or(0.0, |(assumed, _)| assumed)),
            total_worst: cents(base + per_invocation.map_or(0.0, |(_, worst)| worst)),
        }
    }
}

/// Lambda bills whole milliseconds, at least one.
fn billed(duration_ms: f64) -> u64 {
    (duration_ms.ceil() as u64).max(1)
}

/// Dollars per million requests to a tenth of a cent.
fn cents(dollars: f64) -> f64 {
    (dollars * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us_east_1() -> PriceTable {
        PriceTable::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("prices/us-east-1.json")).expect("the table")
    }

    fn list_page(protected: bool) -> Measured<'static> {
        Measured {
            route: "GET /api/articles",
            function: "list-articles",
            memory_mb: 256,
            duration_ms: 7.2,
            read_units: 13.0,
            write_units: 0.0,
            protected,
        }
    }

    const AUTHORIZER: Authorizer = Authorizer { memory_mb: 256, duration_ms: 1.3, cache_seconds: 60.0 };

    #[test]
    fn the_committed_table_loads_and_names_its_region_and_date() {
        // When the default table is read
        let prices = us_east_1();

        // Then it says where and since when its prices hold
        assert_eq!(prices.region, "us-east-1");
        assert_eq!(prices.effective, "2024-11-01");
        assert_eq!(prices.dynamodb_read_request_units_per_million, 0.125);
    }

    #[test]
    fn a_page_pays_its_read_units_its_billed_milliseconds_and_both_request_charges() {
        // Given a page of 13 read units served in 7.2 ms by a 256 MB function, without a token
        let row = PriceRow::new(&us_east_1(), &list_page(false), Some(&AUTHORIZER));

        // Then a million of them cost 13 x $0.125 of reads, 8 ms at 0.25 GB plus the request
        // charge of Lambda, and the HTTP API's dollar; no authorizer
        assert_eq!(row.billed_ms, 8);
        assert_eq!(row.dynamodb, 1.625);
        assert_eq!(row.lambda, 0.227);
        assert_eq!(row.http_api, 1.0);
        assert_eq!(row.authorizer, None);
        assert_eq!(row.total, 2.852);
        assert_eq!(row.total_worst, row.total);
    }

    #[test]
    fn a_protected_route_pays_a_twelfth_of_an_authorizer_call_at_the_assumed_pace_and_all_of_it_at_worst() {
        // Given the same page behind the authorizer, whose answers are cached for 60 s
        let row = PriceRow::new(&us_east_1(), &list_page(true), Some(&AUTHORIZER));

        // Then one authorizer call (2 ms at 0.25 GB, its request, half a read unit) is paid by
        // every request at worst, and by one in twelve at one request per 5 s
        let call = 0.2 + 0.25 * 0.002 * 13.3334 + 0.0625;
        assert_eq!(row.authorizer_worst, Some(cents(call)));
        assert_eq!(row.authorizer, Some(cents(call / 12.0)));
        assert!(row.total_worst > row.total && row.total > 2.852, "{row:?}");
    }

    #[test]
    fn without_a_measured_authorizer_its_share_is_left_out_rather_than_guessed() {
        // When the run measured no authorizer duration
        let row = PriceRow::new(&us_east_1(), &list_page(true), None);

        // Then the row says so instead of pricing it at zero silently
        assert_eq!(row.authorizer, None);
        assert_eq!(row.authorizer_worst, None);
    }
}
