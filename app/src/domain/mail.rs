//! The kinds of e-mail a user can switch on or off on `/account`, with their defaults. A kind
//! without a stored setting has its default, so adding a kind needs no migration.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailKind {
    /// A followed course gained lessons or chapters (also the in-app notification's kind).
    CourseUpdate,
}

impl MailKind {
    pub const ALL: [MailKind; 1] = [MailKind::CourseUpdate];

    /// The name stored in `mail_settings.kind` and sent by the settings form.
    pub fn name(self) -> &'static str {
        match self {
            MailKind::CourseUpdate => "course.update",
        }
    }

    pub fn parse(name: &str) -> Option<MailKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What the settings list calls it, in the language being rendered.
    pub fn label(self) -> &'static str {
        use crate::i18n::td_string;
        let loc = crate::locale::current();
        match self {
            MailKind::CourseUpdate => td_string!(loc, account.mail_course_update),
        }
    }

    /// Whether a user who never chose gets this mail.
    pub fn default_on(self) -> bool {
        match self {
            MailKind::CourseUpdate => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in MailKind::ALL {
            assert_eq!(MailKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(MailKind::parse("course.spam"), None);
    }
}
