//! The OpenAPI 3.1 document of the API, generated from the route table and the request and
//! response types themselves (`utoipa` derives their schemas), so it cannot drift from the code.

use std::collections::BTreeMap;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, RefOr, Required,
    ResponseBuilder, Schema,
};
use utoipa::{PartialSchema, ToSchema};

use crate::dto::articles::{ArticleChangeFields, ArticleEnvelope, ArticleResponse, ArticlesResponse, NewArticleFields};
use crate::dto::comments::{CommentEnvelope, CommentResponse, CommentsResponse};
use crate::dto::profiles::ProfileResponse;
use crate::dto::tags::TagsResponse;
use crate::dto::users::{
    Accepted, LoginFields, PasswordResetConfirmFields, PasswordResetRequestFields, RegistrationFields, UpdateFields,
    UserEnvelope, UserResponse,
};
use crate::error_body::ErrorBody;
use crate::routes::{Auth, ROUTES, Route};

const TOKEN_SCHEME: &str = "Token";

/// The named schemas of the document, collected as operations refer to them.
#[derive(Default)]
struct Schemas(Vec<(String, RefOr<Schema>)>);

impl Schemas {
    /// A reference to `T`, registering it (and what it refers to) as a component.
    fn named<T: ToSchema>(&mut self) -> RefOr<Schema> {
        T::schemas(&mut self.0);
        self.0.push((T::name().into_owned(), T::schema()));
        Ref::from_schema_name(T::name()).into()
    }

    /// An envelope (`{"user": {...}}`) written out in place, since generic envelopes share one
    /// name, with the fields type it wraps registered.
    fn envelope<E: ToSchema, Fields: ToSchema>(&mut self) -> RefOr<Schema> {
        self.named::<Fields>();
        E::schemas(&mut self.0);
        E::schema()
    }
}

/// What one function takes and answers, beyond what the route table says.
struct Contract {
    summary: &'static str,
    request: Option<RefOr<Schema>>,
    success: (u16, &'static str, Option<RefOr<Schema>>),
    /// Refusals besides 401/404/422, which follow from the route itself.
    forbidden: bool,
}

fn contract(function: &str, schemas: &mut Schemas) -> Option<Contract> {
    let plain = |summary, request: Option<RefOr<Schema>>, status, response: Option<RefOr<Schema>>| Contract {
        summary,
        request,
        success: (status, status_text(status), response),
        forbidden: false,
    };
    let contract = match function {
        "register-user" => {
            let request = schemas.envelope::<UserEnvelope<RegistrationFields>, RegistrationFields>();
            let response = schemas.named::<UserResponse>();
            plain("Register a new user", Some(request), 201, Some(response))
        }
        "login-user" => {
            let request = schemas.envelope::<UserEnvelope<LoginFields>, LoginFields>();
            let response = schemas.named::<UserResponse>();
            plain("Log in: exchange e-mail and password for a token", Some(request), 200, Some(response))
        }
        "get-current-user" => plain("The current user", None, 200, Some(schemas.named::<UserResponse>())),
        "update-current-user" => {
            let request = schemas.envelope::<UserEnvelope<UpdateFields>, UpdateFields>();
            let response = schemas.named::<UserResponse>();
            plain(
                "Update the current user (any of its fields; null clears bio and image)",
                Some(request),
                200,
                Some(response),
            )
        }
        "revoke-sessions" => {
            plain("Sign out everywhere: every token issued so far stops working, this one included", None, 204, None)
        }
        "request-password-reset" => {
            let request = schemas.envelope::<UserEnvelope<PasswordResetRequestFields>, PasswordResetRequestFields>();
            plain(
                "E-mail a one-time link to set a new password (the same answer whether or not the address has an account)",
                Some(request),
                202,
                Some(schemas.named::<Accepted>()),
            )
        }
        "confirm-password-reset" => {
            let request = schemas.envelope::<UserEnvelope<PasswordResetConfirmFields>, PasswordResetConfirmFields>();
            let response = schemas.named::<UserResponse>();
            plain(
                "Set a new password with the token of a reset link; revokes every earlier token",
                Some(request),
                200,
                Some(response),
            )
        }
        "get-profile" => plain("A user's profile", None, 200, Some(schemas.named::<ProfileResponse>())),
        "follow-user" => plain("Follow a user", None, 200, Some(schemas.named::<ProfileResponse>())),
        "unfollow-user" => plain("Stop following a user", None, 200, Some(schemas.named::<ProfileResponse>())),
        "list-articles" => plain("Articles, most recent first", None, 200, Some(schemas.named::<ArticlesResponse>())),
        "feed-articles" => plain(
            "Articles by followed authors, most recent first",
            None,
            200,
            Some(schemas.named::<ArticlesResponse>()),
        ),
        "get-article" => plain("One article", None, 200, Some(schemas.named::<ArticleResponse>())),
        "create-article" => {
            let request = schemas.envelope::<ArticleEnvelope<NewArticleFields>, NewArticleFields>();
            let response = schemas.named::<ArticleResponse>();
            plain("Publish an article", Some(request), 201, Some(response))
        }
        "update-article" => {
            let request = schemas.envelope::<ArticleEnvelope<ArticleChangeFields>, ArticleChangeFields>();
            let response = schemas.named::<ArticleResponse>();
            Contract {
                forbidden: true,
                ..plain("Edit an article (its author only)", Some(request), 200, Some(response))
            }
        }
        "delete-article" => {
            Contract { forbidden: true, ..plain("Delete an article (its author only)", None, 204, None) }
        }
        "add-comment" => {
            let request = schemas.named::<CommentEnvelope>();
            let response = schemas.named::<CommentResponse>();
            plain("Comment on an article", Some(request), 200, Some(response))
        }
        "list-comments" => plain("An article's comments", None, 200, Some(schemas.named::<CommentsResponse>())),
        "delete-comment" => {
            Contract { forbidden: true, ..plain("Delete a comment (its author only)", None, 204, None) }
        }
        "favorite-article" => plain("Favorite an article", None, 200, Some(schemas.named::<ArticleResponse>())),
        "unfavorite-article" => plain("Take a favorite back", None, 200, Some(schemas.named::<ArticleResponse>())),
        "list-tags" => plain("Tags in use, most used first", None, 200, Some(schemas.named::<TagsResponse>())),
        "get-openapi" => plain("This document", None, 200, None),
        "get-docs" => plain("A page that renders this document", None, 200, None),
        _ => return None,
    };
    Some(contract)
}

fn status_text(status: u16) -> &'static str {
    match status {
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        _ => "OK",
    }
}

