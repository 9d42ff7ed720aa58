//! Lesson articles: the course descriptions' safe Markdown ([`crate::catalog::render_markdown`],
//! rendered then sanitised by ammonia) with code blocks highlighted here, on the server, so no
//! highlighting library is shipped to the browser.
//!
//! Fenced and indented code blocks are cut out of the source first and replaced by a token
//! carrying a random nonce (an author cannot forge it); the rest goes through the description
//! renderer unchanged; each token is then replaced by the block, highlighted by a small
//! tokenizer (comments, strings, numbers, keywords of common languages) whose every piece of
//! text is HTML-escaped, inside a figure with a copy button the page wires up.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use crate::html::escape_into;

/// Markdown to safe HTML with highlighted code blocks.
pub fn render_article(source: &str) -> String {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let mut blocks: Vec<(String, String)> = Vec::new();
    let mut cuts: Vec<(std::ops::Range<usize>, usize)> = Vec::new();
    let mut open: Option<(usize, String, String)> = None;
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info
                        .split(|c: char| c.is_whitespace() || c == ',')
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase(),
                    CodeBlockKind::Indented => String::new(),
                };
                open = Some((range.start, lang, String::new()));
            }
            Event::Text(text) => {
                if let Some((_, _, code)) = open.as_mut() {
                    code.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((start, lang, code)) = open.take() {
                    cuts.push((start..range.end, blocks.len()));
                    blocks.push((lang, code));
                }
            }
            _ => {}
        }
    }
    let mut text = String::with_capacity(source.len());
    let mut at = 0;
    for (range, n) in &cuts {
        if range.start < at || range.end > source.len() {
            continue;
        }
        text.push_str(source.get(at..range.start).unwrap_or(""));
        text.push_str(&format!("\n\nxccode{nonce}n{n}\n\n"));
        at = range.end;
    }
    text.push_str(source.get(at..).unwrap_or(""));
    let mut html = crate::catalog::render_markdown(&text);
    for (n, (lang, code)) in blocks.iter().enumerate() {
        let token = format!("xccode{nonce}n{n}");
        let block = code_block(lang, code);
        let wrapped = format!("<p>{token}</p>");
        if html.contains(&wrapped) {
            html = html.replacen(&wrapped, &block, 1);
        } else {
            html = html.replacen(&token, &block, 1);
        }
    }
    html
}

fn code_block(lang: &str, code: &str) -> String {
    let label = if lang
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '#')
    {
        lang
    } else {
        ""
    };
    // In the language of the page being rendered (the lesson's text is the course's own).
    let copy = app::i18n::td_string!(app::locale::current(), common.copy);
    format!(
        "<figure class=\"code-block\"><button type=\"button\" class=\"copy-code\" \
         data-copy=\"1\">{copy}</button><pre><code class=\"lang-{label}\">{}</code></pre></figure>",
        highlight(label, code)
    )
}

fn span(out: &mut String, class: &str, text: &str) {
    out.push_str("<span class=\"tok-");
    out.push_str(class);
    out.push_str("\">");
    escape_into(out, text);
    out.push_str("</span>");
}

struct Lang {
    keywords: &'static [&'static str],
    line_comments: &'static [&'static str],
    block_comments: bool,
}

fn lang(name: &str) -> Lang {
    const C_LIKE: &[&str] = &["//"];
    const HASH: &[&str] = &["#"];
    match name {
        "rust" | "rs" => Lang {
            keywords: &[
                "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else",
                "enum", "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match",
                "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct",
                "super", "trait", "true", "type", "unsafe", "use", "where", "while",
            ],
            line_comments: C_LIKE,
            block_comments: true,
        },
        "python" | "py" => Lang {
            keywords: &[
                "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
                "del", "elif", "else", "except", "False", "finally", "for", "from", "global", "if",
                "import", "in", "is", "lambda", "None", "nonlocal", "not", "or", "pass", "raise",
                "return", "True", "try", "while", "with", "yield",
            ],
            line_comments: HASH,
            block_comments: false,
        },
        "js" | "javascript" | "ts" | "typescript" | "java" | "go" | "c" | "cpp" | "c++" => Lang {
            keywords: &[
                "break",
                "case",
                "catch",
                "class",
                "const",
                "continue",
                "default",
                "do",
                "else",
                "export",
                "extends",
                "false",
                "final",
                "for",
                "func",
                "function",
                "go",
                "if",
                "import",
                "int",
                "interface",
                "let",
                "new",
                "null",
                "package",
                "private",
                "public",
                "return",
                "static",
                "struct",
                "switch",
                "this",
                "throw",
                "true",
                "try",
                "type",
                "var",
                "void",
                "while",
            ],
            line_comments: C_LIKE,
            block_comments: true,
        },
        "sql" => Lang {
            keywords: &[
                "select",
                "from",
                "where",
                "insert",
                "into",
                "values",
                "update",
                "set",
                "delete",
                "create",
                "table",
                "index",
                "join",
                "left",
                "on",
                "and",
                "or",
                "not",
                "null",
                "order",
                "by",
                "group",
                "limit",
                "as",
                "primary",
                "key",
                "references",
            ],
            line_comments: &["--"],
            block_comments: true,
        },
        "sh" | "bash" | "shell" | "console" | "toml" | "yaml" | "yml" => Lang {
            keywords: &[
                "if", "then", "else", "fi", "for", "do", "done", "while", "case", "esac",
                "function", "export", "echo", "cd", "sudo",
            ],
            line_comments: HASH,
            block_comments: false,
        },
        _ => Lang {
            keywords: &[],
            line_comments: &[],
            block_comments: false,
        },
    }
}

