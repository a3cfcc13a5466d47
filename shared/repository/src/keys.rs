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

/// A security notice of a change to an account's e-mail address or password, written with the
/// change: `PK = USER#<ulid>`, `SK = ACCOUNT_NOTICE#<the account version the change produced,
/// zero-padded>`. The send-account-notices consumer's stream filter names the prefix.
pub const ACCOUNT_NOTICE_PREFIX: &str = "ACCOUNT_NOTICE#";
pub fn account_notice(user: &str, version: u64) -> Key {
    (user_partition(user), format!("{ACCOUNT_NOTICE_PREFIX}{version:020}"))
}

/// The failed logins counted against an address (canonical, lower-case), whether or not an
/// account has it: `PK = LOGIN_ATTEMPTS#<email>`, `SK = LOGIN_ATTEMPTS`.
pub fn login_attempts(canonical_email: &str) -> Key {
    (format!("LOGIN_ATTEMPTS#{canonical_email}"), "LOGIN_ATTEMPTS".to_owned())
}

/// One source's counter of one action in one fixed window:
/// `PK = SOURCE_QUOTA#<action>#<source>`, `SK = <window start, Unix seconds>`.
pub fn source_quota(action: &str, source: &str, window_start_seconds: i64) -> Key {
    (format!("SOURCE_QUOTA#{action}#{source}"), window_start_seconds.to_string())
}

/// One account's counter of one kind of write in one fixed window:
/// `PK = WRITE_QUOTA#<action>#<user ulid>`, `SK = <window start, Unix seconds>`.
pub fn write_quota(action: &str, user: &str, window_start_seconds: i64) -> Key {
    (format!("WRITE_QUOTA#{action}#{user}"), window_start_seconds.to_string())
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
        Some(LEGACY_ALL_ARTICLES_INDEX) => ("GSI2PK", "GSI2SK"),
        Some(SHARDED_ARTICLES_INDEX) => ("GSI3PK", "GSI3SK"),
        Some(TAGS_BY_USE_INDEX) => ("GSI4PK", "count"),
        Some(_) => ("GSI1PK", "GSI1SK"),
        None => (PARTITION_KEY, SORT_KEY),
    }
}

/// Index names, as declared in `template.yaml`.
pub const BY_AUTHOR_OR_ARTICLE_INDEX: &str = "GSI1";
/// The all-articles list of the first layout: every article under the one partition `ARTICLES`.
/// Articles written before migration `0001-shard-all-articles` (and any written by that release's
/// predecessor while the migration ran) are still there; lists read it beside the shards until a
/// later migration contracts it away.
pub const LEGACY_ALL_ARTICLES_INDEX: &str = "GSI2";
pub const LEGACY_ALL_ARTICLES_PARTITION: &str = "ARTICLES";
/// The all-articles list, write-sharded: each article under one of [`ALL_ARTICLES_SHARDS`]
/// partitions `ARTICLES#<nn>`, so creation is not capped by one index partition's write rate.
pub const SHARDED_ARTICLES_INDEX: &str = "GSI3";

/// How many partitions the all-articles list is spread over. Every list page queries all of them
/// (each query costs at least half a read unit), so K multiplies the cost of a read while dividing
/// the write rate any one partition sees; 8 partitions take about 8,000 creations per second,
/// more than the single article counter (`STATS`) lets through anyway.
pub const ALL_ARTICLES_SHARDS: u32 = 8;

/// The shard an article belongs to: FNV-1a of its id, modulo [`ALL_ARTICLES_SHARDS`]. Stable
/// across releases and machines (unlike the standard library's hasher), and even, since ids end
/// in 80 random bits.
pub fn all_articles_shard(article: &str) -> String {
    const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = article.bytes().fold(FNV_OFFSET_BASIS, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME));
    shard_partition(u32::try_from(hash % u64::from(ALL_ARTICLES_SHARDS)).unwrap_or_default())
}

/// Every partition of the sharded all-articles list.
pub fn all_articles_shards() -> impl Iterator<Item = String> {
    (0..ALL_ARTICLES_SHARDS).map(shard_partition)
}

fn shard_partition(shard: u32) -> String {
    format!("ARTICLES#{shard:02}")
}

/// An article without its body: `PK = ARTICLE#<ulid>`, `SK = ARTICLE`; also in GSI1 under
/// `AUTHOR#<author>` and in GSI3 under its shard `ARTICLES#<nn>`, both sorted by article id
/// (= by creation time).
pub fn article(id: &str) -> Key {
    (format!("ARTICLE#{id}"), ARTICLE_SORT_KEY.to_owned())
}

/// The article id, when (`partition`, `sort`) is an article summary's key.
pub fn article_of_summary<'a>(partition: &'a str, sort: &str) -> Option<&'a str> {
    partition.strip_prefix("ARTICLE#").filter(|_| sort == ARTICLE_SORT_KEY)
}

const ARTICLE_SORT_KEY: &str = "ARTICLE";

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
/// Tags by use: `GSI4PK = TAGS` on every tag counter (and nothing else), sorted by its `count`.
pub const TAGS_BY_USE_INDEX: &str = "GSI4";
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

