"""Sign-in throttling: failed sign-ins are counted per account (e-mail) and per client address,
and past a limit every attempt is refused, the right password too, until the window ends.

Each attempt is counted before its password is checked, in one atomic step, so a burst of
parallel attempts cannot all slip under the limit; a sign-in that succeeds takes its
attempt back from the address and clears the account. A window is fixed: it starts with
the first failure and its counter expires with it, whatever is tried meanwhile.

The counters live in Redis (`crm/attempt_counters.py`), so every API replica shares them.
When Redis is down or slow, sign-in goes on unthrottled with a warning in the log: locking
every user out because a cache is down would be worse than a few minutes without a brake
on guessing, and Argon2 still makes each guess cost.

Locking an account by its e-mail lets anyone lock a victim out for a window by failing ten
times; that is the price of stopping a slow guessing of one account from many addresses,
and the window is short. Unknown e-mails are counted like known ones, so a lockout never
tells whether an account exists.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlparse

from crm.settings import Settings
from domain.errors import DomainError, ErrorCode, Problem

log = logging.getLogger("crm.accounts")


@dataclass(frozen=True)
class SignInLimits:
    failures_per_account: int
    failures_per_address: int
    window_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            failures_per_account=settings.sign_in_failures_per_account,
            failures_per_address=settings.sign_in_failures_per_address,
            window_seconds=settings.sign_in_failure_window_seconds,
        )


@dataclass(frozen=True)
class Tally:
    """A key's attempts in its current window, and the seconds until that window ends."""

    count: int
    seconds_left: int


class CounterUnavailable(Exception):
    """The counter's store did not answer (in time)."""


class AttemptCounter(Protocol):
    async def count(self, windows: Mapping[str, int]) -> dict[str, Tally]:
        """Counts one more attempt under each key, atomically; a key's count lasts its window
        (seconds, the value) from its first attempt. Raises CounterUnavailable."""
        ...

    async def forgive(self, *, reset: Collection[str], take_back: Collection[str]) -> None:
        """Forgets the `reset` keys' counts and takes one attempt back from the `take_back`
        keys that still count any. Raises CounterUnavailable."""
        ...


class SignInThrottled(DomainError):
    """Too many failed sign-ins; `retry_after` seconds until the next attempt is heard."""

    def __init__(self, retry_after: int) -> None:
        super().__init__([Problem(None, _refusal(retry_after), ErrorCode.RATE_LIMITED)])
        self.retry_after = retry_after


def _refusal(seconds: int) -> str:
    if seconds < 90:
        wait = "1 second" if seconds == 1 else f"{seconds} seconds"
    else:
        wait = f"{math.ceil(seconds / 60)} minutes"
    return f"Too many failed sign-ins. Try again in {wait}."


def database_namespace(database_url: str) -> str:
    """The counters' namespace: the database whose accounts they guard, by its name alone.

    Replicas of one deployment share the database and so the counters, however each names
    the host; two databases sharing one Redis (a staging copy, two test runs) do not.
    """
    name = urlparse(database_url).path.rsplit("/", 1)[-1] or database_url
    return hashlib.sha256(name.encode()).hexdigest()[:12]


def address_key_part(host: str | None) -> str | None:
    """A client address as it is counted: IPv4 as is, IPv6 by its /64, which one client
    usually holds whole (counting single IPv6 addresses would give it 2**64 tries)."""
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]  # not an IP (a test client's name): counted as given
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class SignInThrottle:
    def __init__(self, counter: AttemptCounter, limits: SignInLimits, *, namespace: str) -> None:
        self._counter = counter
        self._limits = limits
        self._prefix = f"crm:sign-in:{namespace}"

    def _account_key(self, email: str) -> str:
        # Hashed: Redis holds no e-mail address, and a key's length is bounded.
        return f"{self._prefix}:account:{hashlib.sha256(email.encode()).hexdigest()[:32]}"

    async def admit(self, email: str, client_address: str | None) -> Admission:
        """Counts the attempt; raises SignInThrottled when the account or the address is over
        its limit in the current window."""
        account = self._account_key(email)
        address_part = address_key_part(client_address)
        address = f"{self._prefix}:address:{address_part}" if address_part else None
        limits = {account: self._limits.failures_per_account}
        if address:
            limits[address] = self._limits.failures_per_address
        try:
            tallies = await self._counter.count(
                {key: self._limits.window_seconds for key in limits}
            )
        except CounterUnavailable as error:
            log.warning("sign-in throttle unavailable, attempt not counted: %s", error)
            return Admission(None, account, address)
        waits = [
            tallies[key].seconds_left for key, limit in limits.items() if tallies[key].count > limit
        ]
        if waits:
            raise SignInThrottled(max(1, *waits))
        return Admission(self._counter, account, address)


class Admission:
    """An attempt let through; `succeeded` once it proves to be no failure."""

    def __init__(self, counter: AttemptCounter | None, account: str, address: str | None) -> None:
        self._counter = counter
        self._account = account
        self._address = address

    async def succeeded(self) -> None:
        if self._counter is None:
            return
        try:
            await self._counter.forgive(
                reset=[self._account], take_back=[self._address] if self._address else []
            )
        except CounterUnavailable as error:
            # The account stays counted until its window ends; signing in is not held up.
            log.warning("sign-in throttle unavailable, success not recorded: %s", error)
