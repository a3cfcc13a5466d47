//! `POST /api/articles/{slug}/favorite`: favorite an article (idempotent).

use conduit_bootstrap::{Adapters, DynamoArticles, DynamoFavorites, StartupError};
use conduit_domain::usecases::ChangeFavorite;
use conduit_http::dto::articles::ArticleResponse;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct FavoriteArticleEndpoint {
    change_favorite: ChangeFavorite<DynamoArticles, DynamoFavorites>,
}

impl FavoriteArticleEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        let change_favorite =
            ChangeFavorite::new(adapters.articles(), adapters.favorites(), adapters.abuse_limits().account_writes);
        Ok(Self { change_favorite })
    }
}

impl Endpoint for FavoriteArticleEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let slug = request::path_parameter(&request, "slug")?;
        let article = self.change_favorite.execute(caller.user_id, &slug, true).await?;
        Ok(response::ok(&ArticleResponse::from(&article)))
    }
}
