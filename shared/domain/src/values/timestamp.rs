use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::validation::InvalidValue;

/// A UTC instant with millisecond precision: the precision the API shows (`2016-02-18T03:22:56.637Z`),
/// kept internally too so what is stored, compared and rendered is the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    fn from_datetime(datetime: OffsetDateTime) -> Self {
        let millis = datetime.millisecond();
        let truncated = datetime.replace_millisecond(millis).unwrap_or(datetime);
        Self(truncated.to_offset(time::UtcOffset::UTC))
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, always with the three fraction digits.
    pub fn to_iso8601(&self) -> String {
        let d = self.0;
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second(),
            d.millisecond()
        )
    }

    pub fn parse_iso8601(raw: &str) -> Result<Self, InvalidValue> {
        OffsetDateTime::parse(raw, &Rfc3339).map(Self::from_datetime).map_err(|_| InvalidValue::invalid())
    }

    pub fn unix_seconds(&self) -> i64 {
        self.0.unix_timestamp()
    }

    /// Milliseconds since the Unix epoch: how small stored records (throttling state) keep instants.
    pub fn unix_millis(&self) -> i64 {
        i64::try_from(self.0.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }

    /// The instant `millis` after the Unix epoch (clamped to the representable range).
    pub fn from_unix_millis(millis: i64) -> Self {
        let datetime = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Self::from_datetime(datetime)
    }

    /// How long after `earlier` this instant is; zero when it is not after it.
    pub fn since(&self, earlier: Timestamp) -> std::time::Duration {
        (self.0 - earlier.0).try_into().unwrap_or_default()
    }

    /// The instant `duration` later (saturating at the far future rather than failing).
    pub fn plus(&self, duration: std::time::Duration) -> Self {
        Self(self.0.checked_add(duration.try_into().unwrap_or(time::Duration::MAX)).unwrap_or(self.0))
    }

    /// The instant `duration` earlier.
    pub fn minus(&self, duration: std::time::Duration) -> Self {
        Self(self.0.checked_sub(duration.try_into().unwrap_or(time::Duration::MAX)).unwrap_or(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_milliseconds_even_when_they_are_zero() {
        let stamp = Timestamp::parse_iso8601("2016-02-18T03:22:56Z").expect("valid");
        assert_eq!(stamp.to_iso8601(), "2016-02-18T03:22:56.000Z");
    }

    #[test]
    fn drops_sub_millisecond_precision_and_round_trips() {
        let stamp = Timestamp::parse_iso8601("2016-02-18T03:22:56.637891+00:00").expect("valid");
        assert_eq!(stamp.to_iso8601(), "2016-02-18T03:22:56.637Z");
        assert_eq!(Timestamp::parse_iso8601(&stamp.to_iso8601()), Ok(stamp));
    }
}
