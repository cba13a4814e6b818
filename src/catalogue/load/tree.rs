//! The YAML node tree the loader works on: yaml-rust2's marked events folded into nodes that keep
//! the 1-based position of every value and every mapping key. It resolves plain scalars to null,
//! booleans, integers and floats (quoted and block scalars stay strings) and reports, with their
//! positions, everything the catalogue refuses: syntax errors, more than one document, anchors,
//! aliases, tags, non-scalar keys and duplicate keys. It is the only place that names the YAML
//! crate's event types.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Pos {
    /// The start of a file.
    pub const START: Pos = Pos { line: 1, column: 1 };

    /// yaml-rust2 markers hold a 1-based line but a 0-based column.
    fn from_marker(mark: &Marker) -> Pos {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Pos {
            line: clamp(mark.line()).max(1),
            column: clamp(mark.col()).saturating_add(1),
        }
    }
}

/// A value and where it starts.
#[derive(Debug, Clone)]
pub(super) struct Node {
    /// Where the value starts (a block mapping: its first key).
    pub pos: Pos,
    /// The value.
    pub value: Value,
}

/// A resolved YAML value.
#[derive(Debug, Clone)]
pub(super) enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A plain integer.
    Int(i64),
    /// A plain float.
    Float(f64),
    /// Any other scalar.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping in source order, without duplicate keys.
    Map(Vec<Entry>),
    /// Something refused (an alias) and already reported.
    Refused,
}

/// One mapping entry.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// The key's text.
    pub key: String,
    /// Where the key starts.
    pub key_pos: Pos,
    /// The value.
    pub value: Node,
}

/// The outcome of parsing one file: the root (absent for an empty file or a syntax error) and
/// every problem found, in source order.
pub(super) struct Parsed {
    /// The document's root node.
    pub root: Option<Node>,
    /// Problems with their positions.
    pub problems: Vec<(Pos, String)>,
}

/// Parses one YAML text.
pub(super) fn parse(text: &str) -> Parsed {
    let mut builder = Builder::default();
    let outcome = Parser::new_from_str(text).load(&mut builder, true);
    let mut problems = builder.problems;
    match outcome {
        Ok(()) => Parsed {
            root: builder.root,
            problems,
        },
        Err(error) => {
            let hint = if error.info().contains("flow") {
                " (inside `{ }` or `[ ]`, quote text holding `{`, `}`, `[`, `]` or `,`, e.g. \
                 `{ \"POST /payments/{paymentid}/cancel\": 1 }`)"
            } else {
                ""
            };
            problems.push((
                Pos::from_marker(error.marker()),
                format!("yaml syntax error: {}{hint}", error.info()),
            ));
            Parsed {
                root: None,
                problems,
            }
        }
    }
}

/// Resolves a plain scalar as the YAML 1.2 core schema does (without `.inf`/`.nan`, which JSON
/// cannot hold).
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if digits(unsigned, 10) {
        if let Ok(n) = text.parse::<i64>() {
            return Value::Int(n);
        }
    } else if let Some(hex) = text.strip_prefix("0x").filter(|h| digits(h, 16)) {
        if let Ok(n) = i64::from_str_radix(hex, 16) {
            return Value::Int(n);
        }
    } else if let Some(oct) = text.strip_prefix("0o").filter(|o| digits(o, 8)) {
        if let Ok(n) = i64::from_str_radix(oct, 8) {
            return Value::Int(n);
        }
    }
    if is_float(unsigned) {
        if let Ok(f) = text.parse::<f64>() {
            if f.is_finite() {
                return Value::Float(f);
            }
        }
    }
    Value::Str(text.to_string())
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, sign already stripped.
fn is_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            all_digits(int) && all_digits(frac) && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

