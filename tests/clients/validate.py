"""Strict validation of Realtime server events against the official Python SDK's types.

Reads JSON lines (one received event each) from the files given as arguments and checks every
event against `openai.types.realtime.RealtimeServerEvent` in pydantic's strict mode, with no
field the type does not declare, at any depth (the SDK's models allow extras; here an extra is
a failure). Product events (`interview.*`, docs/voice.md#product-events) are not GA events and
are skipped. Prints one JSON object: {"validated": n, "skipped": n, "failures": [...]}; exits 1
when anything failed.
"""

import json
import sys

from pydantic import BaseModel, TypeAdapter, ValidationError

from openai.types.realtime import RealtimeServerEvent

ADAPTER = TypeAdapter(RealtimeServerEvent)
PRODUCT_PREFIX = "interview."


def extras(value, path="$"):
    """Every field present in the data that the SDK's types do not declare."""
    found = []
    if isinstance(value, BaseModel):
        for key in (value.__pydantic_extra__ or {}):
            found.append(f"{path}.{key}")
        for name in type(value).model_fields:
            found.extend(extras(getattr(value, name), f"{path}.{name}"))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found.extend(extras(item, f"{path}[{i}]"))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(extras(item, f"{path}.{key}"))
    return found


def check(event):
    """None when `event` is a valid GA server event, else why not."""
    try:
        model = ADAPTER.validate_python(event, strict=True)
    except ValidationError as e:
        return e.errors(include_url=False)[:3]
    unknown = extras(model)
    return f"undeclared fields: {unknown}" if unknown else None


def main(paths):
    validated, skipped, failures = 0, 0, []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                event = json.loads(line)
                if str(event.get("type", "")).startswith(PRODUCT_PREFIX):
                    skipped += 1
                    continue
                validated += 1
                problem = check(event)
                if problem is not None:
                    failures.append({"type": event.get("type"), "problem": str(problem), "event": event})
    print(json.dumps({"validated": validated, "skipped": skipped, "failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
