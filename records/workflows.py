"""Workflow definitions: a versioned state machine per case type, as data.

A definition names its states (one initial, some terminal), the transitions
between them (who may take each, what it needs, what must hold first) and
timers that set deadlines on entering a state. Administrators replace a
definition by importing a new version; a running case keeps the version it
started with until it is migrated (records.transitions.migrate). Three
defaults ship as YAML in records/workflow_defaults/.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from bson import ObjectId
from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from records import audit, vocabulary
from records.actors import LEVELS, Actor
from records.errors import Conflict, InvalidInput, NotFound
from records.policy import Action, require
from records.store import Store, iso
from records.working_days import Period

WORKFLOWS = "workflows"
DEFAULTS = Path(__file__).parent / "workflow_defaults"
CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
REQUIREMENTS = ("reason", "date")
CONDITIONS = {
    "mandatory_documents": "every document type the case type's dossier needs is filed",
    "dossier_issued": "a dossier has been built for the case",
}
MAX_YAML_BYTES = 256 * 1024


@dataclass(frozen=True)
class Transition:
    code: str
    label: str
    sources: tuple[str, ...]
    target: str
    level: str
    requires: tuple[str, ...]
    conditions: tuple[str, ...]
    date_label: str


@dataclass(frozen=True)
class Timer:
    on_enter: str
    task: str
    due: Period
    from_date: bool
    done_on_enter: tuple[str, ...]


@dataclass(frozen=True)
class Definition:
    id: ObjectId
    case_type: str
    version: int
    label: str
    initial: str
    states: dict[str, dict[str, Any]]
    transitions: tuple[Transition, ...]
    timers: tuple[Timer, ...]

    def transition(self, code: str) -> Transition | None:
        return next((t for t in self.transitions if t.code == code), None)

    def is_terminal(self, state: str) -> bool:
        return bool(self.states.get(state, {}).get("terminal"))

    def label_of(self, state: str) -> str:
        return str(self.states.get(state, {}).get("label") or state.replace("_", " "))

    def available(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]


# --- reading a definition ---------------------------------------------------


def parse(data: Any) -> dict[str, Any]:
    """A definition document from YAML-shaped data, checked whole; InvalidInput says where."""
    if not isinstance(data, dict):
        raise InvalidInput("a workflow definition is a mapping of case_type, states, transitions")
    unknown = set(data) - {"case_type", "label", "initial", "states", "transitions", "timers"}
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "is not part of a workflow definition")
    case_type = _code(data.get("case_type"), "case_type")
    states = _states(data.get("states"))
    initial = _code(data.get("initial"), "initial")
    if initial not in states or states[initial].get("terminal"):
        raise InvalidInput.field("initial", f"{initial!r} is not a state that work starts in")
    transitions = _transitions(data.get("transitions"), states)
    timers = _timers(data.get("timers") or [], states)
    _check_reachable(initial, states, transitions)
    return {
        "case_type": case_type,
        "label": _text(data.get("label") or case_type.replace("_", " ").capitalize(), "label"),
        "initial": initial,
        "states": [{"code": c, **s} for c, s in states.items()],
        "transitions": transitions,
        "timers": timers,
    }


def _code(value: Any, where: str) -> str:
    if not isinstance(value, str) or not CODE.match(value):
        raise InvalidInput.field(where, "must be a snake_case code such as dossier_served")
    return value


def _state(value: Any, states: dict[str, dict[str, Any]], where: str) -> str:
    # A list or a map where a name belongs is as wrong as an unknown name.
    if not isinstance(value, str) or value not in states:
        shown = repr(value)[:60] if isinstance(value, str) else f"a {type(value).__name__}"
        raise InvalidInput.field(where, f"{shown} is not a state")
    return value


def _states_named(
    value: Any, states: dict[str, dict[str, Any]], where: str, *, required: bool
) -> list[str]:
    """A list of state names, each once, in the order given."""
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value) or len(value) > len(states):
        raise InvalidInput.field(where, f"must list states, each at most once, of {len(states)}")
    named = [_state(s, states, where) for s in value]
    if len(set(named)) != len(named):
        raise InvalidInput.field(where, "names a state twice")
    return named


def _choices(value: Any, allowed: tuple[str, ...], where: str) -> list[str]:
    listed = value if value is not None else []
    if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
        raise InvalidInput.field(where, f"may list {', '.join(allowed)}")
    if set(listed) - set(allowed) or len(set(listed)) != len(listed):
        raise InvalidInput.field(where, f"may list {', '.join(allowed)}, each once")
    return list(listed)


def _text(value: Any, where: str, *, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput.field(where, f"must be text of 1 to {limit} characters")
    return value.strip()


def _states(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, list) or not value or len(value) > 100:
        raise InvalidInput.field("states", "must list 1 to 100 states")
    states: dict[str, dict[str, Any]] = {}
    for number, state in enumerate(value, start=1):
        where = f"states[{number}]"
        if not isinstance(state, dict) or set(state) - {"code", "label", "terminal"}:
            raise InvalidInput.field(where, "must be {code, label, terminal?}")
        code = _code(state.get("code"), f"{where}.code")
        if code in states:
            raise InvalidInput.field(where, f"{code!r} is named twice")
        terminal = state.get("terminal", False)
        if not isinstance(terminal, bool):
            raise InvalidInput.field(f"{where}.terminal", "must be true or false")
        states[code] = {"label": _text(state.get("label"), f"{where}.label"), "terminal": terminal}
    return states


def _transitions(value: Any, states: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > 200:
        raise InvalidInput.field("transitions", "must list at most 200 transitions")
    allowed = {"code", "label", "from", "to", "level", "requires", "conditions", "date_label"}
    seen: set[str] = set()
    out = []
    for number, item in enumerate(value, start=1):
        where = f"transitions[{number}]"
        if not isinstance(item, dict) or set(item) - allowed:
            raise InvalidInput.field(where, f"may hold only {', '.join(sorted(allowed))}")
        code = _code(item.get("code"), f"{where}.code")
        if code in seen:
            raise InvalidInput.field(where, f"{code!r} is named twice")
        seen.add(code)
        sources = _states_named(item.get("from"), states, f"{where}.from", required=True)
        for source in sources:
            if states[source]["terminal"]:
                raise InvalidInput.field(f"{where}.from", f"{source!r} is terminal")
        target = _state(item.get("to"), states, f"{where}.to")
        level = item.get("level", "caseworker")
        if not isinstance(level, str) or level not in LEVELS or level == "viewer":
            raise InvalidInput.field(f"{where}.level", "must be caseworker, manager or admin")
        requires = _choices(item.get("requires"), tuple(REQUIREMENTS), f"{where}.requires")
        conditions = _choices(item.get("conditions"), tuple(CONDITIONS), f"{where}.conditions")
        date_label = item.get("date_label", "Date")
        out.append(
            {
                "code": code,
                "label": _text(item.get("label"), f"{where}.label"),
                "from": list(sources),
                "to": target,
                "level": level,
                "requires": list(requires),
                "conditions": list(conditions),
                "date_label": _text(date_label, f"{where}.date_label"),
            }
        )
    return out


def _timers(value: Any, states: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > 200:
        raise InvalidInput.field("timers", "must list at most 200 timers")
    allowed = {"on_enter", "task", "due", "from", "done_on_enter"}
    out = []
    for number, item in enumerate(value, start=1):
        where = f"timers[{number}]"
        if not isinstance(item, dict) or set(item) - allowed:
            raise InvalidInput.field(where, f"may hold only {', '.join(sorted(allowed))}")
        state = _state(item.get("on_enter"), states, f"{where}.on_enter")
        due = Period.parse(item.get("due"), where=f"{where}.due")
        start = item.get("from", "entered")
        if start not in ("entered", "date"):
            raise InvalidInput.field(f"{where}.from", "must be entered or date")
        done = _states_named(
            item.get("done_on_enter"), states, f"{where}.done_on_enter", required=False
        )
        out.append(
            {
                "on_enter": state,
                "task": _text(item.get("task"), f"{where}.task"),
                "due": due.as_data(),
                "from": start,
                "done_on_enter": list(done),
            }
        )
    return out


def _check_reachable(
    initial: str, states: dict[str, dict[str, Any]], transitions: list[dict[str, Any]]
) -> None:
    """Every state can be reached, and a case can always end: no trap without an exit."""
    reached, frontier = {initial}, [initial]
    while frontier:
        state = frontier.pop()
        for t in transitions:
            if state in t["from"] and t["to"] not in reached:
                reached.add(t["to"])
                frontier.append(t["to"])
    unreachable = sorted(set(states) - reached)
    if unreachable:
        raise InvalidInput.field("states", f"no transition leads to {', '.join(unreachable)}")
    if not any(s["terminal"] for s in states.values()):
        raise InvalidInput.field("states", "at least one state must be terminal")


def definition_of(stored: dict[str, Any]) -> Definition:
    return Definition(
        id=stored["_id"],
        case_type=stored["case_type"],
        version=stored["version"],
        label=stored["label"],
        initial=stored["initial"],
        states={s["code"]: s for s in stored["states"]},
        transitions=tuple(
            Transition(
                code=t["code"],
                label=t["label"],
                sources=tuple(t["from"]),
                target=t["to"],
                level=t["level"],
                requires=tuple(t["requires"]),
                conditions=tuple(t["conditions"]),
                date_label=t.get("date_label", "Date"),
            )
            for t in stored["transitions"]
        ),
        timers=tuple(
            Timer(
                on_enter=t["on_enter"],
                task=t["task"],
                due=Period.parse(t["due"], where="due"),
                from_date=t["from"] == "date",
                done_on_enter=tuple(t["done_on_enter"]),
            )
            for t in stored["timers"]
        ),
    )


# --- storing versions -------------------------------------------------------


async def seed(store: Store) -> None:
    """The shipped definitions, as version 1 of any case type that has none."""
    for path in sorted(DEFAULTS.glob("*.yaml")):
        parsed = parse(yaml.safe_load(path.read_text(encoding="utf-8")))
        if await store.db[WORKFLOWS].count_documents({"case_type": parsed["case_type"]}, limit=1):
            continue
        with contextlib.suppress(DuplicateKeyError):  # another process seeded it first
            await store.db[WORKFLOWS].insert_one(
                {**parsed, "version": 1, "created_at": store.now(), "created_by": "system"}
            )


async def current(store: Store, case_type: str) -> Definition | None:
    """The newest version for the case type; None when the type has no workflow."""
    stored = await store.db[WORKFLOWS].find_one(
        {"case_type": case_type}, sort=[("version", DESCENDING)]
    )
    return definition_of(stored) if stored else None


async def by_id(store: Store, workflow_id: ObjectId) -> Definition:
    stored = await store.db[WORKFLOWS].find_one({"_id": workflow_id})
    if stored is None:
        raise NotFound("the case's workflow definition is missing")
    return definition_of(stored)


async def import_yaml(
    store: Store, actor: Actor, text: str | bytes, *, case_type: str | None = None
) -> dict[str, Any]:
    """A new version of a case type's workflow from YAML; running cases keep theirs."""
    require(actor, Action.WORKFLOWS_MANAGE)
    if len(text) > MAX_YAML_BYTES:
        raise InvalidInput(f"a workflow definition is at most {MAX_YAML_BYTES // 1024} KiB")
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader, stricter
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) if isinstance(exc, _RepeatedKey) else None
        raise InvalidInput(f"the definition is not valid YAML{line}{problem or ''}") from exc
    except RecursionError as exc:
        raise InvalidInput("the definition is nested too deeply to be a workflow") from exc
    parsed = parse(data)
    if case_type is not None and parsed["case_type"] != case_type:
        raise InvalidInput.field(
            "case_type", f"the definition is for {parsed['case_type']!r}, not {case_type[:64]!r}"
        )
    await vocabulary.resolve(store, "case_types", "case_type", parsed["case_type"])

    latest = await current(store, parsed["case_type"])
    version = latest.version + 1 if latest else 1
    try:
        result = await store.db[WORKFLOWS].insert_one(
            {**parsed, "version": version, "created_at": store.now(), "created_by": actor.username}
        )
    except DuplicateKeyError as exc:
        raise Conflict("another version was imported at the same moment; try again") from exc
    await audit.record(
        store,
        actor,
        "workflow.import",
        f"workflow:{result.inserted_id}",
        detail={"case_type": parsed["case_type"], "version": version},
    )
    stored = await store.db[WORKFLOWS].find_one({"_id": result.inserted_id})
    assert stored is not None
    return stored


