//! How every command the project ships starts and ends. A failure is one line on standard error,
//! the error with its causes (`add-comment: environment variable TABLE_NAME is not set`), and a
//! non-zero exit status; for a Lambda function, Lambda then reports an init error (`Runtime.ExitError`)
//! with that line in the function's log.

use std::error::Error;
use std::fmt;
use std::process::ExitCode;

/// Whatever stopped a command (the Lambda runtime's own error type is the same box).
pub type Failure = Box<dyn Error + Send + Sync>;

/// The exit status of a command that ran to `outcome`; prints the failure line when it failed.
pub fn exit_code(command: &str, outcome: Result<(), Failure>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure_line(command, failure.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// `<command>: <error>: <cause>: ...`, on one line.
pub fn failure_line(command: &str, error: &(dyn Error + 'static)) -> String {
    format!("{command}: {}", one_line(error))
}

/// `<error>: <cause>: ...`, on one line: a message a log line or an answer carries whole.
pub fn one_line(error: &(dyn Error + 'static)) -> String {
    ErrorChain(error).to_string().replace(['\n', '\r'], " ")
}

/// The variables the Lambda runtime client reads at start. It panics without them, a multi-line
/// message naming none of this; a function started outside Lambda is told which one is missing.
pub fn require_lambda_environment() -> Result<(), NotInLambda> {
    const REQUIRED: [&str; 4] = [
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    ];
    for variable in REQUIRED {
        if std::env::var_os(variable).is_none() {
            return Err(NotInLambda(variable));
        }
    }
    match std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").ok().and_then(|size| size.parse::<i32>().ok()) {
        Some(_) => Ok(()),
        None => Err(NotInLambda("AWS_LAMBDA_FUNCTION_MEMORY_SIZE (a number)")),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("not running in AWS Lambda: environment variable {0} is not set")]
pub struct NotInLambda(&'static str);

/// The Lambda runtime client's own errors say what failed ("tcp connect error") but not where.
pub fn runtime_stopped(cause: Failure) -> Failure {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_default();
    Box::new(RuntimeStopped { api, cause })
}

#[derive(Debug, thiserror::Error)]
#[error("the Lambda Runtime API at {api} failed")]
struct RuntimeStopped {
    api: String,
    #[source]
    cause: Failure,
}

/// Displays an error with all its sources: "DynamoDB GetItem failed: dispatch failure: ...". A
/// cause whose text the error before it already shows (errors that print their source themselves)
/// is not repeated.
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.to_string();
        f.write_str(&shown)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !text.is_empty() && !shown.contains(&text) {
                write!(f, ": {text}")?;
                shown = text;
            }
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{message}")]
    struct Layer {
        message: &'static str,
        #[source]
        source: Option<Box<Layer>>,
    }

    fn layers(messages: &[&'static str]) -> Layer {
        messages
            .iter()
            .rev()
            .fold(None, |source, message| Some(Layer { message, source: source.map(Box::new) }))
            .unwrap()
    }

    #[test]
    fn a_failure_is_one_line_naming_the_command_and_every_cause() {
        let error = layers(&["could not create the table", "dispatch failure", "Connection refused (os error 111)"]);

        assert_eq!(
            failure_line("conduit-local", &error),
            "conduit-local: could not create the table: dispatch failure: Connection refused (os error 111)"
        );
    }

    #[test]
    fn a_cause_the_error_already_shows_is_not_repeated_and_newlines_become_spaces() {
        let error = layers(&["bad input: line one\nline two", "line one\nline two"]);

        assert_eq!(failure_line("x", &error), "x: bad input: line one line two");
    }
}
