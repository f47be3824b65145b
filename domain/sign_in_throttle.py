"""Sign-in throttling: guesses are counted per account (e-mail) and per client address, and
past a limit every attempt is refused, the right password too, until the window ends;
every attempt from an address, successes too, is counted against a much larger budget, so
that one client cannot make unlimited Argon2 work by signing in successfully.

Each attempt is counted before its password is checked, in one atomic step, so a burst of
parallel attempts cannot all slip under a limit; an attempt refused is not counted (an
address over its budget spends none of the e-mails' it names). A window is fixed: it
starts with the first attempt and its counter expires with it, whatever is tried meanwhile.

What counts as a guess: every attempt, unless it signs in having checked its password
against the one account it opened alone (the e-mail has one account, or the sign-in named
its workspace); that success takes its own attempt back (never more: a count is never
cleared), from the window it was counted in. A sign-in checks the password against every
candidate account of the e-mail, and e-mails are unique per workspace only, with no
verification: anyone can sign up a workspace of their own with a victim's e-mail. A
success at that account of theirs, with the victim's account checked beside it, still
told them whether the password was the victim's too (SeveralWorkspaces answers when it
opens both), so it is a guess at the victim and stays counted; clearing or taking back on
it let the squatter guess without limit (9 guesses, one success of their own, again).

The counters live in Redis (`api/accounts/attempt_counters.py`), so every API replica shares them.
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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from crm.settings import Settings
from domain.errors import DomainError, ErrorCode, Problem

log = logging.getLogger("crm.accounts")


@dataclass(frozen=True)
class SignInLimits:
    failures_per_account: int
    failures_per_address: int
    # Every attempt from an address, successes too: far above its failures, so that an
    # office behind one NAT address is never refused, but bounded (each attempt checks up
    # to MAX_SIGN_IN_CANDIDATES Argon2 hashes).
    attempts_per_address: int
    window_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            failures_per_account=settings.sign_in_failures_per_account,
            failures_per_address=settings.sign_in_failures_per_address,
            attempts_per_address=settings.sign_in_attempts_per_address,
            window_seconds=settings.sign_in_failure_window_seconds,
        )


@dataclass(frozen=True)
class Limit:
    """At most `most` attempts under a key in a window of `window_seconds` from its first."""

    most: int
    window_seconds: int


@dataclass(frozen=True)
class Tally:
    """A key's attempts in its current window, the seconds until that window ends, and the
    token naming the window (an attempt is taken back only from its own)."""

    count: int
    seconds_left: int
    window: str


@dataclass(frozen=True)
class Counted:
    """Whether the attempt was counted (no key was at its limit), and each key's tally."""

    counted: bool
    tallies: dict[str, Tally]

    def seconds_to_wait(self, limits: Mapping[str, Limit]) -> int:
        """Until every key at its limit has started a new window."""
        waits = [
            tally.seconds_left
            for key, tally in self.tallies.items()
            if tally.count >= limits[key].most
        ]
        return max([1, *waits])


class CounterUnavailable(Exception):
    """The counter's store did not answer (in time)."""


class AttemptCounter(Protocol):
    async def count(self, limits: Mapping[str, Limit]) -> Counted:
        """Counts one more attempt under every key, atomically, unless one of them is at its
        limit (then none). A key's count lasts its window from its first attempt. Raises
        CounterUnavailable."""
        ...

    async def take_back(self, counted: Mapping[str, str]) -> None:
        """Takes one attempt back from each key whose window is still the one given (the
        window the attempt was counted in). Raises CounterUnavailable."""
        ...


class Throttled(DomainError):
    """Too many attempts; `retry_after` seconds until the next one is heard."""

    def __init__(self, what: str, retry_after: int) -> None:
        message = f"{what} Try again in {_wait(retry_after)}."
        super().__init__([Problem(None, message, ErrorCode.RATE_LIMITED)])
        self.retry_after = retry_after


class SignInThrottled(Throttled):
    """Too many sign-in attempts for the e-mail or from the address."""


def _wait(seconds: int) -> str:
    if seconds < 90:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def database_namespace(database_url: str) -> str:
    """The counters' default namespace: the database whose accounts they guard, by its host,
    port and name (a SQLite file by its path); never its user or password.

    Two deployments sharing one Redis (staging and production both with a database named
    `crm`, two test runs) do not share lockouts. Replicas that name one database server
    differently (`db` and `10.0.0.5`) would count apart: set THROTTLE_NAMESPACE then.
    """
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        where = database_url
    else:
        where = f"{(parts.hostname or '').lower()}:{parts.port or 5432}{parts.path}"
    return hashlib.sha256(where.encode()).hexdigest()[:12]


class CounterKeys:
    """The Redis keys of one namespace's counters.

    Each starts with the namespace as a Redis Cluster hash tag (`crm:{namespace}:…`): one
    script counts several keys (an e-mail's and an address's), which Redis Cluster allows
    only within one slot. Without it the script failed (CROSSSLOT) and the throttle failed
    open. All of a namespace's counters live on one node; they are a few small hashes.
    """

    def __init__(self, namespace: str) -> None:
        self._prefix = f"crm:{{{namespace}}}"

    def key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))


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
        self._keys = CounterKeys(namespace)

    async def admit(self, email: str, client_address: str | None) -> Admission:
        """Counts the attempt; raises SignInThrottled, counting nothing, when the account or
        the address is at a limit in the current window."""
        # Hashed: Redis holds no e-mail address, and a key's length is bounded.
        account = self._keys.key("sign-in", "account", _digest(email))
        window = self._limits.window_seconds
        limits = {account: Limit(self._limits.failures_per_account, window)}
        address = address_key_part(client_address)
        if address:
            limits[self._keys.key("sign-in", "address", address)] = Limit(
                self._limits.failures_per_address, window
            )
        guesses = list(limits)  # the keys a sign-in that opens its one account takes back
        if address:
            limits[self._keys.key("sign-in", "attempts", address)] = Limit(
                self._limits.attempts_per_address, window
            )
        try:
            result = await self._counter.count(limits)
        except CounterUnavailable as error:
            log.warning("sign-in throttle unavailable, attempt not counted: %s", error)
            return Admission(None, {})
        if not result.counted:
            guessed_out = any(result.tallies[key].count >= limits[key].most for key in guesses)
            what = (
                "Too many failed sign-ins."
                if guessed_out
                else "Too many sign-ins from this address."
            )
            raise SignInThrottled(what, result.seconds_to_wait(limits))
        return Admission(self._counter, {key: result.tallies[key].window for key in guesses})


class Admission:
    """An attempt let through, counted as a guess at the e-mail (and from the address)."""

    def __init__(self, counter: AttemptCounter | None, guesses: Mapping[str, str]) -> None:
        self._counter = counter
        self._guesses = guesses

    async def signed_in(self, *, accounts_checked: int) -> None:
        """The attempt opened an account, having checked its password against
        `accounts_checked` accounts. Checked against that one alone, it guessed at no one
        else's password: it is taken back (only it, from its own window). Checked against
        others too, it told whether the password opens them: it stays a guess."""
        if self._counter is None or accounts_checked != 1:
            return
        try:
            await self._counter.take_back(self._guesses)
        except CounterUnavailable as error:
            # The attempt stays counted until its window ends; signing in is not held up.
            log.warning("sign-in throttle unavailable, success not recorded: %s", error)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]
