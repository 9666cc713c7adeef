//! Assistant Markdown to styled lines (pulldown-cmark): headings, emphasis, inline code, links,
//! lists (nested, numbered, task), quotes, tables as rows, and code blocks with syntax colour.
//! Output is unwrapped `Logical` lines; list items and quotes carry the hang their wrapped rows
//! need.

use super::highlight;
use super::theme::Theme;
use super::wrap::{sanitize, str_width, Logical};
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// Renders `text` as Markdown.
pub fn render(text: &str, theme: &Theme) -> Vec<Logical> {
    let mut r = Renderer::new(theme);
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for event in Parser::new_ext(text, options) {
        r.event(event);
    }
    r.flush();
    r.out
}

struct ListLevel {
    /// The next number of an ordered list.
    next: Option<u64>,
    /// Width of this level's marker, the indent of its items' continuation lines.
    indent: usize,
}

struct Renderer<'t> {
    theme: &'t Theme,
    out: Vec<Logical>,
    spans: Vec<Span<'static>>,
    styles: Vec<Style>,
    lists: Vec<ListLevel>,
    /// The marker of a list item whose first line is not written yet.
    bullet: Option<String>,
    quote: usize,
    code: Option<(String, String)>,
    link: Option<String>,
    blank_before: bool,
}

impl<'t> Renderer<'t> {
    fn new(theme: &'t Theme) -> Self {
        Renderer {
            theme,
            out: Vec::new(),
            spans: Vec::new(),
            styles: Vec::new(),
            lists: Vec::new(),
            bullet: None,
            quote: 0,
            code: None,
            link: None,
            blank_before: false,
        }
    }

