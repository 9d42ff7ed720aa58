//! Course difficulty.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Beginner,
    Intermediate,
    Advanced,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Beginner, Level::Intermediate, Level::Advanced];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Beginner => "beginner",
            Level::Intermediate => "intermediate",
            Level::Advanced => "advanced",
        }
    }

    /// The level's name in `locale`.
    pub fn label(self, locale: crate::locale::Locale) -> &'static str {
        use crate::i18n::td_string;
        match self {
            Level::Beginner => td_string!(locale, catalog.level_beginner),
            Level::Intermediate => td_string!(locale, catalog.level_intermediate),
            Level::Advanced => td_string!(locale, catalog.level_advanced),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                crate::i18n::td_string!(crate::locale::current(), errors.level_unknown, value = s)
                    .to_string()
            })
    }
}
