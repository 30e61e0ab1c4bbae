"""Declared settings: every setting exists once, with its type, default, range and description.

A stage (and the ``text`` preparation group) declares its settings as a frozen
dataclass deriving from :class:`StageSettings`, each field made with
:func:`setting`::

    @dataclass(frozen=True)
    class Settings(StageSettings):
        n_boot: int = setting(200, "Bootstrap replicates (0: no intervals).", ge=0)
        ci_method: str = setting("normal", "Interval method.", choices=("normal", "percentile"))

Values from ``--set STAGE.KEY=VALUE``, notebooks and Python all go through
:meth:`StageSettings.from_mapping`, which coerces and validates them in one place:
an unknown key or a bad value raises :class:`analysis.errors.UsageError` naming the
stage, the key, the valid keys and the closest match. The design follows
scikit-learn's declared ``_parameter_constraints`` (``sklearn.utils._param_validation``).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import yaml

from analysis.errors import UsageError, closest

__all__ = ["StageSettings", "SettingSpec", "Constraint", "ordered", "setting", "parse_assignments", "coerce_value"]

class _NoAlt:
    def __repr__(self):
        return "<derived>"


_MISSING = _NoAlt()  # "no alt= declared"


def setting(default: Any, help: str, *, choices: tuple | None = None, ge: float | None = None,
            gt: float | None = None, le: float | None = None, lt: float | None = None,
            sep: str = ";", alt: Any = _MISSING) -> Any:
    """Declare one setting: a dataclass field whose metadata holds its rules.

    Parameters
    ----------
    default : the default value (lists are stored as tuples so settings stay hashable).
    help : one line for ``r2p settings`` and the README.
    choices : allowed values (for strings; numbers use the bounds).
    ge, gt, le, lt : numeric bounds.
    sep : separator when a list setting is given as one string (``"a; b"``).
    alt : a second valid value, used by the test that changes every setting
        (derived from the type and rules when not given).
    """
    if isinstance(default, list):
        default = tuple(default)
    meta = {"help": help, "choices": tuple(choices) if choices is not None else None,
            "ge": ge, "gt": gt, "le": le, "lt": lt, "sep": sep, "alt": alt}
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class SettingSpec:
    """What a declaration says about one setting (for validation, ``r2p settings`` and tests)."""

    group: str
    name: str
    type: Any
    default: Any
    help: str
    choices: tuple | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    sep: str = ";"
    alt: Any = _MISSING
    #: the texts of the group's cross-setting constraints that name this setting
    relations: tuple[str, ...] = ()

    @property
    def type_name(self) -> str:
        return _type_name(self.type)

    @property
    def rule(self) -> str:
        """The allowed values in words (``one of a, b``, ``>= 0``...)."""
        parts = []
        if self.choices:
            parts.append("one of " + ", ".join(map(str, self.choices)))
        for op, v in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            bound = getattr(self, op)
            if bound is not None:
                parts.append(f"{v} {bound:g}")
        parts.extend(self.relations)
        return "; ".join(parts)

    def forms(self) -> str:
        """Every form a value may take, in words (``a whole number >= 1, or auto``), for error messages."""
        base, optional = _unwrap_optional(self.type)
        members = base.members if isinstance(base, _Union) else (base,)
        if typing.get_origin(base) is tuple:
            members = tuple(a for a in typing.get_args(base) if a is not Ellipsis)
        bounds = [f"{v} {getattr(self, op):g}" for op, v in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))
                  if getattr(self, op) is not None]
        out = []
        for m in members:
            if m in (int, float):
                out.append(("a whole number" if m is int else "a number") + (" " + " and ".join(bounds)
                                                                             if bounds else ""))
            elif m is bool:
                out.append("true or false")
            elif m is str:
                out.append(", ".join(map(str, self.choices)) if self.choices else "a string")
        if optional:
            out.append("none")
        return ", or ".join(out)

    def alternative(self) -> Any:
        """A valid value different from the default (declared ``alt`` or derived)."""
        if self.alt is not _MISSING:
            return self.alt
        base, optional = _unwrap_optional(self.type)
        d = self.default
        if self.choices:
            others = [c for c in self.choices if c != d]
            if others:
                return others[0]
        if base is bool:
            return not d
        if base is int or (isinstance(base, _Union) and int in base.members):
            v = (d if isinstance(d, int) and not isinstance(d, bool) else 0) + 1
            if self.le is not None and v > self.le:
                v = int(self.le) - 1
            if self.lt is not None and v >= self.lt:
                v = int(math.ceil(self.lt)) - 2
            return v
        if base is float:
            v = float(d) * 0.9 if d else 0.5
            for op in ("ge", "gt"):
                bound = getattr(self, op)
                if bound is not None and v <= bound:
                    v = float(d) * 1.1 if d else bound + 0.5
            return v
        raise NotImplementedError(f"{self.group}.{self.name}: declare alt= for the settings test")


@dataclasses.dataclass(frozen=True)
class Constraint:
    """A rule that ties settings of one group together (a range that depends on another setting).

    scikit-learn declares each parameter's constraints beside it
    (``_parameter_constraints``, ``sklearn.utils._param_validation.Interval``); a rule
    across parameters is declared here, once, on the settings class
    (``constraints = (ordered("k_min", "k_max", ...),)``), so that it is checked
    wherever settings are made (``--set``, notebooks, Python), and its ``text``
    shows in ``r2p settings`` (the *allowed* column of each key it names) and in
    the docs generated from the declarations.

    Parameters
    ----------
    keys : the settings it ties.
    text : the rule in words (``k_min <= k_max``).
    problem : ``settings -> str | None``: what is wrong with these values, or None.
    """

    keys: tuple[str, ...]
    text: str
    problem: Callable[[Any], str | None]


def ordered(lo: str, hi: str, *, auto: str = "auto", auto_lo: float | None = None, auto_hi: float | None = None,
            why: str = "") -> Constraint:
    """The constraint ``lo <= hi`` between two numeric settings that may also be ``auto``.

    ``auto_lo`` / ``auto_hi`` say what an ``auto`` value counts as in the comparison
    (the value ``auto`` may come to, the worst case); ``None`` skips the check when
    that setting is ``auto``.
    """
    def eff(v, stand_in):
        return stand_in if v == auto else v

    def problem(s):
        a, b = eff(getattr(s, lo), auto_lo), eff(getattr(s, hi), auto_hi)
        if a is None or b is None or isinstance(a, str) or isinstance(b, str) or a <= b:
            return None
        def show(key, stand_in):
            v = getattr(s, key)
            return f"{s.group}.{key}={v!r}" + (f" (counts as {stand_in:g})" if v == auto else "")

        return (f"{show(lo, auto_lo)} and {show(hi, auto_hi)}: need {lo} <= {hi}"
                + (f"; {why}" if why else ""))

    stand = [f"{k}={auto} counts as {v:g}" for k, v in ((lo, auto_lo), (hi, auto_hi)) if v is not None]
    text = f"{lo} <= {hi}" + (f" ({', '.join(stand)})" if stand else "")
    return Constraint((lo, hi), text, problem)


class StageSettings:
    """Base of every settings dataclass (a stage's, or the ``text`` group's).

    Subclasses are frozen dataclasses whose fields come from :func:`setting`.
    """

    #: the ``--set`` prefix of this group (``compare``, ``text``...); set by subclasses
    group: ClassVar[str] = ""
    #: old keys still accepted: ``{old: (new or None, note)}``; a note is logged
    deprecated: ClassVar[dict[str, tuple[str | None, str]]] = {}
    #: rules across settings (:class:`Constraint`), checked whenever settings are made
    constraints: ClassVar[tuple[Constraint, ...]] = ()

    def __post_init__(self):
        self.check_constraints()

    def check_constraints(self) -> None:
        """Raise UsageError naming the settings, their values and the rule of the first broken constraint."""
        for c in type(self).constraints:
            msg = c.problem(self)
            if msg:
                raise UsageError(msg + f" (see `r2p settings {self.group}`)")

    @classmethod
    def specs(cls) -> list[SettingSpec]:
        hints = typing.get_type_hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            m = f.metadata
            out.append(SettingSpec(cls.group, f.name, hints[f.name], f.default, m.get("help", ""),
                                   m.get("choices"), m.get("ge"), m.get("gt"), m.get("le"), m.get("lt"),
                                   m.get("sep", ";"), m.get("alt", _MISSING),
                                   tuple(c.text for c in cls.constraints if f.name in c.keys)))
        return out

    @classmethod
    def spec(cls, name: str) -> SettingSpec:
        for s in cls.specs():
            if s.name == name:
                return s
        raise cls._unknown(name)

    @classmethod
    def _unknown(cls, key: str) -> UsageError:
        names = [s.name for s in cls.specs()]
        hint = closest(key, names)
        return UsageError(
            f"unknown setting {cls.group}.{key}"
            + (f" (did you mean {hint}?)" if hint else "")
            + f"; the settings of {cls.group!r} are: {', '.join(names)} (see `r2p settings {cls.group}`)")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None = None, notes: list[str] | None = None):
        """Coerce and validate ``values`` (unknown keys and bad values raise UsageError)."""
        values = dict(values or {})
        kwargs = {}
        specs = {s.name: s for s in cls.specs()}
        for key, value in values.items():
            if key in cls.deprecated and key not in specs:
                new, note = cls.deprecated[key]
                if notes is not None:
                    notes.append(f"{cls.group}.{key} is deprecated: {note}")
                if new is None:
                    continue
                key = new
            if key not in specs:
                raise cls._unknown(key)
            kwargs[key] = coerce_value(specs[key], value)
        obj = cls(**kwargs)
        obj.check_constraints()  # also when a subclass's own __post_init__ does not call ours
        return obj

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (tuples as lists)."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def changed(self) -> dict[str, Any]:
        """The settings that differ from their defaults."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)
                if getattr(self, f.name) != f.default}

    def replace(self, **kw):
        return self.from_mapping({**self.to_dict(), **kw})