/// The code as escaped HTML with `tok-*` spans (`kw`, `str`, `num`, `com`).
pub fn highlight(name: &str, code: &str) -> String {
    let lang = lang(name);
    if lang.keywords.is_empty() && lang.line_comments.is_empty() {
        let mut out = String::new();
        escape_into(&mut out, code);
        return out;
    }
    let sql = name == "sql";
    let mut out = String::with_capacity(code.len() * 2);
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        if let Some(marker) = lang.line_comments.iter().find(|m| rest.starts_with(**m)) {
            let _ = marker;
            let end = rest.find('\n').unwrap_or(rest.len());
            let (comment, tail) = rest.split_at(end);
            span(&mut out, "com", comment);
            rest = tail;
        } else if lang.block_comments && rest.starts_with("/*") {
            let end = rest
                .get(2..)
                .and_then(|r| r.find("*/"))
                .map_or(rest.len(), |i| i + 4);
            let (comment, tail) = rest.split_at(end.min(rest.len()));
            span(&mut out, "com", comment);
            rest = tail;
        } else if c == '"' || c == '\'' || c == '`' {
            let mut end = rest.len();
            let mut escaped = false;
            for (i, ch) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == c {
                    end = i + ch.len_utf8();
                    break;
                } else if ch == '\n' && c != '`' {
                    end = i;
                    break;
                }
            }
            let (s, tail) = rest.split_at(end);
            span(&mut out, "str", s);
            rest = tail;
        } else if c.is_ascii_digit() {
            let end = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.' || ch == '_'))
                .unwrap_or(rest.len());
            let (n, tail) = rest.split_at(end);
            span(&mut out, "num", n);
            rest = tail;
        } else if c.is_alphabetic() || c == '_' {
            let end = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            let (word, tail) = rest.split_at(end);
            let keyword = if sql {
                lang.keywords.contains(&word.to_ascii_lowercase().as_str())
            } else {
                lang.keywords.contains(&word)
            };
            if keyword {
                span(&mut out, "kw", word);
            } else {
                escape_into(&mut out, word);
            }
            rest = tail;
        } else {
            let (ch, tail) = rest.split_at(c.len_utf8());
            escape_into(&mut out, ch);
            rest = tail;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_highlighted_and_escaped() {
        let html = render_article(
            "Intro <script>alert(1)</script>\n\n```rust\nfn main() { let s = \"<b>\"; } // hi\n```\n",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("<span class=\"tok-kw\">fn</span>"), "{html}");
        assert!(
            html.contains("<span class=\"tok-str\">&quot;&lt;b&gt;&quot;</span>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"tok-com\">// hi</span>"),
            "{html}"
        );
        assert!(html.contains("class=\"copy-code\""), "{html}");
        assert!(!html.contains("xccode"), "{html}");
    }

    #[test]
    fn tokens_cannot_be_forged_and_raw_html_in_code_stays_text() {
        let html =
            render_article("xccode00n0\n\n```\n</code></pre><img src=x onerror=alert(1)>\n```");
        assert!(html.contains("xccode00n0"));
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;img"), "{html}");
    }

    #[test]
    fn unknown_languages_are_plain() {
        assert_eq!(highlight("brainfuck", "a<b"), "a&lt;b");
        assert_eq!(
            highlight("sql", "SELECT 1"),
            "<span class=\"tok-kw\">SELECT</span> <span class=\"tok-num\">1</span>"
        );
    }
}
