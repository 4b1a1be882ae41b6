"""Every limit, timing and inferred default of the LinkedIn simulator, as one settings model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .schemas import Times


class SimConfig(BaseModel):
    """Settings of one simulator instance; tests and benchmarks scale or switch off each limit."""

    # Rest.li batches and URLs
    batch_max: int = 100
    max_url_bytes: int = 8192
    # Over 8 KB of URL or 4 KB of query string LinkedIn answers 414 (docs/linkedin.md#versions-and-protocol);
    # a longer query must be tunnelled. None switches the query limit off.
    max_query_bytes: int | None = 4096

    # Throttles per application (docs/architecture.md#10-throttle); None switches a limit off.
    # The sync group (candidates, applications and their sub-collections) and the ACL group (atsEntityAcls,
    # atsEntityAclAssignees) each have their own budgets; both windows last sync_window_seconds.
    sync_records_per_window: int | None = 10_000
    sync_window_seconds: float = 60.0
    sync_requests_per_day: int | None = 100_000
    acl_records_per_window: int | None = 10_000
    acl_requests_per_day: int | None = 100_000
    # simpleJobPostings' daily budget is not published (docs/linkedin.md#throttles): job posts are counted
    # on their own and refused only when a budget is set.
    job_posting_requests_per_day: int | None = None
    prospect_requests_per_day: int | None = 100_000
    # Per-endpoint daily budgets (docs/linkedin.md#throttles): atsIntegrations and rest/integrations (with
    # the configurations under them), simpleJobPostingTasks reads, and each exports endpoint on its own.
    integration_requests_per_day: int | None = 5_000
    job_task_requests_per_day: int | None = 300_000
    export_requests_per_day: int | None = 100_000
    # conversationEvents also returns at most 12 records per member per sliding minute.
    conversation_records_per_member_per_minute: int | None = 12

    # Retrieval rules
    conversation_window_hours: float = 12.0
    prospect_notes_window_hours: float = 12.0
    mail_stub_result_ceiling: int = 20_000
    seats_v2_default_count: int = 10
    exports_per_seat_per_month: int = 300
    max_acls_per_assignee: int = 10

    # Jobs: batch_create answers task ids; tasks finish after this delay on the simulator clock.
    task_completion_seconds: float = 5.0
    # A task id lives 30 days; LinkedIn's job-posting API description says 24 hours (docs/linkedin.md#jobs).
    task_lifetime_days: float = 30.0
    # Customers whose jobs LinkedIn still takes from a feed or career site: their tasks end PROCESSED
    # (docs/linkedin.md#jobs); `PUT /_sim/jobs/feed` changes it at run time.
    job_feed_organizations: list[str] = Field(default_factory=list)

    # Values: LinkedIn's own checks stop at "> 0", so a time in seconds would pass and mean 1970
    # (docs/linkedin.md#values); the simulator refuses times below this so the unit mistake shows. None
    # keeps LinkedIn's published behaviour.
    min_epoch_ms: int | None = 100_000_000_000
    # The other unit mistake, microseconds (today about 1.7 * 10^15), reads as a date tens of thousands of
    # years ahead. The bound is 9999-12-31T23:59:59.999Z, the last instant with a four-digit year: ISO 8601
    # dates and the date types of most stacks end there, so no later number is a time in milliseconds any
    # system could show. None accepts any integer, as LinkedIn's published rules do.
    max_epoch_ms: int | None = 253_402_300_799_999

    # OAuth
    token_lifetime_seconds: int = 1800
    authorization_code_lifetime_seconds: int = 600

    # Inferred defaults (docs/linkedin.md#what-is-not-published); each is switchable.
    entity_error_status: int = 422
    delete_missing_status: int = 204
    require_parent_for_children: bool = True
    gate_on_integration: bool = True
    cross_token_status: int = 403

    # Push notifications
    allow_insecure_local: bool = False
    notification_retries: int = 2
    notification_duplicates: int = 0
    notification_expiry_seconds: int = 3600
    challenge_revalidate_seconds: float = 7200.0
    challenge_failures_before_block: int = 3
    callback_timeout_seconds: float = 3.0

    # Faults: how long a hang holds a request (real seconds) before it is dropped.
    hang_seconds: float = 30.0
    random_seed: int = 20240601

    request_log_limit: int = 10_000
    seed_file: Path | None = None
    # A seed given inline wins over seed_file; both use the JSON shape documented in README.md.
    seed: dict[str, Any] | None = None

    @property
    def times(self) -> Times:
        """What a time field or time parameter takes as epoch milliseconds."""
        return Times(self.min_epoch_ms, self.max_epoch_ms)
