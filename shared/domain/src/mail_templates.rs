//! The e-mails the domain sends, each rendered from two templates under `templates/mail/`: a plain
//! text part and an HTML part. Templates are compiled in, so a broken one fails the build, not a
//! request; the HTML ones escape every value they insert (askama escapes by file extension).

use askama::Template;

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
