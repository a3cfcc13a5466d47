//! What several repository tests set up the same way.

use conduit_domain::User;
use conduit_domain::ports::UserWriter;
use conduit_domain::values::{Email, PasswordHash, UserId, Username};
use conduit_repository::DynamoUsers;

/// Stores an account named `name` (its address `<name>@example.com`) and gives its id.
pub async fn someone(users: &DynamoUsers, name: &str) -> UserId {
    let user = User::register(
        Username::parse(name).expect("valid"),
        Email::parse(&format!("{name}@example.com")).expect("valid"),
        PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
    );
    users.insert(&user, None).await.expect("inserted");
    user.id
}
