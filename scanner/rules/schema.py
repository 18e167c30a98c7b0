"""The typed form of a ruleset: what sources, sinks, sanitizers, propagators, host
classes, rules and policy entries look like once loaded and validated."""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.model import Severity, SinkKind, TextEnum, Verdict
from scanner.rules.patterns import CallPattern
from scanner.rules.shapes import Shape

RECEIVER = "receiver"


@dataclass(frozen=True)
class Origin:
    """Where a ruleset entry was declared (for error messages and `rules` listings)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class ArgSpec:
    """Which argument of a call: by position, by keyword name, or either.

    The special spec `receiver` names the object a method is called on."""

    position: int | None = None
    name: str | None = None
    receiver: bool = False
    index: int | None = None
    """Only this position of the argument, a tuple (`0[0]`: the first element of the
    first argument); None: the whole argument."""

    def describe(self) -> str:
        """Readable form, e.g. `1:users` or `0[0]`."""
        if self.receiver:
            text = RECEIVER
        elif self.position is not None and self.name:
            text = f"{self.position}:{self.name}"
        else:
            text = str(self.position) if self.position is not None else str(self.name)
        return text if self.index is None else f"{text}[{self.index}]"


@dataclass(frozen=True)
class FunctionSelector:
    """Project functions a rule is about, chosen by what the code says of them: a
    decorator (`@app.route(...)`), the class they override a method of, or their name."""

    decorated: tuple[CallPattern, ...] = ()
    """Patterns of the decorator's callee (its arguments are not matched)."""
    overrides: tuple[CallPattern, ...] = ()
    """`BASE.METHOD` patterns: method METHOD (`*`: any) of a subclass of BASE."""
    named: tuple[str, ...] = ()
    """Name globs of module-level functions (`lambda_handler`, `handle_*`)."""


@dataclass(frozen=True)
class Clearance:
    """What a sanitizer or a guard clears: the PII `kinds` it removes (every kind when
    empty), for the `rules` named (every rule when empty). A clearance scoped to rules
    leaves the PII in place, marked: findings under those rules are not reported."""

    rules: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()

    @property
    def everything(self) -> bool:
        """True when every kind is cleared for every rule (a plain sanitizer)."""
        return not self.rules and not self.kinds


EVERYTHING = Clearance()


@dataclass(frozen=True)
class Condition:
    """A condition on a call (`when:` of a sink): every test given must hold, and holds
    only when constants prove it (an argument whose value is unknown fails it).

    `arg` is the argument tested (`receiver` for the object a method is called on);
    `key` a constant key inside a mapping argument (`ExtraArgs={"ServerSideEncryption": ...}`)."""

    arg: ArgSpec
    origin: Origin
    key: str | None = None
    present: bool | None = None
    """True: the argument is passed; False: it is certainly not passed."""
    equals: tuple[object, ...] = ()
    """Constants (true, false, null, numbers, strings) one of which the argument is."""
    is_any: tuple[CallPattern, ...] = ()
    """Names (`yaml.Loader`) one of which the argument is."""
    is_none_of: tuple[CallPattern, ...] = ()
    """Names none of which the argument is (it must be a name, not a call's result)."""
    scheme: tuple[str, ...] = ()
    """URL schemes (`http`, `ftp`) one of which the argument's constant URL has."""
    never_called: tuple[str, ...] = ()
    """Methods never called on the receiver (`starttls`), as far as the engine follows it."""


@dataclass(frozen=True)
class SourceRule:
    """A call whose return value carries PII laid out as `shape`."""

    id: str
    description: str
    patterns: tuple[CallPattern, ...]
    shape: Shape
    url: ArgSpec | None
    url_globs: tuple[str, ...]
    origin: Origin
    writes: tuple[ArgSpec, Shape] | None = None
    """An argument the call also writes PII into (a file or buffer passed as `file=`),
    and the shape of what it writes."""
    reads: tuple[CallPattern, ...] = ()
    """Attributes whose value carries PII when read (`flask.request.form`)."""
    functions: FunctionSelector | None = None
    parameter: ArgSpec | None = None
    """With `functions`: the parameter of those functions that carries PII when the
    framework calls them (a handler's `event`)."""


