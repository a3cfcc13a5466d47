//! The benchmark itself, run small: one cold start of a few functions, two requests per endpoint
//! (one direct, one through the network model's delay) and a small purge and clearing, with the
//! binaries of this build. It must measure everything it promises and answer every request as
//! expected, so that `infra/bench.sh` still works the day someone needs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A function of each kind: an API route, the authorizer, a stream consumer, the deploy hook.
const FUNCTIONS: &str = "list-tags,authorizer,send-welcome-mail,run-migrations";

fn endpoint(variable: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| panic!("{variable} is not set: run the tests with infra/test.sh"))
}

/// The directory of this build's binaries (the test runs from `<target>/<profile>/deps`).
fn binaries_dir() -> PathBuf {
    let test = std::env::current_exe().expect("the test's path");
    test.parent().and_then(Path::parent).expect("the profile directory").to_path_buf()
}

#[test]
fn a_small_run_measures_every_chosen_function_and_every_endpoint() {
    // Given this build's function binaries and the local services of the test command
    let binaries = binaries_dir();
    for binary in FUNCTIONS.split(',').chain(["bench-floor"]) {
        assert!(binaries.join(binary).is_file(), "build the binaries first (cargo build --workspace --bins): {binary}");
    }
    let out = std::env::temp_dir().join(format!("conduit-bench-{}", std::process::id())).join("report.json");

    // When the benchmark runs with one of everything
    let run = Command::new(env!("CARGO_BIN_EXE_conduit-bench"))
        .args(["--dynamodb-endpoint", &endpoint("CONDUIT_TEST_DYNAMODB_ENDPOINT")])
        .args(["--moto-endpoint", &endpoint("CONDUIT_TEST_SECRETSMANAGER_ENDPOINT")])
        .args(["--cold-starts", "1", "--warm", "1", "--requests", "2", "--warmup", "1", "--big-feed-requests", "1"])
        .args(["--network-delay-ms", "4"])
        .args(["--purge-favorites", "30", "--purge-comments", "10", "--cleared-feed-entries", "20"])
        .args(["--only", FUNCTIONS])
        .arg("--binaries")
        .arg(&binaries)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("conduit-bench started");

    // Then every answer was the expected one (exit 1 says otherwise; 3 only judges the start-up
    // ratio, a property of release builds, not of this one) and the report holds every figure
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(matches!(run.status.code(), Some(0 | 3)), "{}\n{stderr}", run.status);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("report written")).expect("JSON");
    assert!(report["floor"]["init_ms_p50"].as_f64().is_some_and(|init| init > 0.0), "{}", report["floor"]);
    let functions: Vec<&str> =
        report["functions"].as_array().expect("functions").iter().filter_map(|row| row["name"].as_str()).collect();
    assert_eq!(functions.len(), 4, "{functions:?}");
    for row in report["functions"].as_array().expect("functions") {
        assert!(row["init_ratio"].as_f64().is_some(), "{row}");
        assert!(row["peak_rss_mb"].as_f64().is_some_and(|rss| rss > 0.0), "{row}");
    }
    let endpoints = report["endpoints"].as_array().expect("endpoints");
    assert!(endpoints.len() >= 30, "{} endpoints", endpoints.len());
    for row in endpoints {
        assert!(row["p50_ms"].as_f64().is_some() && row["round_trips"].as_f64().is_some(), "{row}");
    }
    // ...the network model's latency beside the direct one: one DynamoDB round trip held 4 ms
    let current_user = endpoints.iter().find(|row| row["route"] == "GET /api/user").expect("GET /api/user");
    assert!(current_user["round_trips"].as_f64().is_some_and(|trips| trips >= 1.0), "{current_user}");
    assert!(current_user["delayed"]["p50_ms"].as_f64().is_some_and(|p50| p50 >= 4.0), "{current_user}");
    // ...every endpoint priced, from the committed table, with the authorizer's share on the
    // protected routes (the authorizer was among the functions cold-started)
    let prices = &report["prices"];
    assert_eq!(prices["table"]["region"], "us-east-1", "{prices}");
    let priced = prices["rows"].as_array().expect("price rows");
    assert_eq!(priced.len(), endpoints.len());
    for row in priced {
        let total = row["total"].as_f64().expect("a total");
        assert!(total >= 1.0 && row["total_worst"].as_f64().is_some_and(|worst| worst >= total), "{row}");
    }
    let protected = priced.iter().find(|row| row["route"] == "PUT /api/user").expect("PUT /api/user priced");
    assert!(protected["authorizer"].as_f64().is_some_and(|share| share > 0.0), "{protected}");
    let stream_work = report["stream_work"].as_array().expect("stream work");
    assert_eq!(stream_work.len(), 2, "the purge and the clearing: {stream_work:?}");
    for row in stream_work {
        assert!(row["invocations"].as_u64().is_some_and(|invocations| invocations >= 1), "{row}");
    }
    assert!(out.with_extension("txt").is_file());
    let _ = std::fs::remove_dir_all(out.parent().expect("the report's directory"));
}
