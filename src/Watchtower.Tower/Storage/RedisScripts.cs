namespace Watchtower.Tower.Storage;

/// <summary>
/// The Lua scripts behind <see cref="RedisChannelStore"/>. Each touches keys of one hash slot only
/// (Redis Cluster rule): the channel's <c>{ch:…}</c>, the subscription's <c>{sub:…}</c>, or the
/// global index slot <c>{ix}</c>. Account keys and channel ids travel as raw bytes (32 and 16).
/// </summary>
internal static class RedisScripts
{
    // Rounds travel as 16 hex digits; compare them as two exact 32-bit halves rather than as
    // strings, whose order in Lua follows the server's collation locale.
    private const string RoundCompare = """
        local function cmpround(a, b)
          local ah, bh = tonumber(string.sub(a, 1, 8), 16), tonumber(string.sub(b, 1, 8), 16)
          if ah ~= bh then if ah < bh then return -1 else return 1 end end
          local al, bl = tonumber(string.sub(a, 9, 16), 16), tonumber(string.sub(b, 9, 16), 16)
          if al ~= bl then if al < bl then return -1 else return 1 end end
          return 0
        end
        """;

    /// <summary>KEYS[1] channel record, KEYS[2] its closed marker. ARGV: round hex, record, subscription id (16 bytes).
    /// Returns {1} stored, {2} replaced, {3, receipt} same round, {4, stored or closed round hex} stale
    /// (a round at or below the one the channel was closed at is never taken again),
    /// {5} other subscription at an equal or later round, {6, old subscription id} a higher round
    /// taken over from another subscription (the caller releases the old holder's usage).</summary>
    public const string StoreRecord = RoundCompare + "\n" + """
        local closed = redis.call('GET', KEYS[2])
        if closed and cmpround(ARGV[1], closed) <= 0 then return {4, closed} end
        local cur = redis.call('GET', KEYS[1])
        if not cur then
          redis.call('SET', KEYS[1], ARGV[2])
          return {1}
        end
        local r = string.sub(cur, 1, 16)
        local order = cmpround(r, ARGV[1])
        local holder = string.sub(cur, 18, 33)
        if holder ~= ARGV[3] then
          if order >= 0 then return {5} end
          redis.call('SET', KEYS[1], ARGV[2])
          return {6, holder}
        end
        if order > 0 then return {4, r} end
        if order == 0 then
          local k = string.byte(cur, 67)
          local start = 68 + 32 * k
          return {3, string.sub(cur, start, start + 155)}
        end
        redis.call('SET', KEYS[1], ARGV[2])
        return {2}
        """;

    /// <summary>KEYS[1] subscription hash. ARGV: expected last command time (-1: none yet), then
    /// key, max channels, max bytes, expiry, command time. Writes only when the stored command time
    /// is the expected one. Returns 1 written, 0 not.</summary>
    public const string PutSubscription = """
        local cur = redis.call('HGET', KEYS[1], 'cmd')
        if not cur then
          if redis.call('EXISTS', KEYS[1]) == 1 then cur = '0' else cur = '-1' end
        end
        if tonumber(cur) ~= tonumber(ARGV[1]) then return 0 end
        redis.call('HSET', KEYS[1], 'key', ARGV[2], 'maxch', ARGV[3], 'maxb', ARGV[4], 'exp', ARGV[5], 'cmd', ARGV[6])
        return 1
        """;

    /// <summary>KEYS[1] channel record, KEYS[2] its closed marker. ARGV[1] round hex, ARGV[2] seconds the
    /// marker is kept. Deletes when the stored round ≤ ARGV[1] and marks the channel closed at that round.
    /// Returns 1 deleted, 0 absent, -1 newer round kept.</summary>
    public const string DeleteRecord = RoundCompare + "\n" + """
        local r = redis.call('GETRANGE', KEYS[1], 0, 15)
        if r == '' then return 0 end
        if cmpround(r, ARGV[1]) > 0 then return -1 end
        redis.call('DEL', KEYS[1])
        redis.call('SET', KEYS[2], r, 'EX', ARGV[2])
        return 1
        """;

    /// <summary>KEYS[1] subscription usage hash (channel id → bytes, 't' → total).
    /// ARGV: channel id, size, max channels, max bytes. Returns the previous size (-1 when new),
    /// -2 when over the channel allowance, -3 when over the byte allowance.</summary>
    public const string ReserveQuota = """
        local prev = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
        local total = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
        local size = tonumber(ARGV[2])
        if prev < 0 then
          local n = redis.call('HLEN', KEYS[1]) - redis.call('HEXISTS', KEYS[1], 't')
          if n + 1 > tonumber(ARGV[3]) then return -2 end
          total = total + size
        else
          total = total - prev + size
        end
        if total > tonumber(ARGV[4]) then return -3 end
        redis.call('HSET', KEYS[1], ARGV[1], size, 't', total)
        return prev
        """;

