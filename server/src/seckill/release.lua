-- A seat of an unpaid order goes back to the stock, once per claim however often it is asked.
-- KEYS (one hash tag): 1 stock, 2 buyers (hash: user -> seats held), 3 returned (set of claims).
-- ARGV: 1 user id, 2 claim id ("<user>:<seat>"). Answers 1 when this call returned it, else 0.
if redis.call('SADD', KEYS[3], ARGV[2]) == 0 then
  return 0
end
redis.call('INCR', KEYS[1])
local held = redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
if held <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return 1
