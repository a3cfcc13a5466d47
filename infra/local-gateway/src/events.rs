//! The JSON events API Gateway sends (HTTP API, payload format 2.0), built from a local request.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use serde_json::{Value, json};

/// What the gateway knows about an incoming request, before routing.
pub struct IncomingRequest {
    pub method: String,
    pub raw_path: String,
    pub raw_query: String,
    /// Lower-cased names; repeated headers joined with commas, as API Gateway does.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub source_ip: String,
    pub request_id: String,
}

impl IncomingRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    fn query_parameters(&self) -> BTreeMap<String, String> {
        let mut parameters: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(self.raw_query.as_bytes()) {
            let (name, value) = (name.into_owned(), value.into_owned());
            parameters.entry(name).and_modify(|joined| joined.push_str(&format!(",{value}"))).or_insert(value);
        }
        parameters
    }

    fn cookies(&self) -> Vec<String> {
        self.header("cookie")
            .map(|cookies| cookies.split(';').map(|c| c.trim().to_owned()).collect())
            .unwrap_or_default()
    }

    fn request_context(&self, route_key: &str, authorizer: Option<&Value>) -> Value {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let mut context = json!({
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": self.header("host").unwrap_or("127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": self.method,
                "path": self.raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": self.source_ip,
                "userAgent": self.header("user-agent").unwrap_or_default(),
            },
            "requestId": self.request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": "",
            "timeEpoch": now.as_millis() as u64,
        });
        if let Some(authorizer_context) = authorizer {
            context["authorizer"] = json!({ "lambda": authorizer_context });
        }
        context
    }

    /// The event of an HTTP function invocation.
    pub fn function_event(
        &self,
        route_key: &str,
        path_parameters: &HashMap<String, String>,
        authorizer: Option<&Value>,
    ) -> Value {
        let (body, is_base64_encoded) = match std::str::from_utf8(&self.body) {
            Ok(text) => (text.to_owned(), false),
            Err(_) => (BASE64_STANDARD.encode(&self.body), true),
        };
        let mut event = json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": self.raw_path,
            "rawQueryString": self.raw_query,
            "headers": self.headers,
            "requestContext": self.request_context(route_key, authorizer),
            "isBase64Encoded": is_base64_encoded,
        });
        let cookies = self.cookies();
        if !cookies.is_empty() {
            event["cookies"] = json!(cookies);
        }
        let query = self.query_parameters();
        if !query.is_empty() {
            event["queryStringParameters"] = json!(query);
        }
        if !path_parameters.is_empty() {
            event["pathParameters"] = json!(path_parameters);
        }
        if !self.body.is_empty() {
            event["body"] = json!(body);
        }
        event
    }

    /// The event of a Lambda REQUEST authorizer invocation (payload 2.0).
    pub fn authorizer_event(
        &self,
        route_key: &str,
        identity: &str,
        path_parameters: &HashMap<String, String>,
    ) -> Value {
        json!({
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": format!("arn:aws:execute-api:us-east-1:000000000000:local/$default/{}", route_key.replacen(' ', "", 1)),
            "identitySource": [identity],
            "routeKey": route_key,
            "rawPath": self.raw_path,
            "rawQueryString": self.raw_query,
            "headers": self.headers,
            "queryStringParameters": self.query_parameters(),
            "pathParameters": path_parameters,
            "requestContext": self.request_context(route_key, None),
        })
    }
}

/// A request as the gateway's unit tests build it.
#[cfg(test)]
pub(crate) fn test_request(method: &str, path: &str, headers: &[(&str, &str)]) -> IncomingRequest {
    IncomingRequest {
        method: method.into(),
        raw_path: path.into(),
        raw_query: String::new(),
        headers: headers.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect(),
        body: Vec::new(),
        source_ip: "127.0.0.1".into(),
        request_id: "r1".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> IncomingRequest {
        IncomingRequest {
            method: "GET".into(),
            raw_path: "/api/articles".into(),
            raw_query: query.into(),
            headers: BTreeMap::from([("host".into(), "127.0.0.1:3000".into())]),
            body: Vec::new(),
            source_ip: "127.0.0.1".into(),
            request_id: "r1".into(),
        }
    }

    #[test]
    fn repeated_query_parameters_are_joined_and_decoded() {
        let event = request("tag=a%20b&tag=c&limit=5&flag").function_event("GET /api/articles", &HashMap::new(), None);

        assert_eq!(event["queryStringParameters"], json!({"tag": "a b,c", "limit": "5", "flag": ""}));
        assert_eq!(event["rawQueryString"], "tag=a%20b&tag=c&limit=5&flag");
    }

    #[test]
    fn binary_bodies_are_base64_encoded() {
        let mut binary = request("");
        binary.body = b"\xff\x00a".to_vec();

        let event = binary.function_event("POST /api/users", &HashMap::new(), None);

        assert_eq!(event["body"], "/wBh");
        assert_eq!(event["isBase64Encoded"], true);
    }
}
