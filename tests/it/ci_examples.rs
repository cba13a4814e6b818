//! Every mpcert command line in the CI examples (`ci-examples/`), the GitHub Action
//! (`action.yml`) and the project's own workflows parses with mpcert's own command line, and a
//! `run` passes its validation too, so the examples cannot drift from the CLI.
//!
//! The files are read as shell text, whatever holds it (a YAML block scalar, a Groovy `'''`
//! string, a systemd `ExecStart=`): a line ending in `\` continues on the next one, comment
//! lines (`#`, `//`) are skipped, and a command is the word `mpcert` (or a path ending in
//! `/mpcert`) followed by a subcommand or an option, up to the end of the line or a shell
//! operator. Quotes are removed as the shell removes them. A word holding an expansion
//! (`$VERSION`, `${X#v}`, `$(cat VERSION)`, `${{ inputs.x }}`, Azure's `$(Var)`) is replaced by
//! a placeholder fit for the flag before it (a version after `--client-version`, a URL after
//! `--target`, …), and `"${name[@]}"` by every word ever added to the array `name` in the file
//! (`name=(…)`, `name+=(…)`), so optional flags are checked too.

use std::collections::HashMap;
use std::path::Path;

use clap::Parser;
use mpcert::cli::{Cli, Command};
use mpcert::config::RunConfig;

/// The pipeline files and the subcommands (or top-level options) each must invoke at least once,
/// so the test cannot pass by finding nothing.
const FILES: &[(&str, &[&str])] = &[
    ("action.yml", &["run"]),
    ("ci-examples/github-actions/certify.yml", &["run", "gate"]),
    ("ci-examples/gitlab/.gitlab-ci.yml", &["run", "gate"]),
    (
        "ci-examples/azure-pipelines/azure-pipelines.yml",
        &["run", "gate"],
    ),
    (
        "ci-examples/azure-pipelines/mpcert-install.yml",
        &["--version"],
    ),
    ("ci-examples/jenkins/Jenkinsfile", &["run", "gate"]),
    ("ci-examples/shared-service/certify.yml", &["run", "gate"]),
    (
        "ci-examples/shared-service/mpcert-serve.service",
        &["serve"],
    ),
];

/// Subcommands that an invocation may name.
const SUBCOMMANDS: &[&str] = &["run", "list", "validate", "serve", "gate", "keygen"];

/// One shell token: a word (quotes removed) or an operator.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word {
        text: String,
        /// The word holds a parameter, command or CI expression expansion.
        expanded: bool,
        /// The word is exactly `"${name[@]}"`: every element of the array `name`.
        array: Option<String>,
    },
    Operator(String),
}

/// One `mpcert …` command line found in a file.
#[derive(Debug)]
struct Invocation {
    file: String,
    line: usize,
    words: Vec<String>,
}

/// Takes the `$…` at `i` into `text` (noting an expansion, and the array it names if any) and
/// returns the index after it; a lone `$` is literal.
fn take_expansion(
    chars: &[char],
    i: usize,
    text: &mut String,
    expanded: &mut bool,
    array: &mut Option<String>,
) -> usize {
    match expansion(chars, i) {
        Some((end, name)) => {
            *expanded = true;
            *array = name;
            text.extend(&chars[i..end]);
            end
        }
        None => {
            text.push('$');
            i + 1
        }
    }
}

/// Reads the expansion that starts at `chars[i]` (a `$`), returning its end and, for
/// `${name[@]}`, the array's name; `None` when the `$` starts no expansion.
fn expansion(chars: &[char], i: usize) -> Option<(usize, Option<String>)> {
    let next = *chars.get(i + 1)?;
    let closing = match next {
        '{' => '}',
        '(' => ')',
        c if c.is_ascii_alphanumeric() || c == '_' || c == '@' || c == '#' || c == '?' => {
            let mut end = i + 1;
            while chars
                .get(end)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                end += 1;
            }
            return Some((end.max(i + 2), None));
        }
        _ => return None,
    };
    let mut depth = 0usize;
    let mut j = i + 1;
    while let Some(&c) = chars.get(j) {
        if c == next {
            depth += 1;
        } else if c == closing {
            depth -= 1;
            if depth == 0 {
                let inner: String = chars[i + 2..j].iter().collect();
                let array = inner.strip_suffix("[@]").map(str::to_string);
                return Some((j + 1, array));
            }
        }
        j += 1;
    }
    Some((chars.len(), None))
}

