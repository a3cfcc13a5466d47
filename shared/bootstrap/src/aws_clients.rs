//! Every AWS client a function uses is built here, so each gets the same treatment: the AWS call
//! log when it is switched on (see [`crate::aws_call_log`]).

use aws_config::SdkConfig;

use crate::aws_call_log;

pub fn dynamodb(sdk: &SdkConfig) -> aws_sdk_dynamodb::Client {
    let mut config = aws_sdk_dynamodb::config::Builder::from(sdk);
    if let Some(interceptor) = aws_call_log::interceptor("dynamodb") {
        config = config.interceptor(interceptor);
    }
    aws_sdk_dynamodb::Client::from_conf(config.build())
}

pub fn secrets_manager(sdk: &SdkConfig) -> aws_sdk_secretsmanager::Client {
    let mut config = aws_sdk_secretsmanager::config::Builder::from(sdk);
    if let Some(interceptor) = aws_call_log::interceptor("secretsmanager") {
        config = config.interceptor(interceptor);
    }
    aws_sdk_secretsmanager::Client::from_conf(config.build())
}
