//! Publishing, reading, editing and deleting articles, lists, favorites.

use super::personalize::{list_view, viewed};
use super::{FieldUpdate, required};
use crate::article::Article;
use crate::idempotency::AnswerOf;
use crate::ports::{
    ArticleFilter, ArticleReader, ArticleWriter, FavoriteWriter, RelationsReader, StoreError, UniqueField,
    ViewedArticle,
};
use crate::validation::InvalidValue;
use crate::values::{ArticleBody, Description, Page, Slug, Tag, TagList, Timestamp, Title, UserId, Username};
use crate::views::{ArticleListView, ArticleView};
use crate::write_quotas::{WriteAction, WriteQuotas};
use crate::{DomainError, ValidationErrors};

/// Slug suffix lengths tried in turn when a title's plain slug is taken. Eight base32 characters
/// of a ULID's random part make a further clash a one-in-a-trillion event; sixteen end the matter.
const SLUG_SUFFIXES: [usize; 2] = [8, 16];

/// Parses the slug in the URL; a string no title could produce names nothing.
fn slug_of(raw_slug: &str) -> Result<Slug, DomainError> {
    Slug::parse(raw_slug).map_err(|_| DomainError::NotFound("article"))
}

/// Finds the article named in the URL, with what `viewer` needs to render it.
async fn article_by_slug<A: ArticleReader>(
    articles: &A,
    raw_slug: &str,
    viewer: Option<UserId>,
) -> Result<ViewedArticle, DomainError> {
    articles.find_by_slug(&slug_of(raw_slug)?, viewer).await?.ok_or(DomainError::NotFound("article"))
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
    quotas: WriteQuotas,
}

impl<W: ArticleWriter, R: RelationsReader> CreateArticle<W, R> {
    pub fn new(articles: W, relations: R, quotas: WriteQuotas) -> Self {
        Self { articles, relations, quotas }
    }

    pub async fn execute(&self, author: UserId, draft: ArticleDraft) -> Result<ArticleView, DomainError> {
        self.execute_keyed(author, draft, &AnswerOf::unkeyed()).await
    }

    /// Publishes, committing `answer`'s completion with the article (a keyed request).
    #[tracing::instrument(name = "CreateArticle", skip_all)]
    pub async fn execute_keyed(
        &self,
        author: UserId,
        draft: ArticleDraft,
        answer: &AnswerOf<'_, ArticleView>,
    ) -> Result<ArticleView, DomainError> {
        let mut errors = ValidationErrors::default();
        let title = required(&mut errors, "title", draft.title.as_deref(), Title::parse);
        let description = required(&mut errors, "description", draft.description.as_deref(), Description::parse);
        let body = required(&mut errors, "body", draft.body.as_deref(), ArticleBody::parse);
        let tags = errors.check("tagList", TagList::parse(draft.tag_list.as_deref().unwrap_or_default()));
        let (Some(title), Some(description), Some(body), Some(tags)) = (title, description, body, tags) else {
            return Err(errors.into());
        };

        let article = Article::publish(author, title, description, body, tags);
        // The answer is known before the write (the author's profile is read first), so a keyed
        // request's write can commit it; a new article has no favorites and its author follows
        // no one's article of their own.
        let relations = self.relations.relations(Some(author), &[author], &[]).await?;
        if !relations.users.contains_key(&author) {
            return Err(DomainError::NotFound("user"));
        }
        let base = article.summary.slug.clone();
        // A write refused for its slug stores and counts nothing, so the retry under another
        // slug is still this article's one count.
        let charge = self.quotas.charge(WriteAction::Article, article.summary.created_at);
        let relations = &relations;
        let stored = with_unique_slug(article, base, |candidate| async move {
            // Cannot fail: the author was found above.
            let completion = viewed(candidate.clone(), relations).ok().and_then(|view| answer.completion(&view));
            let outcome = self.articles.insert(&candidate, &charge, completion.as_ref()).await;
            (candidate, outcome)
        })
        .await?;
        viewed(stored, relations)
    }
}