fn tag_text(tag: &Tag) -> String {
    if tag.handle == "tag:yaml.org,2002:" {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

/// The key slot of a mapping being built.
enum Pending {
    /// The next node is a key.
    Key,
    /// The next node is the value of this key.
    Value(String, Pos),
    /// The next node is the value of a refused key: drop it.
    Drop,
}

enum Frame {
    Seq(Pos, Vec<Node>),
    Map(Pos, Vec<Entry>, Pending),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    problems: Vec<(Pos, String)>,
    documents: usize,
    ignoring: bool,
}

impl Builder {
    fn refuse(&mut self, pos: Pos, anchor: usize, tag: Option<&Tag>) {
        if anchor != 0 {
            let message = "yaml anchors (`&name`) are not supported; write the value out in full";
            self.problems.push((pos, message.to_string()));
        }
        if let Some(tag) = tag {
            let message = format!("yaml tags are not supported (found `{}`)", tag_text(tag));
            self.problems.push((pos, message));
        }
    }

    /// Adds a finished node to its parent; `key` is its text when it may serve as a mapping key,
    /// `empty` whether it is an empty plain scalar (then it takes its key's position).
    fn finish(&mut self, mut node: Node, key: Option<String>, empty: bool) {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return;
        };
        match frame {
            Frame::Seq(_, items) => items.push(node),
            Frame::Map(_, entries, pending) => match std::mem::replace(pending, Pending::Key) {
                Pending::Key => match key {
                    Some(text) => *pending = Pending::Value(text, node.pos),
                    None => {
                        *pending = Pending::Drop;
                        let message = "mapping keys must be scalars (a name or a value)";
                        self.problems.push((node.pos, message.to_string()));
                    }
                },
                Pending::Value(text, key_pos) => {
                    if let Some(first) = entries.iter().find(|e| e.key == text) {
                        let message = format!(
                            "duplicate key `{text}` (first at line {})",
                            first.key_pos.line
                        );
                        self.problems.push((key_pos, message));
                    } else {
                        if empty {
                            node.pos = key_pos;
                        }
                        entries.push(Entry {
                            key: text,
                            key_pos,
                            value: node,
                        });
                    }
                }
                Pending::Drop => {}
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let pos = Pos::from_marker(&mark);
        if self.ignoring && event != Event::StreamEnd {
            return;
        }
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    let message = "only one yaml document per file is supported (found `---`)";
                    self.problems.push((pos, message.to_string()));
                    self.ignoring = true;
                }
            }
            Event::Alias(_) => {
                let message = "yaml aliases (`*name`) are not supported; write the value out";
                self.problems.push((pos, message.to_string()));
                let node = Node {
                    pos,
                    value: Value::Refused,
                };
                self.finish(node, None, false);
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.refuse(pos, anchor, tag.as_ref());
                let plain = style == TScalarStyle::Plain;
                let empty = plain && text.is_empty();
                let value = if plain {
                    resolve_plain(&text)
                } else {
                    Value::Str(text.clone())
                };
                self.finish(Node { pos, value }, Some(text), empty);
            }
            Event::SequenceStart(anchor, tag) => {
                self.refuse(pos, anchor, tag.as_ref());
                self.stack.push(Frame::Seq(pos, Vec::new()));
            }
            Event::MappingStart(anchor, tag) => {
                self.refuse(pos, anchor, tag.as_ref());
                self.stack.push(Frame::Map(pos, Vec::new(), Pending::Key));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq(pos, items)) => Node {
                        pos,
                        value: Value::Seq(items),
                    },
                    // A block mapping's event points past its first key: use the key instead.
                    Some(Frame::Map(start, entries, _)) => Node {
                        pos: entries.first().map_or(start, |e| e.key_pos.min(start)),
                        value: Value::Map(entries),
                    },
                    None => return,
                };
                self.finish(node, None, false);
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let parsed = parse(text);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        match parsed.root {
            Some(root) => root,
            None => panic!("no root"),
        }
    }

    fn entries(node: &Node) -> &[Entry] {
        match &node.value {
            Value::Map(entries) => entries,
            other => panic!("not a mapping: {other:?}"),
        }
    }

    #[test]
    fn positions_are_one_based() {
        // yaml-rust2's Marker::col() is 0-based (its line is 1-based): `b` is at line 2, column 3.
        let node = root("a:\n  b: [x, 'y']\n");
        assert_eq!(node.pos, Pos { line: 1, column: 1 });
        let inner = &entries(&node)[0].value;
        assert_eq!(inner.pos, Pos { line: 2, column: 3 });
        let b = &entries(inner)[0];
        assert_eq!(b.key_pos, Pos { line: 2, column: 3 });
        assert_eq!(b.value.pos, Pos { line: 2, column: 6 });
        let Value::Seq(items) = &b.value.value else {
            panic!("not a sequence")
        };
        assert_eq!(
            items[1].pos,
            Pos {
                line: 2,
                column: 10
            }
        );
    }

    #[test]
    fn plain_scalars_resolve_and_quoted_stay_strings() {
        let node =
            root("a: [~, null, true, 12, -3, 1.50, .5, 1e3, None, '12', \"true\", 0x1f]\nb:\n");
        let Value::Seq(items) = &entries(&node)[0].value.value else {
            panic!("not a sequence")
        };
        let shown: Vec<String> = items.iter().map(|n| format!("{:?}", n.value)).collect();
        assert_eq!(
            shown,
            [
                "Null",
                "Null",
                "Bool(true)",
                "Int(12)",
                "Int(-3)",
                "Float(1.5)",
                "Float(0.5)",
                "Float(1000.0)",
                "Str(\"None\")",
                "Str(\"12\")",
                "Str(\"true\")",
                "Int(31)"
            ]
        );
        let b = &entries(&node)[1];
        assert!(matches!(b.value.value, Value::Null));
        assert_eq!(b.value.pos, b.key_pos);
    }

    #[test]
    fn refuses_what_the_catalogue_does_not_support() {
        let text = "a: &x 1\nb: *x\nc: !!str 5\nb: 2\n? [k]\n: v\n---\nd: 1\n";
        let parsed = parse(text);
        let found: Vec<(u32, u32, &str)> = parsed
            .problems
            .iter()
            .map(|(p, m)| (p.line, p.column, m.split(' ').take(2).last().unwrap_or("")))
            .collect();
        assert_eq!(
            found,
            [
                // yaml-rust2 marks an anchored or tagged scalar at its text.
                (1, 7, "anchors"),
                (2, 4, "aliases"),
                (3, 10, "tags"),
                (4, 1, "key"),
                (5, 3, "keys"),
                (7, 1, "one"),
            ]
        );
        assert!(parsed.problems[3].1.contains("first at line 2"));
    }

    #[test]
    fn syntax_error_is_one_problem_at_its_marker() {
        let parsed = parse("a: 1\n  b: 2\n");
        assert!(parsed.root.is_none());
        assert_eq!(
            parsed.problems,
            [(
                Pos { line: 2, column: 4 },
                "yaml syntax error: mapping values are not allowed in this context".to_string()
            )]
        );
    }
}
