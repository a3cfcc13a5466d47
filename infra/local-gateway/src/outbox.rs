//! The mail the functions sent, shown by the local gateway only (the deployed API has no such
//! routes): `GET /_local/outbox` as JSON (`{"messages": [...]}`, newest last) for tests and scripts,
//! `GET /_local/outbox.html` as a page for a person, for instance to follow a password reset link.

use conduit_bootstrap::{CapturedMail, Outbox};

use crate::events::IncomingRequest;
use crate::gateway_response::GatewayResponse;
use crate::html::escape;

pub const OUTBOX_PATH: &str = "/_local/outbox";
pub const OUTBOX_PAGE_PATH: &str = "/_local/outbox.html";

/// The answer when the request is for the outbox; `None` leaves it to API routing.
pub(crate) fn answer(request: &IncomingRequest, outbox: &Outbox) -> Option<GatewayResponse> {
    if request.method != "GET" {
        return None;
    }
    let (content_type, body) = match request.raw_path.as_str() {
        OUTBOX_PATH => ("application/json", serde_json::json!({ "messages": outbox.messages() }).to_string()),
        OUTBOX_PAGE_PATH => ("text/html; charset=utf-8", page(&outbox.messages())),
        _ => return None,
    };
    Some(GatewayResponse {
        status: 200,
        // Always the current messages, never a cached page.
        headers: vec![("content-type".into(), content_type.into()), ("cache-control".into(), "no-store".into())],
        body: body.into_bytes(),
        route_key: None,
        function: None,
    })
}

/// Newest first, as a mail client lists them. Every value is escaped: messages carry user input.
fn page(messages: &[CapturedMail]) -> String {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Local outbox</title>\n<style>\n\
         body { font-family: sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #333; }\n\
         article { border: 1px solid #ddd; border-radius: 4px; margin: 1rem 0; padding: 0 1rem 1rem; }\n\
         dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }\n\
         dt { font-weight: bold; } dd { margin: 0; }\n\
         pre { background: #f6f6f6; padding: 1rem; white-space: pre-wrap; overflow-wrap: anywhere; }\n\
         iframe { width: 100%; height: 32rem; border: 1px solid #ddd; }\n\
         </style>\n</head>\n<body>\n<h1>Local outbox</h1>\n",
    );
    html.push_str(&format!(
        "<p>{} sent by the local API, newest first; not delivered anywhere. As JSON: <a href=\"{OUTBOX_PATH}\">{OUTBOX_PATH}</a>.</p>\n",
        match messages.len() {
            1 => "1 mail".to_owned(),
            count => format!("{count} mails"),
        }
    ));
    for mail in messages.iter().rev() {
        html.push_str(&format!(
            "<article>\n<h2>{subject}</h2>\n<dl><dt>To</dt><dd>{to}</dd><dt>Sent at</dt><dd>{sent_at}</dd></dl>\n\
             <pre>{text}</pre>\n\
             <details><summary>HTML part</summary><iframe sandbox title=\"HTML part\" srcdoc=\"{html_part}\"></iframe></details>\n\
             </article>\n",
            subject = escape(&mail.subject),
            to = escape(mail.to.as_str()),
            sent_at = escape(&mail.sent_at.to_iso8601()),
            text = escape(&mail.text),
            // A sandboxed frame runs none of the message's scripts and cannot touch this page.
            html_part = escape(&mail.html),
        ));
    }
    html.push_str("</body>\n</html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::events::test_request as request;

    #[test]
    fn only_gets_of_the_outbox_paths_are_answered_here() {
        let outbox = Outbox::new();

        for (method, path) in [("GET", OUTBOX_PATH), ("GET", OUTBOX_PAGE_PATH)] {
            let answer = answer(&request(method, path, &[]), &outbox).expect("answered");
            assert_eq!(answer.status, 200, "{path}");
        }
        for (method, path) in [("POST", OUTBOX_PATH), ("GET", "/_local/outbox/1"), ("GET", "/api/tags")] {
            assert!(answer(&request(method, path, &[]), &outbox).is_none(), "{method} {path}");
        }
    }

    #[test]
    fn an_empty_outbox_says_so() {
        assert!(page(&[]).contains("0 mails sent by the local API"));
    }
}
