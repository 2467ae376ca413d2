using StackExchange.Redis;

namespace Watchtower.Tower.Tailing;

/// <summary>The right to tail: who holds it and its fencing token (strictly increasing across holders).</summary>
public sealed record TailerLease(string Owner, long Token);

/// <summary>
/// The tailer's durable state: one lease (exactly one active tailer among replicas) and the cursor
/// (last ledger fully processed). The cursor only moves forward and only for the current lease
/// holder, so a paused ex-leader waking up cannot rewind or skip what the new leader did.
/// </summary>
public interface ITailerCheckpoint
{
    /// <summary>The lease for <paramref name="owner"/> when free (or already ours), else null.</summary>
    Task<TailerLease?> TryAcquireAsync(string owner, TimeSpan ttl, CancellationToken ct);

    /// <summary>Extends the lease; false when it was lost (expired and taken, or released).</summary>
    Task<bool> RenewAsync(TailerLease lease, TimeSpan ttl, CancellationToken ct);

    Task ReleaseAsync(TailerLease lease, CancellationToken ct);

    /// <summary>Last fully processed ledger, or null before the first run.</summary>
    Task<uint?> GetCursorAsync(CancellationToken ct);

    /// <summary>Moves the cursor to <paramref name="ledger"/> if <paramref name="lease"/> is still current; false when fenced out.</summary>
    Task<bool> AdvanceCursorAsync(TailerLease lease, uint ledger, CancellationToken ct);
}

/// <summary>
/// <see cref="ITailerCheckpoint"/> on Redis: the lease, its token counter and the cursor share one
/// hash slot ({tail}) so each operation is one atomic Lua script.
/// </summary>
public sealed class RedisTailerCheckpoint : ITailerCheckpoint
{
    private const string AcquireScript = """
        local cur = redis.call('GET', KEYS[1])
        if cur then
          local sep = string.find(cur, '|', 1, true)
          if string.sub(cur, 1, sep - 1) == ARGV[1] then
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return tonumber(string.sub(cur, sep + 1))
          end
          return false
        end
        local token = redis.call('INCR', KEYS[2])
        redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
        return token
        """;

    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    private const string AdvanceScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        local cur = tonumber(redis.call('GET', KEYS[2]) or '-1')
        if tonumber(ARGV[2]) > cur then redis.call('SET', KEYS[2], ARGV[2]) end
        return 1
        """;

    private readonly IDatabase _db;
    private readonly RedisKey _lease;
    private readonly RedisKey _tokens;
    private readonly RedisKey _cursor;

    public RedisTailerCheckpoint(IConnectionMultiplexer redis, string prefix = "wt")
    {
        ArgumentNullException.ThrowIfNull(redis);
        _db = redis.GetDatabase();
        _lease = $"{prefix}:{{tail}}:lease";
        _tokens = $"{prefix}:{{tail}}:token";
        _cursor = $"{prefix}:{{tail}}:cursor";
    }

    public async Task<TailerLease?> TryAcquireAsync(string owner, TimeSpan ttl, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var result = await _db.ScriptEvaluateAsync(AcquireScript, [_lease, _tokens], [owner, (long)ttl.TotalMilliseconds]).ConfigureAwait(false);
        return result.IsNull ? null : new TailerLease(owner, (long)result);
    }

    public async Task<bool> RenewAsync(TailerLease lease, TimeSpan ttl, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var result = await _db.ScriptEvaluateAsync(RenewScript, [_lease], [Value(lease), (long)ttl.TotalMilliseconds]).ConfigureAwait(false);
        return (int)result == 1;
    }

    public async Task ReleaseAsync(TailerLease lease, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lease);
        await _db.ScriptEvaluateAsync(ReleaseScript, [_lease], [Value(lease)]).ConfigureAwait(false);
    }

    public async Task<uint?> GetCursorAsync(CancellationToken ct)
    {
        var value = await _db.StringGetAsync(_cursor).ConfigureAwait(false);
        return value.IsNull ? null : (uint)(long)value;
    }

    public async Task<bool> AdvanceCursorAsync(TailerLease lease, uint ledger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var result = await _db.ScriptEvaluateAsync(AdvanceScript, [_lease, _cursor], [Value(lease), (long)ledger]).ConfigureAwait(false);
        return (int)result == 1;
    }

    private static string Value(TailerLease lease) => $"{lease.Owner}|{lease.Token}";
}

/// <summary>In-process <see cref="ITailerCheckpoint"/> for the embedded demo (one process, so the lease is trivially ours).</summary>
public sealed class InMemoryTailerCheckpoint(TimeProvider time) : ITailerCheckpoint
{
    private readonly Lock _gate = new();
    private TailerLease? _lease;
    private DateTimeOffset _expires;
    private long _tokens;
    private uint? _cursor;

    public Task<TailerLease?> TryAcquireAsync(string owner, TimeSpan ttl, CancellationToken ct)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_lease is not null && now < _expires && _lease.Owner != owner)
            {
                return Task.FromResult<TailerLease?>(null);
            }
            if (_lease is null || now >= _expires)
            {
                _lease = new TailerLease(owner, ++_tokens);
            }
            _expires = now + ttl;
            return Task.FromResult<TailerLease?>(_lease);
        }
    }

    public Task<bool> RenewAsync(TailerLease lease, TimeSpan ttl, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_lease != lease || time.GetUtcNow() >= _expires)
            {
                return Task.FromResult(false);
            }
            _expires = time.GetUtcNow() + ttl;
            return Task.FromResult(true);
        }
    }

    public Task ReleaseAsync(TailerLease lease, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_lease == lease)
            {
                _lease = null;
            }
            return Task.CompletedTask;
        }
    }

    public Task<uint?> GetCursorAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_cursor);
        }
    }

    public Task<bool> AdvanceCursorAsync(TailerLease lease, uint ledger, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_lease != lease || time.GetUtcNow() >= _expires)
            {
                return Task.FromResult(false);
            }
            if (_cursor is null || ledger > _cursor)
            {
                _cursor = ledger;
            }
            return Task.FromResult(true);
        }
    }
}
