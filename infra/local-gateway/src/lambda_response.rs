//! A function's answer as it travels back to API Gateway: the handler's `Response` becomes the
//! payload format 2.0 response JSON that `lambda_http` posts to Lambda's Runtime API (status,
//! headers, `Set-Cookie` values under `cookies`, the body, in base64 when binary), and API Gateway
//! builds the client's answer from that JSON. Lambda measures that JSON against its limit on a
//! synchronous response ("Lambda quotas", invocation payload: 6 MB,
//! https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html); the Runtime API
//! refuses a bigger one with "Exceeded maximum allowed payload size (6291556 bytes)", which is
//! the exact figure: 6 MiB and 100 bytes.

use std::io;

use conduit_http::Body;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::http::header::SET_COOKIE;

use crate::gateway_response::GatewayResponse;

/// Lambda's limit on the response of a synchronous invocation, in bytes of the response JSON.
pub const LAMBDA_RESPONSE_LIMIT_BYTES: usize = 6_291_556;

/// The response JSON of one invocation (payload format 2.0).
#[derive(Debug)]
pub(crate) struct LambdaResponse(ApiGatewayV2httpResponse);

impl LambdaResponse {
    /// The JSON `lambda_http` makes of the handler's answer for an HTTP API event.
    pub(crate) fn from_handler(response: lambda_http::Response<Body>) -> Self {
        let (parts, body) = response.into_parts();
        let mut headers = parts.headers;
        let cookies =
            headers.get_all(SET_COOKIE).iter().filter_map(|value| value.to_str().ok()).map(str::to_owned).collect();
        headers.remove(SET_COOKIE);
        let mut payload = ApiGatewayV2httpResponse::default();
        payload.status_code = i64::from(parts.status.as_u16());
        payload.headers = headers;
        payload.cookies = cookies;
        payload.is_base64_encoded = matches!(body, Body::Binary(_));
        payload.body = match body {
            Body::Empty => None,
            body => Some(body),
        };
        Self(payload)
    }

    /// Its size as Lambda measures it: the bytes of the serialized JSON.
    pub(crate) fn size(&self) -> Result<usize, serde_json::Error> {
        let mut counter = ByteCounter(0);
        serde_json::to_writer(&mut counter, &self.0)?;
        Ok(counter.0)
    }

    /// The answer API Gateway gives the client for this response.
    pub(crate) fn into_gateway_response(self) -> GatewayResponse {
        let payload = self.0;
        let mut headers: Vec<(String, String)> = payload
            .headers
            .iter()
            .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
            .collect();
        headers.extend(payload.cookies.into_iter().map(|cookie| (SET_COOKIE.as_str().to_owned(), cookie)));
        let body = match payload.body {
            Some(Body::Text(text)) => text.into_bytes(),
            Some(Body::Binary(bytes)) => bytes,
            _ => Vec::new(),
        };
        let status = u16::try_from(payload.status_code).unwrap_or(500);
        GatewayResponse { status, headers, body, route_key: None, function: None }
    }
}

/// Counts what is written, keeping none of it: a response near the limit is measured without a
/// second copy of its 6 MB.
struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: Body) -> lambda_http::Response<Body> {
        lambda_http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("set-cookie", "a=1")
            .body(body)
            .expect("a response")
    }

    #[test]
    fn the_size_is_the_length_of_the_json_lambda_http_posts() {
        let response = LambdaResponse::from_handler(answer(Body::Text("{\"x\":\"\\\"\"}".into())));

        let json = serde_json::to_string(&response.0).expect("serialized");

        assert_eq!(response.size().expect("measured"), json.len());
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).expect("JSON"),
            serde_json::json!({
                "statusCode": 200, "headers": {"content-type": "application/json"}, "multiValueHeaders": {},
                "body": "{\"x\":\"\\\"\"}", "isBase64Encoded": false, "cookies": ["a=1"]
            })
        );
    }

    #[test]
    fn a_binary_body_counts_as_its_base64() {
        let text = LambdaResponse::from_handler(answer(Body::Text("abcdef".into()))).size().expect("measured");
        let binary = LambdaResponse::from_handler(answer(Body::Binary(b"abcdef".to_vec()))).size().expect("measured");

        let base64_longer = "YWJjZGVm".len() - "abcdef".len();
        let true_shorter_than_false = "false".len() - "true".len();
        assert_eq!(binary, text + base64_longer - true_shorter_than_false);
    }

    #[test]
    fn the_client_gets_the_status_headers_cookies_and_body() {
        let answer = LambdaResponse::from_handler(answer(Body::Binary(vec![0xff, 0]))).into_gateway_response();

        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.headers,
            [("content-type".to_owned(), "application/json".to_owned()), ("set-cookie".to_owned(), "a=1".to_owned())]
        );
        assert_eq!(answer.body, [0xff, 0]);
    }
}
