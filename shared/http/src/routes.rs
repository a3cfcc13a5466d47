//! The route table: the one list of (method, path, function, authentication) in the project.
//! `template.yaml`, the local gateway, the OpenAPI document and the sample events are checked
//! against it by tests.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone may call.
    None,
    /// A token personalises the answer; a bad token is still refused (401).
    Optional,
    /// The Lambda authorizer runs first; a missing header never reaches the function.
    Required,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// API Gateway route syntax: `/api/profiles/{username}`.
    pub path: &'static str,
    /// The function (crate and binary name) that serves it.
    pub function: &'static str,
    pub auth: Auth,
}

/// The function behind the Lambda REQUEST authorizer.
pub const AUTHORIZER_FUNCTION: &str = "authorizer";
/// The function behind API Gateway's `$default` route: whatever matches no route.
pub const FALLBACK_FUNCTION: &str = "route-not-found";

pub const ROUTES: &[Route] = &[
    Route { method: "POST", path: "/api/users", function: "register-user", auth: Auth::None },
    Route { method: "POST", path: "/api/users/login", function: "login-user", auth: Auth::None },
    Route { method: "GET", path: "/api/user", function: "get-current-user", auth: Auth::Required },
    Route { method: "PUT", path: "/api/user", function: "update-current-user", auth: Auth::Required },
    Route { method: "DELETE", path: "/api/user/sessions", function: "revoke-sessions", auth: Auth::Required },
    Route { method: "POST", path: "/api/users/password-reset", function: "request-password-reset", auth: Auth::None },
    Route {
        method: "POST",
        path: "/api/users/password-reset/confirm",
        function: "confirm-password-reset",
        auth: Auth::None,
    },
    Route { method: "GET", path: "/api/profiles/{username}", function: "get-profile", auth: Auth::Optional },
    Route { method: "POST", path: "/api/profiles/{username}/follow", function: "follow-user", auth: Auth::Required },
    Route {
        method: "DELETE",
        path: "/api/profiles/{username}/follow",
        function: "unfollow-user",
        auth: Auth::Required,
    },
    Route { method: "GET", path: "/api/articles", function: "list-articles", auth: Auth::Optional },
    Route { method: "GET", path: "/api/articles/feed", function: "feed-articles", auth: Auth::Required },
    Route { method: "GET", path: "/api/articles/{slug}", function: "get-article", auth: Auth::Optional },
    Route { method: "POST", path: "/api/articles", function: "create-article", auth: Auth::Required },
    Route { method: "PUT", path: "/api/articles/{slug}", function: "update-article", auth: Auth::Required },
    Route { method: "DELETE", path: "/api/articles/{slug}", function: "delete-article", auth: Auth::Required },
    Route { method: "POST", path: "/api/articles/{slug}/comments", function: "add-comment", auth: Auth::Required },
    Route { method: "GET", path: "/api/articles/{slug}/comments", function: "list-comments", auth: Auth::Optional },
    Route {
        method: "DELETE",
        path: "/api/articles/{slug}/comments/{id}",
        function: "delete-comment",
        auth: Auth::Required,
    },
    Route { method: "POST", path: "/api/articles/{slug}/favorite", function: "favorite-article", auth: Auth::Required },
    Route {
        method: "DELETE",
        path: "/api/articles/{slug}/favorite",
        function: "unfavorite-article",
        auth: Auth::Required,
    },
    Route { method: "GET", path: "/api/tags", function: "list-tags", auth: Auth::None },
    Route { method: "GET", path: "/api/openapi.json", function: "get-openapi", auth: Auth::None },
    Route { method: "GET", path: "/api/docs", function: "get-docs", auth: Auth::None },
];

impl Route {
    /// API Gateway's route key, e.g. `GET /api/user`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The path parameters when `path` matches this route's template. Segments are compared
    /// case-sensitively, like API Gateway does.
    pub fn match_path(&self, path: &str) -> Option<HashMap<String, String>> {
        let template: Vec<&str> = self.path.trim_matches('/').split('/').collect();
        let actual: Vec<&str> = path.trim_matches('/').split('/').collect();
        if template.len() != actual.len() {
            return None;
        }
        let mut parameters = HashMap::new();
        for (expected, segment) in template.iter().zip(&actual) {
            match expected.strip_prefix('{').and_then(|name| name.strip_suffix('}')) {
                Some(_) if segment.is_empty() => return None,
                Some(name) => {
                    parameters.insert(name.to_owned(), percent_decode(segment));
                }
                None if expected != segment => return None,
                None => {}
            }
        }
        Some(parameters)
    }

