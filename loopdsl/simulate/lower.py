"""Lower a checked model into a flat system of variables with small expression trees (IR).

Every model node becomes a :class:`Var`; the memory builtins (SMTH*, DELAY*, TREND,
FORCST, INIT, PREVIOUS) become internal stocks, constants and delayed reads. Plain
nodes become equations over delayed reads (docs/semantics.md). The equations are the
expression core's nodes (:mod:`loopdsl.ir`), built by its builder with names read as
:class:`~loopdsl.ir.Read` (a variable's index and lag in steps) and the run settings
DT, STARTTIME and STOPTIME as numbers.

>>> import loopdsl
>>> sys = lower(loopdsl.loads("a -[gain 2]-> b -> a"), dt=1.0)
>>> [(v.id, v.kind) for v in sys.vars]
[('a', 'plain'), ('b', 'plain')]
>>> sys.vars[1].step
Sum(signs=(1,), terms=(Apply(op=Op.MUL, args=(Num(value=2.0), Read(var=0, lag=1))),))
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from typing import Any

from loopdsl.builtins import Kind, Op, Setting
from loopdsl.errors import Diagnostic, LoopError, did_you_mean
from loopdsl.ir import (
    Apply,
    Builder,
    BuildError,
    Clock,
    Lookup,
    Node,
    Num,
    Read,
    Ref,
    RunParam,
    StepNo,
    Sum,
    Where,
    fold,
)
from loopdsl.model import (
    Aux,
    Call,
    Constant,
    Expr,
    Flow,
    Link,
    LookupDef,
    Model,
    PlainNode,
    Stock,
)

IR = Node
ZERO: IR = Num(0.0)
ONE: IR = Num(1.0)

_KINDS: dict[type, str] = {PlainNode: "plain", Stock: "stock", Aux: "aux", Flow: "aux",
                           Constant: "const"}


class Param:
    """An override whose value differs per run: column ``index`` of the parameter array."""

    def __init__(self, index: int):
        self.index = index


@dataclass(slots=True)
class Var:
    """One simulated variable.

    ``kind``: ``const`` (computed once), ``stock`` (integrated), ``aux`` (an equation each
    step) or ``plain`` (a plain node: an equation each step, held in RK4 stages).
    """

    id: str
    kind: str
    owner: str
    visible: bool = True
    init: IR | None = None
    step: IR | None = None
    deriv: IR | None = None
    non_negative: bool = False
    inflows: Sequence[int] = ()  # a stock's flows (indices)
    outflows: Sequence[int] = ()


@dataclass
class System:
    """The lowered model: variables, lookup tables, warnings and run settings."""

    vars: list[Var]
    tables: list[Lookup]
    warnings: list[str]
    index: dict[str, int]
    start: float
    stop: float
    dt: float
    nparams: int = 0
    uses_random: bool = False
    nodes: int = 0  # the model's own variables: vars[:nodes], in the model's node order

    def node_names(self) -> list[str]:
        """The identifiers of the model's own variables (every node but lookups), in
        the model's order: the first ``nodes`` keys of ``index``."""
        return list(islice(self.index, self.nodes))


def _error(model: Model, message: str, pos: Any = None, hint: str | None = None) -> LoopError:
    line = getattr(pos, "line", None)
    column = getattr(pos, "column", None)
    return LoopError([Diagnostic(message, model.source or "<model>", line, column, None, hint)])


