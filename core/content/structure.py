"""Content models from data as `tomllib` reads it, every problem reported at its field path."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar, cast, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, override

from core.content.models import FieldError

T = TypeVar("T")
Hook = Callable[[Any, Any], Any]
Loc = tuple[str | int, ...]
# Values short and plain enough to quote back in a message.
_SHOWN = (str, int, float, bool, datetime.date)


@attrs.frozen
class Problem:
    """One thing wrong, at `loc`: the keys and positions leading to the field."""

    loc: Loc
    message: str

    @property
    def where(self) -> str:
        """The field path as an editor reads it: sections[0].points[1].title."""
        out = ""
        for part in self.loc:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or "(top level)"


class InvalidContent(ValueError):
    """Data that does not make the content asked for; `problems` lists every one found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{p.where}: {p.message}" for p in self.problems))


def structure(data: object, cls: type[T]) -> T:
    """`data` as a `cls` (Article, Channel, ...), or InvalidContent naming every problem."""
    try:
        return _converter.structure(data, cls)
    except (BaseValidationError, ValueError) as exc:
        raise InvalidContent(_problems(exc, ())) from exc


def unstructure(value: object) -> dict[str, Any]:
    """A model as plain data (tables as dicts, tuples as lists) that `structure` reads back."""
    return cast("dict[str, Any]", _converter.unstructure(value))


# --- structuring ------------------------------------------------------------------------------


def _string(value: object, _: object) -> str:
    # Stripped before the length checks run, so they count the text a reader sees.
    if not isinstance(value, str):
        raise FieldError("should be a string", value)
    return value.strip()


def _boolean(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        raise FieldError("should be true or false", value)
    return value


def _date(value: object, _: object) -> datetime.date:
    # TOML's date-times are dates too (a subclass): refused, a time of day means nothing here.
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise FieldError("should be a date such as 2026-11-27, without quotes or a time", value)
    return value


def _is_tuple(type_: Any) -> bool:
    return get_origin(type_) is tuple


def _tuple_hook(type_: Any) -> Hook:
    """A TOML array as a tuple; a string is refused, not taken for a sequence of letters."""
    item_type = get_args(type_)[0]
    item = _converter.get_structure_hook(item_type)

    def structure_tuple(value: object, _: object) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise FieldError("should be a list", value)
        items, errors = [], []
        for i, raw in enumerate(value):
            try:
                items.append(item(raw, item_type))
            except Exception as exc:  # collected: every item's problem is reported
                exc.add_note(IterableValidationNote(f"item {i}", i, item_type))
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {type_!r}", errors, type_)
        return tuple(items)

    return structure_tuple


def _attrs_hook(cls: type[Any]) -> Hook:
    """A TOML table as `cls`: each field's own checks run as it is structured, so a problem in
    one field does not hide those of its siblings, as attrs' first failing validator would."""
    attrs.resolve_types(cls)
    checked = {
        a.name: override(struct_hook=_checked(a))
        for a in attrs.fields(cls)
        if a.init and (a.validator or a.converter)
    }
    # The overrides are keyword arguments named after fields, which mypy cannot tell from the
    # function's own options.
    inner = make_dict_structure_fn(cls, _converter, **checked)  # type: ignore[arg-type]

    def structure_class(value: object, _: object) -> Any:
        if not isinstance(value, dict):
            raise FieldError("should be a table", value)
        try:
            return inner(value, cls)
        except ClassValidationError as exc:
            raise exc.derive(list(_unknown_keys(exc.exceptions, value))) from None

    return structure_class


def _checked(attribute: attrs.Attribute[Any]) -> Hook:
    hook = _converter.get_structure_hook(attribute.type)
    convert = cast("Callable[[Any], Any] | None", attribute.converter)
    validate = attribute.validator

    def structure_field(value: object, type_: Any) -> Any:
        result = hook(value, type_)
        if convert is not None:
            result = convert(result)
        if validate is not None:
            validate(None, attribute, result)
        return result

    return structure_field


def _unknown_keys(errors: Iterable[Exception], value: dict[str, Any]) -> Iterator[Exception]:
    """cattrs' one error for all unknown keys, as one error per key, at the key, in file order."""
    for error in errors:
        if not isinstance(error, ForbiddenExtraKeysError):
            yield error
            continue
        for key in (k for k in value if k in error.extra_fields):
            unknown = FieldError("unknown field, not allowed", value[key])
            unknown.add_note(AttributeValidationNote(f"unknown {key}", key, object))
            yield unknown


# --- problems ---------------------------------------------------------------------------------


def _problems(exc: BaseException, loc: Loc) -> Iterator[Problem]:
    if isinstance(exc, BaseValidationError):
        for sub in exc.exceptions:
            yield from _problems(sub, (*loc, *_step(sub)))
    else:
        yield Problem(loc, _message(exc))


def _step(exc: BaseException) -> Loc:
    """The field name or position cattrs noted on `exc`; none for a check of the whole table."""
    for note in getattr(exc, "__notes__", ()):
        if isinstance(note, AttributeValidationNote):
            return (note.name,)
        if isinstance(note, IterableValidationNote):
            return (note.index,)
    return ()


def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return "is missing"
    if isinstance(exc, FieldError) and isinstance(exc.value, _SHOWN):
        value = exc.value
        shown = value.isoformat() if isinstance(value, datetime.date) else repr(value)
        return f"{exc} (got {shown[:60] + '...' if len(shown) > 60 else shown})"
    if isinstance(exc, ValueError):
        return str(exc)
    return f"cannot be read ({type(exc).__name__}: {exc})"


_converter = Converter(detailed_validation=True, forbid_extra_keys=True)
_converter.register_structure_hook(str, _string)
_converter.register_structure_hook(bool, _boolean)
_converter.register_structure_hook(datetime.date, _date)
_converter.register_structure_hook_factory(_is_tuple, _tuple_hook)
_converter.register_structure_hook_factory(attrs.has, _attrs_hook)
