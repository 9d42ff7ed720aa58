-- The seckill decision, atomic on the one node that holds the event's slot. Every key shares
-- the event's hash tag ({<id>}) and comes in KEYS, so a Redis Cluster never answers CROSSSLOT.
-- KEYS: 1 meta (hash: starts, ends, limit; milliseconds), 2 stock, 3 buyers (hash: user ->
-- seats held), 4 claims (hash: user -> claims ever, the seat number), 5 the claims stream.
-- ARGV: 1 user id, 2 now (Unix ms, the app server's clock, the same that issued the token).
-- Answers {outcome, seat}: 'queued' with the buyer's seat number, else why not.
local meta = redis.call('HMGET', KEYS[1], 'starts', 'ends', 'limit')
if not meta[1] or not meta[2] or not meta[3] then
  return {'missing', 0}
end
local now = tonumber(ARGV[2])
if now < tonumber(meta[1]) then
  return {'not_started', 0}
end
if now >= tonumber(meta[2]) then
  return {'ended', 0}
end
-- HGET of an absent field is false (not nil, and never 0, which Lua would take as true).
local held = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if held >= tonumber(meta[3]) then
  return {'limit_reached', 0}
end
local stock = tonumber(redis.call('GET', KEYS[2]) or '0')
if stock <= 0 then
  return {'sold_out', 0}
end
redis.call('DECR', KEYS[2])
redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
local seat = redis.call('HINCRBY', KEYS[4], ARGV[1], 1)
redis.call('XADD', KEYS[5], '*', 'user', ARGV[1], 'seat', tostring(seat), 'at', ARGV[2])
return {'queued', seat}