    fn literal_segments(&self) -> usize {
        self.path.split('/').filter(|segment| !segment.starts_with('{')).count()
    }
}

/// Finds the route for a request as API Gateway does: the most specific match wins, so
/// `/api/articles/feed` beats `/api/articles/{slug}`.
pub fn find(method: &str, path: &str) -> Option<(&'static Route, HashMap<String, String>)> {
    ROUTES
        .iter()
        .filter(|route| route.method.eq_ignore_ascii_case(method))
        .filter_map(|route| route.match_path(path).map(|parameters| (route, parameters)))
        .max_by_key(|(route, _)| route.literal_segments())
}

/// A CORS preflight as API Gateway recognises one: `OPTIONS` with both an `Origin` and an
/// `Access-Control-Request-Method` header ("Configure CORS for HTTP APIs in API Gateway",
/// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html). `header`
/// looks a request header up by its lower-case name.
pub fn is_cors_preflight<'a>(method: &str, header: impl Fn(&str) -> Option<&'a str>) -> bool {
    method.eq_ignore_ascii_case("OPTIONS")
        && header("origin").is_some()
        && header("access-control-request-method").is_some()
}

/// Decodes `%XX` escapes in a path segment (API Gateway hands functions decoded parameters).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_unique_by_method_and_path() {
        let mut keys: Vec<String> = ROUTES.iter().map(Route::key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), ROUTES.len());
    }

    #[test]
    fn matching_extracts_decoded_parameters_and_prefers_literals() {
        let route = Route { method: "GET", path: "/api/profiles/{username}", function: "f", auth: Auth::None };
        let parameters = route.match_path("/api/profiles/jake%20doe").expect("matches");
        assert_eq!(parameters["username"], "jake doe");
        assert!(route.match_path("/api/profiles/").is_none());
        assert!(route.match_path("/api/profiles/jake/follow").is_none());
    }

    #[test]
    fn a_preflight_is_an_options_request_with_origin_and_requested_method() {
        fn headers<'a>(sent: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
            move |name| sent.iter().find(|(key, _)| *key == name).map(|(_, value)| *value)
        }
        let browser = [("origin", "https://app.example.com"), ("access-control-request-method", "PUT")];

        assert!(is_cors_preflight("OPTIONS", headers(&browser)));
        assert!(!is_cors_preflight("OPTIONS", headers(&browser[..1])));
        assert!(!is_cors_preflight("OPTIONS", headers(&browser[1..])));
        assert!(!is_cors_preflight("PUT", headers(&browser)));
    }

    #[test]
    fn an_unknown_path_or_method_finds_nothing() {
        assert!(find("GET", "/api/users").is_none());
        assert!(find("DELETE", "/api/user").is_none());
        assert_eq!(find("get", "/api/user").map(|(route, _)| route.function), Some("get-current-user"));
    }
}

/// API-level settings that `template.yaml` declares and the local gateway applies.
pub mod api_settings {
    /// How long API Gateway reuses an authorizer answer for the same `Authorization` header.
    pub const AUTHORIZER_CACHE_TTL_SECONDS: u64 = 60;
    /// CORS: browsers on any origin may call; credentials travel in a header, not in cookies.
    pub const CORS_ALLOW_ORIGINS: &[&str] = &["*"];
    pub const CORS_ALLOW_HEADERS: &[&str] = &["authorization", "content-type", "idempotency-key"];
    pub const CORS_ALLOW_METHODS: &[&str] = &["DELETE", "GET", "OPTIONS", "POST", "PUT"];
    /// Response headers a browser lets a cross-origin script read beyond the CORS-safelisted ones:
    /// `Retry-After`, so a client can wait as long as a 503 or 429 asks, and `Idempotent-Replayed`,
    /// so it can tell a replayed answer from a new one.
    pub const CORS_EXPOSE_HEADERS: &[&str] = &["retry-after", "idempotent-replayed"];
    pub const CORS_MAX_AGE_SECONDS: u64 = 600;
}
