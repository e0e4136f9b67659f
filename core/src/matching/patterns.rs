//! Order-code patterns, compiled once at start.

use regex::Regex;

use crate::domain::OrderCode;

/// `DH`, optional separators, digits; then the end of the text or a character that is neither
/// a letter nor a digit of any script, so `DH12` is never read out of `DH123`, `DH12AB`,
/// `DH12٣` or `DH12Я`. The `regex` crate has no look-ahead: the boundary character is
/// consumed, outside the `code` group.
pub const DEFAULT_PATTERN: &str = r"(?P<code>DH[ ._\-]*[0-9]+)(?:[^\p{L}\p{N}]|$)";

#[derive(Clone, Debug)]
pub struct Patterns(Vec<Regex>);

#[derive(Debug, thiserror::Error)]
pub enum PatternError {
    #[error("no order-code pattern is configured")]
    Empty,
    #[error("pattern {index} ({pattern:?}) is not a valid regular expression: {source}")]
    Invalid {
        index: usize,
        pattern: String,
        source: Box<regex::Error>,
    },
}

impl Default for Patterns {
    fn default() -> Self {
        Patterns::compile(&[DEFAULT_PATTERN.to_owned()]).expect("the default pattern compiles")
    }
}

impl Patterns {
    pub fn compile(patterns: &[String]) -> Result<Patterns, PatternError> {
        if patterns.is_empty() {
            return Err(PatternError::Empty);
        }
        patterns
            .iter()
            .enumerate()
            .map(|(index, pattern)| {
                Regex::new(pattern).map_err(|source| PatternError::Invalid {
                    index,
                    pattern: pattern.clone(),
                    source: Box::new(source),
                })
            })
            .collect::<Result<_, _>>()
            .map(Patterns)
    }

    /// Candidate codes in a normalised description, in order of appearance, without repeats:
    /// each match (or its `code` group) with everything but `A-Z0-9` deleted.
    ///
    /// Whatever the pattern, a match that holds, or is glued on its right to, a letter or
    /// digit outside `A-Z0-9` is no candidate: deleting that character would leave a shorter
    /// code than the one a person reads (a shop's `DH\d+` takes `DH12٣`, `DH[0-9]+` stops
    /// before the `٣`; both would pay `DH12`).
    pub fn candidates(&self, normalised: &str) -> Vec<OrderCode> {
        let mut found: Vec<OrderCode> = Vec::new();
        for regex in &self.0 {
            for captures in regex.captures_iter(normalised) {
                let Some(text) = captures.name("code").or_else(|| captures.get(0)) else {
                    continue;
                };
                let glued = normalised[text.end()..].chars().next();
                if text
                    .as_str()
                    .chars()
                    .chain(glued)
                    .any(is_foreign_alphanumeric)
                {
                    continue;
                }
                let kept: String = text
                    .as_str()
                    .chars()
                    .filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                    .collect();
                if let Ok(code) = OrderCode::parse(&kept) {
                    if !found.contains(&code) {
                        found.push(code);
                    }
                }
            }
        }
        found
    }
}

/// A letter or digit that is not one of the `A-Z0-9` that codes are made of.
fn is_foreign_alphanumeric(c: char) -> bool {
    c.is_alphanumeric() && !c.is_ascii_uppercase() && !c.is_ascii_digit()
}
