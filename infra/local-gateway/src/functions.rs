use std::collections::HashMap;

use conduit_bootstrap::{Adapters, StartupError};
use conduit_http::routes::{FALLBACK_FUNCTION, ROUTES};
use conduit_http::{CALLS_NOTHING_BUDGET, DynHandler, erase};

/// The handler of every HTTP function, by function name.
pub type FunctionRegistry = HashMap<&'static str, DynHandler>;

/// Builds each function's endpoint the way its `main` does, from the same adapters.
pub fn build_functions(adapters: &Adapters) -> Result<FunctionRegistry, StartupError> {
    let budget = adapters.time_budget().request;
    let mut functions = FunctionRegistry::new();
    functions.insert("register-user", erase(register_user::RegisterUserEndpoint::new(adapters)?, budget));
    functions.insert("login-user", erase(login_user::LoginUserEndpoint::new(adapters)?, budget));
    functions.insert("get-current-user", erase(get_current_user::GetCurrentUserEndpoint::new(adapters)?, budget));
    functions
        .insert("update-current-user", erase(update_current_user::UpdateCurrentUserEndpoint::new(adapters)?, budget));
    functions.insert("revoke-sessions", erase(revoke_sessions::RevokeSessionsEndpoint::new(adapters)?, budget));
    functions.insert(
        "request-password-reset",
        erase(request_password_reset::RequestPasswordResetEndpoint::new(adapters)?, budget),
    );
    functions.insert(
        "confirm-password-reset",
        erase(confirm_password_reset::ConfirmPasswordResetEndpoint::new(adapters)?, budget),
    );
    functions.insert("get-profile", erase(get_profile::GetProfileEndpoint::new(adapters)?, budget));
    functions.insert("follow-user", erase(follow_user::FollowUserEndpoint::new(adapters)?, budget));
    functions.insert("unfollow-user", erase(unfollow_user::UnfollowUserEndpoint::new(adapters)?, budget));
    functions.insert("list-articles", erase(list_articles::ListArticlesEndpoint::new(adapters)?, budget));
    functions.insert("feed-articles", erase(feed_articles::FeedArticlesEndpoint::new(adapters)?, budget));
    functions.insert("get-article", erase(get_article::GetArticleEndpoint::new(adapters)?, budget));
    functions.insert("create-article", erase(create_article::CreateArticleEndpoint::new(adapters)?, budget));
    functions.insert("update-article", erase(update_article::UpdateArticleEndpoint::new(adapters)?, budget));
    functions.insert("delete-article", erase(delete_article::DeleteArticleEndpoint::new(adapters)?, budget));
    functions.insert("add-comment", erase(add_comment::AddCommentEndpoint::new(adapters)?, budget));
    functions.insert("list-comments", erase(list_comments::ListCommentsEndpoint::new(adapters)?, budget));
    functions.insert("delete-comment", erase(delete_comment::DeleteCommentEndpoint::new(adapters)?, budget));
    functions.insert("favorite-article", erase(favorite_article::FavoriteArticleEndpoint::new(adapters)?, budget));
    functions
        .insert("unfavorite-article", erase(unfavorite_article::UnfavoriteArticleEndpoint::new(adapters)?, budget));
    functions.insert("list-tags", erase(list_tags::ListTagsEndpoint::new(adapters)?, budget));
    let openapi = get_openapi::GetOpenApiEndpoint::new().map_err(|error| StartupError::Document(error.to_string()))?;
    functions.insert("get-openapi", erase(openapi, CALLS_NOTHING_BUDGET));
    functions.insert("get-docs", erase(get_docs::GetDocsEndpoint, CALLS_NOTHING_BUDGET));
    functions.insert(FALLBACK_FUNCTION, erase(route_not_found::RouteNotFoundEndpoint, CALLS_NOTHING_BUDGET));
    Ok(functions)
}

/// A consumer of the table's stream, as the template declares it: the function, the filter
/// patterns of its event source (a record passing any of them is delivered), and its handler.
pub struct StreamConsumerEntry {
    pub function: &'static str,
    pub filters: Vec<serde_json::Value>,
    pub handler: conduit_streams::DynStreamHandler,
}

/// Builds each stream consumer the way its `main` does, from the same adapters.
pub fn build_stream_consumers(adapters: &Adapters) -> Result<Vec<StreamConsumerEntry>, StartupError> {
    let patterns = |texts: &[&str]| {
        texts
            .iter()
            .map(|text| serde_json::from_str(text))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| StartupError::Document(format!("a stream filter pattern: {error}")))
    };
    Ok(vec![
        StreamConsumerEntry {
            function: "send-welcome-mail",
            filters: patterns(send_welcome_mail::FILTER_PATTERNS)?,
            handler: conduit_streams::erase(send_welcome_mail::WelcomeMailConsumer::new(adapters)?),
        },
        StreamConsumerEntry {
            function: "send-account-notices",
            filters: patterns(send_account_notices::FILTER_PATTERNS)?,
            handler: conduit_streams::erase(send_account_notices::AccountNoticeConsumer::new(adapters)?),
        },
        StreamConsumerEntry {
            function: "purge-deleted-article",
            filters: patterns(purge_deleted_article::FILTER_PATTERNS)?,
            handler: conduit_streams::erase(purge_deleted_article::PurgeConsumer::new(adapters)?),
        },
        StreamConsumerEntry {
            function: "update-feeds",
            filters: patterns(update_feeds::FILTER_PATTERNS)?,
            handler: conduit_streams::erase(update_feeds::FeedConsumer::new(adapters)?),
        },
    ])
}

/// Route functions that have no handler here: the route-contract test keeps this empty.
pub fn missing_functions(functions: &FunctionRegistry) -> Vec<&'static str> {
    ROUTES.iter().map(|route| route.function).filter(|name| !functions.contains_key(name)).collect()
}
