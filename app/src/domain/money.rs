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
    /// `¥12.90`, or `免费 Free` for zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("免费 Free");
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::Cents;

    #[test]
    fn formats_yuan_and_fen() {
        assert_eq!(Cents(12_90).to_string(), "¥12.90");
        assert_eq!(Cents(5).to_string(), "¥0.05");
        assert_eq!(Cents(-150).to_string(), "-¥1.50");
        assert_eq!(Cents(0).to_string(), "免费 Free");
    }
}
