//! `conduit-bench`: the harness `infra/bench.sh` runs once the release binaries are built.
//!
//! 1. Cold starts ([`cold_start`]): every function binary of `template.yaml`, and the floor
//!    (`bench-floor`), started repeatedly behind the Lambda Runtime API emulator.
//! 2. Endpoints ([`endpoints`]): every route through the local gateway, in this process, on a
//!    seeded table.
//! 3. Stream work ([`stream_work`]): a deleted article's purge and an ended follow's clearing at
//!    full size, through the consumers' handlers, counting their invocations.
//!
//! 4. Prices ([`prices`]): what a million requests of each endpoint cost, from the measured
//!    units and durations and a dated price table (`--prices`).
//!
//! Then one table on standard output and the same figures as JSON (`--out`), with the table as
//! text beside it. Exits 1 when something could not be measured, 3 when a function's init p50 is
//! more than [`report::MAX_INIT_RATIO`] times the floor's or the feed of 200 followed accounts more
//! than [`report::MAX_FEED_RATIO`] times slower than the feed of one.

mod cold_start;
mod endpoints;
mod prices;
mod report;
mod sample_world;
mod stats;
mod stream_work;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use report::{EndpointRow, FunctionRow, MAX_FEED_RATIO, MAX_INIT_RATIO, Machine, Prices, Report, Settings};

const USAGE: &str = "usage: conduit-bench [--dynamodb-endpoint URL --moto-endpoint URL] [--root DIR] [--binaries DIR]
       [--zips DIR] [--out FILE] [--prices FILE] [--build-profile NAME] [--cold-starts N] [--warm N] [--requests N] [--warmup N]
       [--big-feed-requests N] [--network-delay-ms N] [--only FUNCTION,...] [--skip-cold-starts] [--skip-endpoints]
       [--purge-favorites N] [--purge-comments N] [--cleared-feed-entries N] [--skip-stream-work]";

/// What a DynamoDB request costs a deployed function beyond DynamoDB Local on loopback: AWS
/// states single-digit millisecond latency for DynamoDB requests, and a small item's read from a
/// function in the same region answers in a few milliseconds; 4 is the middle of that, against
/// DynamoDB Local's one on loopback.
const DEFAULT_NETWORK_DELAY_MS: u64 = 4;

