"""Rest.li partial updates: `{"patch": {"$set": {…}, "$delete": […], "<record field>": {<patch>}}}`.

A patch is checked against the record's schema before it is applied, as Rest.li checks it: `$set` values as
in a full write (required fields may be absent), `$delete` names only fields of the schema and never a
required one, a field patch only under a field that is itself a record, and nothing else (a misspelt
operation is refused, not ignored). LinkedIn's own rules then judge the record the patch leaves.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from .schemas import Record, Times, check, error

SET = "$set"
DELETE = "$delete"
UNRECOGNIZED = "unrecognized field found but not allowed"
UNKNOWN_OPERATION = "unknown patch operation (a patch takes $set, $delete and record field patches)"


def check_patch(patch: dict[str, Any], schema: Record, times: Times, path: str = "") -> list[str]:
    """Rest.li's problems with one patch of a `schema` record."""
    problems = [
        error(f"{path}/{name}", UNKNOWN_OPERATION)
        for name in patch
        if _is_operation(name) and name not in (SET, DELETE)
    ]
    changes = patch.get(SET, {})
    if isinstance(changes, dict):
        problems += check(changes, schema, times, partial=True, path=path)
    else:
        problems.append(error(f"{path}/{SET}", "must be a map of field names to values"))
        changes = {}
    deletes = patch.get(DELETE, [])
    if not isinstance(deletes, list) or not all(isinstance(name, str) for name in deletes):
        problems.append(error(f"{path}/{DELETE}", "must be an array of field names"))
        deletes = []
    for name in deletes:
        where = f"{path}/{name}"
        if name not in schema.fields:
            problems.append(error(where, UNRECOGNIZED))
        elif name in schema.required:
            problems.append(error(where, "cannot delete a required field"))
        if name in changes:
            problems.append(error(where, f"cannot be both in {SET} and in {DELETE}"))
    for name, branch in patch.items():
        if not _is_operation(name):
            problems += _check_branch(name, branch, schema, times, path, set(changes) | set(deletes))
    return problems


def _is_operation(name: str) -> bool:
    return name.startswith("$")


def _check_branch(
    name: str, branch: Any, schema: Record, times: Times, path: str, touched: set[str]
) -> list[str]:
    """A field patch: a nested patch of a record field."""
    where = f"{path}/{name}"
    spec = schema.fields.get(name)
    if spec is None:
        return [error(where, UNRECOGNIZED)]
    if not isinstance(branch, dict):
        return [error(where, f"{json.dumps(branch)} is not a patch: a value is set with {SET}")]
    if not isinstance(spec, Record):
        return [error(where, f"a field patch applies to a record field only; set this one with {SET}")]
    if name in touched:
        return [error(where, f"cannot be both patched and in {SET} or {DELETE}")]
    return check_patch(branch, spec, times, where)


def apply_patch(record: dict[str, Any], patch: dict[str, Any], rename: Callable[[str], str]) -> None:
    """Apply a checked patch to `record` in place; `rename` maps the top level's wire names to stored ones.

    A field patch of an absent record creates it, unless the patch only deletes (nothing to delete from).
    """
    for name, value in (patch.get(SET) or {}).items():
        record[rename(name)] = copy.deepcopy(value)
    for name in patch.get(DELETE) or []:
        record.pop(rename(name), None)
    for name, branch in patch.items():
        if _is_operation(name):
            continue
        child = record.get(rename(name))
        if child is None:
            if not _sets_anything(branch):
                continue
            child = record[rename(name)] = {}
        apply_patch(child, branch, lambda same: same)


def _sets_anything(patch: dict[str, Any]) -> bool:
    return SET in patch or any(
        _sets_anything(branch) for name, branch in patch.items() if not _is_operation(name)
    )
