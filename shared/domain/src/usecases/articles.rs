//! Publishing, reading, editing and deleting articles, lists and the feed, favorites.

use super::personalize::{article_view, summary_views};
use super::{FieldUpdate, required};
use crate::article::Article;
use crate::ports::{
    ArticleFilter, ArticleReader, ArticleWriter, FavoriteWriter, FollowReader, RelationsReader, StoreError,
    UniqueField, UserReader,
};
use crate::validation::InvalidValue;
use crate::values::{ArticleBody, Description, Page, Slug, Tag, TagList, Timestamp, Title, UserId, Username};
use crate::views::{ArticleListView, ArticleView};
use crate::{DomainError, ValidationErrors};

/// Slug suffix lengths tried in turn when a title's plain slug is taken. Eight base32 characters
/// of a ULID's random part make a further clash a one-in-a-trillion event; sixteen end the matter.
const SLUG_SUFFIXES: [usize; 2] = [8, 16];

/// Finds the article named in the URL; a string no title could produce names nothing.
async fn article_by_slug<A: ArticleReader>(articles: &A, raw_slug: &str) -> Result<Article, DomainError> {
    let slug = Slug::parse(raw_slug).map_err(|_| DomainError::NotFound("article"))?;
    articles.find_by_slug(&slug).await?.ok_or(DomainError::NotFound("article"))
}

/// Writes `article`, moving to a suffixed slug while the plain one is taken.
async fn with_unique_slug<F, Fut>(mut article: Article, base: Slug, mut write: F) -> Result<Article, DomainError>
where
    F: FnMut(Article) -> Fut,
    Fut: std::future::Future<Output = (Article, Result<(), StoreError>)>,
{
    let id = article.summary.id;
    let mut candidates = SLUG_SUFFIXES.iter().map(|length| base.with_suffix_of(id, *length));
    article.summary.slug =
        if base.is_reserved() { candidates.next().unwrap_or_else(|| base.clone()) } else { base.clone() };
    loop {
        let (attempted, outcome) = write(article).await;
        article = attempted;
        match outcome {
            Ok(()) => return Ok(article),
            Err(StoreError::AlreadyTaken(fields)) if fields == [UniqueField::Slug] => match candidates.next() {
                Some(next) => article.summary.slug = next,
                None => return Err(DomainError::Conflict),
            },
            Err(other) => return Err(other.into()),
        }
    }
}

/// What a client sends to publish, before any of it is trusted.
#[derive(Debug, Default, Clone)]
pub struct ArticleDraft {
    pub title: Option<String>,
    pub description: Option<String>,
    pub body: Option<String>,
    pub tag_list: Option<Vec<String>>,
}

pub struct CreateArticle<W, R> {
    articles: W,
    relations: R,
}

impl<W: ArticleWriter, R: RelationsReader> CreateArticle<W, R> {
    pub fn new(articles: W, relations: R) -> Self {
        Self { articles, relations }
    }

    pub async fn execute(&self, author: UserId, draft: ArticleDraft) -> Result<ArticleView, DomainError> {
        let mut errors = ValidationErrors::default();
        let title = required(&mut errors, "title", draft.title.as_deref(), Title::parse);
        let description = required(&mut errors, "description", draft.description.as_deref(), Description::parse);
        let body = required(&mut errors, "body", draft.body.as_deref(), ArticleBody::parse);
        let tags = errors.check("tagList", TagList::parse(draft.tag_list.as_deref().unwrap_or_default()));
        let (Some(title), Some(description), Some(body), Some(tags)) = (title, description, body, tags) else {
            return Err(errors.into());
        };

        let article = Article::publish(author, title, description, body, tags);
        let base = article.summary.slug.clone();
        let stored = with_unique_slug(article, base, |candidate| async move {
            let outcome = self.articles.insert(&candidate).await;
            (candidate, outcome)
        })
        .await?;
        article_view(&self.relations, Some(author), stored).await
    }
}

pub struct GetArticle<A, R> {
    articles: A,
    relations: R,
}

impl<A: ArticleReader, R: RelationsReader> GetArticle<A, R> {
    pub fn new(articles: A, relations: R) -> Self {
        Self { articles, relations }
    }

    pub async fn execute(&self, viewer: Option<UserId>, slug: &str) -> Result<ArticleView, DomainError> {
        let article = article_by_slug(&self.articles, slug).await?;
        article_view(&self.relations, viewer, article).await
    }
}

#[derive(Debug, Default, Clone)]
pub struct ArticleChanges {
    pub title: FieldUpdate,
    pub description: FieldUpdate,
    pub body: FieldUpdate,
}

