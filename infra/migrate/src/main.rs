//! `conduit-migrate`: where a table stands (`status`), and applying what is pending (`up`, or
//! `up --dry-run` to see what it would rewrite). AWS settings come from the environment as for
//! any AWS tool (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL` for DynamoDB Local), the time
//! budget of each call from the same variables as the functions'. Exit status 0 on success, 1 on
//! a failure (one line on stderr), 2 on a wrong command line.

mod command_line;
mod report;

use std::process::ExitCode;

use conduit_aws::TimeBudget;
use conduit_migrations::{Migrator, Settings};
use conduit_telemetry::process::{Failure, exit_code};

use crate::command_line::{Action, Refusal, USAGE};

const COMMAND: &str = "conduit-migrate";

#[tokio::main]
async fn main() -> ExitCode {
    let command = match command_line::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(Refusal::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(Refusal::Usage(problem)) => {
            eprintln!("{COMMAND}: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    exit_code(COMMAND, run(command).await)
}

async fn run(command: command_line::Command) -> Result<(), Failure> {
    let budget = TimeBudget::from_env()?;
    let sdk = aws_config::load_from_env().await;
    let client = conduit_aws::clients::dynamodb(&sdk, &budget);
    let settings = Settings { segments: command.segments, ..Settings::default() };
    let migrator = Migrator::new(client, &command.table).with_settings(settings);
    let mut out = std::io::stdout().lock();
    match command.action {
        Action::Status => report::status(&mut out, migrator.table(), &migrator.status().await?)?,
        Action::DryRun => report::dry_run(&mut out, migrator.table(), &migrator.dry_run().await?)?,
        Action::Up => {
            let applied = migrator.up(&|progress| eprintln!("{}", report::progress_line(progress))).await?;
            report::applied(&mut out, migrator.table(), &applied)?;
        }
    }
    Ok(())
}
