//! The counters behind the abuse limits, against DynamoDB Local: what each write admits, and that
//! concurrent attempts cannot pass a limit.

use std::time::Duration;

use conduit_domain::ports::{Admission, LoginAttempts, SourceQuotas};
use conduit_domain::throttling::{LoginBackoff, QuotaAction, WindowQuota};
use conduit_domain::values::{ClientSource, Email, Timestamp};
use conduit_dynamodb_local::test_table;
use conduit_repository::{DynamoThrottles, Table};

async fn throttles() -> DynamoThrottles {
    let local = test_table().await;
    DynamoThrottles::new(Table::new(local.client.clone(), local.name.clone()))
}

const BACKOFF: LoginBackoff =
    LoginBackoff { free_attempts: 3, first_delay: Duration::from_secs(10), max_delay: Duration::from_secs(40) };

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_millis(1_900_000_000_000 + seconds * 1000)
}

fn jake() -> Email {
    Email::parse("Jake@Example.com").expect("valid")
}

#[tokio::test]
async fn the_free_attempts_pass_then_one_attempt_per_delay_whatever_the_case_of_the_address() {
    let store = throttles().await;
    let lower = Email::parse("jake@example.com").expect("valid");
    // Given the three free attempts spent, under two spellings of one address
    for (n, email) in [jake(), lower.clone(), jake()].iter().enumerate() {
        assert_eq!(store.begin(email, &BACKOFF, at(n as i64)).await.expect("counted"), Admission::Admitted);
    }

    // When the fourth comes before the delay, then after it, then the fifth at once
    let early = store.begin(&lower, &BACKOFF, at(5)).await.expect("answered");
    let on_time = store.begin(&lower, &BACKOFF, at(12)).await.expect("answered");
    let fifth = store.begin(&lower, &BACKOFF, at(13)).await.expect("answered");

    // Then the early one waits for the rest of the 10 s, the fifth for the doubled 20 s
    assert_eq!(early, Admission::Refused { retry_after: Duration::from_secs(7) });
    assert_eq!(on_time, Admission::Admitted);
    assert_eq!(fifth, Admission::Refused { retry_after: Duration::from_secs(19) });
}

#[tokio::test]
async fn clearing_forgets_the_failures_and_a_day_of_quiet_does_too() {
    let store = throttles().await;
    for n in 0..4 {
        store.begin(&jake(), &BACKOFF, at(n)).await.expect("counted");
    }

    let throttled = store.begin(&jake(), &BACKOFF, at(5)).await.expect("answered");
    let a_day_later = store.begin(&jake(), &BACKOFF, at(4 + 24 * 60 * 60)).await.expect("answered");
    store.clear(&jake()).await;
    let after_clearing: Vec<Admission> = {
        let mut admissions = Vec::new();
        for n in 0..3 {
            admissions.push(store.begin(&jake(), &BACKOFF, at(24 * 60 * 60 + 10 + n)).await.expect("answered"));
        }
        admissions
    };

    assert!(matches!(throttled, Admission::Refused { .. }), "{throttled:?}");
    assert_eq!(a_day_later, Admission::Admitted, "forgotten after a day");
    assert_eq!(after_clearing, [Admission::Admitted; 3]);
}

#[tokio::test]
async fn of_sixteen_concurrent_attempts_no_more_than_the_free_ones_are_admitted() {
    let store = throttles().await;

    let jake = jake();
    let attempts = (0..16).map(|_| store.begin(&jake, &BACKOFF, at(0)));
    let admissions = futures::future::join_all(attempts).await;

    let admitted = admissions.iter().filter(|admission| matches!(admission, Ok(Admission::Admitted))).count();
    assert_eq!(admitted, 3, "{admissions:?}");
}

#[tokio::test]
async fn a_source_quota_refuses_past_its_maximum_until_its_window_ends_and_takes_back_what_is_given() {
    let store = throttles().await;
    let quota = WindowQuota { max: 2, window: Duration::from_secs(900) };
    let office = ClientSource::parse("203.0.113.7");
    let window_start = at(0).unix_seconds().div_euclid(900) * 900;
    let now = Timestamp::from_unix_millis((window_start + 100) * 1000);
    let take = || store.take(QuotaAction::FailedLogin, &office, &quota, now);

    let first_two = [take().await.expect("taken"), take().await.expect("taken")];
    let third = take().await.expect("answered");
    store.give_back(QuotaAction::FailedLogin, &office, &quota, now).await;
    let after_giving_back = take().await.expect("answered");
    let other_action = store.take(QuotaAction::Registration, &office, &quota, now).await.expect("answered");
    let next_window = store
        .take(QuotaAction::FailedLogin, &office, &quota, Timestamp::from_unix_millis((window_start + 900) * 1000))
        .await
        .expect("answered");

    assert_eq!(first_two, [Admission::Admitted; 2]);
    assert_eq!(third, Admission::Refused { retry_after: Duration::from_secs(800) });
    assert_eq!(after_giving_back, Admission::Admitted);
    assert_eq!(other_action, Admission::Admitted, "each action has its own count");
    assert_eq!(next_window, Admission::Admitted);
}

#[tokio::test]
async fn concurrent_takes_never_exceed_the_quota_and_giving_back_never_goes_below_zero() {
    let store = throttles().await;
    let quota = WindowQuota { max: 5, window: Duration::from_secs(3600) };
    let office = ClientSource::parse("2001:db8::1");
    let now = at(0);
    store.give_back(QuotaAction::Registration, &office, &quota, now).await;

    let takes = (0..16).map(|_| store.take(QuotaAction::Registration, &office, &quota, now));
    let admissions = futures::future::join_all(takes).await;

    let admitted = admissions.iter().filter(|admission| matches!(admission, Ok(Admission::Admitted))).count();
    assert_eq!(admitted, 5, "{admissions:?}");
}
