//! `conduit-local`: the whole API on this machine. Starts DynamoDB Local (unless an endpoint is
//! given), creates the table from template.yaml, and serves http://127.0.0.1:3000/api until Ctrl-C.

use std::sync::Arc;

use conduit_bootstrap::{Adapters, KeyRing, SigningKey};
use conduit_dynamodb_local::{DynamoDbLocal, TableDefinition, local_sdk_config};
use conduit_local_gateway::{Gateway, serve};

const USAGE: &str = "usage: conduit-local [--port N] [--dynamodb-endpoint URL] [--table NAME]";

struct Options {
    port: u16,
    dynamodb_endpoint: Option<String>,
    table: String,
}

fn options() -> Result<Options, String> {
    let mut options = Options { port: 3000, dynamodb_endpoint: None, table: "conduit-local".into() };
    let mut arguments = std::env::args().skip(1);
    while let Some(flag) = arguments.next() {
        let mut value = || arguments.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--port" => options.port = value()?.parse().map_err(|_| format!("--port takes a number\n{USAGE}"))?,
            "--dynamodb-endpoint" => options.dynamodb_endpoint = Some(value()?),
            "--table" => options.table = value()?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    conduit_telemetry::init();
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    // Ctrl-C or a plain `kill`, even during start-up: dropping `run` drops the DynamoDB Local it
    // started, which kills that process.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = run(options) => return result,
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    println!("stopping");
    Ok(())
}

async fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    // Kept alive while serving: dropping it stops DynamoDB Local.
    let (_dynamodb_local, endpoint) = match options.dynamodb_endpoint {
        Some(endpoint) => (None, endpoint),
        None => {
            let engine = DynamoDbLocal::start(None).await?;
            let endpoint = engine.endpoint().to_owned();
            (Some(engine), endpoint)
        }
    };
    let sdk = local_sdk_config(&endpoint);
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let exists = client.describe_table().table_name(&options.table).send().await.is_ok();
    if !exists {
        TableDefinition::from_template()?.create(&client, &options.table).await?;
    }

    // No AWS account here: tokens are signed with a key generated for this run.
    let keys = KeyRing { current: SigningKey::generate(format!("local-{}", ulid::Ulid::new())), previous: None };
    let gateway = Arc::new(Gateway::new(&Adapters::local(sdk, &options.table, keys))?);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await?;
    println!(
        "Conduit API listening on http://{}/api (DynamoDB at {endpoint}, table {})",
        listener.local_addr()?,
        options.table
    );
    Ok(serve(listener, gateway).await?)
}
