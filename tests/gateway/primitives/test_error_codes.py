"""The error-code catalogue (gateway/primitives/error_codes.py) holds every code the gateway raises, once.

The source of gateway/ and adapters/ is *read* (``ast``), not run, so that a code on a path no test
takes counts too:

- *written codes*: every UPPER_SNAKE string literal (names in ``__all__`` aside), and every f-string
  whose fixed parts are UPPER_SNAKE, expanded with the literals its placeholders take: a placeholder
  that is a parameter of the function building it (``{prefix}``, ``{role.upper()}``) takes the literal
  arguments of that parameter at every call site, followed through functions that pass it on. An
  f-string that cannot be expanded (``f"RECEIVER_HTTP_{status}"``) must be a family of the catalogue.
- *raised codes*: the code (``code=`` or the first argument) of every call of a NordgateError class,
  with the class's HTTP status; a code passed in a parameter (``_refuse(code, …)``) counts at the
  call sites of that function. Its catalogued status must be the class's.

What reading cannot see, a code forwarded at run time (``Unprocessable(issue.code, …)``), is checked
when the error is made (``gateway.primitives.errors``), and the whole suite makes them.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gateway.primitives import error_codes
from gateway.primitives.error_codes import CATALOGUE, FINDING, FRAMEWORK, ErrorCodeMisuse, lookup, markdown
from gateway.primitives.errors import (
    ConfigurationError,
    Conflict,
    Issue,
    NordgateError,
    ReceiverUnavailable,
    TransientError,
    Unprocessable,
)

REPO = Path(__file__).resolve().parents[3]
REFERENCE_DOC = REPO / "docs" / "reference" / "error-codes.md"
CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_FIXED = re.compile(r"[A-Z0-9_]*[A-Z][A-Z0-9_]*")
_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)

#: UPPER_SNAKE literals in the source that are not error codes, and why.
NOT_CODES = {"NORDGATE_MAPPINGS_DIR": "the name of an environment variable"}
#: Not errors, but refusals whose code the gateway raises again with a fixed class (status).
REFUSALS_RAISED_AS = {"TokenRefused": 401, "_Transient": 503}  # as Unauthenticated, RegisterUnavailable
_OUTCOME_BUILDERS = frozenset({"outcome_response", "operation_outcome"})  # (status, code, …)


@dataclass(frozen=True, slots=True)
class Raised:
    code: str
    status: int | None  # None: an Issue, which takes the status of the answer it is in
    where: str


@dataclass
class Scan:
    written: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    patterns: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    raised: list[Raised] = field(default_factory=list)
    classes: set[str] = field(default_factory=set)  # every class defined


@dataclass
class _Module:
    name: str
    where: str
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]
    imported: dict[str, str]


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    return [a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]]


class _Source:
    """The modules, their functions, and the literal values each function parameter is called with."""

    def __init__(self, files: Iterable[tuple[str, str]]) -> None:
        self.modules = []
        for where, text in files:
            tree = ast.parse(text, filename=where)
            self.modules.append(_Module(
                name=where.removesuffix(".py").removesuffix("/__init__").replace("/", "."), where=where, tree=tree,
                parents={child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)},
                imported={alias.asname or alias.name: f"{node.module}.{alias.name}" for node in ast.walk(tree)
                          if isinstance(node, ast.ImportFrom) and node.module for alias in node.names}))
        self.functions = {f"{m.name}.{node.name}": node for m in self.modules for node in ast.walk(m.tree)
                          if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
        self.values = self._parameter_values()

    def owner(self, module: _Module, node: ast.AST, name: str) -> str | None:
        """The function (``module.function``) of which ``name`` is a parameter, as seen from ``node``."""
        while node in module.parents:
            node = module.parents[node]
            if isinstance(node, _FUNCTION) and name in _params(node):
                return f"{module.name}.{getattr(node, 'name', '<lambda>')}"
        return None

    def _callee(self, module: _Module, call: ast.Call) -> tuple[str, list[str]] | None:
        func = call.func
        if isinstance(func, ast.Name):
            target = module.imported.get(func.id, f"{module.name}.{func.id}")
            bound = False
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            target, bound = f"{module.name}.{func.attr}", True
        else:
            return None
        if target not in self.functions:
            return None
        params = _params(self.functions[target])
        return target, params[1:] if bound and params[:1] in (["self"], ["cls"]) else params

    def _parameter_values(self) -> dict[tuple[str, str], set[str]]:
        values: dict[tuple[str, str], set[str]] = defaultdict(set)
        passed_on: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        for module in self.modules:
            for call in ast.walk(module.tree):
                if not isinstance(call, ast.Call) or (callee := self._callee(module, call)) is None:
                    continue
                target, params = callee
                bound = [(params[i], arg) for i, arg in enumerate(call.args[:len(params)])
                         if not isinstance(arg, ast.Starred)]
                bound += [(kw.arg, kw.value) for kw in call.keywords if kw.arg in params]
                for param, arg in bound:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        values[(target, param)].add(arg.value)
                    elif isinstance(arg, ast.Name) and (caller := self.owner(module, call, arg.id)) is not None:
                        passed_on[(target, param)].add((caller, arg.id))
        changed = True
        while changed:
            changed = False
            for sink, sources in passed_on.items():
                for source in sources:
                    if not values[source] <= values[sink]:
                        values[sink] |= values[source]
                        changed = True
        return values

    def strings(self, module: _Module, node: ast.expr) -> tuple[list[str], str | None]:
        """The strings ``node`` can be, and its pattern when it is an f-string that cannot be expanded."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value], None
        if isinstance(node, ast.Name) and (owner := self.owner(module, node, node.id)) is not None:
            return sorted(self.values.get((owner, node.id), ())), None
        if isinstance(node, ast.BoolOp):  # ``verdict.code or "BILL_REFUSED"``
            return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)], None
        if isinstance(node, ast.JoinedStr):
            return self.expand(module, node)
        return [], None

    def expand(self, module: _Module, node: ast.JoinedStr) -> tuple[list[str], str | None]:
        pattern = "".join(str(part.value) if isinstance(part, ast.Constant)
                          else "{" + ast.unparse(part.value) + "}"  # type: ignore[attr-defined]
                          for part in node.values)
        choices: list[list[str]] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                choices.append([str(part.value)])
                continue
            assert isinstance(part, ast.FormattedValue)
            expr, upper = part.value, False
            if (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "upper"
                    and not expr.args):
                expr, upper = expr.func.value, True
            owner = self.owner(module, node, expr.id) if isinstance(expr, ast.Name) else None
            found = self.values.get((owner, expr.id), set()) if owner and isinstance(expr, ast.Name) else set()
            if not found:
                return [], pattern
            choices.append(sorted(value.upper() if upper else value for value in found))
        return ["".join(combination) for combination in itertools.product(*choices)], None