@dataclass(frozen=True)
class SinkRule:
    """A call that sends the data of its `args` to a destination."""

    id: str
    description: str
    patterns: tuple[CallPattern, ...]
    args: tuple[ArgSpec, ...] | None
    """None means every argument (and the receiver) carries data."""
    kind: SinkKind
    destination: str
    url: ArgSpec | None
    origin: Origin
    stores: ArgSpec | None = None
    """The argument naming the file the sink writes (its constant path, or the path the
    file object was opened with): later reads of that path get what was written."""
    returns: tuple[ArgSpec, ...] = ()
    """Arguments whose PII the call's result carries (fetching a URL returns the document
    it points to); by default a sink's result carries none of the data sent."""
    when: tuple[Condition, ...] = ()
    """Conditions that must all hold for the sink to apply to a call."""
    replaces: tuple[str, ...] = ()
    """Ids of sinks that do not apply to a call this one applies to (its general form)."""
    store: str = "file"
    """What `stores` names (a file path, a key-value store's key, a queue): the label of
    the store in traces, and the namespace later reads must name to get the data."""
    item_assignments: tuple[CallPattern, ...] = ()
    """Objects whose items are sinks: `obj[key] = value` sends key and value."""
    attribute_assignments: tuple[CallPattern, ...] = ()
    """Attributes that are sinks (`OBJECT.NAME` patterns): `obj.name = value` sends value."""
    functions: FunctionSelector | None = None
    """Project functions whose return value is sent (a web route's response body)."""


@dataclass(frozen=True)
class SanitizerRule:
    """A call whose result carries no PII whatever its inputs (counts, totals, booleans)."""

    id: str
    description: str
    patterns: tuple[CallPattern, ...]
    origin: Origin
    clears: Clearance = EVERYTHING
    """What the result is cleared of (by default every kind, for every rule)."""


@dataclass(frozen=True)
class GuardRule:
    """A test that validates a value: on the branch where the test has the `safe`
    truth value, the value tested (a local name) is cleared as `clears` says.

    Either `patterns` (a call: `re.fullmatch(PATTERN, value)`, `value.startswith(base)`)
    with `arg` the argument validated, or `operator` (`in`, `==`) with `operand` the side
    validated (`left`/`right`) and `other` the constants the other side must be (any
    value when empty)."""

    id: str
    description: str
    patterns: tuple[CallPattern, ...]
    arg: ArgSpec | None
    operator: str | None
    operand: str
    other: tuple[str, ...]
    safe: bool
    clears: Clearance
    origin: Origin


class PropagatorEffect(TextEnum):
    """What a propagator does to the PII of its inputs (rulesets/README.md explains each)."""

    PRESERVE = "preserve"
    FLATTEN = "flatten"
    TEXT = "text"
    """Like `flatten`, but a project instance is formatted through its `__str__`."""
    HASH = "hash"
    ELEMENTS = "elements"
    WRAP_LIST = "wrap_list"
    GET = "get"
    VALUES = "values"
    ITEMS = "items"
    KEYS = "keys"
    MAPPING = "mapping"
    """A mapping built from keyword arguments (constant keys), mappings and sequences
    of (key, value) pairs (`dict(a=x)`, `dict(zip(ks, vs))`, `SimpleNamespace(a=x)`)."""
    INSTANCES = "instances"
    """A collection of instances of the project classes passed (an ORM query of a model
    class): iterating it yields those instances, whose fields hold what was stored."""
    FILL = "fill"
    """Keyword arguments become fields of the instances the receiver holds
    (`Model.objects.create(email=...)`), as if set on them."""
    SQL = "sql"
    """A SQL statement in `key` (a constant): INSERT/UPDATE stores `from` in that table;
    SELECT returns (and puts in the receiver, a cursor) the rows stored there."""
    TABLE = "table"
    """A table built from rows (`pandas.DataFrame(rows, columns=[...])`): positional rows
    get the column names given in `key` (a list of constant strings); records keep
    those fields; without names, the rows are kept as they are."""
    LOAD = "load"
    """Reads a file named by `key` (a constant path, or the path a file object was
    opened with): what the app wrote to that path, joined with `from` kept as is."""
    COUNT = "count"
    """A mapping whose keys are the elements of the input and whose values are counts
    (`Counter(emails)`, `dict.fromkeys(emails)`)."""
    ZIP = "zip"
    ADD_ELEMENT = "add_element"
    ADD_ALL = "add_all"
    SET_KEY = "set_key"
    APPLY = "apply"
    INVOKE = "invoke"
    """Calls the function in `callable` with the call's other arguments (those after it;
    or, with `from`, each `from` argument spread as `*args`) and returns its result:
    executors, threads, task queues."""
    BIND = "bind"
    """Like `invoke` (the function runs with the bound arguments now), and returns the
    function itself for later calls: `functools.partial`."""
    TUPLE = "tuple"
    """A tuple of the positional arguments, each at its position (`asyncio.gather`)."""
    RENAME = "rename"
    """`from` with its fields (or each record's fields) renamed by the constant mapping
    in `key` (`df.rename(columns={"m": "mail"})`)."""
    ASSIGN = "assign"
    """`from` with each keyword argument added under its name (`df.assign(city=values)`),
    the other fields kept apart."""
    WRITER = "writer"
    """An object that writes into the stream in `from` (`csv.writer(buf)`): what is
    written through it lands where that stream's writes land (an in-memory buffer's
    contents, or the file it was opened on)."""


