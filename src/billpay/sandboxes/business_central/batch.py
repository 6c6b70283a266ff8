"""``POST …/api/v2.0/$batch``: the JSON batch format (OData 4.01) Business Central accepts.

Body ``{"requests": [{"id"?, "method", "url", "headers"?, "body"?, "dependsOn"?}]}``, at most 100
operations. Inner URLs may be absolute, relative to ``…/api/v2.0/`` (``companies({id})/vendors``),
relative to a company named by the batch's ``company`` query parameter or the operation's
``Company``/``CompanyId`` header (``purchaseInvoices({id})/purchaseInvoiceLines``), or start with
``$<id>`` to address the entity an earlier operation created. Operations run in order; one whose
``dependsOn`` failed answers 424.

``Isolation: snapshot`` makes the batch one transaction: when any operation fails, every change of
the batch is rolled back, the failing operation keeps its error and the others answer 424.

The answer is ``{"responses": [{"id", "status", "headers", "body"}]}`` with ``"id": null`` for
operations sent without one.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import parse_qsl

from . import errors
from .api import Api, ApiRequest, ApiResponse

MAX_OPERATIONS = 100
_INNER_HEADERS = {"content-type": "application/json; odata.metadata=minimal", "odata-version": "4.0"}


def run(api: Api, batch: ApiRequest) -> tuple[dict, bool]:
    """The batch answer and whether any operation wrote."""
    body = batch.body
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        raise errors.bad_request("The batch request body must be a JSON object with a 'requests' array.")
    operations = body["requests"]
    if len(operations) > MAX_OPERATIONS:
        raise errors.bad_request(f"The batch request contains {len(operations)} operations; the maximum is "
                                 f"{MAX_OPERATIONS}.")
    atomic = batch.headers.get("isolation", "").lower() == "snapshot"
    saved = _snapshot(api) if atomic else None
    company_hint = (dict(batch.params).get("company") or "").split("?")[0]
    responses: list[dict] = []
    status_of: dict[str, int] = {}
    locations: dict[str, str] = {}
    wrote = False
    failed_at: int | None = None
    for index, op in enumerate(operations):
        if not isinstance(op, dict) or not op.get("method") or not op.get("url"):
            raise errors.bad_request(f"Operation {index} of the batch needs a 'method' and a 'url'.")
        op_id = op.get("id")
        depends = op.get("dependsOn") or []
        if any(status_of.get(str(d), 599) >= 400 for d in depends):
            answer = _error_answer(424, errors.BCError(424, "BadRequest", "A request this one depends on failed."))
        else:
            answer = _one(api, batch, op, company_hint, locations)
            if op["method"].upper() != "GET" and answer["status"] < 400:
                wrote = True
        location = answer.pop("_location", None)
        if op_id is not None:
            status_of[str(op_id)] = answer["status"]
            if location:
                locations[str(op_id)] = location
        responses.append({"id": op_id, **answer})
        if atomic and answer["status"] >= 400 and failed_at is None:
            failed_at = index
            break
    if atomic and failed_at is not None:
        _restore(api, saved)
        wrote = False
        rolled_back = errors.BCError(424, "BadRequest", "The request was rolled back because another request in the "
                                                        "same batch failed.")
        for index, op in enumerate(operations):
            if index < len(responses) and index == failed_at:
                continue
            entry = {"id": op.get("id") if isinstance(op, dict) else None, **_error_answer(424, rolled_back)}
            if index < len(responses):
                responses[index] = entry
            else:
                responses.append(entry)
    return {"responses": responses}, wrote


def _one(api: Api, batch: ApiRequest, op: dict, company_hint: str, locations: dict[str, str]) -> dict:
    url = str(op["url"])
    marker = "/api/v2.0/"
    if marker in url:
        url = url.split(marker, 1)[1]
    url = url.lstrip("/")
    if url.startswith("$") and not url.startswith(("$batch", "$metadata")):
        ref, _, rest = url[1:].partition("/")
        if ref not in locations:
            return _error_answer(400, errors.bad_request(f"The batch request references an unknown id '${ref}'."))
        url = locations[ref] + ("/" + rest if rest else "")
    path, _, query = url.partition("?")
    headers = {str(k).lower(): str(v) for k, v in (op.get("headers") or {}).items()}
    params = parse_qsl(query, keep_blank_values=True)
    if company_hint and "company" not in dict(params) and not ({"company", "companyid"} & set(headers)):
        params.append(("company", company_hint))
    inner = ApiRequest(op["method"].upper(), path, params, headers, op.get("body"), batch.root)
    try:
        response = api.handle(inner)
    except errors.BCError as error:
        return _error_answer(error.status, error)
    return _answer(response)


def _answer(response: ApiResponse) -> dict:
    headers = dict(_INNER_HEADERS)
    headers.update({k.lower(): v for k, v in response.headers.items()})
    out: dict[str, Any] = {"status": response.status, "headers": headers}
    if response.body is not None:
        out["body"] = response.body
    if response.location:
        out["_location"] = response.location
    return out


def _error_answer(status: int, error: errors.BCError) -> dict:
    return {"status": status, "headers": dict(_INNER_HEADERS), "body": error.body()}


def _snapshot(api: Api) -> dict:
    return {cid: (copy.deepcopy(c.tables), copy.deepcopy(c.index), dict(c.counters), copy.deepcopy(c.info), c._seq,
                  dict(c.posted_numbers)) for cid, c in api.companies.items()}


def _restore(api: Api, saved: dict | None) -> None:
    for cid, (tables, index, counters, info, seq, posted) in (saved or {}).items():
        c = api.companies[cid]
        c.tables, c.index, c.counters, c.info, c._seq, c.posted_numbers = tables, index, counters, info, seq, posted
