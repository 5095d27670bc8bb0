//! Fact extraction: one tree-sitter parse and one walk over the tree per Python text.

use crate::text::TextRange;
use std::cell::RefCell;
use tree_sitter::{InputEdit, Language, Node, Parser, Point, Tree};

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

    /// The argument a model loader (`*.from_pretrained`) takes the model's name from:
    /// `model_name=`, or else the first positional argument; with the range a finding about
    /// the model points at (the keyword, or the whole call).
    pub fn model_name_argument(&self) -> Option<(&Literal, TextRange)> {
        self.keyword("model_name")
            .map(|k| (&k.value, k.range))
            .or_else(|| self.positional.first().map(|v| (v, self.range)))
    }
}

/// `name = <literal>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub name: String,
    pub value: Literal,
    pub range: TextRange,
}

/// A base class named in a class definition: `class A(trl.SFTTrainer)` names `trl.SFTTrainer`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassBase {
    /// The dotted name as written, whitespace removed.
    pub name: String,
    /// The base expression.
    pub range: TextRange,
}

/// Everything the checks need to know about one Python text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PythonFacts {
    pub imports: Vec<Import>,
    pub calls: Vec<Call>,
    pub assignments: Vec<Assignment>,
    /// Base classes of class definitions, in source order.
    pub class_bases: Vec<ClassBase>,
    /// The bodies of `if False:` / `if 0:` (and `while` alike): code a run does not execute as
    /// written, which notebooks use for optional steps ("change to True to save").
    pub dormant: Vec<TextRange>,
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
        for b in &mut self.class_bases {
            b.range = b.range.offset(delta);
        }
        for r in &mut self.dormant {
            *r = r.offset(delta);
        }
        self
    }

    /// Whether `range` lies in code that does not run as written (an `if False:` body).
    pub fn is_dormant(&self, range: TextRange) -> bool {
        self.dormant.iter().any(|d| d.contains_range(range))
    }

    /// Orders every list by where its facts start, for facts gathered out of order.
    pub fn sort_by_position(&mut self) {
        self.imports.sort_by_key(|i| i.range.start);
        self.calls.sort_by_key(|c| c.range.start);
        self.assignments.sort_by_key(|a| a.range.start);
        self.class_bases.sort_by_key(|b| b.range.start);
        self.dormant.sort_by_key(|r| r.start);
    }

    /// Sorts the facts by position and keeps one of each: a statement between two parsed
    /// chunks can be parsed again on its own, and gives the same facts twice.
    pub fn sort_and_drop_repeats(&mut self) {
        self.sort_by_position();
        drop_repeats(&mut self.imports, |i| i.range.start);
        drop_repeats(&mut self.calls, |c| c.range.start);
        drop_repeats(&mut self.assignments, |a| a.range.start);
        drop_repeats(&mut self.class_bases, |b| b.range.start);
        drop_repeats(&mut self.dormant, |r| r.start);
    }

    pub fn extend(&mut self, other: PythonFacts) {
        self.imports.extend(other.imports);
        self.calls.extend(other.calls);
        self.assignments.extend(other.assignments);
        self.class_bases.extend(other.class_bases);
        self.dormant.extend(other.dormant);
        self.has_syntax_error |= other.has_syntax_error;
    }
}

/// Removes later copies of equal items from `items`, sorted by `start`: equal items start at
/// the same place, so only items of one start are compared.
fn drop_repeats<T: PartialEq>(items: &mut Vec<T>, start: impl Fn(&T) -> usize) {
    let mut kept: Vec<T> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        let repeated = kept
            .iter()
            .rev()
            .take_while(|k| start(k) == start(&item))
            .any(|k| *k == item);
        if !repeated {
            kept.push(item);
        }
    }
    *items = kept;
}

fn language() -> Language {
    tree_sitter_python::LANGUAGE.into()
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
    match PARSER.with(|p| p.borrow_mut().parse(text, None)) {
        Some(tree) => facts_of_tree(&tree, text),
        None => PythonFacts::default(),
    }
}

/// A parse kept for the next edit of the same text: tree-sitter re-parses only what an edit
/// touched when it is given the previous tree.
#[derive(Clone)]
pub struct KeptParse {
    text: String,
    tree: Tree,
}

