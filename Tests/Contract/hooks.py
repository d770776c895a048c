"""Schemathesis hooks for the Portti contract run. schemathesis.toml names this module (`hooks = "hooks"`).

before_call keeps generated requests meaningful where a JSON Schema cannot say what the portal needs;
problem_conformance is an extra check that every error answer is one the contract lists.
"""
import hashlib
import json
import pathlib
import re
from collections.abc import MutableMapping

import schemathesis
import yaml

CONTRACT = pathlib.Path(__file__).resolve().parents[2] / "Sources" / "PortalAPI" / "openapi.yaml"
MESSAGE_PATHS = ("/applications/{applicationId}/messages", "/requests/{requestId}/response", "/messages",
                 "/messages/{messageId}/reply")
TOPICS = ("address_change", "residence_card", "appointment", "other")


def _positive(case) -> bool:
    meta = case.meta
    return meta is None or meta.generation.mode.is_positive


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers  # a requests CaseInsensitiveDict
    # 1. Idempotency-Key: Hypothesis draws tiny keys ("0", "a") again and again, so two different bodies share a
    #    key and the portal rightly answers 422 idempotency_key_reused. A key the contract calls valid gets a
    #    suffix derived from the request: identical requests still share a key (a true repeat), different ones
    #    never do, and the drawn characters are still sent. Missing, empty, blank or over-long keys stay as drawn.
    if isinstance(headers, MutableMapping):
        key = headers.get("Idempotency-Key")
        if isinstance(key, str) and key.strip() and len(key) <= 200:
            try:
                body = json.dumps(case.body, sort_keys=True, default=repr)
            except Exception:
                body = repr(case.body)
            request = f"{case.method} {case.formatted_path} {case.query} {body}"
            digest = hashlib.sha256(request.encode("utf-8", "surrogatepass")).hexdigest()[:40]
            headers["Idempotency-Key"] = f"{key[:150]}.{digest}"
    # 2. uploadAttachment takes PDF/JPEG/PNG by content only (415 otherwise), which a JSON Schema cannot say:
    #    positive bodies (drawn as str, sent UTF-8) get a PDF header in front so they reach storage. The portal
    #    reads 8 bytes to decide and refuses anything shorter, so the header is 9 bytes, not just "%PDF-".
    if case.method.upper() == "POST" and case.path == "/attachments" and _positive(case):
        if isinstance(case.body, str) and not case.body.startswith("%PDF-1.7\n"):
            case.body = "%PDF-1.7\n" + case.body
    # 3. A message may be blank only when it carries a file ("write a message or attach a file"): a rule across
    #    two fields that the contract states in words (an `anyOf` the Swift generator cannot type). Positive
    #    cases that break it get a word, so they test the rest of the operation.
    if case.method.upper() == "POST" and case.path in MESSAGE_PATHS and _positive(case):
        body = case.body
        for field in ("message", "text"):
            if isinstance(body, dict) and isinstance(body.get(field), str) and not body[field].strip():
                if not body.get("attachmentIds"):
                    body[field] = "x" + body[field][1:]
        # sendMessage: a topic is a code from the portal's own list (listMessageTopics), which the contract states
        #    in words. (Exactly one of applicationId and topic the contract says itself, with oneOf.)
        if case.path == "/messages" and isinstance(body, dict) and "topic" in body and body["topic"] not in TOPICS:
            body["topic"] = "other"
    # 4. streamNotifications: a drawn Last-Event-ID (e.g. 21627) is far above the portal's sequences, so the stream
    #    sends only its `open` event and no event is ever validated. A positive numeric id becomes 0: the stream
    #    then replays the demo notifications (sequences 1-4) and they are validated on every run.
    if case.method.upper() == "GET" and case.path == "/notifications/stream" and _positive(case):
        if isinstance(headers, MutableMapping):
            value = headers.get("Last-Event-ID")
            if isinstance(value, str) and value.strip().isdigit():
                headers["Last-Event-ID"] = "0"


def _codes_by_status() -> dict[int, set[str]]:
    """The status -> codes table in components.schemas.Problem.properties.code.description."""
    doc = yaml.safe_load(CONTRACT.read_text())
    text = doc["components"]["schemas"]["Problem"]["properties"]["code"]["description"]
    table: dict[int, set[str]] = {}
    for status, codes in re.findall(r"\b([1-5]\d\d) ([a-z_]+(?:, [a-z_]+)*)", text):
        table.setdefault(int(status), set()).update(code.strip() for code in codes.split(","))
    return table


CODES_BY_STATUS = _codes_by_status()


@schemathesis.check
def problem_conformance(ctx, response, case):
    """Every error is a Problem whose code the contract lists for its status; 401 has WWW-Authenticate: Bearer,
    405 has Allow. `default` responses make status_code_conformance accept any status; this check does not."""
    status = response.status_code
    if status < 400:
        return None
    try:
        body = response.json()
    except Exception:
        raise AssertionError(f"{status} answer is not a JSON Problem: {response.text[:200]!r}")
    code = body.get("code") if isinstance(body, dict) else None
    allowed = CODES_BY_STATUS.get(status)
    if allowed is None:
        raise AssertionError(f"status {status} is not in the contract's Problem code table (code {code!r})")
    if code not in allowed:
        raise AssertionError(f"code {code!r} is not listed for {status}; the contract lists {sorted(allowed)}")
    if status == 401:
        value = (response.headers.get("www-authenticate") or [""])[0]
        if not value.lower().startswith("bearer"):
            raise AssertionError(f"401 without `WWW-Authenticate: Bearer` (got {value!r})")
    if status == 405 and not response.headers.get("allow"):
        raise AssertionError("405 without an `Allow` header")
    return None
