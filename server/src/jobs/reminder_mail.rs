//! The words of a course-update reminder: the notification's title and summary, and the mail
//! (plain text and HTML) in Chinese or English.

use crate::db::reminders::Item;
use crate::html::escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    ZhCn,
    En,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The mail's subject and the notification's title.
    pub subject: String,
    /// One line for the notification's body.
    pub summary: String,
    pub text: String,
    pub html: String,
}

fn item_label(lang: Lang, item: &Item) -> String {
    match (lang, item.kind.as_str()) {
        (Lang::ZhCn, "chapter") => format!("新章节：{}", item.title),
        (Lang::ZhCn, _) => format!("新课时：{}", item.title),
        (Lang::En, "chapter") => format!("New chapter: {}", item.title),
        (Lang::En, _) => format!("New lesson: {}", item.title),
    }
}

/// The reminder of `items` (at least one) added to `course`, linking to `url`.
pub fn render(lang: Lang, course: &str, items: &[Item], url: &str) -> Message {
    let n = items.len();
    let (subject, summary, intro, open, footer) = match lang {
        Lang::ZhCn => (
            format!("《{course}》更新了 {n} 项内容"),
            items
                .iter()
                .map(|i| i.title.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            format!("您关注的课程《{course}》有新内容："),
            "去学习".to_string(),
            "您收到这封邮件，是因为您关注或报名了这门课程。可在“我的账号”中关闭课程更新邮件。",
        ),
        Lang::En => (
            format!(
                "{course}: {n} new {}",
                if n == 1 { "item" } else { "items" }
            ),
            items
                .iter()
                .map(|i| i.title.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            format!("A course you follow, {course}, has new content:"),
            "Open the course".to_string(),
            "You get this mail because you follow or are enrolled in this course. Turn course-update mail off on your account page.",
        ),
    };
    let lines: Vec<String> = items.iter().map(|i| item_label(lang, i)).collect();
    let text = format!(
        "{intro}\n\n{}\n\n{open}: {url}\n\n{footer}\n",
        lines
            .iter()
            .map(|l| format!("- {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let html = format!(
        "<!doctype html><html><body><p>{}</p><ul>{}</ul><p><a href=\"{}\">{}</a></p><p><small>{}</small></p></body></html>",
        escape(&intro),
        lines
            .iter()
            .map(|l| format!("<li>{}</li>", escape(l)))
            .collect::<String>(),
        escape(url),
        escape(&open),
        escape(footer),
    );
    Message {
        subject,
        summary,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(title: &str) -> Item {
        Item {
            kind: "lesson".into(),
            title: title.into(),
        }
    }

    #[test]
    fn lists_every_item_in_both_parts_and_escapes_html() {
        let items = [lesson("1.1 <script>"), lesson("1.2 Traits & you")];
        let m = render(Lang::En, "Rust", &items, "http://x.test/courses/rust");
        assert_eq!(m.subject, "Rust: 2 new items");
        assert!(m.text.contains("- New lesson: 1.1 <script>"));
        assert!(m.html.contains("<li>New lesson: 1.1 &lt;script&gt;</li>"));
        assert!(m.html.contains("Traits &amp; you"));
        let zh = render(
            Lang::ZhCn,
            "Rust",
            &items[..1],
            "http://x.test/courses/rust",
        );
        assert_eq!(zh.subject, "《Rust》更新了 1 项内容");
        assert!(zh.text.contains("新课时：1.1 <script>"));
    }
}
