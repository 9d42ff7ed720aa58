//! Outgoing mail (password-reset and verification links): SMTP through `lettre` when `SMTP_URL`
//! is set, otherwise written to the log.
//!
//! The log transport prints the whole body, link included: fine on a developer's machine, never
//! what a production deployment should run (set `SMTP_URL`). The SMTP transport logs recipient
//! domain and subject only.

use std::time::Duration;

use app::error::AppError;
use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::config::MailSettings;
use crate::error::internal;

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
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

    /// Sends one plain-text mail. A failure is logged and answered as `Internal`.
    #[tracing::instrument(name = "mail.send", skip_all, fields(subject = subject))]
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), AppError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| internal(e, "a stored e-mail address does not parse"))?;
        match &self.transport {
            Transport::Log => {
                tracing::info!(to = %to, subject, body = %body, "mail (no SMTP_URL: written to the log only)");
                Ok(())
            }
            Transport::Smtp(smtp) => {
                let domain = to.email.domain().to_string();
                let message = Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(body)
                    .map_err(|e| internal(e, "building a mail"))?;
                smtp.send(message)
                    .await
                    .map_err(|e| internal(e, "sending a mail over SMTP"))?;
                tracing::info!(to_domain = %domain, "mail sent");
                Ok(())
            }
        }
    }
}
