"""A suite: catalogue + seeded world + generated task splits, identified by a hash.

Split rules (what "unseen" means for each test subset):

======== ===== ====================================================================
split    group  tasks drawn from
======== ===== ====================================================================
train    all    seen tools of seen categories, ``train`` templates
val      all    as train (distinct instances), for model selection
I1-Inst  G1     seen tools, ``heldout`` templates only (unseen instructions)
I1-Tool  G1     task types using a held-out tool of a seen category (unseen tools)
I1-Cat   G1     task types in a held-out category (unseen categories)
I2-Inst  G2     seen tools, ``heldout`` templates only
I2-Cat   G2     task types in a held-out category
I3-Inst  G3     seen tools, ``heldout`` templates only
======== ===== ====================================================================

Every task instance (task type + slot values) appears in at most one split, and distractor
APIs offered in train, val and the *-Inst subsets come from seen tools only, so held-out
tools and categories never appear in train at all.
"""

from __future__ import annotations

import gc
import hashlib
import json
import string
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from steptool_env.errors import CatalogueError, ConfigError, TaskError
from steptool_env.resources import suite_dir
from steptool_env.seeding import StableRng, derive_seed
from steptool_env.tools.catalogue import Catalogue
from steptool_env.tools.spec import ApiSpec
from steptool_env.world.domain import ApiFn, TaskType, api_table, build_world, task_types
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, Task, TaskDraft

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TEST_SUBSETS: tuple[str, ...] = ("I1-Inst", "I1-Tool", "I1-Cat", "I2-Inst", "I2-Cat", "I3-Inst")
SPLITS: tuple[str, ...] = ("train", "val", *TEST_SUBSETS)

# split -> (group or None for all, kind): kind is "seen", "inst", "tool" or "cat"
_SPLIT_RULES: dict[str, tuple[str | None, str]] = {
    "I1-Inst": ("G1", "inst"),
    "I2-Inst": ("G2", "inst"),
    "I3-Inst": ("G3", "inst"),
    "I1-Tool": ("G1", "tool"),
    "I1-Cat": ("G1", "cat"),
    "I2-Cat": ("G2", "cat"),
    "val": (None, "seen"),
    "train": (None, "seen"),
}
_GENERATION_ORDER = ("I1-Inst", "I2-Inst", "I3-Inst", "I1-Tool", "I1-Cat", "I2-Cat", "val", "train")
_MAX_FAILURES = 60


