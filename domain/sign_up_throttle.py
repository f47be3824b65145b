"""Sign-up throttling: a client address may sign up so many workspaces in a window, then
every sign-up from it is refused until the window ends (RATE_LIMITED, Retry-After).

Sign-up needs no e-mail verification (the product sends no mail), so anyone may sign up
a workspace with anyone's e-mail. That cannot be prevented without verification; it can
be made to cost: planting accounts on other people's e-mails (which sign-in then has to
sort out, `domain.accounts`) or making Argon2 hashes and workspaces in bulk takes many
addresses and time. Every attempt counts (those refused for the limit excepted), before
anything is checked or hashed. A person signs up once or twice; an office behind one
address, a few times an hour at most.

Counted in Redis beside the sign-in counters (same namespace and hash tag); with Redis
down, sign-up goes on uncounted with a warning, like sign-in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from crm.settings import Settings
from domain.sign_in_throttle import (
    AttemptCounter,
    CounterKeys,
    CounterUnavailable,
    Limit,
    Throttled,
    address_key_part,
)

log = logging.getLogger("crm.accounts")


@dataclass(frozen=True)
class SignUpLimits:
    per_address: int
    window_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SignUpLimits:
        return cls(
            per_address=settings.sign_ups_per_address,
            window_seconds=settings.sign_up_window_seconds,
        )


class SignUpThrottled(Throttled):
    """Too many sign-ups from the address."""


class SignUpThrottle:
    def __init__(self, counter: AttemptCounter, limits: SignUpLimits, *, namespace: str) -> None:
        self._counter = counter
        self._limits = limits
        self._keys = CounterKeys(namespace)

    async def admit(self, client_address: str | None) -> None:
        """Counts the sign-up; raises SignUpThrottled when its address is over the limit."""
        address = address_key_part(client_address)
        if address is None:
            return
        key = self._keys.key("sign-up", "address", address)
        limits = {key: Limit(self._limits.per_address, self._limits.window_seconds)}
        try:
            result = await self._counter.count(limits)
        except CounterUnavailable as error:
            log.warning("sign-up throttle unavailable, sign-up not counted: %s", error)
            return
        if not result.counted:
            raise SignUpThrottled(
                "Too many sign-ups from this address.", result.seconds_to_wait(limits)
            )
