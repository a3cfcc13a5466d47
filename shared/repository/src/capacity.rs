use aws_sdk_dynamodb::types::ConsumedCapacity;

/// The calls that consume write capacity; all others read.
const WRITE_OPERATIONS: &[&str] = &["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"];

/// Hands what DynamoDB reports for a call to the request's capacity meter. Every call asks for
/// `ReturnConsumedCapacity::Total`, which costs nothing extra. With `TOTAL`, DynamoDB (and
/// DynamoDB Local) may report only the combined `CapacityUnits`; it is then booked as read or
/// write by the kind of operation.
pub(crate) fn record<'a>(operation: &'static str, reports: impl IntoIterator<Item = &'a ConsumedCapacity>) {
    let writes = WRITE_OPERATIONS.contains(&operation);
    let (mut read_units, mut write_units) = (0.0, 0.0);
    for report in reports {
        match (report.read_capacity_units(), report.write_capacity_units()) {
            (None, None) => {
                let total = report.capacity_units().unwrap_or_default();
                if writes {
                    write_units += total;
                } else {
                    read_units += total;
                }
            }
            (read, write) => {
                read_units += read.unwrap_or_default();
                write_units += write.unwrap_or_default();
            }
        }
    }
    conduit_telemetry::capacity::record(operation, read_units, write_units);
}
