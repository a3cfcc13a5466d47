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

/// Route functions that have no handler here: a test keeps this empty.
pub fn missing_functions(functions: &FunctionRegistry) -> Vec<&'static str> {
    ROUTES
        .iter()
        .map(|route| route.function)
        .filter(|name| !functions.contains_key(name))
        .collect()
}

#[cfg(test)]
mod tests {
    use conduit_bootstrap::{KeyRing, SigningKey};

    use super::*;

    #[test]
    fn every_route_has_a_local_handler() {
        let sdk = conduit_dynamodb_local::local_sdk_config("http://127.0.0.1:1");
        let adapters = Adapters::local(
            sdk,
            "unused",
            KeyRing {
                current: SigningKey::generate("k"),
                previous: None,
            },
        );

        let functions = build_functions(&adapters).expect("built");

        assert_eq!(missing_functions(&functions), Vec::<&str>::new());
    }
}
