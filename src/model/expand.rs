//! One configuration as nginx reads it: every `include` followed, so a walk
//! sees a single tree of directives while each one still names its own file.
//! An include stays in the tree (for "included from here" notes) and the
//! directives it brings in hang below it; `block` looks through it.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use crate::load::apache::CONDITIONAL_SECTIONS;
use crate::load::{Config, Context, Workspace};
use crate::source::{FileId, SourceFile, Span};
use crate::syntax::{Arg, Dialect, Node, NodeIndex, ParsedFile};

/// A directive in the workspace: its file and its index there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DirRef {
    pub file: FileId,
    pub node: NodeIndex,
}

pub type ItemId = u32;

#[derive(Debug)]
pub struct Item {
    pub dir: DirRef,
    /// The enclosing block directive (never an include).
    pub parent: Option<ItemId>,
    /// Directives inside this block, or brought in by this include.
    pub children: Vec<ItemId>,
    /// The innermost `include` that brought this directive in.
    pub via: Option<ItemId>,
    /// An include, or an Apache conditional section: its children belong to
    /// the enclosing block.
    pub is_include: bool,
    /// The directive's name, as its number in `Expanded::names`: comparing
    /// and fetching it never leaves the (small, cached) table of names.
    pub name_id: u32,
}

/// Above this many directives a configuration stops expanding includes:
/// a guard against include diamonds that multiply without end.
const MAX_ITEMS: usize = 4_000_000;

pub struct Expanded<'w> {
    pub ws: &'w Workspace,
    pub config: &'w Config,
    pub items: Vec<Item>,
    pub roots: Vec<ItemId>,
    /// The context the root file's top level sits in.
    pub root_context: Context,
    /// (enclosing block, name) → the first and the last such directive, in
    /// document order, for the blocks holding more than `SCANNED_BLOCK`
    /// directives: a lookup never scans a big block (an `http` block may
    /// hold 100,000 servers), and the millions of small ones (a server, a
    /// location) are scanned by name number instead of costing an entry
    /// each. The key is two numbers (see `block_key`). FxHash: short keys,
    /// no attacker.
    by_name: HashMap<u64, (ItemId, ItemId), FxBuildHasher>,
    /// Which blocks are in `by_name`, by item (`top_indexed`: the top level).
    indexed: Vec<bool>,
    top_indexed: bool,
    /// Every distinct directive name, by number, and the way back: a few
    /// hundred, always in cache.
    names: Vec<&'w str>,
    name_ids: HashMap<&'w str, u32, FxBuildHasher>,
    /// For each item, the next directive of the same name in the same
    /// block: `find_all` follows the chain. One array instead of a list
    /// per (block, name), which was a million small allocations.
    next_same: Vec<ItemId>,
}

/// The end of a `next_same` chain.
const NO_ITEM: ItemId = ItemId::MAX;

/// Blocks with at most this many directives are scanned rather than
/// indexed: comparing a handful of name numbers is as fast as hashing.
const SCANNED_BLOCK: u32 = 16;

/// The `by_name` key of a name's number in a block: the block's item id
/// plus one in the high half (0 for the top level), the name in the low.
fn block_key(parent: Option<ItemId>, name_id: u32) -> u64 {
    let block = parent.map_or(0, |p| u64::from(p) + 1);
    (block << 32) | u64::from(name_id)
}