pub struct GetArticle<A> {
    articles: A,
}

impl<A: ArticleReader> GetArticle<A> {
    pub fn new(articles: A) -> Self {
        Self { articles }
    }

    #[tracing::instrument(name = "GetArticle", skip_all)]
    pub async fn execute(&self, viewer: Option<UserId>, slug: &str) -> Result<ArticleView, DomainError> {
        let found = article_by_slug(&self.articles, slug, viewer).await?;
        viewed(found.article, &found.relations)
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

pub struct UpdateArticle<S> {
    articles: S,
}

impl<S: ArticleReader + ArticleWriter> UpdateArticle<S> {
    const ATTEMPTS: usize = 3;

    pub fn new(articles: S) -> Self {
        Self { articles }
    }

    /// Only the author may edit. A new title gives a new slug; the old one stops resolving.
    pub async fn execute(
        &self,
        caller: UserId,
        slug: &str,
        changes: ArticleChanges,
    ) -> Result<ArticleView, DomainError> {
        self.execute_keyed(caller, slug, changes, &AnswerOf::unkeyed()).await
    }

    /// Edits, committing `answer`'s completion with the edit (a keyed request).
    #[tracing::instrument(name = "UpdateArticle", skip_all)]
    pub async fn execute_keyed(
        &self,
        caller: UserId,
        slug: &str,
        changes: ArticleChanges,
        answer: &AnswerOf<'_, ArticleView>,
    ) -> Result<ArticleView, DomainError> {
        let mut errors = ValidationErrors::default();
        let title = changed(&mut errors, "title", &changes.title, Title::parse);
        let description = changed(&mut errors, "description", &changes.description, Description::parse);
        let body = changed(&mut errors, "body", &changes.body, ArticleBody::parse);

        for _ in 0..Self::ATTEMPTS {
            // Read with what the answer shows (the author is the caller, whose favorite it may be),
            // so the edit needs no read after it.
            let ViewedArticle { article: current, relations } =
                article_by_slug(&self.articles, slug, Some(caller)).await?;
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
                return viewed(current, &relations);
            }
            updated.summary.updated_at = Timestamp::now().max(current.summary.updated_at);
            updated.summary.version = current.summary.version + 1;

            let base = Slug::from_title(&updated.summary.title);
            let keeps_slug = updated.summary.title == current.summary.title
                || current.summary.slug == base
                || SLUG_SUFFIXES
                    .iter()
                    .any(|length| base.with_suffix_of(current.summary.id, *length) == current.summary.slug);
            // What the answer shows is known before the write: the article as written, with the
            // relations read above.
            let relations = &relations;
            let completion_for = |candidate: &Article| {
                viewed(candidate.clone(), relations).ok().and_then(|view| answer.completion(&view))
            };
            let written = if keeps_slug {
                let outcome = self.articles.update(&current, &updated, completion_for(&updated).as_ref()).await;
                outcome.map(|()| updated).map_err(DomainError::from)
            } else {
                let current = &current;
                let completion_for = &completion_for;
                with_unique_slug(updated, base, |candidate| async move {
                    let outcome = self.articles.update(current, &candidate, completion_for(&candidate).as_ref()).await;
                    (candidate, outcome)
                })
                .await
            };
            match written {
                Ok(stored) => return viewed(stored, relations),
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

    #[tracing::instrument(name = "DeleteArticle", skip_all)]
    pub async fn execute(&self, caller: UserId, slug: &str) -> Result<(), DomainError> {
        let article =
            self.articles.find_summary_by_slug(&slug_of(slug)?).await?.ok_or(DomainError::NotFound("article"))?;
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

pub(super) fn parse_page(limit: Option<&str>, offset: Option<&str>) -> Result<Page, DomainError> {
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

pub struct ListArticles<A> {
    articles: A,
}

impl<A: ArticleReader> ListArticles<A> {
    pub fn new(articles: A) -> Self {
        Self { articles }
    }

    /// A filter naming nobody (an unknown author, a tag no article could carry) matches nothing:
    /// an empty page, not an error.
    #[tracing::instrument(name = "ListArticles", skip_all)]
    pub async fn execute(&self, viewer: Option<UserId>, query: ArticleQuery) -> Result<ArticleListView, DomainError> {
        let page = parse_page(query.limit.as_deref(), query.offset.as_deref())?;
        let present = |value: Option<String>| value.filter(|text| !text.trim().is_empty());
        let mut filter = ArticleFilter::default();
        if let Some(tag) = present(query.tag) {
            let Ok(tag) = Tag::parse(&tag) else { return Ok(empty_list()) };
            filter.tag = Some(tag);
        }
        if let Some(author) = present(query.author) {
            let Ok(author) = Username::parse(&author) else { return Ok(empty_list()) };
            filter.author = Some(author);
        }
        if let Some(fan) = present(query.favorited) {
            let Ok(fan) = Username::parse(&fan) else { return Ok(empty_list()) };
            filter.favorited_by = Some(fan);
        }
        list_view(self.articles.list(&filter, page, viewer).await?)
    }
}

/// Favorite (`favorite = true`) or unfavorite; both idempotent, both answer the article. A new
/// favorite counts against the fan's quota.
pub struct ChangeFavorite<A, F> {
    articles: A,
    favorites: F,
    quotas: WriteQuotas,
}

impl<A: ArticleReader, F: FavoriteWriter> ChangeFavorite<A, F> {
    pub fn new(articles: A, favorites: F, quotas: WriteQuotas) -> Self {
        Self { articles, favorites, quotas }
    }

    /// The write needs only what the slug names (the article and its author); the answer is read
    /// after it, so its count includes this change and every other one committed before the read,
    /// as a read by anyone right after this request would.
    #[tracing::instrument(name = "ChangeFavorite", skip_all)]
    pub async fn execute(&self, caller: UserId, slug: &str, favorite: bool) -> Result<ArticleView, DomainError> {
        let article = self.articles.resolve_slug(&slug_of(slug)?).await?.ok_or(DomainError::NotFound("article"))?;
        if favorite {
            let charge = self.quotas.charge(WriteAction::Favorite, Timestamp::now());
            self.favorites.favorite(caller, article, &charge).await?;
        } else {
            self.favorites.unfavorite(caller, article).await?;
        }
        let found = self.articles.find_by_ref(article, Some(caller)).await?.ok_or(DomainError::NotFound("article"))?;
        viewed(found.article, &found.relations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throttling::{ThrottleScope, WindowQuota};
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
        let relations = InMemoryRelations { users, ..Default::default() };
        Given { articles: InMemoryArticles::reading(&relations), relations, jake, anne }
    }

    fn draft(title: &str) -> ArticleDraft {
        ArticleDraft {
            title: Some(title.into()),
            description: Some("description".into()),
            body: Some("body".into()),
            tag_list: Some(vec!["b".into(), "a".into(), "b".into()]),
        }
    }

    async fn publish(given: &Given, author: UserId, title: &str) {
        CreateArticle::new(given.articles.clone(), given.relations.clone(), WriteQuotas::default())
            .execute(author, draft(title))
            .await
            .expect("created");
    }

    fn set(text: &str) -> FieldUpdate {
        FieldUpdate::Set(text.into())
    }

    #[tokio::test]
    async fn a_clashing_title_gets_a_suffixed_slug_and_tags_are_sorted_and_distinct() {
        let given = given();
        let create = CreateArticle::new(given.articles.clone(), given.relations.clone(), WriteQuotas::default());

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
        let create = CreateArticle::new(given.articles.clone(), given.relations.clone(), WriteQuotas::default());

        let error = create.execute(given.jake, ArticleDraft::default()).await.expect_err("refused");

        let DomainError::Validation(errors) = error else { panic!("expected validation, got {error:?}") };
        let fields: Vec<&str> = errors.fields().keys().map(String::as_str).collect();
        assert_eq!(fields, ["body", "description", "title"]);
    }

    #[tokio::test]
    async fn a_new_title_moves_the_slug_and_the_old_one_stops_resolving() {
        let given = given();
        publish(&given, given.jake, "Old title").await;
        let update = UpdateArticle::new(given.articles.clone());

        let updated = update
            .execute(given.jake, "old-title", ArticleChanges { title: set("New title"), ..Default::default() })
            .await
            .expect("updated");

        assert_eq!(updated.article.summary.slug.as_str(), "new-title");
        assert_eq!(updated.article.summary.version, 2);
        let get = GetArticle::new(given.articles.clone());
        assert!(matches!(get.execute(None, "old-title").await, Err(DomainError::NotFound("article"))));
        assert!(get.execute(None, "new-title").await.is_ok());
    }

    #[tokio::test]
    async fn only_the_author_may_edit_and_a_missing_article_is_404_before_403() {
        let given = given();
        publish(&given, given.jake, "Mine").await;
        let update = UpdateArticle::new(given.articles.clone());
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
        let list = ListArticles::new(given.articles.clone());
        let query = ArticleQuery { limit: Some("0".into()), offset: Some("-1".into()), ..Default::default() };

        let error = list.execute(None, query).await.expect_err("refused");

        let DomainError::Validation(errors) = error else { panic!("expected validation, got {error:?}") };
        assert!(errors.fields().contains_key("limit") && errors.fields().contains_key("offset"));
    }

    #[tokio::test]
    async fn an_unknown_author_filter_is_an_empty_list_not_an_error() {
        let given = given();
        publish(&given, given.jake, "Something").await;
        let list = ListArticles::new(given.articles.clone());

        let found = list
            .execute(None, ArticleQuery { author: Some("nobody".into()), ..Default::default() })
            .await
            .expect("listed");

        assert_eq!((found.articles.len(), found.total), (0, 0));
    }

    #[tokio::test]
    async fn favoriting_answers_the_count_after_the_write_and_repeating_it_changes_nothing() {
        // Given jake's article
        let given = given();
        publish(&given, given.jake, "Dragons").await;
        let change = ChangeFavorite::new(given.articles.clone(), given.articles.clone(), WriteQuotas::default());

        // When anne favorites it twice, then unfavorites it
        let first = change.execute(given.anne, "dragons", true).await.expect("favorited");
        let again = change.execute(given.anne, "dragons", true).await.expect("favorited again");
        let undone = change.execute(given.anne, "dragons", false).await.expect("unfavorited");

        // Then each answer shows her favorite and the count as the write left them
        assert_eq!((first.favorited, first.article.summary.favorites_count), (true, 1));
        assert_eq!((again.favorited, again.article.summary.favorites_count), (true, 1));
        assert_eq!((undone.favorited, undone.article.summary.favorites_count), (false, 0));
        assert!(matches!(change.execute(given.anne, "nothing-here", true).await, Err(DomainError::NotFound(_))));
    }

    #[tokio::test]
    async fn a_list_filtered_by_a_fan_shows_each_article_as_its_viewer_sees_it() {
        // Given two articles by jake, one favorited by anne, and anne following jake
        let given = given();
        publish(&given, given.jake, "Liked").await;
        publish(&given, given.jake, "Ignored").await;
        ChangeFavorite::new(given.articles.clone(), given.articles.clone(), WriteQuotas::default())
            .execute(given.anne, "liked", true)
            .await
            .expect("favorited");
        given.relations.follows.lock().expect("lock").insert((given.anne, given.jake));
        let list = ListArticles::new(given.articles.clone());
        let favorited_by_anne = || ArticleQuery { favorited: Some("Anne".into()), ..Default::default() };

        // When anne and an anonymous reader list anne's favorites
        let for_anne = list.execute(Some(given.anne), favorited_by_anne()).await.expect("listed");
        let anonymous = list.execute(None, favorited_by_anne()).await.expect("listed");

        // Then both see the one article; only anne sees it favorited and its author followed
        assert_eq!((for_anne.total, anonymous.total), (1, 1));
        assert_eq!(for_anne.articles[0].summary.slug.as_str(), "liked");
        assert!(for_anne.articles[0].favorited && for_anne.articles[0].author.following);
        assert!(!anonymous.articles[0].favorited && !anonymous.articles[0].author.following);
    }

    /// Quotas of `max` of each kind a day (a window no test run crosses but by a rare chance).
    fn quotas_of(max: u32) -> WriteQuotas {
        let quota = WindowQuota { max, window: std::time::Duration::from_secs(24 * 60 * 60) };
        WriteQuotas { articles: quota, comments: quota, follows: quota, favorites: quota }
    }

    #[tokio::test]
    async fn the_article_past_the_authors_quota_is_refused_with_the_wait_and_not_stored() {
        // Given a quota of two articles, both used by jake
        let given = given();
        let create = CreateArticle::new(given.articles.clone(), given.relations.clone(), quotas_of(2));
        create.execute(given.jake, draft("One")).await.expect("first");
        create.execute(given.jake, draft("Two")).await.expect("second");

        // When jake publishes a third, and anne her first
        let refused = create.execute(given.jake, draft("Three")).await;
        let hers = create.execute(given.anne, draft("Hers")).await;

        // Then jake's is refused until the window ends and not stored; anne's quota is her own
        let Err(DomainError::Throttled(refusal)) = refused else { panic!("expected a refusal, got {refused:?}") };
        assert_eq!(refusal.scope, ThrottleScope::AccountWrites(WriteAction::Article));
        assert!(refusal.retry_after > std::time::Duration::ZERO);
        assert!(refusal.retry_after <= std::time::Duration::from_secs(24 * 60 * 60));
        assert!(hers.is_ok(), "{hers:?}");
        let mut titles: Vec<String> =
            given.articles.all().iter().map(|a| a.summary.title.as_str().to_owned()).collect();
        titles.sort();
        assert_eq!(titles, ["Hers", "One", "Two"]);
    }

    #[tokio::test]
    async fn an_article_moved_to_another_slug_is_counted_once() {
        // Given anne's article holding the slug, and a quota of one article
        let given = given();
        let create = CreateArticle::new(given.articles.clone(), given.relations.clone(), quotas_of(1));
        create.execute(given.anne, draft("Dragons")).await.expect("anne's");

        // When jake publishes the same title (its plain slug refused, then a suffixed one)
        let moved = create.execute(given.jake, draft("Dragons")).await;

        // Then it is stored, having used his one article of the window
        assert!(moved.expect("stored under a suffixed slug").article.summary.slug.as_str().starts_with("dragons-"));
        assert!(matches!(create.execute(given.jake, draft("More")).await, Err(DomainError::Throttled(_))));
    }

    #[tokio::test]
    async fn a_repeated_favorite_is_not_counted_and_one_past_the_quota_is_refused() {
        // Given three articles and a quota of two favorites
        let given = given();
        for title in ["A", "B", "C"] {
            publish(&given, given.jake, title).await;
        }
        let change = ChangeFavorite::new(given.articles.clone(), given.articles.clone(), quotas_of(2));

        // When anne favorites the first twice, the second, then the third
        change.execute(given.anne, "a", true).await.expect("favorited");
        change.execute(given.anne, "a", true).await.expect("favorited again: nothing counted");
        change.execute(given.anne, "b", true).await.expect("second");
        let third = change.execute(given.anne, "c", true).await;

        // Then the third is refused, and its count is unchanged
        let Err(DomainError::Throttled(refusal)) = third else { panic!("expected a refusal, got {third:?}") };
        assert_eq!(refusal.scope, ThrottleScope::AccountWrites(WriteAction::Favorite));
        let c = given.articles.all().into_iter().find(|a| a.summary.title.as_str() == "C").expect("C");
        assert_eq!(c.summary.favorites_count, 0);
    }
}
