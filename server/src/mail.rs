//! Outgoing mail (password-reset and verification links, course-update reminders): SMTP through `lettre` when `SMTP_URL`
//! is set, otherwise written to the log.
//!
//! The log transport prints the whole body, link included: fine on a developer's machine, never
//! what a production deployment should run (set `SMTP_URL`). The SMTP transport logs recipient
//! domain and subject only.

use std::time::Duration;

use lettre::{
    message::{header::ContentType, Mailbox, MultiPart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::config::MailSettings;

/// Why a mail did not leave. The text is for logs and the job's error, never for a visitor.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Nothing will make this mail sendable (a stored address that does not parse).
    #[error("{0}")]
    Permanent(String),
    /// The mail server refused, timed out or was unreachable: try again later.
    #[error("{0}")]
    Transient(String),
}

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

enum Body {
    Text(String),
    Alternative { text: String, html: String },
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Log,
}

impl Mailer {
    /// `smtp://user:pass@host:port` (add `?tls=required` for STARTTLS), `smtps://…` (TLS from
    /// the first byte), or the log when unset.
    pub fn from_settings(settings: &MailSettings) -> anyhow::Result<Self> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("MAIL_FROM: {e}"))?;
        let transport = match &settings.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?
                    .timeout(Some(Duration::from_secs(15)))
                    .build(),
            ),
            None => Transport::Log,
        };
        Ok(Self { from, transport })
    }

    /// Sends one plain-text mail (from a job: a failure is retried by the job runtime).
    #[tracing::instrument(name = "mail.send", skip_all, fields(subject = subject))]
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), MailError> {
        self.deliver(to, subject, Body::Text(body)).await
    }

    /// Sends one mail with a plain-text and an HTML part (the reader's client shows the one it
    /// can).
    #[tracing::instrument(name = "mail.send", skip_all, fields(subject = subject))]
    pub async fn send_alternative(
        &self,
        to: &str,
        subject: &str,
        text: String,
        html: String,
    ) -> Result<(), MailError> {
        self.deliver(to, subject, Body::Alternative { text, html })
            .await
    }

    async fn deliver(&self, to: &str, subject: &str, body: Body) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|e| {
            MailError::Permanent(format!("a stored e-mail address does not parse: {e}"))
        })?;
        match &self.transport {
            Transport::Log => {
                let text = match &body {
                    Body::Text(text) | Body::Alternative { text, .. } => text,
                };
                tracing::info!(to = %to, subject, body = %text, "mail (no SMTP_URL: written to the log only)");
                Ok(())
            }
            Transport::Smtp(smtp) => {
                let domain = to.email.domain().to_string();
                let builder = Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(subject);
                let message = match body {
                    Body::Text(text) => builder.header(ContentType::TEXT_PLAIN).body(text),
                    Body::Alternative { text, html } => {
                        builder.multipart(MultiPart::alternative_plain_html(text, html))
                    }
                }
                .map_err(|e| MailError::Permanent(format!("building a mail: {e}")))?;
                // Every SMTP failure is retried, a 5xx too: a refusing server is most often a
                // misconfigured or overloaded one, and the retries are capped.
                smtp.send(message)
                    .await
                    .map_err(|e| MailError::Transient(format!("SMTP: {e}")))?;
                tracing::info!(to_domain = %domain, "mail sent");
                Ok(())
            }
        }
    }
}
