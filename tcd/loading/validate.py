"""Turning pydantic's errors into one clear line each, pointing at the file and line."""

import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tcd.loading.problems import Problem
from tcd.loading.yamlfile import SourceFile

M = TypeVar("M", bound=BaseModel)


def validate(source: SourceFile, model: type[M]) -> tuple[M | None, list[Problem]]:
    try:
        return model.model_validate(source.data), []
    except ValidationError as exc:
        return None, [
            source.problem(err["loc"], _reason(err, model), missing_key=err["type"] == "missing")
            for err in exc.errors()
        ]


def _reason(err: Any, model: type[BaseModel]) -> str:
    kind, got = err["type"], err.get("input")
    if kind == "missing":
        return "required field missing"
    if kind == "extra_forbidden":
        key = err["loc"][-1]
        close = difflib.get_close_matches(str(key), _field_names(model, err["loc"][:-1]), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key {key!r}{hint}"
    message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in {"value_error", "assertion_error"} or isinstance(got, dict | list):
        return message
    return f"{message} (got {got!r})"


def _field_names(model: type[BaseModel], loc: Any) -> list[str]:
    """Field names of the model found at `loc`, to suggest the key a typo meant."""
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if fields is None or not isinstance(part, str) or part not in fields:
            continue
        current = inner_model(fields[part].annotation)
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def inner_model(annotation: Any) -> Any:
    """The BaseModel inside list[X], X | None, Annotated[...]; the annotation itself otherwise."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = inner_model(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation
