//! The command line: `conduit-migrate (status | up [--dry-run]) --table NAME [--segments N]`.

pub const USAGE: &str = "usage: conduit-migrate status --table NAME\n       conduit-migrate up [--dry-run] --table NAME [--segments N]\n\
AWS settings come from the environment (AWS_REGION, credentials, AWS_ENDPOINT_URL).";

/// Parallel scan segments are capped so a checkpointed run's records fit one transaction.
const MAX_SEGMENTS: u32 = 64;

#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Status,
    Up,
    DryRun,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Command {
    pub action: Action,
    pub table: String,
    pub segments: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Help,
    Usage(String),
}

pub fn parse(mut arguments: impl Iterator<Item = String>) -> Result<Command, Refusal> {
    let action = match arguments.next().as_deref() {
        Some("status") => Action::Status,
        Some("up") => Action::Up,
        Some("-h" | "--help" | "help") => return Err(Refusal::Help),
        Some(other) => return Err(Refusal::Usage(format!("unknown command {other:?}"))),
        None => return Err(Refusal::Usage("a command is needed".into())),
    };
    let mut command = Command { action, table: String::new(), segments: 4 };
    while let Some(flag) = arguments.next() {
        let mut value = || arguments.next().ok_or_else(|| Refusal::Usage(format!("{flag} needs a value")));
        match flag.as_str() {
            "--table" => command.table = value()?,
            "--segments" => {
                let segments = value()?;
                command.segments =
                    segments.parse().ok().filter(|count| (1..=MAX_SEGMENTS).contains(count)).ok_or_else(|| {
                        Refusal::Usage(format!("--segments takes 1 to {MAX_SEGMENTS}, not {segments:?}"))
                    })?;
            }
            "--dry-run" if command.action == Action::Up => command.action = Action::DryRun,
            "-h" | "--help" => return Err(Refusal::Help),
            other => return Err(Refusal::Usage(format!("unknown option {other}"))),
        }
    }
    if command.table.is_empty() {
        return Err(Refusal::Usage("--table is required".into()));
    }
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(arguments: &[&str]) -> Result<Command, Refusal> {
        parse(arguments.iter().map(|argument| (*argument).to_owned()))
    }

    #[test]
    fn the_three_actions_are_understood() {
        assert_eq!(parsed(&["status", "--table", "t1"]).map(|command| command.action), Ok(Action::Status));
        assert_eq!(parsed(&["up", "--table", "t1"]).map(|command| command.action), Ok(Action::Up));
        assert_eq!(
            parsed(&["up", "--dry-run", "--table", "t1", "--segments", "8"]),
            Ok(Command { action: Action::DryRun, table: "t1".into(), segments: 8 })
        );
    }

    #[test]
    fn a_wrong_command_line_says_what_is_wrong() {
        let problem = |arguments: &[&str]| match parsed(arguments) {
            Err(Refusal::Usage(problem)) => problem,
            other => panic!("{arguments:?} gave {other:?}"),
        };
        assert_eq!(problem(&[]), "a command is needed");
        assert_eq!(problem(&["down", "--table", "t"]), r#"unknown command "down""#);
        assert_eq!(problem(&["status"]), "--table is required");
        assert_eq!(problem(&["status", "--dry-run", "--table", "t"]), "unknown option --dry-run");
        assert_eq!(problem(&["up", "--table", "t", "--segments", "0"]), r#"--segments takes 1 to 64, not "0""#);
        assert_eq!(parsed(&["--help"]), Err(Refusal::Help));
    }
}
