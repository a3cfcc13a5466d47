use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::capacity::ConsumedCapacityMeter;
use crate::keys::{PARTITION_KEY, SORT_KEY};

/// The table every repository works on: a client (cheap to clone, built once per container), the
/// table's name, and the meter that adds up what the calls of the current request consumed.
#[derive(Clone, Debug)]
pub struct Table {
    pub(crate) client: Client,
    pub(crate) name: Arc<str>,
    pub(crate) meter: ConsumedCapacityMeter,
}

impl Table {
    pub fn new(client: Client, name: impl Into<Arc<str>>) -> Self {
        Self {
            client,
            name: name.into(),
            meter: ConsumedCapacityMeter::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn meter(&self) -> &ConsumedCapacityMeter {
        &self.meter
    }

    pub(crate) fn key((partition, sort): (String, String)) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PARTITION_KEY.to_owned(), AttributeValue::S(partition)),
            (SORT_KEY.to_owned(), AttributeValue::S(sort)),
        ])
    }
}