def _code_like(node: ast.JoinedStr) -> bool:
    fixed = "".join(str(part.value) for part in node.values if isinstance(part, ast.Constant))
    shape = "".join(str(part.value) if isinstance(part, ast.Constant) else "X" for part in node.values)
    return bool(_FIXED.fullmatch(fixed)) and bool(CODE.fullmatch(shape))


def _error_classes(source: _Source) -> dict[str, int]:
    """Class name → HTTP status, for NordgateError and every class below it in any module."""
    bases: dict[str, list[str]] = {}
    own: dict[str, int] = {}
    for module in source.modules:
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]
                own.update((node.name, stmt.value.value) for stmt in node.body
                           if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
                           and isinstance(stmt.value.value, int)
                           and any(isinstance(t, ast.Name) and t.id == "http_status" for t in stmt.targets))

    def status(name: str) -> int | None:
        if name == "NordgateError":
            return own.get(name)
        inherited = next((found for base in bases.get(name, []) if (found := status(base)) is not None), None)
        return None if inherited is None else own.get(name, inherited)

    return {name: found for name in bases if (found := status(name)) is not None}


def _not_read(module: _Module) -> set[ast.AST]:
    """``__all__`` names attributes, not codes; an f-string's fixed parts are read with the f-string."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            skipped.update(ast.walk(node.value))
        elif isinstance(node, ast.JoinedStr):
            skipped.update(node.values)
    return skipped


def _raised(source: _Source, module: _Module, call: ast.Call, classes: dict[str, int]) -> Iterator[Raised]:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    position, status = 0, None
    if name in classes:
        status = classes[name]
    elif name in REFUSALS_RAISED_AS:
        status = REFUSALS_RAISED_AS[name]
    elif (name in _OUTCOME_BUILDERS and call.args and isinstance(call.args[0], ast.Constant)
          and isinstance(call.args[0].value, int)):
        position, status = 1, call.args[0].value
    elif name != "Issue":
        return
    keyword = next((kw.value for kw in call.keywords if kw.arg == "code"), None)
    argument = keyword if keyword is not None else call.args[position] if len(call.args) > position else None
    if argument is not None:
        codes, pattern = source.strings(module, argument)
        where = f"{module.where}:{call.lineno}"
        yield from (Raised(code, status, where) for code in [*codes, *filter(None, [pattern])])


def scan(files: Iterable[tuple[str, str]]) -> Scan:
    """``files``: (path relative to the repository, source text)."""
    source = _Source(files)
    classes = _error_classes(source)
    found = Scan()
    for module in source.modules:
        skipped = _not_read(module)
        for node in ast.walk(module.tree):
            where = f"{module.where}:{getattr(node, 'lineno', 0)}"
            if node in skipped:
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.fullmatch(node.value):
                found.written[node.value].append(where)
            elif isinstance(node, ast.JoinedStr) and _code_like(node):
                codes, pattern = source.expand(module, node)
                for code in codes:
                    found.written[code].append(where)
                if pattern is not None:
                    found.patterns[pattern].append(where)
            elif isinstance(node, ast.Call):
                found.raised.extend(_raised(source, module, node, classes))
            elif isinstance(node, ast.ClassDef):
                found.classes.add(node.name)
    return found


@pytest.fixture(scope="module")
def gateway_source() -> Scan:
    catalogue = Path(error_codes.__file__).resolve()
    return scan((str(path.relative_to(REPO)), path.read_text(encoding="utf-8"))
                for top in ("gateway", "adapters") for path in sorted((REPO / top).rglob("*.py"))
                if path.resolve() != catalogue)


def _listed(sites: list[str]) -> str:
    return ", ".join(sites[:3]) + (f" (+{len(sites) - 3})" if len(sites) > 3 else "")


def test_every_code_written_in_the_source_is_catalogued(gateway_source: Scan) -> None:
    unknown = {code: sites for code, sites in gateway_source.written.items()
               if lookup(code) is None and code not in NOT_CODES}
    families = {entry.code for entry in CATALOGUE if entry.family}
    unexpanded = {pattern: sites for pattern, sites in gateway_source.patterns.items() if pattern not in families}
    assert not unknown, "codes missing from gateway/primitives/error_codes.py:\n" + "\n".join(
        f"  {code}  ({_listed(sites)})" for code, sites in sorted(unknown.items()))
    assert not unexpanded, "f-string codes that are neither expandable nor a catalogued family:\n" + "\n".join(
        f"  {pattern}  ({_listed(sites)})" for pattern, sites in sorted(unexpanded.items()))


def test_every_catalogued_code_is_raised_somewhere(gateway_source: Scan) -> None:
    dead = [entry.code for entry in CATALOGUE
            if entry.code not in gateway_source.written and entry.code not in gateway_source.patterns]
    assert not dead, f"catalogued but written nowhere in gateway/ or adapters/ (dead codes): {dead}"


def test_codes_are_raised_with_the_status_the_catalogue_gives_them(gateway_source: Scan) -> None:
    families = {entry.code: entry for entry in CATALOGUE if entry.family}
    wrong = []
    for raised in gateway_source.raised:
        entry = families.get(raised.code) or lookup(raised.code)
        if entry is None:
            wrong.append(f"{raised.code} is not catalogued ({raised.where})")
        elif raised.status is not None and entry.status != raised.status:
            wrong.append(f"{raised.code} is raised as {raised.status} at {raised.where}, catalogued {entry.status}")
    assert not wrong, "\n".join(wrong)


def test_the_scan_sees_codes_in_parameters_tables_and_f_strings() -> None:
    module = '''
from gateway.primitives.errors import Issue, Unprocessable, MalformedInput

class Special(Unprocessable):
    pass

_TABLE = {"a": "TABLE_CODE"}

def refuse(code: str, message: str) -> Unprocessable:
    return Unprocessable(code, message)

def wrap(code: str) -> Unprocessable:
    return refuse(code, "passed on")

def decode(data: bytes, *, prefix: str) -> None:
    raise MalformedInput(f"{prefix}_JSON_MALFORMED", "no")

def party(role: str) -> None:
    raise Special(f"{role.upper()}_NOT_IN_AR", "no")

def use(status: int) -> None:
    wrap("WRAPPED_CODE")
    decode(b"", prefix="BATCH")
    party("sender")
    Issue(_TABLE.get("x") or "FALLBACK_CODE", "m")
    raise Unprocessable(f"REFUSED_{status}", "no")
'''
    errors = Path(error_codes.__file__).with_name("errors.py")
    found = scan([("gateway/primitives/errors.py", errors.read_text(encoding="utf-8")), ("gateway/example.py", module)])
    raised = {(r.code, r.status) for r in found.raised}
    assert {("WRAPPED_CODE", 422), ("BATCH_JSON_MALFORMED", 400), ("SENDER_NOT_IN_AR", 422),
            ("FALLBACK_CODE", None), ("REFUSED_{status}", 422)} <= raised
    assert {"TABLE_CODE", "WRAPPED_CODE", "BATCH_JSON_MALFORMED", "SENDER_NOT_IN_AR", "FALLBACK_CODE"} \
        <= set(found.written)
    assert set(found.patterns) == {"REFUSED_{status}"}


def test_no_code_is_listed_twice() -> None:
    twice = [code for code, count in Counter(entry.code for entry in CATALOGUE).items() if count > 1]
    assert not twice


def test_every_entry_has_a_code_a_status_and_a_one_line_meaning() -> None:
    for entry in CATALOGUE:
        assert CODE.fullmatch(entry.code.removesuffix("_{status}")), entry.code
        assert entry.status in (FINDING, FRAMEWORK) or (isinstance(entry.status, int) and 400 <= entry.status < 600), \
            entry
        assert entry.meaning.strip() and "\n" not in entry.meaning and entry.meaning == entry.meaning.strip(), entry
        assert entry.area, entry


def test_the_exceptions_of_the_scan_still_exist(gateway_source: Scan) -> None:
    for name in NOT_CODES:
        assert name in gateway_source.written and lookup(name) is None, name
    assert set(REFUSALS_RAISED_AS) <= gateway_source.classes


def test_the_reference_page_is_generated_from_the_catalogue() -> None:
    assert REFERENCE_DOC.read_text(encoding="utf-8") == markdown(), (
        "docs/reference/error-codes.md is stale: python -m gateway.primitives.error_codes --markdown "
        "> docs/reference/error-codes.md")


def test_the_reference_page_lists_every_code_once() -> None:
    rows = re.findall(r"^\| `([^`]+)` \|", REFERENCE_DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert sorted(rows) == sorted(entry.code for entry in CATALOGUE)
    assert len(rows) == len(set(rows))


@pytest.mark.parametrize("make", [
    lambda: Unprocessable("NO_SUCH_CODE_ANYWHERE", "m"),
    lambda: Issue("NO_SUCH_CODE_ANYWHERE", "m"),
], ids=["error", "issue"])
def test_making_an_uncatalogued_code_is_a_programming_error(make: object) -> None:
    with pytest.raises(ErrorCodeMisuse, match="NO_SUCH_CODE_ANYWHERE"):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(("make", "why"), [
    (lambda: Conflict("BOOKING_UNKNOWN", "m"), "catalogued as 422, raised as 409"),
    (lambda: Unprocessable("UPDATE_ON_INVITATION", "m"), "catalogued as 409, raised as 422"),
    (lambda: ConfigurationError("BILL_DROPPED", "m"), "catalogued as finding, raised as 500"),
    (lambda: TransientError("TRANSPORT_REFUSED_404", "m"), "catalogued as 422, raised as 503"),
], ids=["other-status", "update-on-invitation-is-409", "finding", "family"])
def test_an_error_class_with_another_status_than_the_code_is_refused(make: object, why: str) -> None:
    with pytest.raises(ErrorCodeMisuse, match=why):
        make()  # type: ignore[operator]


def test_catalogued_codes_family_members_and_findings_are_made() -> None:
    assert Unprocessable("UPDATE_MARKED_AS_INVITATION", "m").http_status == 422
    assert Conflict("UPDATE_ON_INVITATION", "m").http_status == 409
    assert ReceiverUnavailable("RECEIVER_HTTP_502", "m").code == "RECEIVER_HTTP_502"
    assert Unprocessable("TRANSPORT_REFUSED_400", "m").code == "TRANSPORT_REFUSED_400"
    assert Issue("BILL_DROPPED", "m").code == "BILL_DROPPED"
    assert isinstance(Unprocessable("BATCH_EMPTY", "m"), NordgateError)
    assert lookup("RECEIVER_HTTP_5020") is None and lookup("RECEIVER_HTTP_{status}") is None
