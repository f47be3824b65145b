"""Attempt counters in Redis, shared by every API replica (`domain.sign_in_throttle` and
`domain.sign_up_throttle` count sign-ins and sign-ups with them).

Each call is one Lua script, so counting and setting a window's expiry are one atomic
step: two replicas counting at once never leave a key without its expiry, which would
lock an account for ever. A counter is a hash: its count, and a token naming its window,
so that an attempt taken back is taken from the window it was counted in, never from the
next one (a success whose check outlived its window would otherwise make room for one
more guess in the next). One script touches several keys: callers give them one Redis
Cluster hash tag (`domain.sign_in_throttle.CounterKeys`).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from typing import Any

from crm.queues import REDIS_ERRORS, REDIS_TIMEOUT
from domain.sign_in_throttle import Counted, CounterUnavailable, Limit, Tally

# KEYS: the counters; ARGV[1]: the token of a window this call starts; ARGV[2i], ARGV[2i+1]:
# KEYS[i]'s limit and window in seconds. When a counter is at its limit, nothing is counted
# (a refused attempt spends nothing, so an address over its budget cannot lock the
# e-mails it names); otherwise every counter counts one more. Returns 1 if counted, then per
# key its count, the seconds its window has left (-2: no window) and its window's token.
# A key without an expiry is new (or lost it, which would lock it for ever): its window
# starts now.
_COUNT = """
local counted = 1
for i, key in ipairs(KEYS) do
  if (tonumber(redis.call('HGET', key, 'count')) or 0) >= tonumber(ARGV[2 * i]) then
    counted = 0
  end
end
local result = {counted}
for i, key in ipairs(KEYS) do
  local count
  if counted == 1 then
    count = redis.call('HINCRBY', key, 'count', 1)
  else
    count = tonumber(redis.call('HGET', key, 'count')) or 0
  end
  local left = redis.call('TTL', key)
  if left == -1 then
    redis.call('HSET', key, 'window', ARGV[1])
    redis.call('EXPIRE', key, ARGV[2 * i + 1])
    left = tonumber(ARGV[2 * i + 1])
  end
  result[#result + 1] = count
  result[#result + 1] = left
  result[#result + 1] = redis.call('HGET', key, 'window') or ''
end
return result
"""
# KEYS: the counters; ARGV[i]: the token of the window KEYS[i]'s attempt was counted in.
_TAKE_BACK = """
for i, key in ipairs(KEYS) do
  if redis.call('HGET', key, 'window') == ARGV[i]
      and (tonumber(redis.call('HGET', key, 'count')) or 0) > 0 then
    redis.call('HINCRBY', key, 'count', -1)
  end
end
return 0
"""


class RedisAttemptCounter:
    def __init__(self, redis: Any, timeout: float = REDIS_TIMEOUT) -> None:
        self._redis = redis
        self._timeout = timeout

    async def _run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._redis.eval(script, len(keys), *keys, *args)
        except REDIS_ERRORS as error:
            raise CounterUnavailable(f"{type(error).__name__}: {error}") from error

    async def count(self, limits: Mapping[str, Limit]) -> Counted:
        keys = list(limits)
        args: list[Any] = [secrets.token_hex(8)]
        for key in keys:
            args += [limits[key].most, limits[key].window_seconds]
        flat = await self._run(_COUNT, keys, args)
        return Counted(
            counted=bool(flat[0]),
            tallies={
                key: Tally(
                    count=int(flat[1 + 3 * i]),
                    seconds_left=int(flat[2 + 3 * i]),
                    window=_text(flat[3 + 3 * i]),
                )
                for i, key in enumerate(keys)
            },
        )

    async def take_back(self, counted: Mapping[str, str]) -> None:
        if counted:
            keys = list(counted)
            await self._run(_TAKE_BACK, keys, [counted[key] for key in keys])


def _text(value: bytes | str) -> str:
    # arq's pool answers bytes; a client made with decode_responses answers str.
    return value.decode() if isinstance(value, bytes) else value