CALLING_EFFECTS = frozenset({PropagatorEffect.APPLY, PropagatorEffect.INVOKE, PropagatorEffect.BIND})
"""Effects that call the function given in `callable`."""

MUTATING_EFFECTS = frozenset(
    {PropagatorEffect.ADD_ELEMENT, PropagatorEffect.ADD_ALL, PropagatorEffect.SET_KEY})
"""Effects that add their inputs to the receiver (`list.append`, `dict.update`, ...)."""


@dataclass(frozen=True)
class PropagatorRule:
    """How PII moves through a library call (see rulesets/README.md for each effect)."""

    id: str
    description: str
    patterns: tuple[CallPattern, ...]
    effect: PropagatorEffect
    sources: tuple[ArgSpec, ...] | None
    """Arguments whose taint moves; None means every argument and the receiver."""
    key: ArgSpec | None
    callable: ArgSpec | None
    origin: Origin
    store: str = "file"
    """For `load`: the kind of store `key` names (as a sink's `store`)."""


class DecoratorEffect(TextEnum):
    """What a library decorator does to the function it wraps."""

    TRANSPARENT = "transparent"
    YIELDS_RETURN = "yields_return"
    """The wrapped function's return value is yielded as the elements of a list."""


@dataclass(frozen=True)
class DecoratorRule:
    """What a library decorator does to the functions it wraps (default: nothing)."""

    id: str
    description: str
    patterns: tuple[CallPattern, ...]
    effect: DecoratorEffect
    origin: Origin


@dataclass(frozen=True)
class HostRule:
    """A host name glob and the destination class it belongs to."""

    glob: str
    category: str
    origin: Origin

    @property
    def specificity(self) -> tuple[bool, int, int]:
        """Globs with a path win over host-only globs; then fewer wildcards and more
        literal text win."""
        return ("/" in self.glob, -self.glob.count("*"), len(self.glob.replace("*", "")))


@dataclass(frozen=True)
class PolicyRule:
    """A rule a finding is reported under, with its documentation."""

    id: str
    name: str
    severity: Severity
    title: str
    explanation: str
    fix: str
    policy: str
    bad_example: str
    good_example: str
    tags: tuple[str, ...]
    origin: Origin


@dataclass(frozen=True)
class PolicyEntry:
    """One cell group of the policy matrix: PII kinds x destinations -> verdict (and rule)."""

    rule: str | None
    verdict: Verdict
    destinations: frozenset[str]
    pii: frozenset[str]
    """The PII kinds matched; `*` matches every kind."""
    hashed: bool | None
    """None: hashed or not; True/False: only hashed / only plain values."""
    origin: Origin

    def matches(self, kind: str, destination: str, hashed: bool) -> bool:
        """Whether this entry decides the flow of `kind` to `destination`."""
        if "*" not in self.destinations and destination not in self.destinations:
            return False
        if "*" not in self.pii and kind not in self.pii:
            return False
        return self.hashed is None or self.hashed == hashed


@dataclass
class RuleSet:
    """All loaded rulesets merged into one, in precedence order."""

    sources: list[SourceRule] = field(default_factory=list)
    sinks: list[SinkRule] = field(default_factory=list)
    sanitizers: list[SanitizerRule] = field(default_factory=list)
    propagators: list[PropagatorRule] = field(default_factory=list)
    decorators: list[DecoratorRule] = field(default_factory=list)
    hosts: list[HostRule] = field(default_factory=list)
    rules: dict[str, PolicyRule] = field(default_factory=dict)
    policy: list[PolicyEntry] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    buffers: tuple[CallPattern, ...] = ()
    """In-memory buffers (`io.StringIO`): a file sink whose `stores` argument is one of
    them writes into the buffer, not to a file. Set with `settings: {buffers: [...]}`."""
    guards: list[GuardRule] = field(default_factory=list)
    no_return: tuple[CallPattern, ...] = ()
    """Calls that never return (`sys.exit`, a framework's `abort`): the path ends there,
    as after `raise`. Set with `settings: {no_return: [...]}`."""
    unknown_calls: str = "propagate"
    """What a call into unknown code returns: `propagate` (the PII of its arguments and
    receiver) or `drop` (nothing). Set with `settings: {unknown_calls: ...}`."""

    @property
    def tracked_methods(self) -> frozenset[str]:
        """Methods whose calls the engine records on their receiver (`never_called`)."""
        return frozenset(m for sink in self.sinks for c in sink.when for m in c.never_called)