    fn style(&self) -> Style {
        self.styles
            .iter()
            .fold(Style::new(), |acc, s| acc.patch(*s))
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.text(&t),
            Event::Code(t) => {
                let style = self.style().patch(self.theme.markdown.code);
                self.spans.push(Span::styled(sanitize(&t), style));
            }
            Event::Html(t)
            | Event::InlineHtml(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t) => self.text(&t),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.block();
                self.push_line(vec![Span::styled("─".repeat(24), self.theme.dim)], 0);
                self.blank_before = true;
            }
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
            Event::FootnoteReference(name) => self.text(&format!("[^{name}]")),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.block(),
            Tag::Heading { level, .. } => {
                self.block();
                self.styles.push(self.heading_style(level));
            }
            Tag::BlockQuote(_) => {
                self.block();
                self.quote += 1;
            }
            Tag::CodeBlock(kind) => {
                self.block();
                let lang = match kind {
                    CodeBlockKind::Fenced(l) => l.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Tag::List(start) => {
                self.flush();
                if self.lists.is_empty() {
                    self.block();
                }
                self.lists.push(ListLevel {
                    next: start,
                    indent: 2,
                });
            }
            Tag::Item => self.start_item(),
            Tag::Table(_) => self.block(),
            Tag::TableHead => self.styles.push(self.theme.bold),
            Tag::TableCell if !self.spans.is_empty() => {
                self.spans.push(Span::styled(" │ ", self.theme.dim));
            }
            Tag::Emphasis => self
                .styles
                .push(Style::new().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.styles.push(Style::new().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self
                .styles
                .push(Style::new().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.styles.push(self.theme.markdown.link);
                self.link = Some(dest_url.to_string());
            }
            Tag::Image { dest_url, .. } => {
                self.styles.push(self.theme.markdown.link);
                self.link = Some(dest_url.to_string());
                self.text("image: ");
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::TableHead | TagEnd::TableRow => {
                if tag == TagEnd::TableHead {
                    self.styles.pop();
                }
                self.flush();
                self.blank_before = tag == TagEnd::Paragraph;
            }
            TagEnd::Heading(_) => {
                self.flush();
                self.styles.pop();
                self.blank_before = true;
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.quote = self.quote.saturating_sub(1);
                self.blank_before = true;
            }
            TagEnd::CodeBlock => self.end_code(),
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                self.blank_before = self.lists.is_empty();
            }
            TagEnd::Item => {
                self.flush();
                self.bullet = None;
            }
            TagEnd::Table => self.blank_before = true,
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link | TagEnd::Image => self.end_link(),
            _ => {}
        }
    }

    fn heading_style(&self, level: HeadingLevel) -> Style {
        match level {
            HeadingLevel::H1 => self
                .theme
                .markdown
                .heading
                .add_modifier(Modifier::UNDERLINED),
            HeadingLevel::H2 => self.theme.markdown.heading,
            _ => self.theme.markdown.heading.add_modifier(Modifier::ITALIC),
        }
    }

    fn start_item(&mut self) {
        self.flush();
        let Some(level) = self.lists.last_mut() else {
            return;
        };
        let marker = match level.next.as_mut() {
            Some(n) => {
                let m = format!("{n}. ");
                *n += 1;
                m
            }
            None => "• ".to_string(),
        };
        level.indent = str_width(&marker);
        self.bullet = Some(marker);
    }

    fn end_link(&mut self) {
        self.styles.pop();
        let Some(url) = self.link.take() else {
            return;
        };
        let shown: String = self.spans.iter().map(|s| s.content.as_ref()).collect();
        if !url.is_empty() && !shown.ends_with(url.as_str()) {
            self.spans
                .push(Span::styled(format!(" ({url})"), self.theme.dim));
        }
    }

    fn end_code(&mut self) {
        let Some((lang, code)) = self.code.take() else {
            return;
        };
        let code = sanitize(&code);
        let lines = if self.theme.color {
            highlight::highlight(&code, &lang)
        } else {
            None
        };
        let lines =
            lines.unwrap_or_else(|| code.lines().map(|l| Line::from(l.to_string())).collect());
        for line in lines {
            let mut spans = vec![Span::raw("  ")];
            spans.extend(line.spans);
            self.push_line(spans, 2);
        }
        self.blank_before = true;
    }

    fn text(&mut self, t: &str) {
        if let Some((_, buf)) = self.code.as_mut() {
            buf.push_str(t);
            return;
        }
        let style = self.style();
        let mut first = true;
        for piece in t.split('\n') {
            if !first {
                self.flush();
            }
            first = false;
            if !piece.is_empty() {
                self.spans.push(Span::styled(sanitize(piece), style));
            }
        }
    }

    /// Starts a block: a blank line separates it from the one before.
    fn block(&mut self) {
        self.flush();
        if self.blank_before && !self.out.is_empty() {
            let (prefix, _) = self.prefix(false);
            self.out.push(Logical::new(Line::from(prefix)));
        }
        self.blank_before = false;
    }

    /// Writes the pending inline content as one line.
    fn flush(&mut self) {
        if self.spans.is_empty() && self.bullet.is_none() {
            return;
        }
        let spans = std::mem::take(&mut self.spans);
        self.push_line(spans, 0);
    }

    fn push_line(&mut self, spans: Vec<Span<'static>>, extra_hang: usize) {
        let (mut line, hang) = self.prefix(true);
        line.extend(spans);
        self.out.push(Logical {
            line: Line::from(line),
            hang: hang + extra_hang,
        });
    }

    /// Quote bars and list indentation; the pending bullet when `take_bullet`.
    fn prefix(&mut self, take_bullet: bool) -> (Vec<Span<'static>>, usize) {
        let mut spans = Vec::new();
        let mut width = 0;
        for _ in 0..self.quote {
            spans.push(Span::styled("│ ", self.theme.markdown.quote));
            width += 2;
        }
        let depth = self.lists.len();
        for (i, level) in self.lists.iter().enumerate() {
            let last = i + 1 == depth;
            match (&self.bullet, last && take_bullet) {
                (Some(b), true) => spans.push(Span::styled(b.clone(), self.theme.accent)),
                _ => spans.push(Span::raw(" ".repeat(level.indent))),
            }
            width += level.indent;
        }
        if take_bullet {
            self.bullet = None;
        }
        (spans, width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(md: &str) -> Vec<String> {
        render(md, &Theme::plain())
            .iter()
            .map(|l| l.line.to_string())
            .collect()
    }

    #[test]
    fn headings_paragraphs_and_blank_lines() {
        assert_eq!(
            plain("# Title\n\nSome *text* here.\n\nMore."),
            ["Title", "", "Some text here.", "", "More."]
        );
    }

    #[test]
    fn nested_and_numbered_lists() {
        assert_eq!(
            plain("- one\n- two\n  - inner\n\n1. first\n2. second"),
            ["• one", "• two", "  • inner", "", "1. first", "2. second"]
        );
    }

    #[test]
    fn list_items_hang_under_their_text() {
        let lines = render("- a long item", &Theme::plain());
        assert_eq!(lines[0].hang, 2);
    }

    #[test]
    fn code_blocks_are_indented_and_kept_verbatim() {
        assert_eq!(
            plain("Run:\n\n```sh\ncargo test\n  --all\n```\nDone."),
            ["Run:", "", "  cargo test", "    --all", "", "Done."]
        );
    }

    #[test]
    fn code_blocks_are_coloured_with_colour_on() {
        let lines = render("```rust\nfn main() {}\n```", &Theme::colored());
        assert!(lines[0].line.spans.len() > 2, "{:?}", lines[0]);
    }

    #[test]
    fn quotes_links_and_inline_code() {
        assert_eq!(
            plain("> quoted\n\nsee [docs](https://x.y) and `code`"),
            ["│ quoted", "", "see docs (https://x.y) and code"]
        );
    }

    #[test]
    fn tables_render_as_rows() {
        assert_eq!(plain("| a | b |\n|---|---|\n| 1 | 2 |"), ["a │ b", "1 │ 2"]);
    }
}