class Lowerer(Builder):
    """The expression core's builder, reading names as the lowered variables' values and
    expanding the memory builtins into internal variables."""

    model: Model  # always given here (the builder's is optional)

    def __init__(self, model: Model, dt: float, start: float, stop: float,
                 overrides: Mapping[str, Any]):
        self.model = model
        self.dt = dt
        self.start = start
        self.stop = stop
        self.lookups: dict[str, LookupDef] = {}  # filled by run()
        self.tables: dict[str, Any] = {}  # the builder's tables by name, filled by run()
        self.variables: tuple[str, ...] = ()  # names are read by name() below
        self.overrides = dict(overrides)
        self.vars: list[Var] = []
        self.index: dict[str, int] = {}
        self.table_list: list[Any] = []
        self.table_index: dict[int, int] = {}
        self.warnings: list[str] = []
        self.defaulted: dict[str, list[str]] = {}
        self.uses_random = False
        self.owner = ""
        self._folding: set[str] = set()
        self.reads: dict[str, Read] = {}  # a model variable's name -> its read, one shared node
        self.settings = {Setting.DT: Num(dt), Setting.START: Num(start),
                         Setting.STOP: Num(stop)}

    @cached_property
    def nodes(self) -> dict[str, Any]:
        """Every node by id (built when first needed: most models only need reads)."""
        return {n.id: n for n in self.model.nodes}

    @cached_property
    def named(self) -> Builder:
        """A builder reading names as names (:class:`~loopdsl.ir.Ref`), for folding."""
        return Builder(self.index, self.tables)

    # -- variables ---------------------------------------------------------

    def new_var(self, id: str, kind: str, owner: str, visible: bool = True) -> int:
        base, k = id, 1
        while id in self.index:
            k += 1
            id = f"{base}#{k}"
        index = self.index[id] = len(self.vars)
        self.vars.append(Var(id, kind, owner, visible))
        return index

    def run(self) -> System:
        model = self.model
        overrides = self.overrides
        variables = self._register()
        self.tables = {name: node.lookup for name, node in self.lookups.items()}
        for name in overrides:
            if name not in self.nodes or name in self.lookups:
                raise _error(model, f"cannot set '{name}': the model has no such variable",
                             hint=did_you_mean(name, [n for n in self.nodes
                                                      if n not in self.lookups]))
        self.links_into: dict[str, list[Link]] = {}
        for link in model.links:
            self.links_into.setdefault(link.target, []).append(link)
        expr = self.expr
        # the node's fields as _register() read them: no second read of the node objects
        for node, var, node_id, kind, first, second, non_negative in variables:
            self.owner = node_id
            if var.kind == "plain":  # its links first, then its override (as before)
                self.plain(node, var)
                continue
            override = self.value_override(node_id) if overrides else None
            if kind is Stock:  # first, second: initial value, capacity
                self.stock(node, var, override, first, second)
                var.non_negative = non_negative
            elif kind is Constant:  # first: equation
                var.init = override or (expr(first) if first is not None else ZERO)
            else:  # first, second: equation, lookup
                if override is not None:
                    e = override
                else:
                    e = expr(first) if first is not None else Clock(Setting.TIME)
                    if second is not None:
                        e = Lookup(self.register_table(second), e, second.interpolation)
                if kind is Flow and non_negative:
                    e = Apply(Op.MAX, (e, ZERO))
                var.step = var.init = e
        words = {"gain 1": "gain 1", "delay 1": "delay 1 time unit"}
        for what, links in self.defaulted.items():
            self.warnings.append(f"{words[what]} (the default, see docs/semantics.md) on "
                                 f"{len(links)} link{'s' if len(links) > 1 else ''} that "
                                 f"give{'s' if len(links) == 1 else ''} none: "
                                 + ", ".join(links))
        return System(self.vars, self.table_list, self.warnings, self.index, self.start,
                      self.stop, self.dt,
                      sum(1 for v in self.overrides.values() if isinstance(v, Param)),
                      self.uses_random, len(variables))

    def value_override(self, node_id: str) -> IR | None:
        if node_id not in self.overrides:
            return None
        value = self.overrides[node_id]
        if isinstance(value, Param):
            return RunParam(value.index)
        if isinstance(value, (int, float)):
            return Num(float(value))
        return self.expr(value)

    def _register(self) -> list[tuple[Any, ...]]:
        """One pass over the nodes (at scale, reading the model's objects is the cost):
        lookups, a variable per node, and each stock's flows (``flows_of``).

        Returns, for each node that is a variable, ``(node, var, id, kind, first, second,
        non_negative)``: a stock's initial value and capacity, a flow's or auxiliary's
        equation and lookup, a constant's equation (and None).
        """
        overrides, names, vars_, reads = self.overrides, self.index, self.vars, self.reads
        variables: list[tuple[Any, ...]] = []
        flows: dict[str, tuple[list[str], list[str]]] = {}
        flow_nodes: list[Flow] = []
        for node in self.model.nodes:
            # by exact type, as type(node) is X: mypy narrows node by that, not by kind is X
            id = node.id
            if type(node) is LookupDef:
                self.lookups[id] = node
                continue
            kind = type(node)
            what = _KINDS[kind]
            first: Expr | None = None
            second: Any = None  # a stock's capacity (an Expr), else a lookup
            non_negative = False
            if type(node) is Stock:
                flows[id] = (list(node.inflows), list(node.outflows))
                first, second, non_negative = node.initial, node.capacity, node.non_negative
            elif type(node) is Flow or type(node) is Aux:
                if type(node) is Flow:
                    flow_nodes.append(node)
                    non_negative = node.non_negative
                first, second = node.equation, node.lookup
                if first is None and second is None and id not in overrides:
                    what = "plain"
            elif type(node) is Constant:
                first = node.equation
            if id in names:  # pragma: no cover - the checker rejects duplicate ids
                var = vars_[self.new_var(id, what, id)]
            else:
                names[id] = len(vars_)
                var = Var(id, what, id)
                vars_.append(var)
            reads[id] = Read(names[id], 0)
            variables.append((node, var, id, kind, first, second, non_negative))
        for flow in flow_nodes:  # a flow names its stocks; the stocks may not list it
            if flow.target in flows and flow.id not in flows[flow.target][0]:
                flows[flow.target][0].append(flow.id)
            if flow.source in flows and flow.id not in flows[flow.source][1]:
                flows[flow.source][1].append(flow.id)
        self.flows_of = flows
        return variables

    def stock(self, node: Stock, var: Var, override: IR | None, initial: Expr | None,
              capacity: Expr | None) -> None:
        """A stock's initial value and derivative (``initial``, ``capacity``: its own)."""
        if override is not None:
            var.init = override
        else:
            var.init = self.expr(initial) if initial is not None else ZERO
        node_id = var.owner  # the node's id
        inflows, outflows = self.flows_of.get(node_id, ((), ()))
        ins, outs = self._reads_of(node, inflows), self._reads_of(node, outflows)
        if ins:
            var.inflows = [read.var for read in ins]
            into: IR = Sum((1,) * len(ins), tuple(ins)) if len(ins) > 1 else ins[0]
        elif not outs and node_id in self.links_into:
            terms = tuple([self.link_term(link) for link in self.links_into[node_id]])
            into = Sum((1,) * len(terms), terms)
        else:
            into = ZERO
        if capacity is not None:
            into = Apply(Op.MUL, (into, self.cap_factor(var, capacity, lag=0)))
        if outs:
            var.outflows = [read.var for read in outs]
            into = Sum((1,) + (-1,) * len(outs), (into, *outs))
        var.deriv = into

    def _reads_of(self, node: Stock, flows: Sequence[str]) -> list[Read]:
        """The same-time reads of a stock's flows (by name)."""
        reads = []
        for name in flows:
            read = self.reads.get(name)
            if read is None:
                if name not in self.index:
                    raise _error(self.model, f"stock '{node.id}': flow '{name}' is not a "
                                 "variable", node.pos)
                read = Read(self.index[name], 0)
            reads.append(read)
        return reads


    def cap_factor(self, var: Var, capacity: Expr, lag: int) -> IR:
        me = Read(self.index[var.id], lag)
        share = Apply(Op.DIV, (me, self.expr(capacity)))
        return Apply(Op.MAX, (ZERO, Apply(Op.SUB, (ONE, share))))

    def plain(self, node: Any, var: Var) -> None:
        terms = [self.link_term(link) for link in self.links_into.get(node.id, [])]
        push = getattr(node, "push", None)
        if push is not None:
            terms.insert(0, self.expr(push))
        body: IR = Sum((1,) * len(terms), tuple(terms)) if terms else ZERO
        capacity = getattr(node, "capacity", None)
        if capacity is not None:
            body = Apply(Op.MUL, (body, self.cap_factor(var, capacity, lag=1)))
        decay = getattr(node, "decay", None)
        if decay is not None:
            keep = Apply(Op.SUB, (ONE, self.expr(decay)))
            body = Sum((1, 1), (body, Apply(Op.MUL, (keep, Read(self.index[var.id], 1)))))
        var.step = body
        initial = self.value_override(node.id)
        if initial is None and getattr(node, "initial", None) is not None:
            initial = self.expr(node.initial)
        var.init = body if initial is None else Sum((1, 1), (initial, body))

    def link_term(self, link: Link) -> IR:
        where = f"link {link.source} -> {link.target}"
        if link.polarity == "?":
            raise _error(self.model, f"{where} has an unknown sign '?': a run needs to know "
                         "whether it adds or subtracts", link.pos,
                         "write -[+]-> or -[-]-> for this link")
        sign = -1.0 if link.polarity == "-" else 1.0
        defaulted = []
        if link.gain is None:
            defaulted.append("gain 1")
            gain: IR = Num(sign)
        else:
            value = self.fold(link.gain)
            gain = Num(sign * value) if value is not None else \
                Apply(Op.MUL, (Num(sign), self.constant(self.expr(link.gain), "gain")))
        delay: float | None
        if link.delay is None:
            defaulted.append("delay 1")
            delay = 1.0
        else:
            delay = self.fold(link.delay)
            if delay is None or not math.isfinite(delay):
                raise _error(self.model, f"{where}: the delay must be a number or a constant"
                             + ("" if delay is None else f" (it is {delay:g})"), link.pos)
        for what in defaulted:
            self.defaulted.setdefault(what, []).append(f"{link.source} -> {link.target}")
        steps = self.steps(delay, where, link.pos)
        source = self.index.get(link.source)
        if source is None:
            raise _error(self.model, f"{where}: '{link.source}' is not a variable", link.pos)
        read = Read(source, steps)
        return read if gain == ONE else Apply(Op.MUL, (gain, read))

    def steps(self, delay: float, where: str, pos: Any) -> int:
        if delay < 0:
            raise _error(self.model, f"{where}: a delay cannot be negative", pos)
        ratio = delay / self.dt
        steps = round(ratio)
        if abs(ratio - steps) > 1e-9 * max(1.0, abs(ratio)):
            raise _error(self.model, f"{where}: the delay {delay:g} is not a whole number of "
                         f"steps of dt = {self.dt:g}", pos,
                         "choose a dt that divides every delay (for instance dt="
                         f"{_divisor(delay, self.dt):g})")
        return int(steps)

    def constant(self, e: IR, what: str) -> IR:
        if type(e) is Num:
            return e
        index = self.new_var(f"{self.owner}#{what}", "const", self.owner, visible=False)
        self.vars[index].init = e
        return Read(index, 0)

    def register_table(self, lookup: Any) -> Any:
        """Register a lookup's table (:attr:`System.tables`); the table itself."""
        key = id(lookup)
        if key not in self.table_index:
            self.table_index[key] = len(self.table_list)
            self.table_list.append(lookup)
        return lookup

    # -- constant folding --------------------------------------------------

    def fold(self, e: Expr | None) -> float | None:
        """The value of an expression made of numbers and constants, else None: the
        expression core's folder, with names of constants (and of auxiliaries without
        a lookup) read through their equations or overrides."""
        if e is None:
            return None
        try:
            tree = self.named.node(e)
        except BuildError:
            return None
        value = fold(tree, self.folded, self.settings)
        return value.value if type(value) is Num else None

    def folded(self, ref: Ref) -> IR | None:
        name = ref.name
        if name in self._folding or name not in self.nodes:
            return None
        if name in self.overrides:
            value = self.overrides[name]
            if isinstance(value, (int, float)):
                return Num(float(value))
            if isinstance(value, Param):
                return None
            expr = value
        else:
            node = self.nodes[name]
            if not isinstance(node, (Constant, Aux)) or getattr(node, "lookup", None) is not None:
                return None
            expr = node.equation
            if expr is None:
                return None
        self._folding.add(name)
        try:
            found = self.fold(expr)
        finally:
            self._folding.discard(name)
        return None if found is None else Num(found)

    # -- expressions -------------------------------------------------------

    def expr(self, e: Expr) -> IR:
        """An expression of the model, its names read as the lowered variables."""
        try:
            return self.node(e)
        except BuildError as err:
            raise _error(self.model, err.message, err.pos) from None

    def name(self, name: str, pos: Any) -> IR:
        read = self.reads.get(name)
        if read is not None:
            return read
        if name in self.index and name in self.nodes:
            return Read(self.index[name], 0)
        if name in self.nodes:  # a lookup's name, not a value
            raise BuildError(f"undefined name '{name}'", pos)
        return super().name(name, pos)

    def clock(self, setting: Setting) -> IR:
        """DT, STARTTIME and STOPTIME are this run's numbers; TIME stays."""
        return self.settings.get(setting) or Clock(setting)

    def call(self, e: Call) -> IR:
        memory = getattr(self, "mem_" + e.func.lower(), None)
        if memory is not None and e.func.lower() == e.func:
            return memory(e)
        node = super().call(e)
        if type(node) is Apply and node.op.kind is Kind.RANDOM:
            self.uses_random = True
        if type(node) is Lookup:
            self.register_table(node.table)
        return node

    # -- memory builtins -------------------------------------------------

    def _stage(self, what: str, init: IR, deriv_of) -> int:
        index = self.new_var(f"{self.owner}#{what}", "stock", self.owner, visible=False)
        var = self.vars[index]
        var.init = init
        var.deriv = deriv_of(Read(index, 0))
        return index

    def _smooth(self, e: Call, n: int, init_arg: int) -> IR:
        source = self.expr(e.args[0])
        time = self.expr(e.args[1])
        init = self.expr(e.args[init_arg]) if len(e.args) > init_arg else source
        stage_time = time if n == 1 else Apply(Op.DIV, (time, Num(float(n))))
        current = source
        for k in range(n):
            feed = current
            index = self._stage(f"{e.func.lower()}{k + 1}", init, lambda me, feed=feed: Apply(
                Op.DIV, (Sum((1, -1), (feed, me)), stage_time)))
            current = Read(index, 0)
        return current

    def mem_smth1(self, e: Call) -> IR:
        return self._smooth(e, 1, 2)

    def mem_smth3(self, e: Call) -> IR:
        return self._smooth(e, 3, 2)

    def mem_smthn(self, e: Call) -> IR:
        return self._smooth(e, self.order(e), 3)

    def order(self, e: Call) -> int:
        n = self.fold(e.args[2])
        if n is None or not math.isfinite(n):
            raise _error(self.model, f"{e.func.upper()}: the order n must be a number", e.pos)
        return max(1, round(n))

    def _material(self, e: Call, n: int, init_arg: int) -> IR:
        source = self.expr(e.args[0])
        time = self.expr(e.args[1])
        init = self.expr(e.args[init_arg]) if len(e.args) > init_arg else source
        stage_time = time if n == 1 else Apply(Op.DIV, (time, Num(float(n))))
        feed = source
        for k in range(n):
            index = self._stage(f"{e.func.lower()}{k + 1}",
                                Apply(Op.MUL, (init, stage_time)),
                                lambda me, feed=feed: Sum((1, -1), (
                                    feed, Apply(Op.DIV, (me, stage_time)))))
            feed = Apply(Op.DIV, (Read(index, 0), stage_time))
        return feed

    def mem_delay1(self, e: Call) -> IR:
        return self._material(e, 1, 2)

    def mem_delay3(self, e: Call) -> IR:
        return self._material(e, 3, 2)

    def mem_delayn(self, e: Call) -> IR:
        return self._material(e, self.order(e), 3)

    def _pipeline(self, source: IR, steps: int, init: IR | None, what: str) -> IR:
        if steps == 0:
            return source
        copy = self.new_var(f"{self.owner}#{what}_input", "aux", self.owner, visible=False)
        self.vars[copy].step = self.vars[copy].init = source
        start_value = self.constant(init if init is not None else Read(copy, 0), what)
        early = Apply(Op.LT, (StepNo(), Num(float(steps))))
        return Where(early, start_value, Read(copy, steps))

    def mem_delay(self, e: Call) -> IR:
        time = self.fold(e.args[1])
        if time is None or not math.isfinite(time):
            raise _error(self.model, "DELAY: the delay time must be a number or a constant "
                         "(use DELAY1 or DELAY3 for a varying time)", e.pos)
        steps = max(0, round(time / self.dt))
        init = self.expr(e.args[2]) if len(e.args) > 2 else None
        return self._pipeline(self.expr(e.args[0]), steps, init, "delay")

    def mem_previous(self, e: Call) -> IR:
        init = self.expr(e.args[1]) if len(e.args) > 1 else ZERO  # as Simlin: 0 by default
        return self._pipeline(self.expr(e.args[0]), 1, init, "previous")

    def mem_init(self, e: Call) -> IR:
        return self.constant(self.expr(e.args[0]), "init")

    def _trend(self, e: Call) -> tuple[IR, IR]:
        source = self.expr(e.args[0])
        time = self.expr(e.args[1])
        initial_trend = self.expr(e.args[2]) if len(e.args) > 2 else ZERO
        init = Apply(Op.DIV, (source, Sum((1, 1), (ONE, Apply(Op.MUL, (initial_trend, time))))))
        avg = self._stage("trend", init, lambda me: Apply(Op.DIV, (
            Sum((1, -1), (source, me)), time)))
        a = Read(avg, 0)
        trend = Apply(Op.SAFEDIV, (Sum((1, -1), (source, a)),
                                   Apply(Op.MUL, (time, Apply(Op.ABS, (a,)))), ZERO))
        return source, trend

    def mem_trend(self, e: Call) -> IR:
        return self._trend(e)[1]

    def mem_forcst(self, e: Call) -> IR:
        horizon = self.expr(e.args[2])
        args = [e.args[0], e.args[1]] + ([e.args[3]] if len(e.args) > 3 else [])
        source, trend = self._trend(Call(func="trend", args=args, pos=e.pos))
        return Apply(Op.MUL, (source, Sum((1, 1), (ONE, Apply(Op.MUL, (trend, horizon))))))


def _divisor(delay: float, dt: float) -> float:
    """A step no larger than dt that divides the delay (for the error hint)."""
    if delay <= 0:
        return dt
    k = max(1, math.ceil(delay / dt))
    return delay / k


def lower(model: Model, dt: float, start: float | None = None, stop: float | None = None,
          overrides: Mapping[str, Any] | None = None) -> System:
    """Lower a checked model; overrides map a node id to a number, an Expr or a :class:`Param`."""
    time = model.time
    start = start if start is not None else (time.start if time else 0.0)
    stop = stop if stop is not None else (time.stop if time else 100.0)
    return Lowerer(model, dt, start, stop, overrides or {}).run()
