"""A reply as JSON and back, to store it with the event it answered and replay it verbatim.

The JSON is the one pydantic wrote before the models became attrs classes (an attachment's
bytes as UTF-8 text), so replies stored by an older version still replay.
"""

from __future__ import annotations

import json

from cattrs import Converter

from core.replies.model import Reply

_converter = Converter()
_converter.register_unstructure_hook(bytes, lambda content: content.decode("utf-8"))
_converter.register_structure_hook(bytes, lambda text, _: str(text).encode("utf-8"))


def reply_to_json(reply: Reply) -> str:
    """The reply as compact JSON."""
    return json.dumps(_converter.unstructure(reply), ensure_ascii=False, separators=(",", ":"))


def reply_from_json(text: str | bytes) -> Reply:
    """The reply `reply_to_json` (or an older version's pydantic model) wrote."""
    return _converter.structure(json.loads(text), Reply)
