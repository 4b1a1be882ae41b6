"""Rest.li batch semantics shared by every synced resource: update, partial update, get, delete, finders."""

from __future__ import annotations

import copy
from typing import Any

from starlette.responses import JSONResponse, Response

from .call import Call, require_organization
from .errors import RestliError, entity_error
from .patches import apply_patch, check_patch
from .resource import Resource
from .restli import Key, make_key, parse_key, render_key
from .schemas import check
from .world import World


def ok(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


class Batch:
    """Runs one call against one resource, with the parent key of a sub-collection if any."""

    def __init__(self, call: Call, resource: Resource, parent: Key | None = None) -> None:
        self.call = call
        self.res = resource
        self.parent = parent
        self.store = call.world.collection(resource.name)

    # -- keys ----------------------------------------------------------------------------------

    def _full(self, key: Key | str) -> Key:
        if isinstance(key, str):
            assert self.res.child_field is not None and self.parent is not None
            return make_key(dict(self.parent) | {self.res.child_field: key})
        return self.res.internal_key(key)

    def _render(self, key: Key) -> str:
        if self.res.child_field:
            return dict(key)[self.res.child_field]
        return render_key(self.res.wire_key(key), self.call.protocol)

    def _body_key(self, text: str) -> Key:
        return self._full(text if self.res.child_field else parse_key(text, self.call.protocol))

    def ids(self) -> list[Key]:
        raw = self.call.query.batch_ids(compound=self.res.child_field is None)
        keys = [self._full(k) for k in raw]
        if not keys:
            raise RestliError(400, "The ids parameter is required for batch calls")
        if len(keys) > self.call.world.config.batch_max:
            raise RestliError(
                400, f"Too many entities in a batch: {len(keys)} (maximum {self.call.world.config.batch_max})"
            )
        return keys

    def _check_keys(self, keys: list[Key]) -> None:
        wanted = set(self.res.key_fields) | ({self.res.child_field} if self.res.child_field else set())
        for key in keys:
            fields = dict(key)
            if set(fields) != wanted:
                raise RestliError(400, f"Invalid key for {self.res.name}: expected fields {sorted(wanted)}")
            if "dataProvider" in fields and fields["dataProvider"] != "ATS":
                raise RestliError(400, f"Invalid dataProvider {fields['dataProvider']}")
        contexts = sorted({self.res.context(k) or "" for k in keys})
        if self.res.organization_only:
            for context in contexts:
                require_organization(context, self.res.name)
        for context in contexts:
            self.call.check_context(context, self.res.name, self.res.gated)
        self.call.charge(self.res.group, len(keys))

    def _entities(self, keys: list[Key]) -> dict[Key, Any]:
        body = self.call.json_body()
        entities = body.get("entities") if isinstance(body, dict) else None
        if not isinstance(entities, dict):
            raise RestliError(400, "The request body must hold an entities map")
        parsed = {self._body_key(k): v for k, v in entities.items()}
        if set(parsed) != set(keys) or len(entities) != len(keys):
            raise RestliError(
                400, "Batch request mandates that the keys in the URI and in the entity map are identical"
            )
        return parsed

    def _schema_problems(self, entity: dict[str, Any]) -> list[str]:
        """Rest.li's schema check, before LinkedIn's own rules (docs/linkedin.md#values)."""
        return check(entity, self.res.schema, self.call.world.config.times)

    def _patch_problems(self, patch: dict[str, Any]) -> list[str]:
        """Rest.li's check of a patch against the schema: every operation and field patch in it."""
        return check_patch(patch, self.res.schema, self.call.world.config.times)

    def _parent_missing(self, key: Key) -> bool:
        child = self.res.child_field or self.res.child_key
        if not self.res.parent or not child or not self.call.world.config.require_parent_for_children:
            return False
        parent_key = make_key({k: v for k, v in key if k != child})
        return self.call.world.collection(self.res.parent).get(parent_key) is None

    # -- methods -------------------------------------------------------------------------------

    def update(self) -> Response:
        keys = self.ids()
        entities = self._entities(keys)
        self._check_keys(keys)
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        status = self.call.world.config.entity_error_status
        for key in keys:
            name = self._render(key)
            if not isinstance(entities[key], dict):
                errors[name] = entity_error(400, "Entity must be a JSON object")
                continue
            record = self.res.record_in(entities[key])
            problems = self._schema_problems(entities[key]) or self.res.validate(record)
            if not problems and self._parent_missing(key):
                errors[name] = entity_error(404, "Parent entity not found")
                continue
            if not problems and self.res.after_write:
                problems = self.res.after_write(self.call, key, record)
            if problems:
                errors[name] = entity_error(status, "\n".join(problems))
                continue
            self.store.put(key, record, self.call.now_ms, "batch_update", self.call.caller.app.client_id)
            results[name] = {"status": 204}
        return ok({"results": results, "errors": errors})

    def partial_update(self) -> Response:
        keys = self.ids()
        entities = self._entities(keys)
        self._check_keys(keys)
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for key in keys:
            name = self._render(key)
            patch = entities[key].get("patch") if isinstance(entities[key], dict) else None
            if not isinstance(patch, dict):
                errors[name] = entity_error(400, 'Entity must be a patch: {"patch": {"$set": {...}}}')
                continue
            current = self.store.get(key)
            if current is None and not self.res.partial_creates:
                errors[name] = entity_error(404, f"Entity {name} not found")
                continue
            problems = self._patch_problems(patch)
            if problems:
                errors[name] = entity_error(self.call.world.config.entity_error_status, "\n".join(problems))
                continue
            record = copy.deepcopy(current) if current is not None else dict(key)
            apply_patch(record, patch, lambda field: self.res.wire_fields.get(field, field))
            problems = self.res.validate(record)
            if not problems and self.res.after_write:
                problems = self.res.after_write(self.call, key, record)
            if problems:
                errors[name] = entity_error(self.call.world.config.entity_error_status, "\n".join(problems))
                continue
            self.store.put(
                key, record, self.call.now_ms, "batch_partial_update", self.call.caller.app.client_id
            )
            results[name] = {"status": 204}
        return ok({"results": results, "errors": errors})

    def get(self) -> Response:
        keys = self.ids()
        self._check_keys(keys)
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        statuses: dict[str, int] = {}
        for key in keys:
            name = self._render(key)
            record = self.store.get(key)
            if record is None:
                errors[name] = entity_error(404, f"Entity {name} not found")
                statuses[name] = 404
                continue
            shown = copy.deepcopy(record)
            if self.res.decorate:
                shown = self.res.decorate(self.call.world, key, shown)
            results[name] = self.res.record_out(shown)
            statuses[name] = 200
        return ok({"results": results, "statuses": statuses, "errors": errors})

    def delete(self) -> Response:
        keys = self.ids()
        self._check_keys(keys)
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        missing_status = self.call.world.config.delete_missing_status
        for key in keys:
            name = self._render(key)
            existed = self.store.delete(key, self.call.now_ms, "batch_delete", self.call.caller.app.client_id)
            if existed and self.res.cascade:
                self.res.cascade(self.call.world, key, self.call.now_ms, self.call.caller.app.client_id)
            if existed or missing_status < 300:
                results[name] = {"status": 204}
            else:
                errors[name] = entity_error(missing_status, f"Entity {name} not found")
        return ok({"results": results, "errors": errors})

    def find(self) -> Response:
        name = self.call.query.get("q") or ""
        finder = self.res.finders.get(name)
        if finder is None:
            raise RestliError(400, f"Unknown finder {name} on {self.res.name}")
        elements = finder(self.call)
        return page(self.call, elements)

    def dispatch(self) -> Response:
        method = self.call.restli_method
        if method == "batch_update":
            return self.update()
        if method == "batch_partial_update":
            return self.partial_update()
        if method == "batch_get":
            return self.get()
        if method == "batch_delete":
            return self.delete()
        if method == "finder" and self.res.finders:
            return self.find()
        raise RestliError(400, f"Method {method} is not supported on {self.res.name}")


def page(call: Call, elements: list[dict[str, Any]], default_count: int = 10) -> JSONResponse:
    start, count = call.start_count(default_count)
    chunk = elements[start : start + count]
    return ok(
        {"elements": chunk, "paging": {"start": start, "count": count, "total": len(elements), "links": []}}
    )


def cascade_children(world: World, parent: Key, children: tuple[str, ...], at: int, app: str) -> None:
    """Delete every record of `children` collections that lives under `parent`."""
    for name in children:
        store = world.collection(name)
        for key, _ in store.where(**dict(parent)):
            store.delete(key, at, "cascade_delete", app)
