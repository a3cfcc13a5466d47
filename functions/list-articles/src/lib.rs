//! `GET /api/articles?tag=&author=&favorited=&limit=&offset=`: most recent first, with the total.

use conduit_bootstrap::{Adapters, DynamoArticles, DynamoUsers, JwtService, StartupError};
use conduit_domain::usecases::{ArticleQuery, Authenticate, ListArticles};
use conduit_http::dto::articles::ArticlesResponse;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct ListArticlesEndpoint {
    authenticate: Authenticate<JwtService, DynamoUsers>,
    list_articles: ListArticles<DynamoArticles>,
}

impl ListArticlesEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        let list_articles = ListArticles::new(adapters.articles());
        Ok(Self { authenticate: adapters.authenticate()?, list_articles })
    }
}

impl Endpoint for ListArticlesEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let query = ArticleQuery {
            tag: request::query_parameter(&request, "tag"),
            author: request::query_parameter(&request, "author"),
            favorited: request::query_parameter(&request, "favorited"),
            limit: request::query_parameter(&request, "limit"),
            offset: request::query_parameter(&request, "offset"),
        };
        let list = auth::read_as_optional_caller(&request, &self.authenticate, |viewer| async move {
            Ok(self.list_articles.execute(viewer, query).await?)
        })
        .await?;
        Ok(response::ok(&ArticlesResponse::from(&list)))
    }
}