impl std::fmt::Debug for KeptParse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptParse")
            .field("bytes", &self.text.len())
            .finish()
    }
}

/// [`extract`] of `text`, re-using `previous` (the parse of an earlier version of the same
/// text) for what did not change: the one edited region between their common prefix and
/// suffix. Returns the facts, which equal a fresh parse's, and the parse to keep.
pub fn extract_after_edit(
    text: &str,
    previous: Option<KeptParse>,
) -> (PythonFacts, Option<KeptParse>) {
    let old = previous.map(|mut kept| {
        kept.tree.edit(&edit_between(&kept.text, text));
        kept.tree
    });
    match PARSER.with(|p| p.borrow_mut().parse(text, old.as_ref())) {
        Some(tree) => {
            let facts = facts_of_tree(&tree, text);
            let kept = KeptParse {
                text: text.to_string(),
                tree,
            };
            (facts, Some(kept))
        }
        None => (PythonFacts::default(), None),
    }
}

/// The single edit that turns `old` into `new`: everything between their common prefix and
/// their common suffix (on character boundaries) was replaced.
fn edit_between(old: &str, new: &str) -> InputEdit {
    let mut start = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !(old.is_char_boundary(start) && new.is_char_boundary(start)) {
        start -= 1;
    }
    let room = old.len().min(new.len()) - start;
    let mut common_end = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    while !(old.is_char_boundary(old.len() - common_end)
        && new.is_char_boundary(new.len() - common_end))
    {
        common_end -= 1;
    }
    let old_end = old.len() - common_end;
    let new_end = new.len() - common_end;
    InputEdit {
        start_byte: start,
        old_end_byte: old_end,
        new_end_byte: new_end,
        start_position: point_at(old, start),
        old_end_position: point_at(old, old_end),
        new_end_position: point_at(new, new_end),
    }
}

/// Tree-sitter's row and byte column of `offset`.
fn point_at(text: &str, offset: usize) -> Point {
    let before = &text.as_bytes()[..offset];
    let row = memchr::memchr_iter(b'\n', before).count();
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    Point::new(row, offset - line_start)
}

fn facts_of_tree(tree: &Tree, text: &str) -> PythonFacts {
    let root = tree.root_node();
    let mut facts = PythonFacts {
        has_syntax_error: root.has_error(),
        ..Default::default()
    };
    walk(root, text, &mut facts);
    facts
}

/// Visits every node once, in source order, and records the statements and expressions the
/// checks use (imports, calls, assignments, class bases, dormant bodies). A hand-written walk rather than tree-sitter queries: it needs no
/// query compile at start-up and costs a fraction of query matching per node.
fn walk(root: Node, text: &str, facts: &mut PythonFacts) {
    let kinds = kinds();
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        // Node kinds are compared by id: the walk visits every node, and a string comparison
        // per node is a measurable share of it.
        let kind = node.kind_id();
        // Import statements hold only names, so there is nothing below them to visit.
        let descend = if kind == kinds.import_statement {
            import_statement(node, text, facts);
            false
        } else if kind == kinds.import_from_statement {
            import_from_statement(node, text, facts);
            false
        } else if kind == kinds.call {
            call_fact(node, text, facts);
            true
        } else if kind == kinds.expression_statement {
            assignment_facts(node, text, facts);
            true
        } else if kind == kinds.class_definition {
            class_bases(node, text, facts);
            true
        } else if kind == kinds.if_statement || kind == kinds.while_statement {
            dormant_body(node, text, facts);
            true
        } else {
            true
        };
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// The ids of the node kinds the walk looks for.
struct Kinds {
    import_statement: u16,
    import_from_statement: u16,
    call: u16,
    expression_statement: u16,
    class_definition: u16,
    if_statement: u16,
    while_statement: u16,
}

fn kinds() -> &'static Kinds {
    static KINDS: std::sync::OnceLock<Kinds> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        let language = language();
        let id = |kind: &str| language.id_for_node_kind(kind, true);
        Kinds {
            import_statement: id("import_statement"),
            import_from_statement: id("import_from_statement"),
            call: id("call"),
            expression_statement: id("expression_statement"),
            class_definition: id("class_definition"),
            if_statement: id("if_statement"),
            while_statement: id("while_statement"),
        }
    })
}

