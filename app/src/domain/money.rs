//! Money is an integer number of cents (分) in one currency; floats never touch it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The platform's currency. One currency per deployment keeps sums honest.
pub const CURRENCY: &str = "CNY";

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    pub fn is_free(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for Cents {
    /// `¥12.90`, or "free" for zero (in the language being rendered).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str(free(crate::locale::current()));
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", abs / 100, abs % 100)
    }
}

/// What a zero price reads as in `locale`.
pub fn free(locale: crate::locale::Locale) -> &'static str {
    crate::i18n::td_string!(locale, commerce.free)
}

#[cfg(test)]
mod tests {
    use super::{free, Cents};
    use crate::locale::Locale;

    #[test]
    fn formats_yuan_and_fen() {
        assert_eq!(Cents(12_90).to_string(), "¥12.90");
        assert_eq!(Cents(5).to_string(), "¥0.05");
        assert_eq!(Cents(-150).to_string(), "-¥1.50");
        assert_eq!(free(Locale::zh_CN), "免费");
        assert_eq!(free(Locale::en), "Free");
    }
}
