//! README.md, and the code blocks in it that the tests compile, run or hold to the code.

use crate::paths::root;

/// README.md's text.
pub fn text() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md reads")
}

/// The first fenced block of language `lang` (opened by a line ```` ```lang ````) after the first
/// line of the Markdown `text` that starts with `marker` (a heading, or a paragraph's bold lead-in
/// such as `**AWS CDK**`), and before the next heading: its lines, without the fences.
pub fn fenced_block(text: &str, marker: &str, lang: &str) -> String {
    let mut lines = text.lines().skip_while(|line| !line.starts_with(marker));
    assert!(lines.next().is_some(), "no line starts with {marker:?}");
    let opening = format!("```{lang}");
    // Inside a block of another language, whose `#` lines are no headings.
    let mut in_other = false;
    for line in lines.by_ref() {
        match in_other {
            true if line.trim_end() == "```" => in_other = false,
            true => {}
            false if line.trim_end() == opening => {
                let block: Vec<&str> = lines
                    .by_ref()
                    .take_while(|l| l.trim_end() != "```")
                    .collect();
                return block.iter().map(|l| format!("{l}\n")).collect();
            }
            false if line.starts_with("```") => in_other = true,
            false if line.starts_with('#') => break,
            false => {}
        }
    }
    panic!("no ```{lang} block after {marker:?} before the next heading")
}

#[cfg(test)]
mod tests {
    use super::fenced_block;

    const TEXT: &str = "# Title\n\n**Shell**\n\n```sh\n# a comment\n```\n\n```ts\nconst a = 1;\n\nlet b;\n```\n\n## Next\n\n```ts\nlater\n```\n";

    #[test]
    fn takes_the_block_after_the_marker_past_other_languages() {
        assert_eq!(
            fenced_block(TEXT, "**Shell**", "ts"),
            "const a = 1;\n\nlet b;\n"
        );
        assert_eq!(fenced_block(TEXT, "**Shell**", "sh"), "# a comment\n");
        assert_eq!(fenced_block(TEXT, "## Next", "ts"), "later\n");
    }

    #[test]
    #[should_panic(expected = "before the next heading")]
    fn stops_at_the_next_heading() {
        fenced_block(TEXT, "# Title", "rs");
    }
}
