"""Pydantic validation errors as problems an editor can act on.

Each error becomes one ``path:line:column: message`` at the YAML node it concerns
(the key for an unknown field, the mapping for a missing one), in words: "expected
text, got the number 42", "'no' is read by YAML as the boolean false".
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Problem
from .similar import closest
from .yamlsource import YAML11_BOOLEANS, ParsedFile, locate, scalar_source

__all__ = ["validation_problems"]


_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "date_type": "a date written YYYY-MM-DD",
    "date_from_datetime_inexact": "a date without a time",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}" if len(value) < 40 else "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _dotted(loc: tuple) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _model_for(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model class that owns the last step of ``loc`` (for did-you-mean)."""
    current: Any = model
    for step in loc[:-1]:
        if isinstance(step, int) or current is None:
            continue
        info = current.model_fields.get(step)
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return current


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside a field's type: ``Facts``, ``Facts | None``, ``list[Source]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def validation_problems(
    exc: ValidationError, parsed: ParsedFile, path: str, model: type[BaseModel], prefix: tuple
) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        full = prefix + loc
        kind = err["type"]
        name = _dotted(full) or "file"
        if kind == "missing":
            line, col = locate(parsed.root, full[:-1])
            where = f" in {_dotted(full[:-1])}" if full[:-1] else ""
            message = f"missing required field {full[-1]!r}{where}"
            code = "missing-field"
        elif kind == "extra_forbidden":
            line, col = locate(parsed.root, full, at_key=True)
            owner = _model_for(model, loc)
            known = list(owner.model_fields) if owner else []
            close = closest(str(loc[-1]), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            allowed = f" (allowed: {', '.join(known)})" if known and not close else ""
            message = f"unknown field {name!r}{hint}{allowed}"
            code = "unknown-field"
        else:
            line, col = locate(parsed.root, full)
            value = err.get("input")
            node = scalar_source(parsed.root, full)
            code = "wrong-type"
            if (
                kind == "string_type"
                and isinstance(value, bool)
                and node is not None
                and not node.style  # plain, unquoted
                and node.value in YAML11_BOOLEANS
            ):
                message = (
                    f"{name}: {node.value!r} is read by YAML as the boolean "
                    f"{str(value).lower()}; put it in quotes if you mean the text"
                )
                code = "yaml-boolean"
            elif kind in _EXPECTED:
                message = f"{name}: expected {_EXPECTED[kind]}, got {_describe(value)}"
            elif kind == "literal_error":
                expected = err.get("ctx", {}).get("expected", "")
                message = f"{name}: unknown value {value!r}; expected one of {expected}"
                code = "unknown-value"
            elif kind == "value_error":
                message = f"{name}: {err['ctx']['error']}"
                code = "invalid-value"
                if "slug" in str(err["ctx"]["error"]) or "'vs'" in str(err["ctx"]["error"]):
                    code = "bad-slug"
            elif kind == "string_too_short":
                message = f"{name}: text is empty"
                code = "invalid-value"
            elif kind == "string_pattern_mismatch":
                message = f"{name}: text must be one paragraph (it contains a blank line)"
                code = "invalid-value"
            elif kind == "too_short":
                minimum = err.get("ctx", {}).get("min_length", 1)
                message = f"{name}: must list at least {minimum} item{'s' if minimum > 1 else ''}"
                code = "empty-list"
            elif kind in ("greater_than", "less_than_equal") and full[-1] == "weight":
                message = f"{name}: must be greater than 0 and at most 1, got {value}"
                code = "out-of-range"
            elif kind in ("greater_than_equal", "less_than_equal"):
                ctx = err.get("ctx", {})
                bound = f"at least {ctx['ge']}" if "ge" in ctx else f"at most {ctx['le']}"
                message = f"{name}: must be {bound}, got {value}"
                code = "out-of-range"
            else:
                message = f"{name}: {err['msg']}"
        problems.append(Problem(path, line, col, message, code=code))
    return problems
