//! Fact extraction: one tree-sitter parse and one pass of the combined queries per Python text.

use super::queries;
use crate::text::TextRange;
use std::cell::RefCell;
use std::sync::OnceLock;
use streaming_iterator::StreamingIterator;
use tree_sitter::{Language, Node, Parser, Query, QueryCursor};

/// A binding created by an import statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The module imported from, e.g. `unsloth` for `from unsloth import FastLanguageModel`.
    pub module: String,
    /// The name taken from the module for `from` imports; `*` for a wildcard.
    pub name: Option<String>,
    /// The local name the statement binds, e.g. `FastLanguageModel`, `np`, or `a` for `import a.b`.
    pub binding: String,
    /// The whole statement.
    pub range: TextRange,
}

impl Import {
    /// The fully qualified name bound locally: `unsloth.FastLanguageModel`, `numpy`.
    pub fn qualified(&self) -> String {
        match &self.name {
            Some(name) if name != "*" => format!("{}.{}", self.module, name),
            _ => self.module.clone(),
        }
    }

    /// The top-level package, `unsloth` for `unsloth.chat_templates`.
    pub fn top_level(&self) -> &str {
        self.module.split('.').next().unwrap_or(&self.module)
    }
}

/// A literal value as written, simple enough to compare against advisory data.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(String),
    Number(String),
    Bool(bool),
    None,
    List(Vec<Literal>),
    /// Anything that is not a literal: a name, a call, an expression.
    Expr(String),
}

impl Literal {
    /// The value as Python would print it in source (`"none"`, `0`, `True`).
    pub fn display(&self) -> String {
        match self {
            Literal::Str(s) => format!("\"{s}\""),
            Literal::Number(n) => n.clone(),
            Literal::Bool(b) => if *b { "True" } else { "False" }.into(),
            Literal::None => "None".into(),
            Literal::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Literal::display)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Literal::Expr(e) => e.clone(),
        }
    }

    /// Whether this literal equals a literal written in advisory data (`0`, `"none"`, `False`).
    pub fn matches_source(&self, written: &str) -> bool {
        let written = written.trim();
        match self {
            Literal::Str(s) => {
                let unquoted = written.trim_matches(|c| c == '"' || c == '\'');
                unquoted.len() + 2 == written.len() && unquoted == s
            }
            Literal::Number(n) => match (n.replace('_', "").parse::<f64>(), written.parse::<f64>())
            {
                (Ok(a), Ok(b)) => a == b,
                _ => n == written,
            },
            Literal::Bool(b) => written == if *b { "True" } else { "False" },
            Literal::None => written == "None",
            Literal::List(_) | Literal::Expr(_) => false,
        }
    }

    pub fn is_literal(&self) -> bool {
        match self {
            Literal::Expr(_) => false,
            Literal::List(items) => items.iter().all(Literal::is_literal),
            _ => true,
        }
    }
}

/// A keyword argument of a call.
#[derive(Clone, Debug, PartialEq)]
pub struct Keyword {
    pub name: String,
    pub value: Literal,
    /// `name = value`.
    pub range: TextRange,
    pub name_range: TextRange,
    pub value_range: TextRange,
}

/// A call of a name or attribute chain.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The callee as written, whitespace removed: `FastLanguageModel.get_peft_model`.
    pub callee: String,
    pub callee_range: TextRange,
    pub range: TextRange,
    pub positional: Vec<Literal>,
    pub keywords: Vec<Keyword>,
}

impl Call {
    pub fn keyword(&self, name: &str) -> Option<&Keyword> {
        self.keywords.iter().find(|k| k.name == name)
    }
}

/// `name = <literal>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub name: String,
    pub value: Literal,
    pub range: TextRange,
}

/// Everything the checks need to know about one Python text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PythonFacts {
    pub imports: Vec<Import>,
    pub calls: Vec<Call>,
    pub assignments: Vec<Assignment>,
    /// Whether tree-sitter found a syntax error; facts are still extracted around it.
    pub has_syntax_error: bool,
}

impl PythonFacts {
    /// Moves every range by `delta` bytes.
    pub fn offset(mut self, delta: usize) -> Self {
        for i in &mut self.imports {
            i.range = i.range.offset(delta);
        }
        for c in &mut self.calls {
            c.range = c.range.offset(delta);
            c.callee_range = c.callee_range.offset(delta);
            for k in &mut c.keywords {
                k.range = k.range.offset(delta);
                k.name_range = k.name_range.offset(delta);
                k.value_range = k.value_range.offset(delta);
            }
        }
        for a in &mut self.assignments {
            a.range = a.range.offset(delta);
        }
        self
    }

    pub fn extend(&mut self, other: PythonFacts) {
        self.imports.extend(other.imports);
        self.calls.extend(other.calls);
        self.assignments.extend(other.assignments);
        self.has_syntax_error |= other.has_syntax_error;
    }
}