/// Records the body of an `if`/`while` whose condition is the constant `False` or `0`. Its
/// facts are still extracted: a finding there is shown, but as what happens once the user
/// enables the block. The `elif`/`else` arms of such an `if` do run, and stay live.
fn dormant_body(stmt: Node, text: &str, facts: &mut PythonFacts) {
    let Some(condition) = stmt.child_by_field_name("condition") else {
        return;
    };
    if !matches!(node_text(condition, text).trim(), "False" | "0") {
        return;
    }
    // `if` names its body `consequence`, `while` names it `body`.
    let body = stmt
        .child_by_field_name("consequence")
        .or_else(|| stmt.child_by_field_name("body"));
    if let Some(body) = body {
        facts
            .dormant
            .push(TextRange::new(body.start_byte(), body.end_byte()));
    }
}

/// `import a.b`, `import a.b as c`, several of them separated by commas.
fn import_statement(stmt: Node, text: &str, facts: &mut PythonFacts) {
    let mut walker = stmt.walk();
    for child in stmt.children_by_field_name("name", &mut walker) {
        let (module, alias) = match child.kind() {
            "dotted_name" => (compact(node_text(child, text)), None),
            "aliased_import" => match aliased_import(child, text) {
                Some((name, alias)) => (name, Some(alias)),
                None => continue,
            },
            _ => continue,
        };
        let binding = alias.unwrap_or_else(|| module.split('.').next().unwrap_or("").to_string());
        facts.imports.push(Import {
            module,
            name: None,
            binding,
            range: node_range(stmt),
        });
    }
}

/// The name and the alias of `a.b as c`.
fn aliased_import(node: Node, text: &str) -> Option<(String, String)> {
    let name = node.child_by_field_name("name")?;
    let alias = node.child_by_field_name("alias")?;
    Some((
        compact(node_text(name, text)),
        node_text(alias, text).to_string(),
    ))
}

/// `from a import b`, `from a import b as c`, `from a import *`. Relative imports name no
/// package and are not recorded.
fn import_from_statement(stmt: Node, text: &str, facts: &mut PythonFacts) {
    let Some(module) = stmt
        .child_by_field_name("module_name")
        .filter(|m| m.kind() == "dotted_name")
    else {
        return;
    };
    let module = compact(node_text(module, text));
    let mut cursor = stmt.walk();
    if !cursor.goto_first_child() {
        return;
    }
    loop {
        let child = cursor.node();
        let imported = match (child.kind(), cursor.field_name()) {
            ("wildcard_import", _) => Some(("*".to_string(), None)),
            ("dotted_name", Some("name")) => Some((compact(node_text(child, text)), None)),
            ("aliased_import", Some("name")) => {
                aliased_import(child, text).map(|(name, alias)| (name, Some(alias)))
            }
            _ => None,
        };
        if let Some((name, alias)) = imported {
            let binding = alias.unwrap_or_else(|| name.clone());
            facts.imports.push(Import {
                module: module.clone(),
                name: Some(name),
                binding,
                range: node_range(stmt),
            });
        }
        if !cursor.goto_next_sibling() {
            return;
        }
    }
}

