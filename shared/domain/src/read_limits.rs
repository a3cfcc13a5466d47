//! How much one read may return and cost, whatever the table holds (OWASP API Security
//! API4:2023, unrestricted resource consumption). Each is a template parameter deployed and an
//! environment variable locally; these are the defaults.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Comments on one page of an article's comments: the page size when the client names none,
    /// and the most it may ask for.
    pub comments_per_page: usize,
    /// The most bytes one page of comments may take as JSON: bodies of up to 10,000 characters
    /// make a page of 100 up to a few MB, and Lambda refuses answers over 6 MB.
    pub comment_page_bytes: usize,
    /// The most tags `GET /api/tags` lists (the most used).
    pub tags_listed: usize,
    /// How many of the newest entries of the fan's favorites (or the author's articles) a list
    /// with two or three filters searches: with a tag among them, each entry searched costs a
    /// read of half a unit, so this bounds such a list's cost.
    pub combined_filter_window: usize,
}

impl ReadLimits {
    /// The smallest byte budget accepted: one comment of the longest body, as JSON, always fits.
    pub const MIN_COMMENT_PAGE_BYTES: usize = 128 * 1024;
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self { comments_per_page: 100, comment_page_bytes: 1024 * 1024, tags_listed: 100, combined_filter_window: 500 }
    }
}