#[derive(Debug, PartialEq)]
struct Args {
    dynamodb_endpoint: String,
    moto_endpoint: Option<String>,
    root: PathBuf,
    binaries: Option<PathBuf>,
    zips: Option<PathBuf>,
    out: Option<PathBuf>,
    /// The price table (`infra/bench/prices/us-east-1.json` under the root by default).
    prices: Option<PathBuf>,
    /// The Cargo profile the measured binaries were built with, for the report.
    build_profile: String,
    cold_starts: usize,
    warm: usize,
    requests: usize,
    warmup: usize,
    big_feed_requests: usize,
    /// The network model: milliseconds added to every DynamoDB request of half the measured
    /// requests (0: off).
    network_delay_ms: u64,
    only: Vec<String>,
    skip_cold_starts: bool,
    skip_endpoints: bool,
    /// The stream work's sizes: the deleted article's favorites and comments, the ended follow's
    /// feed entries.
    purge_favorites: usize,
    purge_comments: usize,
    cleared_feed_entries: usize,
    skip_stream_work: bool,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut parsed = Self {
            dynamodb_endpoint: String::new(),
            moto_endpoint: None,
            // The workspace this binary was built from.
            root: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")),
            binaries: None,
            zips: None,
            out: None,
            prices: None,
            build_profile: "release".into(),
            cold_starts: 15,
            warm: 5,
            requests: 50,
            warmup: 5,
            big_feed_requests: 20,
            network_delay_ms: DEFAULT_NETWORK_DELAY_MS,
            only: Vec::new(),
            skip_cold_starts: false,
            skip_endpoints: false,
            purge_favorites: 20_000,
            purge_comments: 5_000,
            cleared_feed_entries: 10_000,
            skip_stream_work: false,
        };
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value"));
            let number = |text: String| text.parse::<usize>().map_err(|_| format!("{flag}: {text:?} is not a count"));
            match flag.as_str() {
                "--dynamodb-endpoint" => parsed.dynamodb_endpoint = value()?,
                "--moto-endpoint" => parsed.moto_endpoint = Some(value()?),
                "--root" => parsed.root = value()?.into(),
                "--binaries" => parsed.binaries = Some(value()?.into()),
                "--zips" => parsed.zips = Some(value()?.into()),
                "--out" => parsed.out = Some(value()?.into()),
                "--prices" => parsed.prices = Some(value()?.into()),
                "--build-profile" => parsed.build_profile = value()?,
                "--cold-starts" => parsed.cold_starts = number(value()?)?,
                "--warm" => parsed.warm = number(value()?)?,
                "--requests" => parsed.requests = number(value()?)?,
                "--warmup" => parsed.warmup = number(value()?)?,
                "--big-feed-requests" => parsed.big_feed_requests = number(value()?)?,
                "--network-delay-ms" => {
                    let text = value()?;
                    parsed.network_delay_ms = text.parse().map_err(|_| format!("{flag}: {text:?} is not a count"))?;
                }
                "--only" => parsed.only = value()?.split(',').map(str::to_owned).collect(),
                "--skip-cold-starts" => parsed.skip_cold_starts = true,
                "--skip-endpoints" => parsed.skip_endpoints = true,
                "--purge-favorites" => parsed.purge_favorites = number(value()?)?,
                "--purge-comments" => parsed.purge_comments = number(value()?)?,
                "--cleared-feed-entries" => parsed.cleared_feed_entries = number(value()?)?,
                "--skip-stream-work" => parsed.skip_stream_work = true,
                other => return Err(format!("unknown option {other}")),
            }
        }
        if !parsed.skip_cold_starts && (parsed.dynamodb_endpoint.is_empty() || parsed.moto_endpoint.is_none()) {
            return Err("--dynamodb-endpoint and --moto-endpoint are required for the cold starts".into());
        }
        if parsed.cold_starts == 0 || parsed.requests == 0 || parsed.big_feed_requests == 0 {
            return Err("--cold-starts, --requests and --big-feed-requests must be at least 1".into());
        }
        Ok(parsed)
    }
}

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("conduit-bench: {error}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Two workers, as the tests run the emulator: enough for the Runtime API to answer while this
    // process waits, without taking a core from the function being measured.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let report = match runtime.map_err(|error| error.to_string()).and_then(|runtime| runtime.block_on(bench(&args))) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("conduit-bench: {error}");
            return ExitCode::FAILURE;
        }
    };
    let table = report.table();
    println!("{table}");
    // The table also goes beside the JSON: standard output carries the metric lines the functions
    // print while they serve in this process, which infra/bench.sh sends to a log.
    let out = args.out.clone().unwrap_or_else(|| args.root.join("target/bench/report.json"));
    let written = out
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&out, report.to_json() + "\n"))
        .and_then(|()| std::fs::write(out.with_extension("txt"), &table));
    if let Err(error) = written {
        eprintln!("conduit-bench: cannot write {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    eprintln!("conduit-bench: wrote {} and {}", out.display(), out.with_extension("txt").display());
    let slow = report.slow_inits();
    if !slow.is_empty() {
        for row in slow {
            eprintln!(
                "conduit-bench: {} starts in {:.1} ms at p50, {:.2} times the floor (at most {MAX_INIT_RATIO})",
                row.name,
                row.figures.init_ms_p50,
                row.init_ratio.unwrap_or_default()
            );
        }
        return ExitCode::from(3);
    }
    if let Some(feed_ratio) = report.feed_ratio().filter(|ratio| *ratio > MAX_FEED_RATIO) {
        eprintln!(
            "conduit-bench: the feed of 200 followed accounts takes {feed_ratio:.2} times the feed of one (at most {MAX_FEED_RATIO})"
        );
        return ExitCode::from(3);
    }
    ExitCode::SUCCESS
}

async fn bench(args: &Args) -> Result<Report, String> {
    let binaries = match &args.binaries {
        Some(dir) => dir.clone(),
        // infra/bench.sh builds the functions, the floor and this harness into one directory.
        None => std::env::current_exe()
            .map_err(|error| error.to_string())?
            .parent()
            .ok_or("the harness has no directory")?
            .to_path_buf(),
    };
    let (floor, functions) = if args.skip_cold_starts {
        (None, Vec::new())
    } else {
        let options = cold_start::Options {
            root: args.root.clone(),
            binaries,
            zips: args.zips.clone(),
            dynamodb_endpoint: args.dynamodb_endpoint.clone(),
            moto_endpoint: args.moto_endpoint.clone().unwrap_or_default(),
            cold_starts: args.cold_starts,
            warm_invocations: args.warm,
            only: args.only.clone(),
        };
        let measured = cold_start::run(&options).await?;
        (Some(measured.floor), measured.functions)
    };
    let endpoints = if args.skip_endpoints {
        Vec::new()
    } else {
        // A DynamoDB Local of their own: the cold starts leave hundreds of tables and their
        // writes in the first one, which slows it down enough that the seeding's bursts of
        // transactions ran past the deployed time budget.
        let engine = conduit_dynamodb_local::DynamoDbLocal::start(None)
            .await
            .map_err(|error| format!("a DynamoDB Local for the endpoints: {error}"))?;
        let options = endpoints::Options {
            dynamodb_endpoint: engine.endpoint().to_owned(),
            requests: args.requests,
            warmup: args.warmup,
            big_feed_requests: args.big_feed_requests,
            network_delay: std::time::Duration::from_millis(args.network_delay_ms),
        };
        endpoints::run(&options).await?
    };
    let stream_work = if args.skip_stream_work {
        Vec::new()
    } else {
        // A DynamoDB Local of its own too: tens of thousands of seeded items and the transactions
        // that remove them would slow down whatever shares it.
        let engine = conduit_dynamodb_local::DynamoDbLocal::start(None)
            .await
            .map_err(|error| format!("a DynamoDB Local for the stream work: {error}"))?;
        let options = stream_work::Options {
            dynamodb_endpoint: engine.endpoint().to_owned(),
            favorites: args.purge_favorites,
            comments: args.purge_comments,
            feed_entries: args.cleared_feed_entries,
        };
        stream_work::run(&options).await?
    };
    let prices = if endpoints.is_empty() { None } else { Some(price_endpoints(args, &functions, &endpoints)?) };
    Ok(Report {
        machine: Machine {
            date: time::OffsetDateTime::now_utc().date().to_string(),
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            arch: std::env::consts::ARCH.to_owned(),
            build_profile: args.build_profile.clone(),
        },
        settings: Settings {
            cold_starts: args.cold_starts,
            warm_invocations: args.warm,
            requests: args.requests,
            warmup_requests: args.warmup,
            network_delay_ms: (!args.skip_endpoints).then_some(args.network_delay_ms),
        },
        floor,
        functions,
        endpoints,
        prices,
        stream_work,
    })
}

/// Every measured endpoint priced with the table `--prices` names, at the template's memory sizes.
fn price_endpoints(args: &Args, functions: &[FunctionRow], endpoints: &[EndpointRow]) -> Result<Prices, String> {
    let path = args.prices.clone().unwrap_or_else(|| args.root.join("infra/bench/prices/us-east-1.json"));
    let table = prices::PriceTable::load(&path)?;
    let template_path = args.root.join("template.yaml");
    let template_text =
        std::fs::read_to_string(&template_path).map_err(|error| format!("{}: {error}", template_path.display()))?;
    let memory: HashMap<String, u32> =
        conduit_api_tests::function_template::function_configs(&conduit_api_tests::template::parse(&template_text)?)?
            .into_iter()
            .filter_map(|function| Some((function.binary.clone(), function.memory_size_mb()?)))
            .collect();
    let memory_of =
        |function: &str| memory.get(function).copied().ok_or(format!("template.yaml: no MemorySize for {function}"));
    let cache_seconds = conduit_http::routes::api_settings::AUTHORIZER_CACHE_TTL_SECONDS as f64;
    // The authorizer's duration is its warm invocations' p50, when this run cold-started it.
    let authorizer = match functions.iter().find(|row| row.name == conduit_http::routes::AUTHORIZER_FUNCTION) {
        Some(row) => Some(prices::Authorizer {
            memory_mb: memory_of(&row.name)?,
            duration_ms: row.figures.warm_ms_p50,
            cache_seconds,
        }),
        None => None,
    };
    let rows = endpoints
        .iter()
        .map(|row| {
            let protected = conduit_http::routes::ROUTES
                .iter()
                .any(|route| route.key() == row.route_key && route.auth == conduit_http::routes::Auth::Required);
            let measured = prices::Measured {
                route: &row.route,
                function: &row.function,
                memory_mb: memory_of(&row.function)?,
                duration_ms: row.p50_ms,
                read_units: row.read_units,
                write_units: row.write_units,
                protected,
            };
            Ok(prices::PriceRow::new(&table, &measured, authorizer.as_ref()))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Prices {
        table,
        seconds_between_requests_per_token: prices::ASSUMED_SECONDS_BETWEEN_REQUESTS_PER_TOKEN,
        authorizer_cache_seconds: cache_seconds,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        Args::parse(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn defaults_are_fifteen_cold_starts_of_five_warm_invocations_and_fifty_requests() {
        let args = parse(&["--dynamodb-endpoint", "http://127.0.0.1:1", "--moto-endpoint", "http://127.0.0.1:2"])
            .expect("valid");

        assert_eq!((args.cold_starts, args.warm, args.requests, args.warmup), (15, 5, 50, 5));
        assert!(args.only.is_empty());
    }

    #[test]
    fn options_override_the_defaults() {
        let args = parse(&[
            "--dynamodb-endpoint",
            "d",
            "--skip-cold-starts",
            "--requests",
            "7",
            "--only",
            "list-tags,get-docs",
            "--prices",
            "infra/bench/prices/eu-west-1.json",
        ])
        .expect("valid");

        assert_eq!(args.requests, 7);
        assert!(args.skip_cold_starts);
        assert_eq!(args.only, ["list-tags", "get-docs"]);
        assert_eq!(args.prices, Some(PathBuf::from("infra/bench/prices/eu-west-1.json")));
    }

    #[test]
    fn the_stream_work_is_at_full_size_unless_told_otherwise() {
        let defaults = parse(&["--dynamodb-endpoint", "d", "--skip-cold-starts"]).expect("valid");
        let small = parse(&[
            "--dynamodb-endpoint",
            "d",
            "--skip-cold-starts",
            "--purge-favorites",
            "30",
            "--purge-comments",
            "10",
            "--cleared-feed-entries",
            "20",
        ])
        .expect("valid");

        assert_eq!(
            (defaults.purge_favorites, defaults.purge_comments, defaults.cleared_feed_entries),
            (20_000, 5_000, 10_000)
        );
        assert_eq!((small.purge_favorites, small.purge_comments, small.cleared_feed_entries), (30, 10, 20));
        assert!(!small.skip_stream_work);
        assert!(
            parse(&["--dynamodb-endpoint", "d", "--skip-cold-starts", "--skip-stream-work"])
                .expect("valid")
                .skip_stream_work
        );
    }

    #[test]
    fn the_report_names_the_release_profile_unless_told_which_profile_built_the_binaries() {
        let defaults = parse(&["--dynamodb-endpoint", "d", "--skip-cold-starts"]).expect("valid");
        let fast =
            parse(&["--dynamodb-endpoint", "d", "--skip-cold-starts", "--build-profile", "fast"]).expect("valid");

        assert_eq!((defaults.build_profile.as_str(), fast.build_profile.as_str()), ("release", "fast"));
    }

    #[test]
    fn missing_or_malformed_options_are_refused() {
        assert!(parse(&[]).is_err());
        assert!(parse(&["--dynamodb-endpoint", "d"]).is_err(), "cold starts need moto");
        assert!(parse(&["--dynamodb-endpoint", "d", "--skip-cold-starts", "--requests", "many"]).is_err());
        assert!(parse(&["--dynamodb-endpoint", "d", "--skip-cold-starts", "--requests", "0"]).is_err());
        assert!(parse(&["--dynamodb-endpoint", "d", "--skip-cold-starts", "--bogus"]).is_err());
    }
}
