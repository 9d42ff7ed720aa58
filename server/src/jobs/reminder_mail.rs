//! The words of a course-update reminder: the notification's title and summary, and the mail
//! (plain text and HTML) in Chinese or English.

use app::i18n::td_string;
use app::locale::Locale;

use crate::db::reminders::Item;
use crate::html::escape;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The mail's subject and the notification's title.
    pub subject: String,
    /// One line for the notification's body.
    pub summary: String,
    pub text: String,
    pub html: String,
}

fn item_label(lang: Locale, item: &Item) -> String {
    let title = item.title.as_str();
    match item.kind.as_str() {
        "chapter" => td_string!(lang, mail.new_chapter, title = title).to_string(),
        _ => td_string!(lang, mail.new_lesson, title = title).to_string(),
    }
}

/// The reminder of `items` (at least one) added to `course`, linking to `url`, in `lang`.
pub fn render(lang: Locale, course: &str, items: &[Item], url: &str) -> Message {
    let n = i32::try_from(items.len()).unwrap_or(i32::MAX);
    let subject = td_string!(lang, mail.update_subject, course = course, count = n).to_string();
    let summary = items
        .iter()
        .map(|i| i.title.as_str())
        .collect::<Vec<_>>()
        .join(td_string!(lang, mail.list_separator));
    let intro = td_string!(lang, mail.update_intro, course = course).to_string();
    let open = td_string!(lang, mail.update_open);
    let footer = td_string!(lang, mail.update_footer);
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
        "<!doctype html><html lang=\"{}\"><body><p>{}</p><ul>{}</ul><p><a href=\"{}\">{}</a></p><p><small>{}</small></p></body></html>",
        lang.as_str(),
        escape(&intro),
        lines
            .iter()
            .map(|l| format!("<li>{}</li>", escape(l)))
            .collect::<String>(),
        escape(url),
        escape(open),
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
        let m = render(Locale::en, "Rust", &items, "http://x.test/courses/rust");
        assert_eq!(m.subject, "Rust: 2 new items");
        assert!(m.text.contains("- New lesson: 1.1 <script>"));
        assert!(m.html.contains("<li>New lesson: 1.1 &lt;script&gt;</li>"));
        assert!(m.html.contains("Traits &amp; you"));
        let zh = render(
            Locale::zh_CN,
            "Rust",
            &items[..1],
            "http://x.test/courses/rust",
        );
        assert_eq!(zh.subject, "《Rust》更新了 1 项内容");
        assert!(zh.text.contains("新课时：1.1 <script>"));
    }
}
