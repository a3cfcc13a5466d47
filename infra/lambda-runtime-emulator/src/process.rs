//! The function's process: started with exactly the environment it is given, its output captured
//! for diagnostics, killed when dropped.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// How often output is moved out of the socket while nobody asks for it, so that a chatty
/// process never blocks on a full buffer.
const PUMP_INTERVAL: Duration = Duration::from_millis(10);
/// The wait status of a process ended by signal 9.
const KILLED_BY_SIGKILL: i32 = 9;

pub(crate) struct FunctionProcess {
    child: Child,
    spawned_at: Instant,
    exit: Option<ExitStatus>,
    stdout: Captured,
    stderr: Captured,
}

/// One output stream of the process. It is a socket rather than a pipe because our end can be
/// read without blocking at any moment: whatever the process wrote before it answered is then
/// certainly in the captured text, with no reader task to wait for.
struct Captured {
    buffer: Arc<Mutex<Buffer>>,
    pump: JoinHandle<()>,
}

struct Buffer {
    stream: UnixStream,
    bytes: Vec<u8>,
    ended: bool,
}

impl Buffer {
    /// Takes in everything written so far, without waiting for more.
    fn drain(&mut self) {
        let mut chunk = [0u8; 16 * 1024];
        while !self.ended {
            match self.stream.read(&mut chunk) {
                Ok(0) => self.ended = true,
                Ok(read) => self.bytes.extend_from_slice(&chunk[..read]),
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(_) => self.ended = true,
            }
        }
    }
}

impl Captured {
    /// The captured stream, and the end to give the process.
    fn start() -> std::io::Result<(Self, Stdio)> {
        let (ours, theirs) = UnixStream::pair()?;
        ours.set_nonblocking(true)?;
        let buffer = Arc::new(Mutex::new(Buffer { stream: ours, bytes: Vec::new(), ended: false }));
        let pump = tokio::spawn({
            let buffer = Arc::clone(&buffer);
            async move {
                loop {
                    let ended = {
                        let mut buffer = lock(&buffer);
                        buffer.drain();
                        buffer.ended
                    };
                    if ended {
                        break;
                    }
                    tokio::time::sleep(PUMP_INTERVAL).await;
                }
            }
        });
        Ok((Self { buffer, pump }, Stdio::from(OwnedFd::from(theirs))))
    }

    fn text(&self) -> String {
        let mut buffer = lock(&self.buffer);
        buffer.drain();
        String::from_utf8_lossy(&buffer.bytes).into_owned()
    }
}

impl Drop for Captured {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

fn lock(buffer: &Mutex<Buffer>) -> MutexGuard<'_, Buffer> {
    buffer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FunctionProcess {
    pub(crate) fn spawn(
        program: &Path,
        args: &[String],
        environment: &BTreeMap<String, String>,
        working_dir: Option<&Path>,
    ) -> std::io::Result<Self> {
        let (stdout, child_stdout) = Captured::start()?;
        let (stderr, child_stderr) = Captured::start()?;
        let mut command = Command::new(program);
        command
            .args(args)
            .env_clear()
            .envs(environment)
            .stdin(Stdio::null())
            .stdout(child_stdout)
            .stderr(child_stderr)
            .kill_on_drop(true);
        if let Some(dir) = working_dir {
            command.current_dir(dir);
        }
        let spawned_at = Instant::now();
        let child = command.spawn()?;
        // `command` (and with it our copy of the process's ends) is dropped on return, so the
        // streams end when the process does.
        Ok(Self { child, spawned_at, exit: None, stdout, stderr })
    }

    pub(crate) fn spawned_at(&self) -> Instant {
        self.spawned_at
    }

    pub(crate) fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Resolves when the process has ended. Cancel safe.
    pub(crate) async fn exited(&mut self) -> ExitStatus {
        match self.exit {
            Some(status) => status,
            None => match self.child.wait().await {
                Ok(status) => *self.exit.insert(status),
                // Only possible when the child was reaped elsewhere: it is gone, its status unknown;
                // reported as killed rather than as a success.
                Err(_) => *self.exit.insert(ExitStatus::from_raw(KILLED_BY_SIGKILL)),
            },
        }
    }

    /// Kills the process (as Lambda stops a timed-out environment) and waits for it.
    pub(crate) async fn stop(&mut self) -> ExitStatus {
        if self.exit.is_none() {
            let _ = self.child.start_kill();
        }
        self.exited().await
    }

    /// Everything written to standard output up to this call.
    pub(crate) fn stdout(&self) -> String {
        self.stdout.text()
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.text()
    }
}