fn call_fact(call: Node, text: &str, facts: &mut PythonFacts) {
    let (Some(callee), Some(args)) = (
        call.child_by_field_name("function"),
        call.child_by_field_name("arguments"),
    ) else {
        return;
    };
    if !matches!(callee.kind(), "identifier" | "attribute") || args.kind() != "argument_list" {
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

/// `name = <literal>` directly inside an expression statement (so not `a = b = 1`'s inner
/// `b = 1`, and not a keyword argument).
fn assignment_facts(stmt: Node, text: &str, facts: &mut PythonFacts) {
    const LITERAL_KINDS: [&str; 7] = [
        "string", "integer", "float", "true", "false", "none", "list",
    ];
    let mut walker = stmt.walk();
    for assignment in stmt.named_children(&mut walker) {
        if assignment.kind() != "assignment" {
            continue;
        }
        let (Some(n), Some(v)) = (
            assignment
                .child_by_field_name("left")
                .filter(|n| n.kind() == "identifier"),
            assignment
                .child_by_field_name("right")
                .filter(|v| LITERAL_KINDS.contains(&v.kind())),
        ) else {
            continue;
        };
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

/// `class A(B, c.D, metaclass=M)`: the dotted bases `B` and `c.D`.
fn class_bases(class: Node, text: &str, facts: &mut PythonFacts) {
    let Some(args) = class.child_by_field_name("superclasses") else {
        return;
    };
    let mut walker = args.walk();
    for base in args.named_children(&mut walker) {
        if matches!(base.kind(), "identifier" | "attribute") {
            facts.class_bases.push(ClassBase {
                name: compact(node_text(base, text)),
                range: TextRange::new(base.start_byte(), base.end_byte()),
            });
        }
    }
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

    /// Every edit of a few texts (inserting or deleting a character anywhere, replacing a line,
    /// typing a multi-byte character, breaking and mending a bracket), applied one after another
    /// to the kept parse, gives the facts of a fresh parse of the result.
    #[test]
    fn an_incremental_parse_gives_the_facts_of_a_fresh_parse() {
        let texts = [
            "from trl import SFTTrainer, SFTConfig\n\ntrainer = SFTTrainer(\n    model = model,\n    args = SFTConfig(max_steps = 60, optim = \"adamw_8bit\"),\n)\n",
            "import peft\nif False:\n    import unsloth  # é\nmodel = FastLanguageModel.from_pretrained(\"unsloth/gemma-2-9b\")\n",
        ];
        for original in texts {
            let (mut facts, mut kept) = extract_after_edit(original, None);
            assert_eq!(facts, extract(original));
            let mut text = original.to_string();
            let boundaries: Vec<usize> = (0..=original.len())
                .filter(|&i| original.is_char_boundary(i))
                .collect();
            for (step, &at) in boundaries.iter().enumerate() {
                let at = at.min(text.len());
                let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap();
                match step % 4 {
                    0 => text.insert(at, 'x'),
                    1 => text.insert_str(at, "é("),
                    2 => {
                        let end = text[at..]
                            .char_indices()
                            .nth(2)
                            .map_or(text.len(), |(i, _)| at + i);
                        text.replace_range(at..end, "");
                    }
                    _ => text.insert_str(at, ")\nfrom peft import LoraConfig\n"),
                }
                (facts, kept) = extract_after_edit(&text, kept);
                assert_eq!(facts, extract(&text), "after step {step} at {at}: {text:?}");
            }
        }
    }

    use super::*;

    #[test]
    fn the_body_of_if_false_is_dormant_and_its_else_is_not() {
        let text = "if False:\n    model.save_pretrained_gguf('m')\nelse:\n    run()\nif 0: go()\nwhile False:\n    spin()\nif True:\n    live()\n";
        let facts = extract(text);
        let dormant: Vec<&str> = facts
            .calls
            .iter()
            .filter(|c| facts.is_dormant(c.range))
            .map(|c| c.callee.as_str())
            .collect();
        assert_eq!(dormant, ["model.save_pretrained_gguf", "go", "spin"]);
    }

    #[test]
    fn every_kind_the_walk_looks_for_exists_in_the_grammar() {
        let k = kinds();
        for id in [
            k.import_statement,
            k.import_from_statement,
            k.call,
            k.expression_statement,
            k.class_definition,
            k.if_statement,
            k.while_statement,
        ] {
            assert_ne!(id, 0, "a node kind is missing from tree-sitter-python");
        }
    }

    #[test]
    fn class_bases_are_recorded_as_written() {
        let facts = extract("class A(B, c . D, metaclass=M):\n    pass\nclass E:\n    pass\n");
        let bases: Vec<_> = facts.class_bases.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(bases, ["B", "c.D"]);
        assert_eq!(
            facts.class_bases[1]
                .range
                .slice("class A(B, c . D, metaclass=M):"),
            "c . D"
        );
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