/// A follow: `PK = USER#<follower>`, `SK = FOLLOWS#<followee>`; a pushed follow is also in GSI1
/// under [`followers_partition`].
pub fn follow(follower: &str, followee: &str) -> Key {
    (format!("USER#{follower}"), format!("{FOLLOW_PREFIX}{followee}"))
}

pub const FOLLOW_PREFIX: &str = "FOLLOWS#";

pub fn user_partition(user: &str) -> String {
    format!("USER#{user}")
}

/// Followers an author's articles are pushed to, in GSI1: `FOLLOWERS#<followee>` / `<follower>`.
/// Only pushed follows carry these keys (the index is sparse), so fan-out reads exactly the
/// feeds it writes.
pub fn followers_partition(followee: &str) -> String {
    format!("FOLLOWERS#{followee}")
}

/// One article in a reader's feed: `PK = FEED#<reader>`, `SK = <article ulid>`, so the partition
/// read newest first is the feed.
pub fn feed_entry(reader: &str, article: &str) -> Key {
    (feed_partition(reader), article.to_owned())
}

pub fn feed_partition(reader: &str) -> String {
    format!("FEED#{reader}")
}

/// What a reader's feed read needs besides its entries, under one prefix of the reader's
/// partition so one query reads it all: the count of entries (`SK = FEED`), the authors pulled at
/// read time (`FEED_PULL#<author>`) and the ended follows whose entries are still being cleared
/// (`FEED_ENDED#<author>#<period>`). No other sort key of the partition starts with `FEED`.
pub const FEED_PREFIX: &str = "FEED";
pub const FEED_PULL_PREFIX: &str = "FEED_PULL#";
pub const FEED_ENDED_PREFIX: &str = "FEED_ENDED#";

pub fn feed_state(reader: &str) -> Key {
    (user_partition(reader), FEED_PREFIX.to_owned())
}

pub fn feed_pull(reader: &str, author: &str) -> Key {
    (user_partition(reader), format!("{FEED_PULL_PREFIX}{author}"))
}

pub fn feed_ended(reader: &str, author: &str, period: &str) -> Key {
    (user_partition(reader), format!("{FEED_ENDED_PREFIX}{author}#{period}"))
}

/// The reader, author and period of an ended follow's key, when (`partition`, `sort`) is one.
pub fn ended_follow_of<'a>(partition: &'a str, sort: &'a str) -> Option<(&'a str, &'a str, &'a str)> {
    let reader = partition.strip_prefix("USER#")?;
    let (author, period) = sort.strip_prefix(FEED_ENDED_PREFIX)?.split_once('#')?;
    Some((reader, author, period))
}

/// A comment: `PK = ARTICLE#<ulid>`, `SK = COMMENT#<id, zero-padded so text order is number order>`.
pub fn comment(article: &str, id: u64) -> Key {
    (format!("ARTICLE#{article}"), format!("{COMMENT_PREFIX}{id:020}"))
}

pub const COMMENT_PREFIX: &str = "COMMENT#";

/// The table's migration records (see the `conduit-migrations` crate): `PK = MIGRATIONS`,
/// `SK = APPLIED#<id>` (applied), `PROGRESS#<id>#<segment>` (a checkpoint), `LEASE` (who runs).
pub const MIGRATIONS_PARTITION: &str = "MIGRATIONS";

/// One idempotency record, named by the digest of its caller (or source), route and key:
/// `PK = IDEMPOTENCY#<record key>`, `SK = IDEMPOTENCY`.
pub fn idempotency_record(record_key: &str) -> Key {
    (format!("IDEMPOTENCY#{record_key}"), "IDEMPOTENCY".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_always_lands_in_the_same_shard() {
        assert_eq!(all_articles_shard("01JQ3V8W2Y9R5T7K4M6N8P0S2A"), all_articles_shard("01JQ3V8W2Y9R5T7K4M6N8P0S2A"));
        assert!(all_articles_shards().any(|shard| shard == all_articles_shard("01JQ3V8W2Y9R5T7K4M6N8P0S2A")));
    }

    #[test]
    fn shards_are_named_with_two_digits() {
        let shards: Vec<String> = all_articles_shards().collect();
        assert_eq!(shards.len(), ALL_ARTICLES_SHARDS as usize);
        assert_eq!(shards.first().map(String::as_str), Some("ARTICLES#00"));
        assert_eq!(shards.last().map(String::as_str), Some("ARTICLES#07"));
    }

    #[test]
    fn ids_spread_evenly_over_the_shards() {
        let mut counts = std::collections::HashMap::new();
        for id in (0..8000u32).map(|n| ulid::Ulid::from_parts(1_700_000_000_000 + u64::from(n), u128::from(n) * 7919)) {
            *counts.entry(all_articles_shard(&id.to_string())).or_insert(0u32) += 1;
        }
        assert_eq!(counts.len(), ALL_ARTICLES_SHARDS as usize);
        assert!(counts.values().all(|count| (800..=1200).contains(count)), "{counts:?}");
    }
}