impl<'w> Expanded<'w> {
    pub fn new(ws: &'w Workspace, config: &'w Config) -> Expanded<'w> {
        let mut expanded = Expanded {
            ws,
            config,
            items: Vec::new(),
            roots: Vec::new(),
            root_context: config
                .contexts
                .get(&config.root)
                .cloned()
                .unwrap_or_default(),
            by_name: HashMap::default(),
            indexed: Vec::new(),
            top_indexed: false,
            names: Vec::new(),
            name_ids: HashMap::default(),
            next_same: Vec::new(),
        };
        let tree = &ws.file(config.root).tree;
        let mut stack = vec![config.root];
        expanded.roots = crate::timings::measure_part("model", "items", || {
            expanded.add_children(config.root, &tree.roots, None, None, &mut stack)
        });
        crate::timings::measure_part("model", "index", || expanded.index());
        expanded
    }

    /// Indexes the big blocks by (block, name number); see `by_name`.
    fn index(&mut self) {
        let mut sizes = vec![0u32; self.items.len()];
        let mut top_size = 0u32;
        for id in self.all() {
            match self.item(id).parent {
                Some(parent) => sizes[parent as usize] += 1,
                None => top_size += 1,
            }
        }
        self.indexed = sizes.iter().map(|&n| n > SCANNED_BLOCK).collect();
        self.top_indexed = top_size > SCANNED_BLOCK;
        let mut by_name: HashMap<u64, (ItemId, ItemId), FxBuildHasher> = HashMap::default();
        let mut next_same = vec![NO_ITEM; self.items.len()];
        for id in self.all() {
            let item = self.item(id);
            if !self.is_indexed(item.parent) {
                continue;
            }
            by_name
                .entry(block_key(item.parent, item.name_id))
                .and_modify(|(_, last)| {
                    next_same[*last as usize] = id;
                    *last = id;
                })
                .or_insert((id, id));
        }
        self.by_name = by_name;
        self.next_same = next_same;
    }

    fn add_children(
        &mut self,
        file: FileId,
        nodes: &[NodeIndex],
        parent: Option<ItemId>,
        via: Option<ItemId>,
        stack: &mut Vec<FileId>,
    ) -> Vec<ItemId> {
        let ws = self.ws;
        let tree = &ws.file(file).tree;
        let text = &ws.file(file).source.text;
        let mut out = Vec::new();
        for (index, node) in tree.directives(nodes) {
            if self.items.len() >= MAX_ITEMS {
                break;
            }
            let id = self.items.len() as ItemId;
            // Through `tree` (borrowed for 'w), not `node` (for `nodes`).
            let name: &'w str = tree.value(text, &tree.node(index).name);
            let name_id = self.name_number(name);
            // Apache's `<IfModule>` and friends are read like includes: their
            // directives belong to the enclosing block, when the branch is taken.
            let conditional = ws.file(file).dialect == Dialect::Apache
                && node.children.is_some()
                && CONDITIONAL_SECTIONS.contains(&name);
            let is_include = conditional
                || name == "include"
                || (name == "includeoptional" && ws.file(file).dialect == Dialect::Apache);
            self.items.push(Item {
                dir: DirRef { file, node: index },
                parent,
                children: Vec::new(),
                via,
                is_include,
                name_id,
            });
            out.push(id);
            let children = if conditional {
                match &node.children {
                    Some(kids) if !self.config.apache.inactive.contains(&(file, index)) => {
                        self.add_children(file, kids, parent, via, stack)
                    }
                    _ => Vec::new(),
                }
            } else if is_include {
                let targets = self
                    .config
                    .includes
                    .get(&(file, index))
                    .cloned()
                    .unwrap_or_default();
                let mut all = Vec::new();
                for target in targets {
                    // Cycles were reported by the loader; here they just stop.
                    if stack.contains(&target) {
                        continue;
                    }
                    stack.push(target);
                    let roots = ws.file(target).tree.roots.clone();
                    all.extend(self.add_children(target, &roots, parent, Some(id), stack));
                    stack.pop();
                }
                all
            } else if let Some(kids) = &node.children {
                self.add_children(file, kids, Some(id), via, stack)
            } else {
                Vec::new()
            };
            self.items[id as usize].children = children;
        }
        out
    }

    pub fn item(&self, id: ItemId) -> &Item {
        &self.items[id as usize]
    }

    pub fn tree(&self, id: ItemId) -> &'w ParsedFile {
        &self.ws.file(self.item(id).dir.file).tree
    }

    pub fn source(&self, id: ItemId) -> &'w SourceFile {
        &self.ws.file(self.item(id).dir.file).source
    }

    pub fn node(&self, id: ItemId) -> &'w Node {
        let dir = self.item(id).dir;
        self.ws.file(dir.file).tree.node(dir.node)
    }

    pub fn name(&self, id: ItemId) -> &'w str {
        self.names[self.item(id).name_id as usize]
    }

    /// A name's number, given on first sight.
    fn name_number(&mut self, name: &'w str) -> u32 {
        let next = self.names.len() as u32;
        let number = *self.name_ids.entry(name).or_insert(next);
        if number == next {
            self.names.push(name);
        }
        number
    }

    /// The directive's name as written (`ProxyPass`, not `proxypass`).
    pub fn written_name(&self, id: ItemId) -> &'w str {
        self.source(id).slice(self.node(id).name.span)
    }

    pub fn args(&self, id: ItemId) -> &'w [Arg] {
        &self.node(id).args
    }

    pub fn value(&self, id: ItemId, arg: usize) -> Option<&'w str> {
        let node = self.node(id);
        let tree = self.tree(id);
        let text = &self.source(id).text;
        node.args.get(arg).map(|a| tree.value(text, a))
    }

    pub fn values(&self, id: ItemId) -> Vec<&'w str> {
        (0..self.args(id).len())
            .filter_map(|i| self.value(id, i))
            .collect()
    }

    /// `name arg arg` as written, for messages (a block's body left out).
    pub fn text(&self, id: ItemId) -> String {
        let source = self.source(id);
        let node = self.node(id);
        let mut out = source.slice(node.name.span).to_string();
        for arg in &node.args {
            out.push(' ');
            out.push_str(source.slice(arg.span));
        }
        out
    }

    /// The directive's whole span (to its `;` or closing `}`).
    pub fn span(&self, id: ItemId) -> Span {
        self.node(id).span
    }

    pub fn name_span(&self, id: ItemId) -> Span {
        self.node(id).name.span
    }

    /// An argument's span, or the name's when the argument is missing.
    pub fn arg_span(&self, id: ItemId, arg: usize) -> Span {
        self.args(id)
            .get(arg)
            .map(|a| a.span)
            .unwrap_or_else(|| self.name_span(id))
    }

    /// The directives in a block (`None`: the top level), looking through includes.
    pub fn block(&self, parent: Option<ItemId>) -> Vec<ItemId> {
        let direct = match parent {
            Some(p) => &self.item(p).children,
            None => &self.roots,
        };
        let mut out = Vec::with_capacity(direct.len());
        self.flatten(direct, &mut out);
        out
    }

    fn flatten(&self, ids: &[ItemId], out: &mut Vec<ItemId>) {
        for &id in ids {
            if self.item(id).is_include {
                self.flatten(&self.item(id).children, out);
            } else {
                out.push(id);
            }
        }
    }

    /// The first directive called `name` in a block (through includes).
    pub fn find(&self, parent: Option<ItemId>, name: &str) -> Option<ItemId> {
        let name_id = *self.name_ids.get(name)?;
        if self.is_indexed(parent) {
            return self
                .by_name
                .get(&block_key(parent, name_id))
                .map(|&(first, _)| first);
        }
        let mut found = None;
        self.scan(self.direct(parent), name_id, &mut |id| {
            found = Some(id);
            false
        });
        found
    }

    /// Every directive called `name` in a block (through includes), in order.
    pub fn find_all(&self, parent: Option<ItemId>, name: &str) -> Vec<ItemId> {
        let Some(&name_id) = self.name_ids.get(name) else {
            return Vec::new();
        };
        if self.is_indexed(parent) {
            let first = self
                .by_name
                .get(&block_key(parent, name_id))
                .map(|&(first, _)| first);
            return std::iter::successors(first, |&id| {
                let next = self.next_same[id as usize];
                (next != NO_ITEM).then_some(next)
            })
            .collect();
        }
        let mut all = Vec::new();
        self.scan(self.direct(parent), name_id, &mut |id| {
            all.push(id);
            true
        });
        all
    }

    fn is_indexed(&self, parent: Option<ItemId>) -> bool {
        match parent {
            Some(p) => self.indexed.get(p as usize).copied().unwrap_or(false),
            None => self.top_indexed,
        }
    }

    /// The items directly in a block, includes not yet looked through.
    fn direct(&self, parent: Option<ItemId>) -> &[ItemId] {
        match parent {
            Some(p) => &self.item(p).children,
            None => &self.roots,
        }
    }

    /// Calls `found` with each directive numbered `name_id` among `ids`,
    /// through includes, in order, while it returns true; false once stopped.
    fn scan(&self, ids: &[ItemId], name_id: u32, found: &mut dyn FnMut(ItemId) -> bool) -> bool {
        for &id in ids {
            let item = self.item(id);
            let go_on = if item.is_include {
                self.scan(&item.children, name_id, found)
            } else {
                item.name_id != name_id || found(id)
            };
            if !go_on {
                return false;
            }
        }
        true
    }

    /// Enclosing blocks, innermost first.
    pub fn ancestors(&self, id: ItemId) -> impl Iterator<Item = ItemId> + '_ {
        std::iter::successors(self.item(id).parent, move |&p| self.item(p).parent)
    }

    /// The outermost context `id` sits in (`http`, `stream`, …, counting the
    /// context the root file is included in) and how many blocks deep it is.
    pub fn context_head(&self, id: ItemId) -> (Option<&str>, usize) {
        let mut depth = self.root_context.len();
        let mut outermost = None;
        for ancestor in self.ancestors(id) {
            depth += 1;
            outermost = Some(ancestor);
        }
        let head = match self.root_context.first() {
            Some(first) => Some(&**first),
            None => outermost.map(|a| self.name(a)),
        };
        (head, depth)
    }

    /// Every directive, in document order through the includes.
    pub fn all(&self) -> impl Iterator<Item = ItemId> + '_ {
        (0..self.items.len() as ItemId).filter(move |&id| !self.item(id).is_include)
    }

    /// The chain of includes that brought `id` in, innermost first.
    pub fn include_chain(&self, id: ItemId) -> Vec<ItemId> {
        std::iter::successors(self.item(id).via, move |&v| self.item(v).via).collect()
    }
}
