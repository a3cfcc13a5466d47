//! Every migration, in the order they apply. To add one: a new file `mNNNN_what_it_does.rs`
//! beside these, a line at the end of [`CATALOG`], and the new id at the end of the `Migrations`
//! property of the `Migrations` resource in `template.yaml` (a test compares the two). Never
//! reorder, rename or remove an entry: tables record what they have had by id.

pub mod m0001_shard_all_articles;
pub mod m0002_slug_claims_name_author;
pub mod m0003_pull_earlier_follows;
pub mod m0004_rank_tags_by_use;

use crate::migration::Migration;

pub static CATALOG: &[&dyn Migration] = &[
    &m0001_shard_all_articles::ShardAllArticles,
    &m0002_slug_claims_name_author::SlugClaimsNameAuthor,
    &m0003_pull_earlier_follows::PullEarlierFollows,
    &m0004_rank_tags_by_use::RankTagsByUse,
];

/// The catalog's ids, comma-separated: the value of the custom resource's `Migrations` property
/// in `template.yaml`, whose change makes CloudFormation run the migration function on deploy.
pub fn fingerprint() -> String {
    CATALOG.iter().map(|migration| migration.id()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_in_order() {
        let ids: Vec<&str> = CATALOG.iter().map(|migration| migration.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn ids_are_numbered_and_named() {
        for migration in CATALOG {
            let (number, name) = migration.id().split_once('-').expect("NNNN-name");
            assert!(number.len() == 4 && number.bytes().all(|byte| byte.is_ascii_digit()), "{}", migration.id());
            assert!(!name.is_empty() && !migration.description().is_empty());
        }
    }
}
