//! What `template.yaml` keeps about sessions: tokens live 12 hours unless the operator says
//! otherwise, and no deployment can make them outlive a day.

use std::time::Duration;

use conduit_api_tests::template::{self, intrinsic};
use conduit_bootstrap::MAX_TOKEN_LIFETIME;
use conduit_bootstrap::variables::TOKEN_LIFETIME_SECONDS;

#[test]
fn the_token_lifetime_parameter_defaults_to_twelve_hours_and_refuses_more_than_the_functions_accept() {
    let template = template::template();
    let parameter = &template["Parameters"]["TokenLifetimeSeconds"];

    assert_eq!(parameter["Default"].as_u64(), Some(12 * 60 * 60), "{parameter:?}");
    // CloudFormation refuses a stack whose value is above MaxValue; the functions refuse the same
    // values at start, so the two ceilings must be one.
    assert_eq!(parameter["MaxValue"].as_u64(), Some(MAX_TOKEN_LIFETIME.as_secs()), "{parameter:?}");
    assert_eq!(MAX_TOKEN_LIFETIME, Duration::from_secs(24 * 60 * 60));
    let minimum = parameter["MinValue"].as_u64().expect("a MinValue");
    assert!((1..=parameter["Default"].as_u64().expect("Default")).contains(&minimum), "{parameter:?}");
}

#[test]
fn every_function_given_a_token_lifetime_takes_it_from_the_bounded_parameter() {
    let template = template::template();
    let given: Vec<_> = template::functions(&template)
        .into_iter()
        .filter_map(|function| {
            let value = &function.properties["Environment"]["Variables"][TOKEN_LIFETIME_SECONDS];
            (!value.is_null()).then(|| (function.logical_id, intrinsic(value, "Ref").map(str::to_owned)))
        })
        .collect();

    // The functions that issue tokens: registering, logging in, changing the password, resetting it.
    assert!(given.len() >= 4, "{given:?}");
    for (function, reference) in given {
        assert_eq!(
            reference.as_deref(),
            Some("TokenLifetimeSeconds"),
            "{function} sets its own {TOKEN_LIFETIME_SECONDS}"
        );
    }
    let global = &template["Globals"]["Function"]["Environment"]["Variables"][TOKEN_LIFETIME_SECONDS];
    assert!(global.is_null() || intrinsic(global, "Ref") == Some("TokenLifetimeSeconds"), "{global:?}");
}
