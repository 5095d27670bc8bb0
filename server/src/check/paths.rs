//! Install paths: the arms of an `if`/`else` that install packages are alternatives, so a
//! notebook that installs one way on Colab and another elsewhere is judged once per way, not as
//! if both ran one after the other.
//!
//! A chain whose arms install something is an alternative when two or more of its arms do. When
//! the cell's saved output shows a package that only one arm installs (pip's `Collecting x`,
//! `Requirement already satisfied: x`, `Successfully installed x-1.0`), that arm ran and the
//! others are dropped; otherwise every combination of arms is a path of its own, up to a few
//! chains (the rest are read in document order, as before).

use super::declarations::Declaration;
use crate::requirement::normalize_name;
use crate::source::{Document, Guard};
use std::collections::BTreeMap;

/// More alternative conditions than this are not multiplied out.
const MAX_CHAINS: usize = 3;

/// One way through a notebook's install guards.
#[derive(Clone, Debug, Default)]
pub(super) struct InstallPath {
    /// For each alternative chain (by its start): the arm this path takes.
    arms: BTreeMap<usize, usize>,
    /// How the path reads in a message (`` `else:` of `if "COLAB_" ...:` runs ``), when there
    /// is more than one.
    pub label: Option<String>,
}

impl InstallPath {
    /// Whether a declaration is on this path: it is not conditional, or its chain is not an
    /// alternative, or this path takes its arm.
    pub fn includes(&self, d: &Declaration) -> bool {
        match d.install.as_ref().and_then(|i| i.condition.as_ref()) {
            Some(g) => self.arms.get(&g.chain).is_none_or(|arm| *arm == g.arm),
            None => true,
        }
    }
}

/// The install paths of a document: one (everything in order) unless alternative chains exist.
pub(super) fn install_paths(doc: &Document, declarations: &[Declaration]) -> Vec<InstallPath> {
    // chain start → arm → (its guard, the packages it installs)
    let mut chains: BTreeMap<usize, BTreeMap<usize, (&Guard, Vec<&str>)>> = BTreeMap::new();
    for d in declarations {
        let Some(guard) = d.install.as_ref().and_then(|i| i.condition.as_ref()) else {
            continue;
        };
        chains
            .entry(guard.chain)
            .or_default()
            .entry(guard.arm)
            .or_insert_with(|| (guard, Vec::new()))
            .1
            .push(&d.package);
    }
    chains.retain(|_, arms| arms.len() >= 2);
    // Chains with the same condition (`if "COLAB_" not in ...:` in two cells) take the same
    // arm: the condition has one value in one run.
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (chain, arms) in &chains {
        let header = arms
            .values()
            .next()
            .map_or("", |(g, _)| g.chain_header.as_str());
        match groups.iter_mut().find(|(h, _)| *h == header) {
            Some((_, members)) => members.push(*chain),
            None => groups.push((header, vec![*chain])),
        }
    }
    let mut paths = vec![InstallPath::default()];
    for (_, members) in groups.into_iter().take(MAX_CHAINS) {
        // Arm index → a guard to name it by.
        let mut arms: BTreeMap<usize, &Guard> = BTreeMap::new();
        for chain in &members {
            for (arm, (guard, _)) in &chains[chain] {
                arms.entry(*arm).or_insert(guard);
            }
        }
        let ran = members
            .iter()
            .find_map(|chain| arm_that_ran(doc, *chain, &chains[chain]));
        let choices: Vec<(usize, &Guard, bool)> = match ran {
            Some(arm) => vec![(arm, arms[&arm], true)],
            None => arms.iter().map(|(a, g)| (*a, *g, false)).collect(),
        };
        let mut next = Vec::with_capacity(paths.len() * choices.len());
        for path in &paths {
            for (arm, guard, ran) in &choices {
                let mut p = path.clone();
                for chain in &members {
                    p.arms.insert(*chain, *arm);
                }
                if !ran {
                    let this = format!("{} runs", guard.label());
                    p.label = Some(match p.label {
                        Some(l) => format!("{l} and {this}"),
                        None => this,
                    });
                }
                next.push(p);
            }
        }
        paths = next;
    }
    paths
}

/// The arm whose own packages the saved output of the chain's cell names, when exactly one
/// arm's are named.
fn arm_that_ran(
    doc: &Document,
    chain: usize,
    arms: &BTreeMap<usize, (&Guard, Vec<&str>)>,
) -> Option<usize> {
    let nb = doc.notebook.as_ref()?;
    let span = nb.map.span_at(chain)?;
    let named = named_by_pip(nb.cells[span.cell].outputs.iter().map(|o| &*o.text));
    if named.is_empty() {
        return None;
    }
    let own = |arm: usize| -> Vec<&str> {
        arms[&arm]
            .1
            .iter()
            .copied()
            .filter(|p| arms.iter().all(|(a, (_, ps))| *a == arm || !ps.contains(p)))
            .collect()
    };
    let shown: Vec<usize> = arms
        .keys()
        .copied()
        .filter(|&arm| own(arm).iter().any(|p| named.contains(&normalize_name(p))))
        .collect();
    match shown.as_slice() {
        [arm] => Some(*arm),
        _ => None,
    }
}

/// The packages pip's output names as collected, already satisfied or installed.
fn named_by_pip<'a>(outputs: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    let name_of = |s: &str| {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(s.len());
        normalize_name(&s[..end])
    };
    for text in outputs {
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line
                .strip_prefix("Collecting ")
                .or_else(|| line.strip_prefix("Requirement already satisfied: "))
            {
                out.push(name_of(rest));
            } else if let Some(rest) = line.strip_prefix("Successfully installed ") {
                for item in rest.split_whitespace() {
                    if let Some((name, _)) = item.rsplit_once('-') {
                        out.push(normalize_name(name));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_lines_name_packages() {
        let named = named_by_pip(
            [
                "Collecting unsloth_zoo>=2025.1\n  Downloading x\nRequirement already satisfied: torch in /usr\nSuccessfully installed trl-0.15.2 peft-0.14.0\n",
            ]
            .into_iter(),
        );
        assert_eq!(named, ["unsloth-zoo", "torch", "trl", "peft"]);
    }
}