@dataclass(frozen=True)
class SuiteConfig:
    """The parsed ``suite.toml``."""

    name: str
    version: int
    seed: int
    api_list_size: int
    min_distractors: int
    split_sizes: Mapping[str, int]
    heldout_categories: tuple[str, ...]
    heldout_tools: tuple[str, ...]

    @classmethod
    def load(cls, path: Path) -> SuiteConfig:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CatalogueError(f"{path}: cannot read suite file ({exc})") from exc
        try:
            sizes = {str(k): int(v) for k, v in raw["splits"].items()}
            held = raw.get("heldout", {})
            cfg = cls(
                name=str(raw["name"]),
                version=int(raw["version"]),
                seed=int(raw["seed"]),
                api_list_size=int(raw.get("api_list_size", 5)),
                min_distractors=int(raw.get("min_distractors", 2)),
                split_sizes=sizes,
                heldout_categories=tuple(held.get("categories", ())),
                heldout_tools=tuple(held.get("tools", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogueError(f"{path}: bad or missing field ({exc!r})") from exc
        unknown = set(sizes) - set(SPLITS)
        if unknown:
            raise CatalogueError(f"{path}: unknown splits {sorted(unknown)} (valid: {SPLITS})")
        return cfg


@dataclass(frozen=True)
class Templates:
    train: tuple[str, ...]
    heldout: tuple[str, ...]


def load_templates(folder: Path) -> dict[str, Templates]:
    out: dict[str, Templates] = {}
    for file in sorted(folder.glob("*.toml")):
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise CatalogueError(f"{file}: not valid TOML ({exc})") from exc
        for type_id, entry in raw.get("task", {}).items():
            if type_id in out:
                raise CatalogueError(f"{file}: templates of {type_id!r} defined twice")
            train, held = entry.get("train"), entry.get("heldout")
            if not train or not held:
                raise CatalogueError(
                    f"{file}: task {type_id!r} needs non-empty 'train' and 'heldout' template lists"
                )
            if set(train) & set(held):
                raise CatalogueError(f"{file}: task {type_id!r} has a template in both lists")
            out[type_id] = Templates(tuple(train), tuple(held))
    return out


def _template_fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@runtime_checkable
class TaskSuite(Protocol):
    """What an env needs from a suite of tasks. The generated suite (:class:`Suite`) and
    StableToolBench's (:class:`~steptool_env.stabletoolbench.suite.StbSuite`) implement it;
    so can a suite of your own (pass it as ``ToolUseEnv(suite=...)``)."""

    @property
    def splits(self) -> Mapping[str, tuple[Task, ...]]:
        """Tasks by split name."""
        ...

    @property
    def hash(self) -> str:
        """Identity of the suite's content (part of every bench record)."""
        ...

    @property
    def implementations(self) -> Mapping[tuple[str, str], ApiFn]:
        """``(tool, api)`` → the function that answers a call (what backends run)."""
        ...

    @property
    def sandboxable(self) -> bool:
        """Whether the Docker sandbox image can serve this suite (it rebuilds it by name)."""
        ...

    @property
    def name(self) -> str:
        """A name the sandbox server rebuilds the suite from."""
        ...

    def split(self, name: str) -> tuple[Task, ...]: ...

    def task(self, task_id: str) -> Task: ...

    def new_state(self) -> WorldState:
        """A fresh world state for one episode."""
        ...

    def offered(self, task: Task) -> dict[str, ApiSpec]:
        """Function name → API of every function offered for ``task``, in prompt order."""
        ...

    def function_of(self, task: Task | None, tool: str, api: str) -> str:
        """The function name under which ``(tool, api)`` is offered for ``task``."""
        ...


@dataclass(frozen=True)
class Suite:
    """A generated suite. Build it with :func:`load_suite`."""

    config: SuiteConfig
    catalogue: Catalogue
    world: World
    implementations: Mapping[tuple[str, str], ApiFn]
    splits: Mapping[str, tuple[Task, ...]]
    hash: str
    _by_id: Mapping[str, Task] = field(repr=False, default_factory=dict)

    @property
    def name(self) -> str:
        return self.config.name

    def split(self, name: str) -> tuple[Task, ...]:
        try:
            return self.splits[name]
        except KeyError:
            raise ConfigError("split", name, choices=self.splits) from None

    def task(self, task_id: str) -> Task:
        try:
            return self._by_id[task_id]
        except KeyError:
            raise TaskError(f"no task with id {task_id!r} in suite {self.name!r}") from None

    sandboxable = True

    def new_state(self) -> WorldState:
        return WorldState(self.world)

    def offered(self, task: Task) -> dict[str, ApiSpec]:
        return {f: self.catalogue.by_function[f] for f in task.api_list}

    def function_of(self, task: Task | None, tool: str, api: str) -> str:
        """Names are global in a generated suite: ``task`` is not needed."""
        return self.catalogue.api(tool, api).function_name


class _Generator:
    def __init__(
        self,
        cfg: SuiteConfig,
        catalogue: Catalogue,
        world: World,
        types: Mapping[str, TaskType],
        templates: Mapping[str, Templates],
    ) -> None:
        self.cfg, self.catalogue, self.world = cfg, catalogue, world
        self.types, self.templates = types, templates
        self.tool_category = {t.tool_name: t.category for t in catalogue.tools}
        held_tools, held_cats = set(cfg.heldout_tools), set(cfg.heldout_categories)
        for t in held_tools:
            if t not in self.tool_category:
                raise CatalogueError(f"suite.toml: held-out tool {t!r} is not in the catalogue")
            if self.tool_category[t] in held_cats:
                raise CatalogueError(f"suite.toml: held-out tool {t!r} lies in a held-out category")
        for c in held_cats:
            if c not in catalogue.categories:
                raise CatalogueError(f"suite.toml: held-out category {c!r} is not in the catalogue")
        self.held_tools, self.held_cats = held_tools, held_cats
        self.seen_apis = tuple(
            a.function_name
            for a in catalogue
            if a.tool_name not in held_tools and a.category not in held_cats
        )
        self.taken: set[tuple[Any, ...]] = set()

    def kind_of(self, tt: TaskType) -> str:
        cats = {self.tool_category[t] for t in tt.tools}
        if cats & self.held_cats:
            return "cat"
        if set(tt.tools) & self.held_tools:
            return "tool"
        return "seen"

    def eligible(self, split: str) -> list[tuple[TaskType, tuple[tuple[str, str], ...]]]:
        group, kind = _SPLIT_RULES[split]
        out = []
        for type_id in sorted(self.types):
            tt = self.types[type_id]
            if group is not None and tt.group != group:
                continue
            tk = self.kind_of(tt)
            tpl = self.templates[type_id]
            train_t = tuple((f"{type_id}#t{i}", s) for i, s in enumerate(tpl.train))
            held_t = tuple((f"{type_id}#h{i}", s) for i, s in enumerate(tpl.heldout))
            if kind in ("seen", "inst") and tk != "seen":
                continue
            if kind in ("tool", "cat") and tk != kind:
                continue
            chosen = {"seen": train_t, "inst": held_t}.get(kind, train_t + held_t)
            out.append((tt, chosen))
        return out

    def api_list(
        self, rng: StableRng, split: str, relevant: Sequence[str], tools: Sequence[str]
    ) -> tuple[str, ...]:
        kind = _SPLIT_RULES[split][1]
        n_dis = max(self.cfg.min_distractors, self.cfg.api_list_size - len(relevant))
        rel = set(relevant)
        allowed = None if kind in ("tool", "cat") else set(self.seen_apis)
        cats = {self.tool_category[t] for t in tools}
        tiers = [
            [a.function_name for t in tools for a in self.catalogue.by_tool[t].apis],
            [
                a.function_name
                for c in sorted(cats)
                for tool in self.catalogue.tools_in(c)
                for a in tool.apis
            ],
            list(self.seen_apis),
        ]
        chosen: list[str] = []
        for tier in tiers:
            pool = [
                f
                for f in tier
                if f not in rel and f not in chosen and (allowed is None or f in allowed)
            ]
            need = n_dis - len(chosen)
            if need <= 0:
                break
            chosen += rng.sample(pool, min(need, len(pool)))
        out = list(relevant) + chosen
        rng.shuffle(out)
        return tuple(out)

    def make_task(
        self,
        rng: StableRng,
        split: str,
        index: int,
        tt: TaskType,
        template_id: str,
        template: str,
        draft: TaskDraft,
    ) -> Task:
        fields = _template_fields(template)
        if fields != set(draft.slots):
            raise CatalogueError(
                f"template {template_id!r} uses slots {sorted(fields)} but the generator of "
                f"{tt.type_id!r} returns {sorted(draft.slots)}"
            )
        relevant_keys: list[tuple[str, str]] = []
        for g in draft.gold:
            if g.tool not in tt.tools:
                raise CatalogueError(f"{tt.type_id}: gold call on {g.tool!r} not in tools=")
            if (g.tool, g.api) not in relevant_keys:
                relevant_keys.append((g.tool, g.api))
        relevant = [self.catalogue.api(*k).function_name for k in relevant_keys]
        answer = draft.answer or "; ".join(
            str(f.value) for f in draft.facts if isinstance(f, AnswerFact)
        )
        return Task(
            task_id=f"{split}-{index:05d}",
            split=split,
            group=tt.group,
            task_type=tt.type_id,
            template_id=template_id,
            query=template.format_map(draft.slots),
            api_list=self.api_list(rng, split, relevant, tt.tools),
            relevant_apis=tuple(relevant_keys),
            gold=draft.gold,
            facts=draft.facts,
            reference_answer=answer,
            signature=(tt.type_id, draft.signature()),
        )

    def generate(self, split: str, size: int) -> tuple[Task, ...]:
        rng = StableRng(derive_seed(self.cfg.seed, "split", split))
        pool = self.eligible(split)
        if not pool:
            raise CatalogueError(f"no task type is eligible for split {split!r}")
        failures = {tt.type_id: 0 for tt, _ in pool}
        tasks: list[Task] = []
        order = list(range(len(pool)))
        rng.shuffle(order)
        cursor = 0
        while len(tasks) < size:
            live = [i for i in order if failures[pool[i][0].type_id] < _MAX_FAILURES]
            if not live:
                raise TaskError(
                    f"split {split!r}: only {len(tasks)} distinct tasks could be "
                    f"generated, {size} requested"
                )
            tt, templates = pool[live[cursor % len(live)]]
            cursor += 1
            draft = tt.generate(rng.child(tt.type_id), self.world)
            if draft is None or (tt.type_id, draft.signature()) in self.taken:
                failures[tt.type_id] += 1
                continue
            failures[tt.type_id] = 0
            template_id, template = rng.choice(templates)
            task = self.make_task(rng, split, len(tasks), tt, template_id, template, draft)
            self.taken.add(task.signature)
            tasks.append(task)
        return tuple(tasks)


def _check_consistency(
    catalogue: Catalogue,
    table: Mapping[tuple[str, str], ApiFn],
    types: Mapping[str, TaskType],
    templates: Mapping[str, Templates],
) -> None:
    declared = set(catalogue.by_key)
    implemented = set(table)
    if declared - implemented:
        raise CatalogueError(f"APIs without implementation: {sorted(declared - implemented)}")
    if implemented - declared:
        raise CatalogueError(
            f"implementations without catalogue entry: {sorted(implemented - declared)}"
        )
    for tid, tt in types.items():
        missing = [t for t in tt.tools if t not in catalogue.by_tool]
        if missing:
            raise CatalogueError(f"task type {tid!r} uses unknown tools {missing}")
    if set(types) - set(templates):
        raise CatalogueError(f"task types without templates: {sorted(set(types) - set(templates))}")
    if set(templates) - set(types):
        raise CatalogueError(
            f"templates of unknown task types: {sorted(set(templates) - set(types))}"
        )


def _digest(obj: Any) -> str:
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def generate_suite(folder: Path) -> Suite:
    """Generate a suite from its content folder (``suite.toml``, ``tools/``, ``templates/``)."""
    cfg = SuiteConfig.load(folder / "suite.toml")
    catalogue = Catalogue.load_dir(folder / "tools")
    table = api_table()
    types = task_types()
    templates = load_templates(folder / "templates")
    _check_consistency(catalogue, table, types, templates)
    world = build_world(cfg.seed)
    gen = _Generator(cfg, catalogue, world, types, templates)
    splits: dict[str, tuple[Task, ...]] = {}
    for name in _GENERATION_ORDER:
        if name in cfg.split_sizes:
            splits[name] = gen.generate(name, cfg.split_sizes[name])
    ordered = {name: splits[name] for name in SPLITS if name in splits}
    by_id = {t.task_id: t for tasks in ordered.values() for t in tasks}
    suite_hash = _digest(
        {
            "config": (folder / "suite.toml").read_text(encoding="utf-8"),
            "catalogue": catalogue.content_hash(),
            "tasks": {name: [t.to_dict() for t in tasks] for name, tasks in ordered.items()},
        }
    )
    return Suite(cfg, catalogue, world, table, ordered, suite_hash, by_id)


@cache
def load_suite(name: str = "toolbench") -> Suite:
    """The named suite, generated once per process.

    The suite is immutable and lives as long as the process, so it is moved out of the
    cyclic garbage collector's reach (``gc.freeze``): otherwise every full collection walks
    its ~10^6 objects and a step that happens to trigger one takes milliseconds.
    """
    suite = generate_suite(suite_dir(name))
    gc.collect()
    gc.freeze()
    return suite
