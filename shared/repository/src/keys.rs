//! Key layout of the single table. Every key string is built here and nowhere else, so the layout
//! documented in `shared/repository/README.md` can be checked against one file.

pub const PARTITION_KEY: &str = "PK";
pub const SORT_KEY: &str = "SK";

/// A primary key: (partition key, sort key).
pub type Key = (String, String);

/// The account item: `PK = USER#<ulid>`, `SK = USER`.
pub fn user(id: &str) -> Key {
    (format!("USER#{id}"), USER_SORT_KEY.to_owned())
}

/// Uniqueness claim on an e-mail address (canonical, lower-case): `PK = EMAIL#<email>`, `SK = EMAIL`.
pub fn email_claim(canonical_email: &str) -> Key {
    (format!("EMAIL#{canonical_email}"), "EMAIL".to_owned())
}

/// Uniqueness claim on a username (canonical, lower-case): `PK = USERNAME#<name>`, `SK = USERNAME`.
pub fn username_claim(canonical_username: &str) -> Key {
    (format!("USERNAME#{canonical_username}"), "USERNAME".to_owned())
}

/// An account's password-reset state: `PK = USER#<ulid>`, `SK = PASSWORD_RESET`.
pub fn password_reset(user: &str) -> Key {
    (format!("USER#{user}"), "PASSWORD_RESET".to_owned())
}

/// Which account a reset link (by the digest of its secret) belongs to:
/// `PK = RESET_LINK#<sha-256 hex>`, `SK = RESET_LINK`.
pub fn reset_link(digest: &str) -> Key {
    (format!("RESET_LINK#{digest}"), "RESET_LINK".to_owned())
}

/// Whether an account's welcome mail was sent (or is being sent): `PK = USER#<ulid>`,
/// `SK = WELCOME_MAIL`.
pub fn welcome_mail(user: &str) -> Key {
    (format!("USER#{user}"), "WELCOME_MAIL".to_owned())
}

/// The sort key of the account item, which the welcome-mail consumer's stream filter names.
pub const USER_SORT_KEY: &str = "USER";

/// A deleted article whose favorites and comments are not removed yet (the stream consumer
/// purge-deleted-article removes them, then this entry): `PK = ARTICLE_PURGES`, `SK = <ulid>`.
/// Lists of favorites leave these articles out meanwhile. Entries live seconds, so the partition
/// stays small.
pub const PENDING_PURGES_PARTITION: &str = "ARTICLE_PURGES";
pub fn pending_purge(article: &str) -> Key {
    (PENDING_PURGES_PARTITION.to_owned(), article.to_owned())
}

/// The key attributes of the table (`None`) or of an index.
pub fn key_attributes(index: Option<&str>) -> (&'static str, &'static str) {
    match index {
        Some(ALL_ARTICLES_INDEX) => ("GSI2PK", "GSI2SK"),
        Some(_) => ("GSI1PK", "GSI1SK"),
        None => (PARTITION_KEY, SORT_KEY),
    }
}

/// Index names, as declared in `template.yaml`.
pub const BY_AUTHOR_OR_ARTICLE_INDEX: &str = "GSI1";
pub const ALL_ARTICLES_INDEX: &str = "GSI2";
pub const ALL_ARTICLES_PARTITION: &str = "ARTICLES";

/// An article without its body: `PK = ARTICLE#<ulid>`, `SK = ARTICLE`; also in GSI1 under
/// `AUTHOR#<author>` and in GSI2 under `ARTICLES`, both sorted by article id (= by creation time).
pub fn article(id: &str) -> Key {
    (format!("ARTICLE#{id}"), "ARTICLE".to_owned())
}

pub fn article_partition(id: &str) -> String {
    format!("ARTICLE#{id}")
}

/// The article's body, apart so lists never pay to read it: `PK = ARTICLE#<ulid>`, `SK = BODY`.
pub fn article_body(id: &str) -> Key {
    (format!("ARTICLE#{id}"), "BODY".to_owned())
}

pub fn author_articles_partition(author: &str) -> String {
    format!("AUTHOR#{author}")
}

/// Which article a slug names: `PK = SLUG#<slug>`, `SK = SLUG`.
pub fn slug_claim(slug: &str) -> Key {
    (format!("SLUG#{slug}"), "SLUG".to_owned())
}

/// One article under one tag: `PK = TAG#<tag>`, `SK = <article ulid>`.
pub fn tag_entry(tag: &str, article: &str) -> Key {
    (tag_partition(tag), article.to_owned())
}

pub fn tag_partition(tag: &str) -> String {
    format!("TAG#{tag}")
}

/// How many articles carry a tag: `PK = TAGS`, `SK = <tag>`; the partition lists every tag.
pub const TAGS_PARTITION: &str = "TAGS";
pub fn tag_counter(tag: &str) -> Key {
    (TAGS_PARTITION.to_owned(), tag.to_owned())
}

/// How many articles exist: `PK = STATS`, `SK = ARTICLES`.
pub fn article_counter() -> Key {
    ("STATS".to_owned(), "ARTICLES".to_owned())
}

/// A user's favorite: `PK = USER#<user>`, `SK = FAV#<article ulid>`; in GSI1 under
/// `FAVORITED#<article>` so an article's favorites can be found when it is deleted.
pub fn favorite(user: &str, article: &str) -> Key {
    (format!("USER#{user}"), format!("{FAVORITE_PREFIX}{article}"))
}

pub const FAVORITE_PREFIX: &str = "FAV#";

pub fn favorited_partition(article: &str) -> String {
    format!("FAVORITED#{article}")
}

/// A follow: `PK = USER#<follower>`, `SK = FOLLOWS#<followee>`.
pub fn follow(follower: &str, followee: &str) -> Key {
    (format!("USER#{follower}"), format!("{FOLLOW_PREFIX}{followee}"))
}

pub const FOLLOW_PREFIX: &str = "FOLLOWS#";

pub fn user_partition(user: &str) -> String {
    format!("USER#{user}")
}

/// A comment: `PK = ARTICLE#<ulid>`, `SK = COMMENT#<id, zero-padded so text order is number order>`.
pub fn comment(article: &str, id: u64) -> Key {
    (format!("ARTICLE#{article}"), format!("{COMMENT_PREFIX}{id:020}"))
}

pub const COMMENT_PREFIX: &str = "COMMENT#";
