/**
 * Lua scripts of the Redis store. Each runs atomically on the server (Redis runs one script at a
 * time), so a record and the sorted sets that index it never disagree, with no WATCH/MULTI
 * retry loop and one round trip per operation.
 *
 * Layout: a record is a hash with two fields, `json` (the wire record) and `indexes` (a JSON
 * array of the index keys that hold it). Indexes are sorted sets of record ids scored by a time
 * in epoch ms. Writing a record first removes it from the indexes it was in, so a state change
 * moves it between state indexes. The record key and index keys are built by the caller from
 * the configured prefix; scripts derive record keys from a prefix too, so they assume one Redis
 * (standalone or Sentinel), not Redis Cluster. Needs Redis ≥ 6.2 (ZRANGE … REV, ZINTER).
 */

/**
 * KEYS[1] the record hash. ARGV[1] record id, ARGV[2] record JSON, then (index key, score)
 * pairs. Returns 1.
 */
export const PUT_RECORD_LUA = `
local id = ARGV[1]
local previous = redis.call('HGET', KEYS[1], 'indexes')
if previous then
  for _, index in ipairs(cjson.decode(previous)) do
    redis.call('ZREM', index, id)
  end
end
local indexes = {}
for i = 3, #ARGV, 2 do
  redis.call('ZADD', ARGV[i], ARGV[i + 1], id)
  indexes[#indexes + 1] = ARGV[i]
end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'indexes', cjson.encode(indexes))
return 1
`;

/**
 * KEYS[1] an index, or KEYS[1] and KEYS[2] to list what both hold. ARGV[1] record key prefix,
 * ARGV[2] limit (-1 for all). Returns the records' JSON, highest score first, ties by id
 * descending (byte order, as ZRANGE … REV orders equal scores).
 */
export const LIST_RECORDS_LUA = `
local limit = tonumber(ARGV[2])
local ids
if #KEYS == 1 then
  local stop = -1
  if limit >= 0 then stop = limit - 1 end
  ids = redis.call('ZRANGE', KEYS[1], 0, stop, 'REV')
else
  -- ZINTER answers lowest score first; walk it backwards. Both indexes score by the same time.
  local both = redis.call('ZINTER', 2, KEYS[1], KEYS[2], 'AGGREGATE', 'MAX')
  ids = {}
  local last = 1
  if limit >= 0 then last = math.max(1, #both - limit + 1) end
  for i = #both, last, -1 do
    ids[#ids + 1] = both[i]
  end
end
local records = {}
for _, id in ipairs(ids) do
  local json = redis.call('HGET', ARGV[1] .. id, 'json')
  if json then
    records[#records + 1] = json
  end
end
return records
`;

/**
 * KEYS[1] the "ended" index (scored by end time). ARGV[1] cutoff in epoch ms (exclusive),
 * ARGV[2] record key prefix, ARGV[3] batch size. Deletes up to a batch of records that ended
 * before the cutoff, with their index entries; returns how many.
 */
export const PURGE_ENDED_LUA = `
local ids = redis.call('ZRANGE', KEYS[1], '-inf', '(' .. ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  local key = ARGV[2] .. id
  local indexes = redis.call('HGET', key, 'indexes')
  if indexes then
    for _, index in ipairs(cjson.decode(indexes)) do
      redis.call('ZREM', index, id)
    end
  end
  redis.call('ZREM', KEYS[1], id)
  redis.call('DEL', key)
end
return #ids
`;
