use std::collections::HashMap;

use conduit_bootstrap::{Adapters, StartupError};
use conduit_http::routes::{FALLBACK_FUNCTION, ROUTES};
use conduit_http::{DynHandler, erase};

/// The handler of every HTTP function, by function name.
pub type FunctionRegistry = HashMap<&'static str, DynHandler>;

/// Builds each function's endpoint the way its `main` does, from the same adapters.
pub fn build_functions(adapters: &Adapters) -> Result<FunctionRegistry, StartupError> {
    let mut functions = FunctionRegistry::new();
    functions.insert(
        "register-user",
        erase(register_user::RegisterUserEndpoint::new(adapters)?),
    );
    functions.insert(
        "login-user",
        erase(login_user::LoginUserEndpoint::new(adapters)?),
    );
    functions.insert(
        "get-current-user",
        erase(get_current_user::GetCurrentUserEndpoint::new(adapters)?),
    );
    functions.insert(
        "update-current-user",
        erase(update_current_user::UpdateCurrentUserEndpoint::new(
            adapters,
        )?),
    );
    functions.insert(
        FALLBACK_FUNCTION,
        erase(route_not_found::RouteNotFoundEndpoint),
    );
    Ok(functions)
}

/// Route functions that have no handler here: the route-contract test keeps this empty.
pub fn missing_functions(functions: &FunctionRegistry) -> Vec<&'static str> {
    ROUTES
        .iter()
        .map(|route| route.function)
        .filter(|name| !functions.contains_key(name))
        .collect()
}
