//! `conduit-local`, the binary: its options, and a whole start on a DynamoDB Local of its own (the
//! test command always hands it an endpoint, so only this test starts the engine through it).
//! Needs the engine installed, as infra/test.sh and infra/run-local.sh do.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_conduit-local");
/// Starting the JVM of DynamoDB Local is slow on a busy machine.
const START_LIMIT: Duration = Duration::from_secs(120);

fn run(args: &[&str]) -> Output {
    Command::new(BINARY).args(args).stdin(Stdio::null()).output().expect("conduit-local ran")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("bound").port()
}

/// One `GET` on a fresh connection; the whole answer as text.
fn get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connected to the gateway");
    write!(stream, "GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n").expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer read");
    answer
}

/// Kills the gateway if the test fails before stopping it, so no process outlives the test.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn given_a_bad_or_help_option_then_it_exits_with_status_2_printing_the_usage() {
    for (args, message) in [
        (&["--verbose"][..], "unknown option --verbose"),
        (&["--port"][..], "--port needs a value"),
        (&["--port", "three-thousand"][..], "--port takes a number"),
        (&["--table"][..], "--table needs a value"),
        (&["--help"][..], "usage: conduit-local"),
    ] {
        let output = run(args);

        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(stderr.contains("usage: conduit-local [--port N]"), "{args:?}: {stderr}");
    }
}

#[test]
fn given_no_dynamodb_endpoint_then_it_starts_dynamodb_local_creates_the_table_serves_and_stops_on_sigterm() {
    let port = free_port();
    let mut child = Command::new(BINARY)
        .args(["--port", &port.to_string(), "--table", "gateway-binary-test"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("conduit-local started");
    let stdout = child.stdout.take().expect("piped");
    // Read all along, so that neither the gateway nor the engine, which writes to the same
    // stream, ever blocks on a full pipe.
    let mut stderr = child.stderr.take().expect("piped");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut gateway = Running(child);
    let (lines, received) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let listening = loop {
        match received.recv_timeout(START_LIMIT) {
            Ok(line) if line.contains("listening") => break line,
            Ok(_) => {}
            Err(error) => {
                drop(gateway);
                panic!("no `listening` line ({error}); stderr:\n{}", errors.join().unwrap_or_default());
            }
        }
    };

    let tags = get(port, "/api/tags");
    let unknown = get(port, "/api/nothing-here");
    let terminated = Command::new("kill").args(["-TERM", &gateway.0.id().to_string()]).status().expect("kill ran");
    let status = gateway.0.wait().expect("conduit-local ended");
    reader.join().expect("stdout read to its end");
    let rest: Vec<String> = received.try_iter().collect();

    assert!(listening.contains(&format!("http://127.0.0.1:{port}/api")), "{listening}");
    assert!(listening.contains("DynamoDB at http://127.0.0.1:"), "its own engine: {listening}");
    assert!(listening.contains("table gateway-binary-test"), "{listening}");
    assert!(tags.starts_with("HTTP/1.1 200"), "{tags}");
    assert!(tags.ends_with(r#"{"tags":[]}"#), "a new table has no tags: {tags}");
    assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");
    assert!(terminated.success());
    assert!(status.success(), "a SIGTERM is a clean stop: {status}");
    assert!(rest.iter().any(|line| line == "stopping"), "{rest:?}");
}

/// Starts `conduit-local` on the test command's DynamoDB Local and `table`; answers its stdout
/// lines up to the `listening` one, then stops it.
fn start_and_stop_on(table: &str) -> Vec<String> {
    let endpoint = std::env::var("CONDUIT_TEST_DYNAMODB_ENDPOINT").expect("run by infra/test.sh");
    let output = Command::new(BINARY)
        .args(["--port", &free_port().to_string(), "--table", table, "--dynamodb-endpoint", &endpoint])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("conduit-local started");
    let mut gateway = Running(output);
    let stdout = gateway.0.stdout.take().expect("piped");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        let listening = line.contains("listening");
        lines.push(line);
        if listening {
            break;
        }
    }
    drop(gateway);
    lines
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn given_a_new_table_then_it_is_recorded_as_having_every_migration() {
    // Given a table name no one used
    let table = format!("gateway-new-{}", ulid::Ulid::new().to_string().to_lowercase());

    // When conduit-local starts on it
    let lines = start_and_stop_on(&table);

    // Then it created the table and recorded every migration as applied, rewriting nothing
    assert!(lines.iter().any(|line| line.contains("listening")), "{lines:?}");
    assert!(!lines.iter().any(|line| line.starts_with("Migrated")), "{lines:?}");
    let endpoint = std::env::var("CONDUIT_TEST_DYNAMODB_ENDPOINT").expect("set");
    let client = aws_sdk_dynamodb::Client::new(&conduit_dynamodb_local::local_sdk_config(&endpoint));
    let status = runtime().block_on(conduit_migrations::Migrator::new(client, &table).status()).expect("status");
    assert!(
        status.migrations.iter().all(|migration| matches!(
            &migration.state,
            conduit_migrations::State::Applied(applied) if applied.baseline
        )),
        "{status:?}"
    );
}

#[test]
fn given_a_table_of_an_earlier_layout_then_it_applies_the_pending_migrations_before_serving() {
    // Given a table an earlier release created, holding one article of the first layout
    let runtime = runtime();
    let table = runtime.block_on(conduit_dynamodb_local::test_table());
    let article =
        conduit_migrations::catalog::m0001_shard_all_articles::first_layout_article(&ulid::Ulid::new().to_string());
    runtime.block_on(table.client.put_item().table_name(&table.name).set_item(Some(article)).send()).expect("stored");

    // When conduit-local starts on it
    let lines = start_and_stop_on(&table.name);

    // Then it says it migrated the table, before it listens
    let migrated = format!("Migrated table {}: 0001-shard-all-articles (items rewritten: 1)", table.name);
    let migrated_at = lines.iter().position(|line| *line == migrated);
    let listening_at = lines.iter().position(|line| line.contains("listening"));
    assert!(migrated_at.is_some() && migrated_at < listening_at, "{lines:?}");
}