def _jsonable(v):
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v


def _unwrap_optional(tp):
    """``X | None`` -> (X, True)."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = len(args) < len(typing.get_args(tp))
        if len(args) == 1:
            return args[0], optional
        return _Union(tuple(args)), optional
    return tp, False


class _Union:
    def __init__(self, members):
        self.members = members


def _type_name(tp) -> str:
    base, optional = _unwrap_optional(tp)
    if isinstance(base, _Union):
        name = " | ".join(_type_name(m) for m in base.members)
    elif typing.get_origin(base) is tuple:
        name = f"list of {_type_name(typing.get_args(base)[0])}"
    else:
        name = getattr(base, "__name__", str(base))
    return name + (" or none" if optional else "")


_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


def _bad(spec: SettingSpec, value, expected: str) -> UsageError:
    return UsageError(f"{spec.group}.{spec.name}={value!r}: expected {expected}"
                      + (f" ({spec.rule})" if spec.rule else "") + f" — {spec.help}")


def _coerce_scalar(spec: SettingSpec, tp, value):
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _bad(spec, value, "true or false")
    if tp is int:
        if isinstance(value, bool):
            raise _bad(spec, value, "a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise _bad(spec, value, "a whole number")
    if tp is float:
        if isinstance(value, bool):
            raise _bad(spec, value, "a number")
        if isinstance(value, (int, float)):
            v = float(value)
        elif isinstance(value, str):
            try:
                v = float(value.strip())
            except ValueError:
                raise _bad(spec, value, "a number") from None
        else:
            raise _bad(spec, value, "a number")
        if not math.isfinite(v):
            raise _bad(spec, value, "a finite number")
        return v
    if tp is str:
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise _bad(spec, value, "a string")
    raise TypeError(f"{spec.group}.{spec.name}: unsupported declared type {tp!r}")


def _check_rules(spec: SettingSpec, v):
    if spec.choices is not None and isinstance(v, str) and v not in spec.choices:
        hint = closest(v, map(str, spec.choices))
        raise UsageError(f"{spec.group}.{spec.name}={v!r}: choose one of {', '.join(map(str, spec.choices))}"
                         + (f" (did you mean {hint}?)" if hint else ""))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        for op, ok in (("ge", lambda b: v >= b), ("gt", lambda b: v > b), ("le", lambda b: v <= b),
                       ("lt", lambda b: v < b)):
            bound = getattr(spec, op)
            if bound is not None and not ok(bound):
                raise UsageError(f"{spec.group}.{spec.name}={v!r} is out of range: allowed {spec.forms()}"
                                 f" — {spec.help}")
    return v


def coerce_value(spec: SettingSpec, value):
    """Coerce one value to the declared type and check its rules."""
    base, optional = _unwrap_optional(spec.type)
    if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null", "~")
                         and optional):
        if optional:
            return None
        raise _bad(spec, value, f"a value of type {spec.type_name}")
    if typing.get_origin(base) is tuple:
        (item,) = [a for a in typing.get_args(base) if a is not Ellipsis]
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(spec.sep)] if value.strip() else []
            parts = [p for p in parts if p]
        elif isinstance(value, (list, tuple)):
            parts = list(value)
        else:
            parts = [value]
        item_spec = dataclasses.replace(spec, type=item)
        return tuple(_check_rules(spec, _coerce_scalar(item_spec, item, p)) for p in parts)
    if isinstance(base, _Union):
        for member in base.members:
            try:
                return _check_rules(spec, _coerce_scalar(spec, member, value))
            except UsageError:
                pass
        # name every accepted form (``a whole number >= 1, or auto``), not only the last one tried
        raise UsageError(f"{spec.group}.{spec.name}={value!r}: expected {spec.forms()} — {spec.help}")
    return _check_rules(spec, _coerce_scalar(spec, base, value))


def parse_assignments(items: list[str] | None) -> dict[str, dict[str, Any]]:
    """``["topics.k=8", "compare.min_df=2"]`` -> ``{"topics": {"k": 8}, "compare": {"min_df": 2}}``.

    Values are read as YAML (numbers, booleans, ``[a, b]`` lists); the declared
    types then coerce them. A malformed item raises UsageError.
    """
    out: dict[str, dict[str, Any]] = {}
    for item in items or []:
        key, eq, value = str(item).partition("=")
        if not eq or "." not in key:
            raise UsageError(f"--set expects STAGE.KEY=VALUE (e.g. topics.k=8), got {item!r}")
        group, name = (s.strip() for s in key.split(".", 1))
        try:
            parsed = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            parsed = value
        if isinstance(parsed, (dict, set)):
            parsed = value
        out.setdefault(group, {})[name] = parsed
    return out