/// Splits one logical line into shell tokens; an unterminated quote runs to the end.
fn tokenize(line: &str) -> Vec<Token> {
    let chars: Vec<char> = line.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' {
            break;
        }
        if "|&;<>()".contains(c) {
            // A redirect's file descriptor (`2>&1`) is no argument.
            let descriptor = matches!(tokens.last(), Some(Token::Word { text, .. })
                if !text.is_empty() && text.chars().all(|d: char| d.is_ascii_digit()));
            if "<>".contains(c) && descriptor && i > 0 && chars[i - 1].is_ascii_digit() {
                tokens.pop();
            }
            let mut op = c.to_string();
            if chars.get(i + 1) == Some(&c) && "|&;<>".contains(c) {
                op.push(c);
            }
            i += op.len();
            tokens.push(Token::Operator(op));
            continue;
        }
        let (mut text, mut expanded, mut array, mut pieces) = (String::new(), false, None, 0);
        while i < chars.len() {
            let c = chars[i];
            if c.is_whitespace() || "|&;<>()".contains(c) {
                break;
            }
            pieces += 1;
            match c {
                '\'' => {
                    let end = chars[i + 1..]
                        .iter()
                        .position(|&q| q == '\'')
                        .map_or(chars.len(), |p| i + 1 + p);
                    text.extend(&chars[i + 1..end]);
                    i = end + 1;
                }
                '"' => {
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        match chars[i] {
                            '\\' if chars.get(i + 1).is_some_and(|n| "\"\\$`".contains(*n)) => {
                                text.push(chars[i + 1]);
                                i += 2;
                            }
                            '$' => {
                                i = take_expansion(&chars, i, &mut text, &mut expanded, &mut array)
                            }
                            other => {
                                text.push(other);
                                i += 1;
                            }
                        }
                    }
                    i += 1;
                }
                '\\' => {
                    text.extend(chars.get(i + 1));
                    i += 2;
                }
                '$' => i = take_expansion(&chars, i, &mut text, &mut expanded, &mut array),
                other => {
                    text.push(other);
                    i += 1;
                }
            }
        }
        // `"${name[@]}"` alone is an array; an array inside a longer word is just an expansion.
        let whole_array = array.filter(|name| pieces == 1 && text == format!("${{{name}[@]}}"));
        tokens.push(Token::Word {
            text,
            expanded,
            array: whole_array,
        });
    }
    tokens
}

/// The file's logical lines with their first line numbers: continuations joined, comment lines
/// left out.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if pending.is_none() && (trimmed.starts_with('#') || trimmed.starts_with("//")) {
            continue;
        }
        let (number, mut joined) = pending.take().unwrap_or((index + 1, String::new()));
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                joined.push_str(head);
                joined.push(' ');
                pending = Some((number, joined));
            }
            None => {
                joined.push_str(trimmed);
                lines.push((number, joined));
            }
        }
    }
    lines.extend(pending);
    lines
}

/// A stand-in for an expanded word, fit for the flag it is the value of.
fn placeholder(flag: Option<&str>) -> &'static str {
    match flag {
        Some("--client") => "exec:placeholder",
        Some("--client-version" | "--version") => "1.0.0",
        Some("--target") => "https://mpcert.example.net",
        Some("--integrator-client-id" | "--client-id") => "0f8fad5b-d9cb-469f-a165-70867728950e",
        Some("--time-scale") => "0.01",
        Some("--profile") => "strict",
        Some("--merchant-vat") => "DK90000028",
        Some("--category" | "--requires") => "payments",
        Some("--listen") => "127.0.0.1:8080",
        _ => "placeholder",
    }
}

/// The words of `tokens` as the command receives them: expansions replaced by placeholders,
/// arrays by every word added to them.
fn argument_words(tokens: &[Token], arrays: &HashMap<String, Vec<Token>>) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for token in tokens {
        let Token::Word {
            text,
            expanded,
            array,
        } = token
        else {
            break;
        };
        if let Some(name) = array {
            let elements = arrays.get(name).map(Vec::as_slice).unwrap_or_default();
            words.extend(argument_words(elements, arrays));
        } else if *expanded {
            let flag = words
                .last()
                .map(String::as_str)
                .filter(|w| w.starts_with('-'));
            words.push(placeholder(flag).to_string());
        } else {
            words.push(text.clone());
        }
    }
    words
}