    /// <summary>KEYS[1] subscription usage hash. ARGV: channel id, size (-1 removes). Keeps the total in step.</summary>
    public const string SetUsage = """
        local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
        local total = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
        if cur >= 0 then total = total - cur end
        local size = tonumber(ARGV[2])
        if size < 0 then
          redis.call('HDEL', KEYS[1], ARGV[1])
        else
          redis.call('HSET', KEYS[1], ARGV[1], size)
          total = total + size
        end
        if redis.call('HLEN', KEYS[1]) <= 1 and total == 0 then
          redis.call('DEL', KEYS[1])
        else
          redis.call('HSET', KEYS[1], 't', total)
        end
        return total
        """;

    // Shared helpers for the index scripts: the account hash maps a 32-byte key to the
    // concatenation of the 16-byte ids of the channels watching it.
    private const string IndexHelpers = RoundCompare + "\n" + """
        local function unwatch(acct, a, ch)
          local v = redis.call('HGET', acct, a)
          if not v then return end
          local rest = {}
          for i = 1, #v, 16 do
            local c = string.sub(v, i, i + 15)
            if c ~= ch then rest[#rest + 1] = c end
          end
          if #rest == 0 then redis.call('HDEL', acct, a) else redis.call('HSET', acct, a, table.concat(rest)) end
        end
        local function watch(acct, a, ch)
          local v = redis.call('HGET', acct, a)
          if not v then redis.call('HSET', acct, a, ch) return end
          for i = 1, #v, 16 do
            if string.sub(v, i, i + 15) == ch then return end
          end
          redis.call('HSET', acct, a, v .. ch)
        end
        local function has(list, a)
          for i = 1, #list, 32 do
            if string.sub(list, i, i + 31) == a then return true end
          end
          return false
        end
        local function log(changes, seq, maxlen, ch, added, removed)
          local n = redis.call('INCR', seq)
          redis.call('XADD', changes, 'MAXLEN', '~', maxlen, '*', 'n', n, 'c', ch, 'a', added, 'r', removed)
        end
        """;

    /// <summary>KEYS: account hash, version hash, deadlines, changes, change counter.
    /// ARGV: channel id, round hex, packed accounts, deadline time, max changes kept.
    /// Applies only if the round is ≥ the indexed one (a late, older upload cannot roll the index back).</summary>
    public const string Reindex = IndexHelpers + "\n" + """
        local ch = ARGV[1]
        local ver = redis.call('HGET', KEYS[2], ch)
        local old = ''
        if ver then
          if cmpround(string.sub(ver, 1, 16), ARGV[2]) > 0 then return 0 end
          old = string.sub(ver, 17)
        end
        local new = ARGV[3]
        local added, removed = {}, {}
        for i = 1, #old, 32 do
          local a = string.sub(old, i, i + 31)
          if not has(new, a) then unwatch(KEYS[1], a, ch) removed[#removed + 1] = a end
        end
        for i = 1, #new, 32 do
          local a = string.sub(new, i, i + 31)
          if not has(old, a) then added[#added + 1] = a end
          watch(KEYS[1], a, ch)
        end
        redis.call('HSET', KEYS[2], ch, ARGV[2] .. new)
        redis.call('ZADD', KEYS[3], ARGV[4], ch)
        if #added > 0 or #removed > 0 then
          log(KEYS[4], KEYS[5], ARGV[5], ch, table.concat(added), table.concat(removed))
        end
        return 1
        """;

    /// <summary>KEYS: account hash, version hash, deadlines, follow-ups, changes, change counter.
    /// ARGV: channel id, up-to round hex, max changes kept. Returns 1 removed, 0 not indexed, -1 newer round indexed.</summary>
    public const string Unindex = IndexHelpers + "\n" + """
        local ch = ARGV[1]
        local ver = redis.call('HGET', KEYS[2], ch)
        if not ver then
          redis.call('ZREM', KEYS[3], ch)
          redis.call('ZREM', KEYS[4], ch)
          return 0
        end
        if cmpround(string.sub(ver, 1, 16), ARGV[2]) > 0 then return -1 end
        local old = string.sub(ver, 17)
        for i = 1, #old, 32 do unwatch(KEYS[1], string.sub(old, i, i + 31), ch) end
        redis.call('HDEL', KEYS[2], ch)
        redis.call('ZREM', KEYS[3], ch)
        redis.call('ZREM', KEYS[4], ch)
        log(KEYS[5], KEYS[6], ARGV[3], ch, '', old)
        return 1
        """;

    /// <summary>KEYS: changes, change counter. ARGV: exclusive start id, max.
    /// Returns {counter, entries} atomically so a reader can tell trimmed entries from no entries.</summary>
    public const string ReadChanges = """
        local n = redis.call('GET', KEYS[2]) or '0'
        local entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
        return {n, entries}
        """;
}
