//! Key layout of the single table. Every key string is built here and nowhere else, so the layout
//! documented in `shared/repository/README.md` can be checked against one file.

pub const PARTITION_KEY: &str = "PK";
pub const SORT_KEY: &str = "SK";

/// The account item: `PK = USER#<ulid>`, `SK = USER`.
pub fn user(id: &str) -> (String, String) {
    (format!("USER#{id}"), "USER".to_owned())
}

/// Uniqueness claim on an e-mail address (canonical, lower-case): `PK = EMAIL#<email>`, `SK = EMAIL`.
pub fn email_claim(canonical_email: &str) -> (String, String) {
    (format!("EMAIL#{canonical_email}"), "EMAIL".to_owned())
}

/// Uniqueness claim on a username (canonical, lower-case): `PK = USERNAME#<name>`, `SK = USERNAME`.
pub fn username_claim(canonical_username: &str) -> (String, String) {
    (
        format!("USERNAME#{canonical_username}"),
        "USERNAME".to_owned(),
    )
}