/// The three queries compiled as one, so that one pass over the tree finds every fact; each
/// pattern index belongs to one of the source files.
struct Queries {
    all: Query,
    /// Pattern indices below this come from imports.scm.
    imports_end: usize,
    /// Pattern indices below this (and not imports) come from calls.scm; the rest from
    /// assignments.scm.
    calls_end: usize,
}

fn language() -> Language {
    tree_sitter_python::LANGUAGE.into()
}

fn queries() -> &'static Queries {
    static QUERIES: OnceLock<Queries> = OnceLock::new();
    QUERIES.get_or_init(|| {
        let lang = language();
        // The queries are part of the binary and compiled in a test, so failure here is a bug.
        let combined = format!(
            "{}\n{}\n{}",
            queries::IMPORTS,
            queries::CALLS,
            queries::ASSIGNMENTS
        );
        let all = Query::new(&lang, &combined).expect("embedded query compiles");
        // Each pattern belongs to the file its text starts in; compiling once keeps start-up short.
        let calls_from = queries::IMPORTS.len() + 1;
        let assignments_from = calls_from + queries::CALLS.len() + 1;
        let count_before = |offset: usize| {
            (0..all.pattern_count())
                .filter(|&i| all.start_byte_for_pattern(i) < offset)
                .count()
        };
        let imports_end = count_before(calls_from);
        let calls_end = count_before(assignments_from);
        Queries {
            all,
            imports_end,
            calls_end,
        }
    })
}

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser.set_language(&language()).expect("tree-sitter-python matches the tree-sitter ABI");
        parser
    });
}

/// Parses `text` and extracts its facts. Never fails: a text tree-sitter cannot parse at all
/// yields no facts.
pub fn extract(text: &str) -> PythonFacts {
    let Some(tree) = PARSER.with(|p| p.borrow_mut().parse(text, None)) else {
        return PythonFacts::default();
    };
    let root = tree.root_node();
    let q = queries();
    let src = text.as_bytes();
    let mut facts = PythonFacts {
        has_syntax_error: root.has_error(),
        ..Default::default()
    };
    let mut cursor = QueryCursor::new();
    let names = q.all.capture_names();
    let mut matches = cursor.matches(&q.all, root, src);
    while let Some(m) = matches.next() {
        if m.pattern_index < q.imports_end {
            import_fact(m, names, text, &mut facts);
        } else if m.pattern_index < q.calls_end {
            call_fact(m, names, text, &mut facts);
        } else {
            assignment_fact(m, names, text, &mut facts);
        }
    }
    facts
}

fn import_fact(
    m: &tree_sitter::QueryMatch<'_, '_>,
    names: &[&str],
    text: &str,
    facts: &mut PythonFacts,
) {
    let mut module = None;
    let mut name = None;
    let mut alias = None;
    let mut stmt = None;
    let mut wildcard = false;
    for c in m.captures() {
        let t = node_text(c.node, text);
        match names[c.index as usize] {
            "module" => module = Some(compact(t)),
            "name" => name = Some(compact(t)),
            "alias" => alias = Some(t.to_string()),
            "import" => {
                stmt = Some(c.node);
                wildcard = has_child_kind(c.node, "wildcard_import");
            }
            _ => {}
        }
    }
    let (Some(module), Some(stmt)) = (module, stmt) else {
        return;
    };
    if wildcard {
        name = Some("*".into());
    }
    let binding = match (&alias, &name) {
        (Some(a), _) => a.clone(),
        (None, Some(n)) => n.clone(),
        (None, None) => module.split('.').next().unwrap_or(&module).to_string(),
    };
    let range = node_range(stmt);
    facts.imports.push(Import {
        module,
        name,
        binding,
        range,
    });
}

fn call_fact(
    m: &tree_sitter::QueryMatch<'_, '_>,
    names: &[&str],
    text: &str,
    facts: &mut PythonFacts,
) {
    let mut callee = None;
    let mut args = None;
    let mut call = None;
    for c in m.captures() {
        match names[c.index as usize] {
            "callee" => callee = Some(c.node),
            "arguments" => args = Some(c.node),
            "call" => call = Some(c.node),
            _ => {}
        }
    }
    let (Some(callee), Some(args), Some(call)) = (callee, args, call) else {
        return;
    };
    if !matches!(callee.kind(), "identifier" | "attribute") {
        return;
    }
    let mut positional = Vec::new();
    let mut keywords = Vec::new();
    let mut walker = args.walk();
    for arg in args.named_children(&mut walker) {
        match arg.kind() {
            "keyword_argument" => {
                let (Some(n), Some(v)) = (
                    arg.child_by_field_name("name"),
                    arg.child_by_field_name("value"),
                ) else {
                    return;
                };
                keywords.push(Keyword {
                    name: node_text(n, text).to_string(),
                    value: literal(v, text),
                    range: node_range(arg),
                    name_range: node_range(n),
                    value_range: node_range(v),
                });
            }
            "comment" => {}
            _ => positional.push(literal(arg, text)),
        }
    }
    facts.calls.push(Call {
        callee: compact(node_text(callee, text)),
        callee_range: node_range(callee),
        range: node_range(call),
        positional,
        keywords,
    });
}

