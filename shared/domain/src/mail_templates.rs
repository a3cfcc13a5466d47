//! The e-mails the domain sends, each rendered from two templates under `templates/mail/`: a plain
//! text part and an HTML part. Templates are compiled in, so a broken one fails the build, not a
//! request; the HTML ones escape every value they insert (askama escapes by file extension).

use askama::Template;

use crate::account_notice::{AccountNotice, PasswordChange};
use crate::error::InfrastructureError;
use crate::ports::MailMessage;
use crate::values::{Email, Username};

/// The mail that carries a password reset link.
pub fn password_reset(
    to: &Email,
    username: &Username,
    link: &str,
    valid_for_minutes: u32,
) -> Result<MailMessage, InfrastructureError> {
    let mail = PasswordReset { username: username.as_str(), link, validity: duration_in_words(valid_for_minutes) };
    Ok(MailMessage {
        to: to.clone(),
        subject: "Reset your Conduit password".to_owned(),
        text: render(&PasswordResetText { mail: &mail })?,
        html: render(&PasswordResetHtml { mail: &mail })?,
    })
}

/// The mail that greets a newly registered user.
pub fn welcome(to: &Email, username: &Username, app_url: &str) -> Result<MailMessage, InfrastructureError> {
    let mail = Welcome { username: username.as_str(), app_url };
    Ok(MailMessage {
        to: to.clone(),
        subject: "Welcome to Conduit".to_owned(),
        text: render(&WelcomeText { mail: &mail })?,
        html: render(&WelcomeHtml { mail: &mail })?,
    })
}

/// The security notice that tells an account's former address what changed, and how to act on a
/// change its owner did not make: `reset_request_link` is the front end's page that asks for a
/// reset link. It carries no secret, and shows the new address only partly (see [`masked`]).
pub fn account_notice(notice: &AccountNotice, reset_request_link: &str) -> Result<MailMessage, InfrastructureError> {
    let new_email = notice.new_email().map(masked);
    let mut changes = Vec::new();
    if let Some(new_email) = &new_email {
        changes.push(format!(
            "Its e-mail address is now {new_email}. Mail for the account, password reset links included, goes \
             there from now on, not here."
        ));
    }
    match notice.password() {
        Some(PasswordChange::Changed) => changes.push("Its password was changed.".to_owned()),
        Some(PasswordChange::Reset) => {
            changes.push("Its password was reset through a link mailed to this address.".to_owned());
        }
        None => {}
    }
    let subject = match (new_email.is_some(), notice.password()) {
        (true, Some(_)) => "Your Conduit e-mail address and password were changed",
        (true, None) => "Your Conduit e-mail address was changed",
        (false, Some(PasswordChange::Reset)) => "Your Conduit password was reset",
        (false, _) => "Your Conduit password was changed",
    };
    let mail = AccountNoticeMail {
        username: notice.username().as_str(),
        changes,
        changed_at: minute_in_words(&notice.changed_at().to_iso8601()),
        link: reset_request_link,
    };
    Ok(MailMessage {
        to: notice.recipient().clone(),
        subject: subject.to_owned(),
        text: render(&AccountNoticeText { mail: &mail })?,
        html: render(&AccountNoticeHtml { mail: &mail })?,
    })
}

/// An address shown partly: the first character of its local part and of its domain, and the
/// domain's last label (`jake.smith@example.com` is `j***@e***.com`). The former address may no
/// longer be the owner's (a recycled or a former employer's mailbox is a common reason to move),
/// so it is not told where the owner now reads mail; the owner still recognises their own.
pub fn masked(email: &Email) -> String {
    let first = |text: &str| text.chars().next().map(String::from).unwrap_or_default();
    let (local, domain) = email.as_str().rsplit_once('@').unwrap_or((email.as_str(), ""));
    let (name, top_level) = domain.rsplit_once('.').unwrap_or((domain, ""));
    format!("{}***@{}***.{top_level}", first(local), first(name))
}

/// `2026-01-01T10:00:00.000Z` as `2026-01-01 at 10:00 UTC`.
fn minute_in_words(iso8601: &str) -> String {
    match (iso8601.get(..10), iso8601.get(11..16)) {
        (Some(day), Some(minute)) => format!("{day} at {minute} UTC"),
        _ => iso8601.to_owned(),
    }
}