/// Every element added to each array of the file (`name=(…)`, `name+=(…)`).
fn arrays(lines: &[(usize, String)]) -> HashMap<String, Vec<Token>> {
    let mut arrays: HashMap<String, Vec<Token>> = HashMap::new();
    for (_, line) in lines {
        let tokens = tokenize(line);
        for (i, token) in tokens.iter().enumerate() {
            let Token::Word { text, .. } = token else {
                continue;
            };
            let Some(name) = text.strip_suffix("+=").or_else(|| text.strip_suffix('=')) else {
                continue;
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            if tokens.get(i + 1) != Some(&Token::Operator("(".into())) {
                continue;
            }
            let elements = tokens[i + 2..]
                .iter()
                .take_while(|t| **t != Token::Operator(")".into()))
                .cloned();
            arrays.entry(name.to_string()).or_default().extend(elements);
        }
    }
    arrays
}

fn is_mpcert(token: &Token) -> bool {
    matches!(token, Token::Word { text, .. } if text == "mpcert" || text.ends_with("/mpcert"))
}

/// Every `mpcert …` command line of `text`.
fn invocations(file: &str, text: &str) -> Vec<Invocation> {
    let lines = logical_lines(text);
    let arrays = arrays(&lines);
    let mut found = Vec::new();
    for (line, text) in &lines {
        let tokens = tokenize(text);
        for (i, token) in tokens.iter().enumerate() {
            let next = match tokens.get(i + 1) {
                Some(Token::Word { text, .. }) => text.as_str(),
                _ => continue,
            };
            if !is_mpcert(token) || !(SUBCOMMANDS.contains(&next) || next.starts_with('-')) {
                continue;
            }
            let mut words = vec!["mpcert".to_string()];
            words.extend(argument_words(&tokens[i + 1..], &arrays));
            found.push(Invocation {
                file: file.to_string(),
                line: *line,
                words,
            });
        }
    }
    found
}

/// Why mpcert would refuse this command line, if it would.
fn refusal(words: &[String]) -> Option<String> {
    match Cli::try_parse_from(words) {
        Ok(cli) => match cli.command {
            Command::Run(args) => RunConfig::from_args(*args).err().map(|e| e.to_string()),
            _ => None,
        },
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayVersion | clap::error::ErrorKind::DisplayHelp
            ) =>
        {
            None
        }
        Err(e) => Some(e.to_string().lines().next().unwrap_or_default().to_string()),
    }
}

fn read(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("read {file}: {e}"))
}

/// The pipeline-looking files under `dir` (recursively).
fn pipeline_files(root: &Path, dir: &str, found: &mut Vec<String>) {
    let entries =
        std::fs::read_dir(root.join(dir)).unwrap_or_else(|e| panic!("read dir {dir}: {e}"));
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{dir}/{name}");
        if entry.path().is_dir() {
            pipeline_files(root, &path, found);
        } else if name.ends_with(".yml")
            || name.ends_with(".yaml")
            || name == "Jenkinsfile"
            || name.ends_with(".service")
        {
            found.push(path);
        }
    }
}

#[test]
fn every_mpcert_command_line_in_the_pipelines_parses_with_the_cli() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut on_disk = Vec::new();
    pipeline_files(root, "ci-examples", &mut on_disk);
    let unlisted: Vec<&String> = on_disk
        .iter()
        .filter(|f| !FILES.iter().any(|(listed, _)| listed == f))
        .collect();
    assert!(
        unlisted.is_empty(),
        "pipeline files not in FILES (list them with the subcommands they invoke): {unlisted:?}"
    );
    let mut workflows = Vec::new();
    pipeline_files(root, ".github/workflows", &mut workflows);

    let mut all = Vec::new();
    for (file, expected) in FILES {
        let found = invocations(file, &read(root, file));
        for subcommand in *expected {
            assert!(
                found.iter().any(|inv| inv.words[1] == *subcommand),
                "{file}: found no `mpcert {subcommand}` among {:?}",
                found
                    .iter()
                    .map(|inv| inv.words.join(" "))
                    .collect::<Vec<_>>()
            );
        }
        all.extend(found);
    }
    for file in &workflows {
        all.extend(invocations(file, &read(root, file)));
    }

    let refused: Vec<String> = all
        .iter()
        .filter_map(|inv| {
            refusal(&inv.words).map(|why| {
                format!(
                    "{}:{}: `{}`: {why}",
                    inv.file,
                    inv.line,
                    inv.words.join(" ")
                )
            })
        })
        .collect();
    assert!(
        refused.is_empty(),
        "{} of {} mpcert command lines are refused by the CLI:\n{}",
        refused.len(),
        all.len(),
        refused.join("\n")
    );
}

#[test]
fn the_extractor_joins_continuations_fills_expansions_and_expands_arrays() {
    let text = r#"
# mpcert run --this-comment-is-skipped
steps:
  - run: |
      optional=()
      for c in $CATEGORIES; do optional+=(--category "$c"); done
      [ -n "$LEDGER" ] && optional+=(--record "$LEDGER")
      echo "install the mpcert repository first"
      POS_VERSION="$v" "$ROOT/bin/mpcert" run --client exec:'python3 shim.py' \
        --client-version "${{ inputs.version }}" --junit "$(pwd)/j.xml" \
        "${optional[@]}" 2>&1 | tee log
  - bash: mpcert gate --version "${TAG#v}" --ledger ledger.json # a trailing comment
"#;
    let found = invocations("inline", text);
    let lines: Vec<(usize, String)> = found
        .iter()
        .map(|inv| (inv.line, inv.words.join(" ")))
        .collect();
    assert_eq!(
        lines,
        vec![
            (
                9,
                "mpcert run --client exec:python3 shim.py --client-version 1.0.0 --junit \
                 placeholder --category payments --record placeholder"
                    .to_string()
            ),
            (
                12,
                "mpcert gate --version 1.0.0 --ledger ledger.json".to_string()
            ),
        ]
    );
}