fn assignment_fact(
    m: &tree_sitter::QueryMatch<'_, '_>,
    names: &[&str],
    text: &str,
    facts: &mut PythonFacts,
) {
    let mut name = None;
    let mut value = None;
    for c in m.captures() {
        match names[c.index as usize] {
            "name" => name = Some(c.node),
            "value" => value = Some(c.node),
            _ => {}
        }
    }
    let literal_kinds = [
        "string", "integer", "float", "true", "false", "none", "list",
    ];
    if let (Some(n), Some(v)) = (name, value.filter(|v| literal_kinds.contains(&v.kind()))) {
        facts.assignments.push(Assignment {
            name: node_text(n, text).to_string(),
            value: literal(v, text),
            range: TextRange::new(n.start_byte(), v.end_byte()),
        });
    }
}

fn node_range(node: Node) -> TextRange {
    TextRange::new(node.start_byte(), node.end_byte())
}

fn node_text<'a>(node: Node, text: &'a str) -> &'a str {
    text.get(node.start_byte()..node.end_byte()).unwrap_or("")
}

fn has_child_kind(node: Node, kind: &str) -> bool {
    let mut walker = node.walk();
    let found = node.children(&mut walker).any(|c| c.kind() == kind);
    found
}

/// Removes whitespace, so that `FastLanguageModel . get_peft_model` compares as one name.
fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn literal(node: Node, text: &str) -> Literal {
    let raw = node_text(node, text);
    match node.kind() {
        "string" => match string_value(node, text) {
            Some(s) => Literal::Str(s),
            None => Literal::Expr(raw.to_string()),
        },
        "integer" | "float" => Literal::Number(raw.to_string()),
        "true" => Literal::Bool(true),
        "false" => Literal::Bool(false),
        "none" => Literal::None,
        "list" | "tuple" => {
            let mut walker = node.walk();
            let items = node
                .named_children(&mut walker)
                .filter(|c| c.kind() != "comment")
                .map(|c| literal(c, text))
                .collect();
            Literal::List(items)
        }
        "parenthesized_expression" => match node.named_child(0) {
            Some(inner) => literal(inner, text),
            None => Literal::Expr(raw.to_string()),
        },
        _ => Literal::Expr(raw.to_string()),
    }
}

/// The value of a plain string literal; `None` for f-strings with interpolations.
fn string_value(node: Node, text: &str) -> Option<String> {
    let mut walker = node.walk();
    let mut out = String::new();
    for child in node.named_children(&mut walker) {
        match child.kind() {
            "string_content" => out.push_str(node_text(child, text)),
            "interpolation" => return None,
            "escape_sequence" => out.push_str(node_text(child, text)),
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_query_compiles() {
        for (name, src) in queries::ALL {
            if let Err(e) = Query::new(&language(), src) {
                panic!("{name}: {e}");
            }
        }
    }

    #[test]
    fn imports_in_every_form() {
        let facts = extract("import unsloth\nimport numpy as np\nfrom unsloth import FastLanguageModel as FLM\nfrom trl import *\nimport a.b\n");
        let q: Vec<_> = facts
            .imports
            .iter()
            .map(|i| (i.qualified(), i.binding.clone()))
            .collect();
        assert_eq!(
            q,
            vec![
                ("unsloth".into(), "unsloth".into()),
                ("numpy".into(), "np".into()),
                ("unsloth.FastLanguageModel".into(), "FLM".into()),
                ("trl".into(), "*".into()),
                ("a.b".into(), "a".into()),
            ]
        );
    }

    #[test]
    fn calls_with_keywords_and_literals() {
        let src = "model = FastLanguageModel.get_peft_model(\n    model, r = 16, # rank\n    lora_dropout = 0, bias = \"none\",\n    target_modules = [\"q_proj\", \"k_proj\",],\n    use_dora = flag,\n)\n";
        let facts = extract(src);
        let call = &facts.calls[0];
        assert_eq!(call.callee, "FastLanguageModel.get_peft_model");
        assert_eq!(
            call.keyword("lora_dropout").unwrap().value,
            Literal::Number("0".into())
        );
        assert!(call
            .keyword("bias")
            .unwrap()
            .value
            .matches_source("\"none\""));
        assert_eq!(
            call.keyword("target_modules").unwrap().value,
            Literal::List(vec![
                Literal::Str("q_proj".into()),
                Literal::Str("k_proj".into())
            ])
        );
        assert!(!call.keyword("use_dora").unwrap().value.is_literal());
        assert_eq!(call.positional, vec![Literal::Expr("model".into())]);
    }

    #[test]
    fn syntax_errors_do_not_hide_the_rest() {
        let facts = extract("import unsloth\nif x ==:\n    pass\nimport peft\n");
        assert!(facts.has_syntax_error);
        assert!(facts.imports.iter().any(|i| i.module == "peft"));
    }
}
