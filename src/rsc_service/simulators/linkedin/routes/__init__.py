"""Rest.li resource handlers, one module per endpoint group; importing this package registers them."""

from . import acls, exports, integrations, jobs, members, prospects, provisioning, rest, sync

__all__ = ["acls", "exports", "integrations", "jobs", "members", "prospects", "provisioning", "rest", "sync"]
