//! The least a function of this project can do: the same runtime (`lambda_http` on a multi-thread
//! tokio runtime, as every function's `main`), aws-config loaded from the Lambda environment, a
//! DynamoDB client built with the SDK's defaults, and one `GetItem` per request. No logging set-up,
//! no adapters, no time budget. `infra/bench.sh` compares every function's cold start with this one.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let table = std::env::var("TABLE_NAME").map_err(|_| "environment variable TABLE_NAME is not set")?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    lambda_http::run(service_fn(|_: Request| {
        let (client, table) = (&client, &table);
        async move {
            let read = client
                .get_item()
                .table_name(table)
                .key("PK", AttributeValue::S("BENCH#FLOOR".to_owned()))
                .key("SK", AttributeValue::S("FLOOR".to_owned()))
                .send()
                .await?;
            let found = read.item.is_some();
            let response = Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::from(format!(r#"{{"found":{found}}}"#)))?;
            Ok::<_, Error>(response)
        }
    }))
    .await
}