fn method(route: &Route) -> HttpMethod {
    match route.method {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "DELETE" => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

fn json_response(description: &str, schema: Option<RefOr<Schema>>) -> utoipa::openapi::Response {
    let mut response = ResponseBuilder::new().description(description);
    if let Some(schema) = schema {
        response = response.content("application/json", ContentBuilder::new().schema(Some(schema)).build());
    }
    response.build()
}

fn operation(route: &Route, contract: Contract, errors: &RefOr<Schema>) -> Operation {
    let (status, description, response) = contract.success;
    let keyed = IDEMPOTENT_FUNCTIONS.contains(&route.function);
    let mut success = json_response(description, response);
    if keyed {
        let replayed = HeaderBuilder::new()
            .schema(String::schema())
            .description(Some(
                "`true` when this is the stored answer of an earlier request under the same Idempotency-Key",
            ))
            .build();
        success.headers.insert("Idempotent-Replayed".to_owned(), replayed);
    }
    let mut operation = OperationBuilder::new()
        .operation_id(Some(route.function))
        .summary(Some(contract.summary))
        .response(status.to_string(), success);
    for segment in route.path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')) {
        let parameter =
            ParameterBuilder::new().name(segment).parameter_in(ParameterIn::Path).required(Required::True).build();
        operation = operation.parameter(parameter);
    }
    let query_parameters: &[&str] = match route.function {
        "list-articles" => &["tag", "author", "favorited", "limit", "offset"],
        "feed-articles" => &["limit", "offset"],
        "list-comments" => &["limit", "after"],
        _ => &[],
    };
    for name in query_parameters {
        let parameter = ParameterBuilder::new()
            .name(*name)
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .schema(Some(String::schema()))
            .build();
        operation = operation.parameter(parameter);
    }
    if keyed {
        let parameter = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .schema(Some(String::schema()))
            .description(Some(IDEMPOTENCY_KEY_DESCRIPTION))
            .build();
        operation = operation
            .parameter(parameter)
            .response(
                "400",
                error_of(errors, "A malformed Idempotency-Key (empty, over 255 characters, not printable ASCII)"),
            )
            .response(
                "409",
                error_of(
                    errors,
                    "A request under the same Idempotency-Key is still in progress; Retry-After says when to come back",
                ),
            );
    }
    if let Some(request) = contract.request {
        let body = RequestBodyBuilder::new()
            .content("application/json", ContentBuilder::new().schema(Some(request)).build())
            .required(Some(Required::True))
            .build();
        operation = operation.request_body(Some(body));
    }
    let error = |text: &str| error_of(errors, text);
    match route.auth {
        Auth::Required => {
            operation = operation
                .security(SecurityRequirement::new(TOKEN_SCHEME, Vec::<String>::new()))
                .response("401", error("Missing, invalid, expired or revoked token"));
        }
        Auth::Optional => {
            operation = operation
                .security(SecurityRequirement::new(TOKEN_SCHEME, Vec::<String>::new()))
                .security(SecurityRequirement::default())
                .response("401", error("Invalid, expired or revoked token (a token is optional)"));
        }
        Auth::None if route.function == "login-user" => {
            operation = operation.response("401", error("Wrong e-mail or password"));
        }
        Auth::None => {}
    }
    if contract.forbidden {
        operation = operation.response("403", error("Not the author"));
    }
    if THROTTLED_FUNCTIONS.contains(&route.function) {
        operation = operation.response(
            "429",
            error("An abuse limit refused it: too many failed logins for the address, or too many such requests from the source; Retry-After says when to try again"),
        );
    }
    if WRITE_QUOTA_FUNCTIONS.contains(&route.function) {
        operation = operation.response(
            "429",
            error("The account's quota of such writes is used up for now; nothing was written; Retry-After says when to try again"),
        );
    }
    if route.path.contains('{') {
        operation = operation.response("404", error("Not found"));
    }
    if keyed {
        operation = operation.response(
            "422",
            error(
                "Invalid input, with every offending field, or an Idempotency-Key already used for a different request",
            ),
        );
    } else if route.method != "GET" && route.method != "DELETE" || route.function.ends_with("-articles") {
        operation = operation.response("422", error("Invalid input, with every offending field"));
    }
    operation.build()
}

fn error_of(errors: &RefOr<Schema>, text: &str) -> utoipa::openapi::Response {
    json_response(text, Some(errors.clone()))
}

/// The functions that take an `Idempotency-Key` (docs/idempotent-retries.md): the writes whose
/// retry is not harmless by itself.
pub const IDEMPOTENT_FUNCTIONS: &[&str] = &[
    "register-user",
    "update-current-user",
    "revoke-sessions",
    "request-password-reset",
    "confirm-password-reset",
    "create-article",
    "update-article",
    "add-comment",
];

const IDEMPOTENCY_KEY_DESCRIPTION: &str = "Optional: 1 to 255 printable ASCII characters (a UUID, say), bare or as a \
     quoted structured-field string. A retry with the same key and the same request gets the first answer (marked \
     `Idempotent-Replayed: true`) for 24 hours and takes no second effect; the same key with another request is 422.";

/// The functions whose requests count against an abuse limit (docs/abuse-protection.md).
const THROTTLED_FUNCTIONS: &[&str] = &["register-user", "login-user", "update-current-user", "request-password-reset"];

/// The functions whose writes count against the caller's write quotas (docs/abuse-protection.md).
const WRITE_QUOTA_FUNCTIONS: &[&str] = &["create-article", "add-comment", "follow-user", "favorite-article"];

/// The whole document. Built once per container (it is the same for every request).
pub fn document() -> OpenApi {
    let mut schemas = Schemas::default();
    let errors = schemas.named::<ErrorBody>();
    let mut items: BTreeMap<&str, PathItem> = BTreeMap::new();
    for route in ROUTES {
        let Some(contract) = contract(route.function, &mut schemas) else { continue };
        let item = PathItem::new(method(route), operation(route, contract, &errors));
        match items.get_mut(route.path) {
            Some(existing) => existing.merge_operations(item),
            None => {
                items.insert(route.path, item);
            }
        }
    }
    let mut paths = PathsBuilder::new();
    for (path, item) in items {
        paths = paths.path(path, item);
    }
    let mut components = ComponentsBuilder::new().security_scheme(
        TOKEN_SCHEME,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "Authorization",
            "`Token <jwt>` (or `Bearer <jwt>`), as returned by login and registration",
        ))),
    );
    for (name, schema) in schemas.0 {
        components = components.schema(name, schema);
    }
    let info = InfoBuilder::new()
        .title("Conduit API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some("The RealWorld Conduit API, served by one AWS Lambda function per route."))
        .build();
    OpenApiBuilder::new().info(info).paths(paths.build()).components(Some(components.build())).build()
}

/// Routes the document describes nothing for (a test keeps this empty).
pub fn undocumented_routes() -> Vec<&'static Route> {
    let mut schemas = Schemas::default();
    ROUTES.iter().filter(|route| contract(route.function, &mut schemas).is_none()).collect()
}