class _RepeatedKey(yaml.constructor.ConstructorError):
    pass


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping.

    The safe loader keeps the last of repeated keys, so a second "label:" or
    "transitions:" further down would silently replace the first.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise _RepeatedKey(
                    None, None, f": {key[:40]!r} is given twice", key_node.start_mark
                )
            seen.add(key if isinstance(key, str) else id(key_node))
        return super().construct_mapping(node, deep=deep)


def export_yaml(stored: dict[str, Any]) -> str:
    """The definition as YAML an administrator can edit and import again."""
    data = {
        "case_type": stored["case_type"],
        "label": stored["label"],
        "initial": stored["initial"],
        "states": [
            {"code": s["code"], "label": s["label"]} | ({"terminal": True} if s["terminal"] else {})
            for s in stored["states"]
        ],
        "transitions": stored["transitions"],
        "timers": stored["timers"],
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


async def list_definitions(store: Store, actor: Actor) -> list[dict[str, Any]]:
    require(actor, Action.LISTS_READ)  # reference data, as the lists of values: internal only
    found = store.db[WORKFLOWS].find({}).sort([("case_type", 1), ("version", DESCENDING)])
    return [w async for w in found]


async def get_version(store: Store, actor: Actor, case_type: str, version: int) -> dict[str, Any]:
    require(actor, Action.LISTS_READ)  # reference data, as the lists of values: internal only
    stored = await store.db[WORKFLOWS].find_one({"case_type": case_type, "version": version})
    if stored is None:
        raise NotFound(f"there is no version {version} of the {case_type[:64]!r} workflow")
    return stored


def workflow_view(stored: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(stored["_id"]),
        "case_type": stored["case_type"],
        "version": stored["version"],
        "label": stored["label"],
        "initial": stored["initial"],
        "states": stored["states"],
        "transitions": stored["transitions"],
        "timers": stored["timers"],
        "created_at": iso(stored["created_at"]),
        "created_by": stored["created_by"],
    }
