"""Each message request checked against LINE's schema with line-bot-sdk's own request models
(generated from LINE's OpenAPI files): a body their `from_dict` refuses, the emulator refuses too.

How the SDK parses (3.x, pydantic v1 models): `from_dict` takes each property it knows by its
JSON name; a polymorphic type (Message, Action, FlexContainer, FlexComponent, Template, …)
dispatches on `type` through its own map, so an unknown `type` raises ValueError, a missing one
KeyError, a string where an object belongs TypeError; a missing or mistyped property is pydantic's
ValidationError. What it lets through is a property it does not know: dropped without a word.
LINE ignores it as well, but in our code it is a misspelt name whose setting never takes effect,
so here it is refused (stricter than LINE, on purpose).

The verdict is the SDK's. `_explain` walks the body beside the models' fields only to name the
property at fault, in the emulator's paths (`messages[0].contents.body.layout`).
"""

from __future__ import annotations

from typing import Any

from linebot.v3.messaging import MulticastRequest, PushMessageRequest, ReplyMessageRequest, models
from pydantic.v1 import BaseModel, ValidationError
from pydantic.v1.fields import SHAPE_LIST, SHAPE_SINGLETON

REQUEST_MODELS: dict[str, type[BaseModel]] = {
    "/v2/bot/message/reply": ReplyMessageRequest,
    "/v2/bot/message/push": PushMessageRequest,
    "/v2/bot/message/multicast": MulticastRequest,
}
_REFUSALS = (ValidationError, KeyError, TypeError, ValueError, AttributeError)


def request_errors(path: str, body: Any) -> list[dict[str, str]]:
    """What LINE's schema refuses in the body of a request to `path`, as `details` entries."""
    model = REQUEST_MODELS[path]
    try:
        model.from_dict(body)
        refused: Exception | None = None
    except _REFUSALS as exc:
        refused = exc
    details = _explain(body, model, "", validate=refused is not None)
    if refused is not None and not details:  # refused, and the walk could not say where
        details = [_detail(f"{type(refused).__name__}: {refused}"[:300], "")]
    return details


def _explain(node: Any, cls: type[BaseModel], path: str, *, validate: bool) -> list[dict[str, str]]:
    if not isinstance(node, dict):
        return [_detail("must be an object", path)]
    concrete = _dispatch(cls, node)
    if isinstance(concrete, str):
        return [_detail(concrete, _join(path, "type"))]
    fields = {field.alias: field for field in concrete.__fields__.values()}
    own = [_detail("is not a property of this object", _join(path, key)) for key in node if key not in fields]
    deeper: list[dict[str, str]] = []
    for key, field in fields.items():
        value = node.get(key)
        if value is None or not (isinstance(field.type_, type) and issubclass(field.type_, BaseModel)):
            continue
        if field.shape == SHAPE_LIST:
            if not isinstance(value, list):
                deeper.append(_detail("must be an array", _join(path, key)))
                continue
            for i, item in enumerate(value):
                deeper += _explain(item, field.type_, f"{_join(path, key)}[{i}]", validate=validate)
        elif field.shape == SHAPE_SINGLETON:
            deeper += _explain(value, field.type_, _join(path, key), validate=validate)
    if validate and not deeper:  # what is wrong is here, not further in
        try:
            concrete.from_dict(node)
        except ValidationError as exc:
            own += [_detail(_message(error), _join(path, *error["loc"])) for error in exc.errors()]
        except _REFUSALS as exc:
            own.append(_detail(f"{type(exc).__name__}: {exc}"[:300], path))
    return own + deeper


def _dispatch(cls: type[BaseModel], node: dict[str, Any]) -> type[BaseModel] | str:
    """The concrete model for `node` where `cls` dispatches on `type`, as the SDK does; a
    string says why there is none."""
    mapping = getattr(cls, f"_{cls.__name__}__discriminator_value_class_map", None)
    if mapping is None:
        return cls
    kind = node.get("type")
    if kind is None:
        return "must be specified"
    if kind not in mapping:
        return f"must be one of: {', '.join(sorted(mapping))}"
    return getattr(models, mapping[kind])


def _message(error: dict[str, Any]) -> str:
    if error["type"] in ("type_error.none.not_allowed", "value_error.missing"):
        return "must be specified"
    return error["msg"]


def _join(path: str, *keys: str | int) -> str:
    for key in keys:
        path = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
    return path


def _detail(message: str, prop: str) -> dict[str, str]:
    return {"message": message, "property": prop}
