"""Attempt counters in Redis, shared by every API replica (`domain.sign_in_throttle` counts
failed sign-ins with them).

Each call is one Lua script, so counting and setting a window's expiry are one atomic
step: two replicas counting at once never leave a key without its expiry, which would
lock an account for ever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from typing import Any

from crm.queues import REDIS_ERRORS, REDIS_TIMEOUT
from domain.sign_in_throttle import CounterUnavailable, Tally

# KEYS: the counters; ARGV: each one's window in seconds. Returns count, seconds left, ...
_COUNT = """
local result = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local left = redis.call('TTL', key)
  if count == 1 or left < 0 then
    redis.call('EXPIRE', key, ARGV[i])
    left = tonumber(ARGV[i])
  end
  result[#result + 1] = count
  result[#result + 1] = left
end
return result
"""
# KEYS: the counters to clear, then those to take one back from; ARGV[1]: how many to clear.
_FORGIVE = """
local clear = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  if i <= clear then
    redis.call('DEL', key)
  elseif (tonumber(redis.call('GET', key)) or 0) > 0 then
    redis.call('DECR', key)
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

    async def count(self, windows: Mapping[str, int]) -> dict[str, Tally]:
        keys = list(windows)
        flat = await self._run(_COUNT, keys, [windows[key] for key in keys])
        return {
            key: Tally(count=int(flat[2 * i]), seconds_left=int(flat[2 * i + 1]))
            for i, key in enumerate(keys)
        }

    async def forgive(self, *, reset: Collection[str], take_back: Collection[str]) -> None:
        if reset or take_back:
            await self._run(_FORGIVE, [*reset, *take_back], [len(reset)])