struct AccountNoticeMail<'a> {
    username: &'a str,
    /// One sentence per change, about "your Conduit account".
    changes: Vec<String>,
    changed_at: String,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/account_notice.txt")]
struct AccountNoticeText<'a> {
    mail: &'a AccountNoticeMail<'a>,
}

#[derive(Template)]
#[template(path = "mail/account_notice.html")]
struct AccountNoticeHtml<'a> {
    mail: &'a AccountNoticeMail<'a>,
}

struct PasswordReset<'a> {
    username: &'a str,
    link: &'a str,
    validity: String,
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct PasswordResetText<'a> {
    mail: &'a PasswordReset<'a>,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct PasswordResetHtml<'a> {
    mail: &'a PasswordReset<'a>,
}

struct Welcome<'a> {
    username: &'a str,
    app_url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/welcome.txt")]
struct WelcomeText<'a> {
    mail: &'a Welcome<'a>,
}

#[derive(Template)]
#[template(path = "mail/welcome.html")]
struct WelcomeHtml<'a> {
    mail: &'a Welcome<'a>,
}

fn render(template: &impl Template) -> Result<String, InfrastructureError> {
    template.render().map_err(|error| InfrastructureError::new("rendering a mail", error))
}

/// "1 minute", "45 minutes", "1 hour", "2 hours": whole hours read better than "120 minutes".
fn duration_in_words(minutes: u32) -> String {
    let (count, unit) =
        if minutes >= 60 && minutes.is_multiple_of(60) { (minutes / 60, "hour") } else { (minutes, "minute") };
    if count == 1 { format!("1 {unit}") } else { format!("{count} {unit}s") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::Timestamp;

    fn jake() -> (Email, Username) {
        (Email::parse("jake@example.com").expect("valid"), Username::parse("jake").expect("valid"))
    }

    #[test]
    fn a_password_reset_mail_carries_the_link_its_validity_and_what_to_do_if_unasked_in_both_parts() {
        // Given a reset link valid for half an hour
        let (email, username) = jake();
        let link = "https://conduit.example/reset?token=abc123";

        // When the mail is rendered
        let mail = password_reset(&email, &username, link, 30).expect("rendered");

        // Then it goes to the account's address, and each part greets the user, carries the
        // link, says how long it is valid and reassures a user who did not ask
        assert_eq!(mail.to, email);
        assert_eq!(mail.subject, "Reset your Conduit password");
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("Hello jake,"), "{part}");
            assert!(part.contains(link), "{part}");
            assert!(part.contains("valid for 30 minutes"), "{part}");
            assert!(part.contains("If you did not ask for this, ignore this mail; your password stays unchanged."));
        }
        assert!(mail.html.contains(&format!(r#"<a href="{link}""#)), "the HTML part links it: {}", mail.html);
        assert!(!mail.text.contains('<'), "the text part has no markup: {}", mail.text);
    }

    #[test]
    fn a_welcome_mail_greets_the_user_and_links_the_app_in_both_parts() {
        let (email, username) = jake();

        let mail = welcome(&email, &username, "https://conduit.example/").expect("rendered");

        assert_eq!(mail.to, email);
        assert_eq!(mail.subject, "Welcome to Conduit");
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("Hello jake,"), "{part}");
            assert!(part.contains("Welcome to Conduit!"), "{part}");
            assert!(part.contains("https://conduit.example/"), "{part}");
        }
        assert!(mail.html.contains(r#"<a href="https://conduit.example/""#), "{}", mail.html);
    }

    #[test]
    fn markup_in_an_inserted_value_is_escaped_in_the_html_part_and_verbatim_in_the_text_part() {
        // Given values carrying markup. A username cannot (Username allows letters, digits, '_',
        // '-' and '.'), so the link and the app address stand in for anything user-supplied.
        let (email, username) = jake();
        let hostile = r#"https://conduit.example/?a=1&b="><script>alert(1)</script>"#;

        // When both mails are rendered with them
        let mails = [
            password_reset(&email, &username, hostile, 30).expect("rendered"),
            welcome(&email, &username, hostile).expect("rendered"),
            account_notice(&address_and_password_notice(), hostile).expect("rendered"),
        ];

        // Then the HTML parts show the markup as text and the text parts carry it unchanged
        for mail in mails {
            let html = &mail.html;
            assert!(!html.contains("<script>"), "{html}");
            assert!(!html.contains(r#"b="">"#), "the quote cannot close the href attribute: {html}");
            let escaped = ["&#60;script&#62;", "&lt;script&gt;"];
            assert!(escaped.iter().any(|tag| html.contains(tag)), "the tag is shown as text: {html}");
            assert!(html.contains("alert(1)"), "{html}");
            assert!(mail.text.contains(hostile), "{}", mail.text);
        }
    }

    /// jake's notice of a new address and a new password in one change.
    fn address_and_password_notice() -> AccountNotice {
        let previous = crate::account_notice::tests::jake();
        let mut updated = previous.with_password(
            crate::values::PasswordHash::from_phc("hashed:second".into()),
            Timestamp::parse_iso8601("2026-01-01T10:00:00Z").expect("valid"),
        );
        updated.email = Email::parse("jacob.smith@elsewhere.example").expect("valid");
        updated.updated_at = Timestamp::parse_iso8601("2026-01-01T10:00:00Z").expect("valid");
        AccountNotice::for_change(&previous, &updated).expect("a notice")
    }

    #[test]
    fn an_account_notice_tells_the_former_address_what_changed_and_when_and_links_the_reset_request_page() {
        // Given jake's notice of a new address and a new password
        let notice = address_and_password_notice();

        // When it is rendered
        let mail = account_notice(&notice, "https://conduit.example/reset-password").expect("rendered");

        // Then it goes to the former address, and each part tells both changes, when, what to do
        // if they were not his, and links the page that requests a reset
        assert_eq!(mail.to.as_str(), "jake@example.com");
        assert_eq!(mail.subject, "Your Conduit e-mail address and password were changed");
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("Hello jake,"), "{part}");
            assert!(part.contains("on 2026-01-01 at 10:00 UTC"), "{part}");
            assert!(part.contains("Its e-mail address is now j***@e***.example."), "{part}");
            assert!(part.contains("Its password was changed."), "{part}");
            assert!(part.contains("If you did not, someone else may be using your account"), "{part}");
            assert!(part.contains("https://conduit.example/reset-password"), "{part}");
            assert!(!part.contains("elsewhere") && !part.contains("hashed:"), "no new address, no hash: {part}");
        }
        assert!(mail.html.contains(r#"<a href="https://conduit.example/reset-password""#), "{}", mail.html);
        assert!(!mail.text.contains('<'), "the text part has no markup: {}", mail.text);
    }

    #[test]
    fn a_notice_of_one_change_names_it_in_its_subject() {
        let user = crate::account_notice::tests::jake();
        let reset = user.with_password(crate::values::PasswordHash::from_phc("hashed:reset".into()), Timestamp::now());
        let mut moved = user.clone();
        moved.email = Email::parse("jake@elsewhere.example").expect("valid");
        moved.version += 1;

        let subject = |notice: Option<AccountNotice>| {
            let link = "https://conduit.example/reset-password";
            account_notice(&notice.expect("a notice"), link).expect("rendered").subject
        };

        assert_eq!(subject(Some(AccountNotice::for_reset(&user, &reset))), "Your Conduit password was reset");
        assert_eq!(subject(AccountNotice::for_change(&user, &reset)), "Your Conduit password was changed");
        assert_eq!(subject(AccountNotice::for_change(&user, &moved)), "Your Conduit e-mail address was changed");
    }

    #[test]
    fn an_address_is_masked_to_its_first_letters_and_top_level_domain() {
        let masked_of = |raw: &str| masked(&Email::parse(raw).expect("valid"));

        assert_eq!(masked_of("jacob.smith@elsewhere.example"), "j***@e***.example");
        assert_eq!(masked_of("a@mail.example.co.uk"), "a***@m***.uk");
        assert_eq!(masked_of("Ørjan@ålesund.no"), "Ø***@å***.no");
    }

    #[test]
    fn a_validity_reads_in_whole_hours_when_it_is_some_and_in_minutes_otherwise() {
        assert_eq!(duration_in_words(1), "1 minute");
        assert_eq!(duration_in_words(45), "45 minutes");
        assert_eq!(duration_in_words(60), "1 hour");
        assert_eq!(duration_in_words(90), "90 minutes");
        assert_eq!(duration_in_words(120), "2 hours");
        assert_eq!(duration_in_words(0), "0 minutes");
    }
}
