use std::collections::HashMap;

use conduit_bootstrap::{Adapters, StartupError};
use conduit_http::routes::{FALLBACK_FUNCTION, ROUTES};
use conduit_http::{DynHandler, erase};

/// The handler of every HTTP function, by function name.
pub type FunctionRegistry = HashMap<&'static str, DynHandler>;

/// Builds each function's endpoint the way its `main` does, from the same adapters.
pub fn build_functions(adapters: &Adapters) -> Result<FunctionRegistry, StartupError> {
    let mut functions = FunctionRegistry::new();
    functions.insert("register-user", erase(register_user::RegisterUserEndpoint::new(adapters)?));
    functions.insert("login-user", erase(login_user::LoginUserEndpoint::new(adapters)?));
    functions.insert("get-current-user", erase(get_current_user::GetCurrentUserEndpoint::new(adapters)?));
    functions.insert("update-current-user", erase(update_current_user::UpdateCurrentUserEndpoint::new(adapters)?));
    functions.insert("get-profile", erase(get_profile::GetProfileEndpoint::new(adapters)?));
    functions.insert("follow-user", erase(follow_user::FollowUserEndpoint::new(adapters)?));
    functions.insert("unfollow-user", erase(unfollow_user::UnfollowUserEndpoint::new(adapters)?));
    functions.insert("list-articles", erase(list_articles::ListArticlesEndpoint::new(adapters)?));
    functions.insert("feed-articles", erase(feed_articles::FeedArticlesEndpoint::new(adapters)?));
    functions.insert("get-article", erase(get_article::GetArticleEndpoint::new(adapters)?));
    functions.insert("create-article", erase(create_article::CreateArticleEndpoint::new(adapters)?));
    functions.insert("update-article", erase(update_article::UpdateArticleEndpoint::new(adapters)?));
    functions.insert("delete-article", erase(delete_article::DeleteArticleEndpoint::new(adapters)?));
    functions.insert("add-comment", erase(add_comment::AddCommentEndpoint::new(adapters)?));
    functions.insert("list-comments", erase(list_comments::ListCommentsEndpoint::new(adapters)?));
    functions.insert("delete-comment", erase(delete_comment::DeleteCommentEndpoint::new(adapters)?));
    functions.insert("favorite-article", erase(favorite_article::FavoriteArticleEndpoint::new(adapters)?));
    functions.insert("unfavorite-article", erase(unfavorite_article::UnfavoriteArticleEndpoint::new(adapters)?));
    functions.insert("list-tags", erase(list_tags::ListTagsEndpoint::new(adapters)?));
    let openapi = get_openapi::GetOpenApiEndpoint::new().map_err(|error| StartupError::Document(error.to_string()))?;
    functions.insert("get-openapi", erase(openapi));
    functions.insert("get-docs", erase(get_docs::GetDocsEndpoint));
    functions.insert(FALLBACK_FUNCTION, erase(route_not_found::RouteNotFoundEndpoint));
    Ok(functions)
}

/// Route functions that have no handler here: the route-contract test keeps this empty.
pub fn missing_functions(functions: &FunctionRegistry) -> Vec<&'static str> {
    ROUTES.iter().map(|route| route.function).filter(|name| !functions.contains_key(name)).collect()
}
