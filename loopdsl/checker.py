"""Whole-model checks: names, functions, declared loops, algebraic loops.

:func:`check` returns every problem as a diagnostic, so one run reports them all. It only
reads the model: what the model implies (plain nodes for the names only links use) is
added before, by :mod:`loopdsl.normalize`, and the checker sees those names either way.

>>> import loopdsl
>>> try:
...     loopdsl.loads("aux x = trafic * 2\\nnode traffic")
... except loopdsl.LoopError as err:
...     print(err.first.message, err.first.hint)
undefined node 'trafic' did you mean 'traffic'?
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx

from loopdsl.builtins import (
    BUILTIN_FUNCTIONS,
    BUILTIN_NAMES,
    MEMORY_FUNCTIONS,
    arity,
    arity_words,
)
from loopdsl.errors import Diagnostic, Source, did_you_mean
from loopdsl.expr import format_expr, instant_references
from loopdsl.graph import equation_of, to_graph
from loopdsl.model import (
    Aux,
    Binary,
    Call,
    Constant,
    Expr,
    Flow,
    If,
    LookupDef,
    Model,
    Name,
    Node,
    Num,
    PlainNode,
    Pos,
    Stock,
    Unary,
)
from loopdsl.normalize import implicit_nodes

_KINDS = frozenset({Aux, Constant, Flow, LookupDef, PlainNode, Stock})  # exact node classes

# Stack marks around the first argument of a memory function (read one step late).
_DELAYED, _DELAYED_END = object(), object()

# Words an equation reads as operators, whatever their case.
EXPRESSION_KEYWORDS = frozenset({"if", "then", "else", "and", "or", "not", "mod"})


class Checker:
    def __init__(self, model: Model, source: Source):
        self.model = model
        self.source = source
        self.errors: list[Diagnostic] = []

    def error(self, message: str, pos: Pos | None, hint: str | None = None) -> None:
        self.errors.append(self.source.diagnostic(
            message, pos.line if pos else None, pos.column if pos else None, hint))

    def locate(self, pos: Pos | None, name: str, before: str = "") -> Pos | None:
        """Where ``name`` is written in the statement at ``pos``, after the pattern ``before``.

        The model keeps one position per statement; this finds the word itself
        in the source so the caret points at it (else the statement's position).
        """
        if pos is None or self.source.line(pos.line) is None:
            return pos
        last = pos.end_line or pos.line
        lines = [self.source.line(n) or "" for n in range(pos.line, last + 1)]
        text = "\n".join(lines)
        offset = pos.column - 1
        found = re.compile(before + r"(?<!\w)(" + re.escape(name) + r")(?!\w)").search(
            text, offset)
        if found is None:
            return pos
        start = found.start(1)
        line = pos.line + text.count("\n", 0, start)
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        return Pos(line=line, column=column)

    def run(self) -> list[Diagnostic]:
        model = self.model
        # the implicit nodes the normalising pass adds (none once it has run): seen,
        # not added, so that checking never changes the model
        implied = implicit_nodes(model)
        self.all_nodes: list[Node] = [*model.nodes, *implied] if implied else model.nodes
        all_nodes = self.all_nodes
        self.nodes: dict[str, Any] = {}  # id -> node (the last of that id)
        self.lookups: set[str] = set()
        # the nodes that are neither stocks nor lookups: may be on a same-instant cycle
        instant_nodes: set[str] = set()
        reserved = BUILTIN_NAMES | EXPRESSION_KEYWORDS
        nodes, lookups = self.nodes, self.lookups
        repeated: list[tuple[Any, Any]] = []  # (node, the first node of its id)
        firsts: dict[str, Any] = {}
        named_reserved = []
        # One pass for ids, duplicates, lookups and kinds: at scale, reading the node
        # objects (far apart in memory) is the cost, not the work done with them.
        for node in all_nodes:
            node_id = node.id
            found = nodes.setdefault(node_id, node)
            if found is not node:
                repeated.append((node, firsts.setdefault(node_id, found)))
                nodes[node_id] = node
            if node_id.lower() in reserved:
                named_reserved.append(node)
            kind = type(node)
            if kind is LookupDef or (kind not in _KINDS and isinstance(node, LookupDef)):
                lookups.add(node_id)
            elif kind is not Stock and (kind in _KINDS or not isinstance(node, Stock)):
                instant_nodes.add(node_id)
        if lookups:
            instant_nodes -= lookups  # a later node of the same id may be the lookup
        self.instant_nodes = instant_nodes
        for node, first in repeated:  # as duplicates() reports them
            where = first.pos
            self.error(f"duplicate definition of node '{node.id}'", node.pos,
                       f"first defined at line {where.line}" if where else None)
        self.duplicates("group", model.groups)
        self.duplicates("loop", model.loops)
        self.duplicates("scenario", model.scenarios)
        for node in named_reserved:
            self.reserved(node)
        self.variables = [i for i in nodes if i not in lookups]
        # node -> the nodes that are neither stocks nor lookups its equation reads at
        # this instant (for the nodes that read any)
        self.instant: dict[str, set[str]] = {}
        groups = {g.id for g in model.groups}
        instant = self.instant
        expression = self.expression
        for node in all_nodes:
            # the usual kinds by exact type (mypy narrows type(node) is), others as before
            node_id = node.id
            if node.group is not None and node.group not in groups:
                self.error(f"undefined group '{node.group}'",
                           self.locate(node.pos, node.group, r"\bin\s+"),
                           did_you_mean(node.group, groups)
                           or f"declare it with: group {node.group} \"...\"")
            others: Sequence[Expr]
            if type(node) is Aux or type(node) is Flow or type(node) is Constant:
                main, others = node.equation, ()
            elif type(node) is Stock:
                main = None
                others = [e for e in (node.initial, node.capacity) if e is not None]
            else:
                main, others = equation_of(node), _other_expressions(node)
            if main is not None:  # the equation a value comes from: read at this instant?
                refs: set[str] = set()
                expression(main, node.pos, refs)
                if refs:
                    instant[node_id] = refs
            for expr in others:
                expression(expr, node.pos)
            if type(node) is Flow or (type(node) not in _KINDS and isinstance(node, Flow)):
                for end, word in ((node.source, "from"), (node.target, "to")):
                    if end is not None and not (type(nodes.get(end)) is Stock
                                                and end not in lookups):
                        self.flow_end(node, end, word)
        seen_links: dict[tuple[str, str], Any] = {}
        for link in model.links:
            pair = (link.source, link.target)
            if pair in seen_links:
                first = seen_links[pair].pos
                self.error(f"duplicate link {link.source} -> {link.target}", link.pos,
                           f"first given at line {first.line}" if first else None)
            seen_links.setdefault(pair, link)
            for end in (link.source, link.target):
                if end in self.lookups:
                    self.error(f"'{end}' is a lookup, not a node: it cannot be linked",
                               self.locate(link.pos, end))
            self.expression(link.gain, link.pos)
            self.expression(link.delay, link.pos)
        for scenario in model.scenarios:
            assigned: set[str] = set()
            for a in scenario.assignments:
                if a.target in assigned:
                    self.error(f"'{a.target}' is set twice in scenario '{scenario.id}'", a.pos)
                assigned.add(a.target)
                self.name(a.target, a.pos)
                self.expression(a.value, a.pos)
        varied: dict[str, Any] = {}
        for dist in model.distributions:
            at = self.locate(dist.pos, dist.target, r"vary\s+")
            if dist.target in varied:
                first = varied[dist.target].pos
                self.error(f"'{dist.target}' is varied twice", at,
                           f"first at line {first.line}" if first else None)
            varied.setdefault(dist.target, dist)
            self.name(dist.target, at)
        if self.errors:  # the graph checks below need sound names
            return self.errors
        if model.loops:  # the causal graph is only needed to check declared loops
            self.declared_loops(to_graph(model))
        self.algebraic_loops()
        return self.errors

    def reserved(self, node: Any) -> None:
        """A node may not take a builtin name (TIME, DT, ...) or an equation keyword (IF, ...)."""
        word = node.id.lower()
        if word in BUILTIN_NAMES:
            problem = f"'{node.id}' is a builtin name ({word.upper()}) and cannot name a node"
        elif word in EXPRESSION_KEYWORDS:
            problem = f"'{node.id}' is a keyword of equations and cannot name a node"
        else:
            return
        self.error(problem, self.locate(node.pos, node.id), f"rename it, e.g. '{node.id}_'")

    def duplicates(self, what: str, items: Iterable[Any]) -> None:
        first: dict[str, Any] = {}
        for item in items:
            if item.id in first:
                where = first[item.id].pos
                self.error(f"duplicate definition of {what} '{item.id}'", item.pos,
                           f"first defined at line {where.line}" if where else None)
            else:
                first[item.id] = item

    def name(self, name: str, pos: Pos | None) -> bool:
        if name in self.nodes and name not in self.lookups:
            return True
        self.error(f"undefined node '{name}'", pos, did_you_mean(name, self.variables))
        return False

    def expression(self, expr: Any, fallback: Pos | None,
                   instant: set[str] | None = None) -> None:
        """Every name an expression reads is a node, every call a known function.

        The nodes it reads at the same instant (as :func:`instant_references` lists
        them, less the names that are no node, stocks or lookups) are added to
        ``instant`` if given.
        """
        if expr is None:
            return
        nodes, lookups, instant_nodes = self.nodes, self.lookups, self.instant_nodes
        stack = [expr]  # parents before children, left to right (the order of the errors)
        delayed = 0  # inside this many first arguments of smooth, delay, INIT, ...
        pop = stack.pop
        while stack:
            sub = pop()
            kind = type(sub)
            if kind is Binary:  # the usual kinds by exact type first
                stack.append(sub.right)
                stack.append(sub.left)
                continue
            if kind is Num:
                continue
            if isinstance(sub, Name):
                name = sub.name
                if name in nodes and name not in lookups:
                    if instant is not None and not delayed and name in instant_nodes:
                        instant.add(name)
                    continue
                if name.lower() in BUILTIN_NAMES:
                    continue
                if name in lookups:
                    self.error(f"lookup '{name}' must be called: {name}(x)", sub.pos or fallback)
                else:
                    self.name(name, sub.pos or fallback)
            elif isinstance(sub, Binary):
                stack.append(sub.right)
                stack.append(sub.left)
            elif isinstance(sub, Call):
                self.call(sub, fallback)
                args = sub.args
                if sub.func == "lookup" and args and isinstance(args[0], Name):
                    args = args[1:]  # LOOKUP(table, x) names a lookup (call() checks it)
                elif instant is not None and args and sub.func in MEMORY_FUNCTIONS:
                    stack.extend(reversed(args[1:]))
                    stack += (_DELAYED_END, args[0], _DELAYED)
                    continue
                stack.extend(reversed(args))
            elif isinstance(sub, Unary):
                stack.append(sub.operand)
            elif isinstance(sub, If):
                stack.extend((sub.orelse, sub.then, sub.cond))
            elif sub is _DELAYED:
                delayed += 1
            elif sub is _DELAYED_END:
                delayed -= 1

    def call(self, call: Call, fallback: Pos | None) -> None:
        pos = call.pos or fallback
        if call.func in self.lookups:
            if len(call.args) != 1:
                self.error(f"lookup '{call.func}' takes 1 argument, got {len(call.args)}", pos)
            return
        bounds = arity(call.func)
        if bounds is None:
            self.error(f"unknown function '{call.func}'", pos,
                       did_you_mean(call.func, list(BUILTIN_FUNCTIONS) + sorted(self.lookups)))
            return
        low, high = bounds
        if not low <= len(call.args) <= high:
            self.error(f"{call.func.upper()} takes {arity_words(low, high)}, "
                       f"got {len(call.args)}", pos)
        elif call.func == "lookup" and not (isinstance(call.args[0], Name)
                                            and call.args[0].name in self.lookups):
            self.error("the first argument of LOOKUP must be the name of a lookup",
                       call.args[0].pos or pos,
                       did_you_mean(format_expr(call.args[0]), sorted(self.lookups)))

    def flow_end(self, flow: Flow, end: str, word: str) -> None:
        if isinstance(self.nodes.get(end), Stock) and end not in self.lookups:
            return  # sound: skip locate(), a regex per name (slow on 10,000 flows)
        at = self.locate(flow.pos, end, rf"\b{word}\s+")
        if not self.name(end, at):
            return
        if not isinstance(self.nodes[end], Stock):
            self.error(f"flow '{flow.id}' goes {word} '{end}', which is a "
                       f"{self.nodes[end].kind}, not a stock", at)

    def declared_loops(self, G: nx.DiGraph) -> None:
        for decl in self.model.loops:
            missing = [n for n in decl.path if n not in G]
            for n in dict.fromkeys(missing):
                self.name(n, self.locate(decl.pos, n, r":[^#]*?"))
            if missing:
                continue
            path = decl.path
            sign = 1
            gap = None
            for a, b in zip(path, path[1:] + path[:1]):
                if not G.has_edge(a, b):
                    gap = (a, b)
                    break
                sign *= G.edges[a, b]["polarity"]
            if gap is not None:
                self.error(f"declared loop '{decl.id}' is not a loop of the model: "
                           f"there is no link {gap[0]} -> {gap[1]}",
                           self.locate(decl.pos, gap[0], r":[^#]*?"),
                           f"add the link '{gap[0]} -> {gap[1]}' or correct the loop's path")
                continue
            if decl.polarity is None or sign == 0:
                continue
            actual = "R" if sign > 0 else "B"
            if actual != decl.polarity:
                negatives = [f"{a} -> {b}" for a, b in zip(path, path[1:] + path[:1])
                             if G.edges[a, b]["polarity"] < 0]
                words = {"R": "reinforcing", "B": "balancing"}
                count = {0: "no negative link", 1: "1 negative link"}.get(
                    len(negatives), f"{len(negatives)} negative links")
                self.error(f"loop '{decl.id}' is declared {words[decl.polarity]} but is "
                           f"{words[actual]}: it has {count}"
                           + (f" ({', '.join(negatives)})" if negatives else ""),
                           self.locate(decl.pos, words[decl.polarity]),
                           f"declare it {words[actual]}, or correct a link's sign")

    def algebraic_loops(self) -> None:
        """A cycle of same-instant links with no stock on it cannot be simulated."""
        # The nodes of the causal graph are the nodes that are not lookups (the implicit
        # ones too, as run() saw them). Its cycles are searched first in plain dicts:
        # networkx is only needed to report one.
        lookups, nodes = self.lookups, self.nodes
        # node -> the nodes it reads at the same instant that may be on a cycle (neither
        # stocks nor lookups), as run()'s expression checks collected them; and the
        # links of delay 0 between two nodes that are not stocks
        reads = self.instant
        for link in self.model.links:
            delay = link.delay
            if (delay is not None and getattr(delay, "value", None) == 0
                    and not isinstance(self.nodes.get(link.source), Stock)
                    and not isinstance(self.nodes.get(link.target), Stock)):
                reads.setdefault(link.target, set()).add(link.source)
        if _acyclic(reads):  # the usual case: no component to search
            return
        instant = nx.DiGraph()  # rebuilt in the same order as before, for the same report
        for node in self.all_nodes:
            if isinstance(node, Stock) or node.id in lookups:
                continue
            instant.add_node(node.id)
            for ref in instant_references(equation_of(node)):
                if ref in nodes and ref not in lookups \
                        and not isinstance(nodes[ref], Stock):
                    instant.add_edge(ref, node.id)
        for link in self.model.links:
            delay = link.delay
            if (delay is not None and getattr(delay, "value", None) == 0
                    and not isinstance(self.nodes.get(link.source), Stock)
                    and not isinstance(self.nodes.get(link.target), Stock)):
                instant.add_edge(link.source, link.target)
        reported: set[frozenset[str]] = set()
        for component in nx.strongly_connected_components(instant):
            if len(component) == 1:
                (only,) = component
                if not instant.has_edge(only, only):
                    continue
            try:
                cycle = [u for u, _ in nx.find_cycle(instant.subgraph(component))]
            except nx.NetworkXNoCycle:  # pragma: no cover - an SCC always has one
                continue
            if frozenset(cycle) in reported:
                continue
            reported.add(frozenset(cycle))
            first = self.nodes.get(cycle[0])
            self.error("algebraic loop: " + " -> ".join(cycle + cycle[:1])
                       + " has no delay and no stock, so no simulation can order it",
                       first.pos if first else None,
                       "give one link a delay, or make one of its nodes a stock")


def _acyclic(reads: dict[str, set[str]]) -> bool:
    """True if the graph ``{node: the nodes it reads}`` has no cycle (self-loops
    included): a depth-first search, O(V + E). A node that is no key reads nothing.

    >>> _acyclic({"b": {"a"}, "c": {"a", "b"}}), _acyclic({"a": {"b"}, "b": {"a"}})
    (True, False)
    >>> _acyclic({"a": {"a"}})
    False
    """
    state: dict[str, bool] = {}  # False while on the current path, True once done
    for root in reads:
        if root in state:
            continue
        state[root] = False
        stack = [(root, iter(reads[root]))]
        while stack:
            node, rest = stack[-1]
            for read in rest:
                seen = state.get(read)
                if seen is False:
                    return False  # back on the path: a cycle
                if seen is None and read in reads:
                    state[read] = False
                    stack.append((read, iter(reads[read])))
                    break
            else:
                stack.pop()
                state[node] = True
    return True


def _other_expressions(node: Any) -> list[Any]:
    """A node's expressions besides :func:`equation_of`'s (initial values, capacities)."""
    if isinstance(node, Stock):
        exprs = [node.initial, node.capacity]
    elif isinstance(node, PlainNode):
        exprs = [node.initial, node.push, node.decay, node.capacity]
    else:
        return []
    return [e for e in exprs if e is not None]


def check(model: Model, source: Source | None = None) -> list[Diagnostic]:
    """Every whole-model problem, as diagnostics (an empty list for a sound model).

    The model is not changed (normalise it first with :func:`loopdsl.normalize.normalize`
    to add its implicit nodes; the result is the same either way).
    """
    return Checker(model, source or Source("", model.source or "<string>")).run()