fn changed<T>(
    errors: &mut ValidationErrors,
    field: &str,
    update: &FieldUpdate,
    parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
) -> Option<Option<T>> {
    match update {
        FieldUpdate::Keep => Some(None),
        FieldUpdate::Clear => errors.check(field, Err(InvalidValue::blank())),
        FieldUpdate::Set(raw) => errors.check(field, parse(raw)).map(Some),
    }
}

pub struct UpdateArticle<S, R> {
    articles: S,
    relations: R,
}

impl<S: ArticleReader + ArticleWriter, R: RelationsReader> UpdateArticle<S, R> {
    const ATTEMPTS: usize = 3;

    pub fn new(articles: S, relations: R) -> Self {
        Self { articles, relations }
    }

    /// Only the author may edit. A new title gives a new slug; the old one stops resolving.
    pub async fn execute(
        &self,
        caller: UserId,
        slug: &str,
        changes: ArticleChanges,
    ) -> Result<ArticleView, DomainError> {
        let mut errors = ValidationErrors::default();
        let title = changed(&mut errors, "title", &changes.title, Title::parse);
        let description = changed(&mut errors, "description", &changes.description, Description::parse);
        let body = changed(&mut errors, "body", &changes.body, ArticleBody::parse);

        for _ in 0..Self::ATTEMPTS {
            let current = article_by_slug(&self.articles, slug).await?;
            if current.summary.author_id != caller {
                return Err(DomainError::Forbidden);
            }
            let (Some(title), Some(description), Some(body)) = (&title, &description, &body) else {
                return Err(errors.into());
            };
            let mut updated = current.clone();
            if let Some(title) = title {
                updated.summary.title = title.clone();
            }
            if let Some(description) = description {
                updated.summary.description = description.clone();
            }
            if let Some(body) = body {
                updated.body = body.clone();
            }
            if updated == current {
                return article_view(&self.relations, Some(caller), current).await;
            }
            updated.summary.updated_at = Timestamp::now().max(current.summary.updated_at);
            updated.summary.version = current.summary.version + 1;

            let base = Slug::from_title(&updated.summary.title);
            let keeps_slug = updated.summary.title == current.summary.title
                || current.summary.slug == base
                || SLUG_SUFFIXES
                    .iter()
                    .any(|length| base.with_suffix_of(current.summary.id, *length) == current.summary.slug);
            let written = if keeps_slug {
                let outcome = self.articles.update(&current, &updated).await;
                outcome.map(|()| updated).map_err(DomainError::from)
            } else {
                let current = &current;
                with_unique_slug(updated, base, |candidate| async move {
                    let outcome = self.articles.update(current, &candidate).await;
                    (candidate, outcome)
                })
                .await
            };
            match written {
                Ok(stored) => return article_view(&self.relations, Some(caller), stored).await,
                Err(DomainError::Conflict) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(DomainError::Conflict)
    }
}

pub struct DeleteArticle<S> {
    articles: S,
}

impl<S: ArticleReader + ArticleWriter> DeleteArticle<S> {
    pub fn new(articles: S) -> Self {
        Self { articles }
    }

    pub async fn execute(&self, caller: UserId, slug: &str) -> Result<(), DomainError> {
        let slug = Slug::parse(slug).map_err(|_| DomainError::NotFound("article"))?;
        let article = self.articles.find_summary_by_slug(&slug).await?.ok_or(DomainError::NotFound("article"))?;
        if article.author_id != caller {
            return Err(DomainError::Forbidden);
        }
        Ok(self.articles.delete(&article).await?)
    }
}

/// The query of `GET /api/articles`, raw.
#[derive(Debug, Default, Clone)]
pub struct ArticleQuery {
    pub tag: Option<String>,
    pub author: Option<String>,
    pub favorited: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

fn parse_page(limit: Option<&str>, offset: Option<&str>) -> Result<Page, DomainError> {
    let mut errors = ValidationErrors::default();
    let limit = errors.check("limit", Page::parse_limit(limit));
    let offset = errors.check("offset", Page::parse_offset(offset));
    match (limit, offset) {
        (Some(limit), Some(offset)) => Ok(Page { limit, offset }),
        _ => Err(errors.into()),
    }
}

fn empty_list() -> ArticleListView {
    ArticleListView { articles: Vec::new(), total: 0 }
}

pub struct ListArticles<A, U, R> {
    articles: A,
    users: U,
    relations: R,
}

impl<A: ArticleReader, U: UserReader, R: RelationsReader> ListArticles<A, U, R> {
    pub fn new(articles: A, users: U, relations: R) -> Self {
        Self { articles, users, relations }
    }

    /// A filter naming nobody (an unknown author, a tag no article could carry) matches nothing:
    /// an empty page, not an error.
    pub async fn execute(&self, viewer: Option<UserId>, query: ArticleQuery) -> Result<ArticleListView, DomainError> {
        let page = parse_page(query.limit.as_deref(), query.offset.as_deref())?;
        let present = |value: Option<String>| value.filter(|text| !text.trim().is_empty());
        let mut filter = ArticleFilter::default();
        if let Some(tag) = present(query.tag) {
            let Ok(tag) = Tag::parse(&tag) else { return Ok(empty_list()) };
            filter.tag = Some(tag);
        }
        if let Some(author) = present(query.author) {
            let Some(author) = self.user_id(&author).await? else { return Ok(empty_list()) };
            filter.author = Some(author);
        }
        if let Some(favorited) = present(query.favorited) {
            let Some(fan) = self.user_id(&favorited).await? else { return Ok(empty_list()) };
            filter.favorited_by = Some(fan);
        }
        let found = self.articles.list(&filter, page).await?;
        let articles = summary_views(&self.relations, viewer, found.summaries).await?;
        Ok(ArticleListView { articles, total: found.total })
    }

    async fn user_id(&self, raw_username: &str) -> Result<Option<UserId>, DomainError> {
        let Ok(username) = Username::parse(raw_username) else { return Ok(None) };
        Ok(self.users.find_by_username(&username).await?.map(|user| user.id))
    }
}

pub struct FeedArticles<A, F, R> {
    articles: A,
    follows: F,
    relations: R,
}

impl<A: ArticleReader, F: FollowReader, R: RelationsReader> FeedArticles<A, F, R> {
    pub fn new(articles: A, follows: F, relations: R) -> Self {
        Self { articles, follows, relations }
    }

    /// Articles by the authors the caller follows, most recent first. Computed when asked, so a
    /// follow or unfollow shows at once (including the author's earlier articles).
    pub async fn execute(
        &self,
        caller: UserId,
        limit: Option<&str>,
        offset: Option<&str>,
    ) -> Result<ArticleListView, DomainError> {
        let page = parse_page(limit, offset)?;
        let followees = self.follows.followees(caller).await?;
        if followees.is_empty() {
            return Ok(empty_list());
        }
        let found = self.articles.by_authors(&followees, page).await?;
        let articles = summary_views(&self.relations, Some(caller), found.summaries).await?;
        Ok(ArticleListView { articles, total: found.total })
    }
}

/// Favorite (`favorite = true`) or unfavorite; both idempotent, both answer the article.
pub struct ChangeFavorite<A, F, R> {
    articles: A,
    favorites: F,
    relations: R,
}

impl<A: ArticleReader, F: FavoriteWriter, R: RelationsReader> ChangeFavorite<A, F, R> {
    pub fn new(articles: A, favorites: F, relations: R) -> Self {
        Self { articles, favorites, relations }
    }

    pub async fn execute(&self, caller: UserId, slug: &str, favorite: bool) -> Result<ArticleView, DomainError> {
        let slug = Slug::parse(slug).map_err(|_| DomainError::NotFound("article"))?;
        let summary = self.articles.find_summary_by_slug(&slug).await?.ok_or(DomainError::NotFound("article"))?;
        if favorite {
            self.favorites.favorite(caller, &summary).await?;
        } else {
            self.favorites.unfavorite(caller, &summary).await?;
        }
        // Read again: the count must include everybody else's concurrent favorites too.
        let article = self.articles.find_by_id(summary.id).await?.ok_or(DomainError::NotFound("article"))?;
        article_view(&self.relations, Some(caller), article).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::fakes::{InMemoryArticles, InMemoryRelations, InMemoryUsers};

    struct Given {
        articles: InMemoryArticles,
        relations: InMemoryRelations,
        jake: UserId,
        anne: UserId,
    }

    fn given() -> Given {
        let users = InMemoryUsers::default();
        let jake = users.add("jake", "jake@example.com", "password");
        let anne = users.add("anne", "anne@example.com", "password");
        Given {
            articles: InMemoryArticles::default(),
            relations: InMemoryRelations { users, ..Default::default() },
            jake,
            anne,
        }
    }

    fn draft(title: &str) -> ArticleDraft {
        ArticleDraft {
            title: Some(title.into()),
            description: Some("description".into()),
            body: Some("body".into()),
            tag_list: Some(vec!["b".into(), "a".into(), "b".into()]),
        }
    }

    fn set(text: &str) -> FieldUpdate {
        FieldUpdate::Set(text.into())
    }

    #[tokio::test]
    async fn a_clashing_title_gets_a_suffixed_slug_and_tags_are_sorted_and_distinct() {
        let given = given();
        let create = CreateArticle::new(given.articles.clone(), given.relations.clone());

        let first = create.execute(given.jake, draft("Train your dragon")).await.expect("created");
        let second = create.execute(given.anne, draft("Train your dragon")).await.expect("created");

        assert_eq!(first.article.summary.slug.as_str(), "train-your-dragon");
        assert!(second.article.summary.slug.as_str().starts_with("train-your-dragon-"));
        let tags: Vec<&str> = first.article.summary.tags.iter().map(Tag::as_str).collect();
        assert_eq!(tags, ["a", "b"]);
        assert_eq!(first.author.user.username.as_str(), "jake");
    }

    #[tokio::test]
    async fn publishing_reports_every_missing_field() {
        let given = given();
        let create = CreateArticle::new(given.articles.clone(), given.relations.clone());

        let error = create.execute(given.jake, ArticleDraft::default()).await.expect_err("refused");

        let DomainError::Validation(errors) = error else { panic!("expected validation, got {error:?}") };
        let fields: Vec<&str> = errors.fields().keys().map(String::as_str).collect();
        assert_eq!(fields, ["body", "description", "title"]);
    }

    #[tokio::test]
    async fn a_new_title_moves_the_slug_and_the_old_one_stops_resolving() {
        let given = given();
        CreateArticle::new(given.articles.clone(), given.relations.clone())
            .execute(given.jake, draft("Old title"))
            .await
            .expect("created");
        let update = UpdateArticle::new(given.articles.clone(), given.relations.clone());

        let updated = update
            .execute(given.jake, "old-title", ArticleChanges { title: set("New title"), ..Default::default() })
            .await
            .expect("updated");

        assert_eq!(updated.article.summary.slug.as_str(), "new-title");
        assert_eq!(updated.article.summary.version, 2);
        let get = GetArticle::new(given.articles.clone(), given.relations.clone());
        assert!(matches!(get.execute(None, "old-title").await, Err(DomainError::NotFound("article"))));
        assert!(get.execute(None, "new-title").await.is_ok());
    }

    #[tokio::test]
    async fn only_the_author_may_edit_and_a_missing_article_is_404_before_403() {
        let given = given();
        CreateArticle::new(given.articles.clone(), given.relations.clone())
            .execute(given.jake, draft("Mine"))
            .await
            .expect("created");
        let update = UpdateArticle::new(given.articles.clone(), given.relations.clone());
        let delete = DeleteArticle::new(given.articles.clone());
        let changes = || ArticleChanges { body: set("hijacked"), ..Default::default() };

        assert!(matches!(update.execute(given.anne, "mine", changes()).await, Err(DomainError::Forbidden)));
        assert!(matches!(update.execute(given.anne, "not-there", changes()).await, Err(DomainError::NotFound(_))));
        assert!(matches!(delete.execute(given.anne, "mine").await, Err(DomainError::Forbidden)));
        assert!(matches!(delete.execute(given.anne, "not-there").await, Err(DomainError::NotFound(_))));
        assert_eq!(given.articles.all()[0].body.as_str(), "body");
    }

    #[tokio::test]
    async fn invalid_paging_is_reported_per_parameter() {
        let given = given();
        let list = ListArticles::new(given.articles.clone(), given.relations.users.clone(), given.relations.clone());
        let query = ArticleQuery { limit: Some("0".into()), offset: Some("-1".into()), ..Default::default() };

        let error = list.execute(None, query).await.expect_err("refused");

        let DomainError::Validation(errors) = error else { panic!("expected validation, got {error:?}") };
        assert!(errors.fields().contains_key("limit") && errors.fields().contains_key("offset"));
    }

    #[tokio::test]
    async fn an_unknown_author_filter_is_an_empty_list_not_an_error() {
        let given = given();
        CreateArticle::new(given.articles.clone(), given.relations.clone())
            .execute(given.jake, draft("Something"))
            .await
            .expect("created");
        let list = ListArticles::new(given.articles.clone(), given.relations.users.clone(), given.relations.clone());

        let found = list
            .execute(None, ArticleQuery { author: Some("nobody".into()), ..Default::default() })
            .await
            .expect("listed");

        assert_eq!((found.articles.len(), found.total), (0, 0));
    }
}
