"""Before an activity is posted again after a lost answer: does it exist already?

LeadSquared has no idempotency key, so a call whose answer was lost (a read timeout, a
connection dropped after the request was sent, a bulk row left unaccounted) may have created
the activity. It is looked up first: found, it is delivered with its id and not posted again;
not found, it is posted again; the lookup failing, it is not posted blind but left for a
retry. Each lookup call takes a slot of the standard budget like any call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activity_poster.calls import RetryingCaller
from activity_poster.credentials import ApiKeys
from activity_poster.deadline import Deadline
from activity_poster.leadsquared import lookup
from activity_poster.leadsquared.classify import classify
from activity_poster.leadsquared.client import LeadSquaredClient
from activity_poster.observability import logger
from activity_poster.outcomes import Delivered, NotTried, Outcome, Unverified
from activity_poster.ratelimit import Pacer

Answer = lookup.Found | lookup.NotFound | lookup.NextPage | lookup.Unreadable


class Reconciler:
    def __init__(
        self,
        client: LeadSquaredClient,
        caller: RetryingCaller,
        limiter: Pacer | None,
    ) -> None:
        self._client = client
        self._caller = caller
        self._limiter = limiter

    def settle(self, posted: dict[str, Any], deadline: Deadline) -> Outcome | None:
        """Delivered when the activity (`posted`, its request body) exists; None when it
        surely does not (post it); Unverified when the lookup could not tell."""
        found = self._find(posted, deadline)
        if isinstance(found, lookup.Found):
            logger.info(
                "activity found by lookup after a lost answer; not posted again",
                extra={"activity_id": found.activity_id},
            )
            return Delivered(found.activity_id)
        if isinstance(found, lookup.NotFound):
            return None
        if isinstance(found, NotTried):
            return found  # no time left to look: handed back untried, like any call
        assert isinstance(found, lookup.Unreadable)
        return Unverified(f"could not tell whether an earlier attempt created it: {found.reason}")

    def _find(self, posted: dict[str, Any], deadline: Deadline) -> Answer | NotTried:
        lead_id = posted.get("RelatedProspectId")
        if lead_id is None:
            path = lookup.lead_by_email_path(posted["EmailAddress"])
            answer = self._ask("GET", path, None, deadline, lookup.lead_id_from)
            if not isinstance(answer, str):
                return answer
            lead_id = answer
        offset = 0
        while True:
            path, body = lookup.retrieve_request(lead_id, posted["ActivityEvent"], offset)
            page = self._ask("POST", path, body, deadline, _page_reader(posted, offset))
            if not isinstance(page, lookup.NextPage):
                assert not isinstance(page, str)
                return page
            offset = page.offset

    def _ask[T](
        self,
        method: str,
        path: str,
        body: Any,
        deadline: Deadline,
        read: Callable[[int, bytes], T],
    ) -> T | lookup.Unreadable | NotTried:
        """One lookup call, retried as any call; `read` turns a 200 answer into T."""

        def call(keys: ApiKeys, read_timeout: float) -> T | Outcome:
            answer = self._client.request(method, path, keys, body, read_timeout=read_timeout)
            if not isinstance(answer, tuple):
                return answer
            status, content = answer
            return read(status, content) if status == 200 else classify(status, content)

        result = self._caller.run(call, self._limiter, deadline).result
        if isinstance(result, NotTried):
            return result
        if isinstance(result, Outcome):
            return lookup.Unreadable(f"the lookup ended {type(result).__name__}")
        return result


def _page_reader(posted: dict[str, Any], offset: int) -> Callable[[int, bytes], Answer]:
    return lambda status, body: lookup.match_page(status, body, posted, offset)
