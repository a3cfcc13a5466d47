//! Whole-number settings from the environment, each optional with a default and an allowed
//! range: the one rule every limit's variable follows (abuse, read and chunk limits).

use std::ops::RangeInclusive;

/// A variable set to something other than a whole number in its range: start-up fails naming it.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name} must be a whole number from {min} to {max}, not {value:?}")]
pub struct OutOfRange {
    name: &'static str,
    value: String,
    min: u64,
    max: u64,
}

/// The value `variable` gives `name`, or `default` when it gives none.
pub(crate) fn read(
    variable: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    range: RangeInclusive<u64>,
) -> Result<u64, OutOfRange> {
    let Some(value) = variable(name) else { return Ok(default) };
    match value.trim().parse::<u64>() {
        Ok(parsed) if range.contains(&parsed) => Ok(parsed),
        _ => Err(OutOfRange { name, value, min: *range.start(), max: *range.end() }),
    }
}

/// Like [`read`], for a count of things (`usize`).
pub(crate) fn read_count(
    variable: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: usize,
    range: RangeInclusive<usize>,
) -> Result<usize, OutOfRange> {
    let widen = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let value = read(variable, name, widen(default), widen(*range.start())..=widen(*range.end()))?;
    // Within a range of `usize` values, so it fits.
    Ok(usize::try_from(value).unwrap_or(usize::MAX))
}

/// The variables of a test, as `from_variables` functions take them.
#[cfg(test)]
pub(crate) fn environment<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_no_value_when_read_then_the_default_holds() {
        assert_eq!(read(&environment(&[]), "N", 7, 1..=10).expect("default"), 7);
    }

    #[test]
    fn given_values_at_and_past_the_bounds_when_read_then_only_those_within_are_taken() {
        assert_eq!(read(&environment(&[("N", " 10 ")]), "N", 7, 1..=10).expect("in range"), 10);
        for bad in ["0", "11", "-1", "many", ""] {
            let error = read(&environment(&[("N", bad)]), "N", 7, 1..=10).expect_err(bad);
            assert_eq!(
                error.to_string(),
                format!("environment variable N must be a whole number from 1 to 10, not {bad:?}")
            );
        }
    }
}
