use conduit_domain::views::Profile;
use serde::Serialize;
use utoipa::ToSchema;

/// `{"username","bio","image","following"}`: the profile object, also used as an author.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileBody {
    username: String,
    #[schema(required = true)]
    bio: Option<String>,
    #[schema(required = true)]
    image: Option<String>,
    following: bool,
}

impl From<&Profile> for ProfileBody {
    fn from(profile: &Profile) -> Self {
        Self {
            username: profile.user.username.as_str().to_owned(),
            bio: profile.user.bio.as_ref().map(|bio| bio.as_str().to_owned()),
            image: profile.user.image.as_ref().map(|image| image.as_str().to_owned()),
            following: profile.following,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileResponse {
    profile: ProfileBody,
}

impl From<&Profile> for ProfileResponse {
    fn from(profile: &Profile) -> Self {
        Self { profile: profile.into() }
    }
}
