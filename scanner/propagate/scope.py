"""The state of one scope under analysis: its environment of local names, name look-up
as Python does it (locals, enclosing functions, globals, builtins), binding, and the
joins that branches and loops need.

The construct handlers (`statements`, `targets`, `expressions`) extend `FrameState`;
`scanner.propagate.frame.Frame` combines them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

from scanner.propagate.records import Context, global_key
from scanner.propagate.services import Analysis
from scanner.propagate.values import CLEAN, Step, Value, join
from scanner.resolve.index import FunctionInfo

LENGTH_KEY = "#length:"
"""Environment entries holding the known length of a local list (never an identifier)."""


class FrameState:
    """The abstract state of one scope (a function, lambda or module body)."""

    def __init__(self, engine: Analysis, func: FunctionInfo, ctx: Context,
                 closure: FrameState | None = None) -> None:
        self.engine = engine
        self.func = func
        self.ctx = ctx
        self.closure = closure
        self.path = func.module.relpath
        self.env: dict[str, Value] = {}
        self.returns: list[Value] = []
        self.yields: list[Value] = []
        self.raised: list[Value] = []
        self._try_stack: list[list[Value]] = []
        self._jumps: list[list[dict[str, Value]]] = []
        self.is_module = func.kind == "module"
        self.dead = False
        """True after `return`, `raise`, `break` or `continue`: the rest of the block is
        unreachable and its path does not join where branches meet."""
        self.tracks_lengths = False
        self.taken_lengths: dict[str, int | None] = {}
        """Lengths of local lists taken by their last use (see `appended_position`)."""

    # ---- provided by the handler families ----------------------------------------------
    def ev(self, node: cst.BaseExpression) -> Value:
        """The abstract value of an expression (see `ExpressionHandlers`)."""
        raise NotImplementedError

    def exec_suite(self, suite: cst.BaseSuite) -> None:
        """Run a block of statements (see `StatementHandlers`)."""
        raise NotImplementedError

    def exec_block(self, stmts: Sequence[cst.BaseStatement]) -> None:
        """Run statements in order (see `StatementHandlers`)."""
        raise NotImplementedError

    def assign(self, target: cst.BaseExpression, value: Value, stmt: cst.CSTNode,
               value_node: cst.BaseExpression | None = None) -> None:
        """Bind `value` to an assignment target (see `TargetHandlers`)."""
        raise NotImplementedError

    def add_to(self, target: cst.BaseExpression, value: Value, stmt: cst.CSTNode,
               replace: bool = False) -> None:
        """Add `value` into the container or object `target` denotes (see `TargetHandlers`)."""
        raise NotImplementedError

    # ---- names ------------------------------------------------------------------------
    def lookup(self, name: str) -> Value:
        """The value of `name` as Python would resolve it from this scope."""
        func = self.func
        if name in func.global_names:
            return self.engine.module_member(func.module, name)
        if name in func.nonlocal_names:
            return self._closure_lookup(name)
        if self.is_module:
            if name in self.env:
                return self.env[name]
            return self.engine.module_member(func.module, name)
        if name in self.env:
            return self.env[name]
        if name in func.assigned:
            return CLEAN
        return self._closure_lookup(name)

    def _closure_lookup(self, name: str) -> Value:
        frame = self.closure
        while frame is not None:
            if frame.is_module:
                break
            if name in frame.func.assigned:
                return frame.env.get(name, CLEAN)
            frame = frame.closure
        return self.engine.module_member(self.func.module, name)

    def bind(self, name: str, value: Value, node: cst.CSTNode, action: str | None = None) -> None:
        """Assign `value` to the local (or global, or `nonlocal`) name `name`; the PII
        gets a trace step saying so. A module-level or `global` name also goes to the
        store, where other functions and modules read it."""
        value = value.with_step(Step(self.path, node, action or f"assigned to `{name}`"))
        if name in self.func.global_names or self.is_module:
            self.engine.store_write(global_key(self.func.module.name, name), value, self.ctx)
        if name in self.func.nonlocal_names:
            frame = self.closure
            while frame is not None and name not in frame.func.assigned:
                frame = frame.closure
            if frame is not None:
                frame.env[name] = join([frame.env.get(name, CLEAN), value])
            return
        self.env[name] = value

    def enclosing_owner(self, name: str) -> FrameState | None:
        """The enclosing function frame that binds `name`, if any."""
        frame = self.closure
        while frame is not None and not frame.is_module:
            if name in frame.func.assigned:
                return frame
            frame = frame.closure
        return None

    def note_raise(self, value: Value) -> None:
        """Record an exception value (caught by an enclosing `except ... as e`)."""
        if not value.facts:
            return
        self.raised.append(value)
        if self._try_stack:
            self._try_stack[-1].append(value)

    # ---- list lengths -------------------------------------------------------------------
    # A local list made by a display (`parts = []`) and grown only by appends keeps its
    # length, so each appended element keeps its position (`parts[1]`). The length lives
    # in the environment under a name no identifier can take, so branches and loops join
    # it like any value (a length that differs between paths is lost); any other use of
    # the name (passed on, aliased, mutated another way) forgets it.
    def start_length(self, name: str, length: int | None) -> None:
        """`name` is (re)bound: to a list display of `length` elements, or to anything else."""
        if length is not None and not self.is_module:
            self.tracks_lengths = True
            self.env[LENGTH_KEY + name] = Value(const=str(length))
        elif self.tracks_lengths:
            self.env.pop(LENGTH_KEY + name, None)

    def note_name_use(self, name: str) -> None:
        """`name` was evaluated: its known length is taken (a use other than an append
        forgets it). Called only once the frame tracks a length."""
        known = self.env.pop(LENGTH_KEY + name, None)
        if known is not None and known.const:
            self.taken_lengths[name] = int(known.const)
        elif name in self.taken_lengths:
            self.taken_lengths[name] = None

    def appended_position(self, receiver: cst.BaseExpression) -> int | None:
        """The position an element appended to `receiver` takes, when `receiver` is a
        local list of known length (which then grows by one)."""
        if not isinstance(receiver, cst.Name):
            return None
        position = self.taken_lengths.pop(receiver.value, None)
        if position is not None:
            self.env[LENGTH_KEY + receiver.value] = Value(const=str(position + 1))
        return position

    # ---- control flow -----------------------------------------------------------------
    def snapshot(self) -> dict[str, Value]:
        """A copy of the environment."""
        return dict(self.env)

    @staticmethod
    def join_envs(envs: list[dict[str, Value]]) -> dict[str, Value]:
        """The environment after paths with these environments meet."""
        names: set[str] = set()
        for e in envs:
            names.update(e)
        return {n: join([e[n] for e in envs if n in e]) for n in names
                if n[0] != LENGTH_KEY[0] or all(n in e for e in envs)}

    @staticmethod
    def same_pii(a: dict[str, Value], b: dict[str, Value]) -> bool:
        """Whether two environments carry the same PII (what loops iterate for).

        References and constants are left out on purpose: chains such as
        `node = node.parent` or a string grown in a loop must not keep a loop spinning,
        and clean code then needs a single round."""
        for name in a.keys() | b.keys():
            va, vb = a.get(name), b.get(name)
            fa = va.facts.keys() if va is not None else ()
            fb = vb.facts.keys() if vb is not None else ()
            if (fa or fb) and set(fa) != set(fb):
                return False
        return True

    def branch(self, runners: list[Callable[[], None]], include_entry: bool) -> None:
        """Run alternative paths from the same entry state and join where they meet
        (`include_entry`: the state may also pass none of them). Paths that end in
        `return`/`raise`/`break`/`continue` do not reach the join; if none does, what
        follows is unreachable."""
        entry = self.snapshot()
        results = [entry] if include_entry else []
        for run in runners:
            self.env = dict(entry)
            self.dead = False
            run()
            if not self.dead:
                results.append(self.env)
        self.dead = not results
        self.env = self.join_envs(results) if results else entry

    def loop(self, body: Callable[[], None]) -> None:
        """Run a loop body until the PII in the environment stops changing (bounded).
        `break`/`continue` end one pass of the body, never the code after the loop; the
        state they leave with joins the state after the loop."""
        for _ in range(self.engine.limits.max_loop_rounds):
            before = self.snapshot()
            self.dead = False
            self._jumps.append([])
            body()
            jumps = self._jumps.pop()
            self.dead = False
            self.env = self.join_envs([before, self.env, *jumps])
            if self.same_pii(before, self.env):
                break

    def jump(self) -> None:
        """`break`/`continue`: this path leaves the pass of the loop body here, with the
        state it has (it reaches the code after the loop, or the next pass)."""
        if self._jumps and not self.dead:
            self._jumps[-1].append(self.snapshot())
        self.dead = True

    def push_try(self) -> None:
        """Start collecting exceptions raised in a `try` body."""
        self._try_stack.append([])

    def pop_try(self) -> list[Value]:
        """The exceptions raised since the matching `push_try`."""
        return self._try_stack.pop()
