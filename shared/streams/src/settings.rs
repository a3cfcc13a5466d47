//! How Lambda feeds each consumer, declared once here: `template.yaml` states the same values on
//! every stream event source (a test holds them equal) and the local gateway applies them.

/// Records per invocation at most.
pub const BATCH_SIZE: u32 = 25;
/// Retries of a failing batch before it goes to the on-failure destination (the queue
/// `StreamFailuresQueue`): enough to outlast a short outage with Lambda's backoff, few enough that
/// one poisoned record does not hold its shard for long.
pub const MAXIMUM_RETRY_ATTEMPTS: u32 = 5;
/// A failing batch is split in two and each half retried, so one bad record cannot hold good ones.
pub const BISECT_BATCH_ON_FUNCTION_ERROR: bool = true;
/// Records older than this are not retried any more (they go to the on-failure destination).
pub const MAXIMUM_RECORD_AGE_SECONDS: u32 = 3600;
