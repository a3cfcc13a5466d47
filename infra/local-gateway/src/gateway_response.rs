//! What the gateway sends back to a client: a function's answer, or API Gateway's own.

/// A response as the gateway sends it back to the client.
#[derive(Debug, Clone)]
pub struct GatewayResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The route API Gateway selected (`$context.routeKey` in its access log): a route's key or
    /// `$default`; `None` when nothing matched and API Gateway answered by itself.
    pub route_key: Option<String>,
    /// The function whose answer this is; `None` for API Gateway's own answers.
    pub function: Option<String>,
}

impl GatewayResponse {
    /// API Gateway's own answers (not a function's), with its `{"message": ...}` body.
    pub(crate) fn from_gateway(status: u16, message: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::json!({ "message": message }).to_string().into_bytes(),
            route_key: None,
            function: None,
        }
    }
}
