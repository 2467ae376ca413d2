using StackExchange.Redis;
using Watchtower.Tower.Storage;

namespace Watchtower.Tower.Tailing;

/// <summary>
/// The tailer's cursor: the last ledger fully processed. It only moves forward and only for the
/// current holder of the tailer lease (checked atomically with the write), so a paused ex-leader
/// waking up cannot rewind or skip what the new leader did.
/// </summary>
public interface ITailerCursor
{
    /// <summary>Null before the first run.</summary>
    Task<uint?> GetAsync(CancellationToken ct);

    /// <summary>Moves the cursor to <paramref name="ledger"/> when <paramref name="token"/> still holds the lease; false when fenced out.</summary>
    Task<bool> AdvanceAsync(FencingToken token, uint ledger, CancellationToken ct);
}

/// <summary>
/// <see cref="ITailerCursor"/> on Redis, in the hash slot of the tailer's <see cref="RedisLease"/>
/// (<c>{prefix}:{lease:tailer}</c>, value "holder/token") so the fence check and the write are one script.
/// </summary>
public sealed class RedisTailerCursor : ITailerCursor
{
    /// <summary>The lease name the tailer uses with <see cref="RedisLease"/>.</summary>
    public const string LeaseName = "tailer";

    private const string AdvanceScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        local cur = tonumber(redis.call('GET', KEYS[2]) or '-1')
        if tonumber(ARGV[2]) > cur then redis.call('SET', KEYS[2], ARGV[2]) end
        return 1
        """;

    private readonly IDatabase _db;
    private readonly RedisKey _lease;
    private readonly RedisKey _cursor;
    private readonly string _holder;

    public RedisTailerCursor(IConnectionMultiplexer redis, string holder, string prefix = "wt")
    {
        ArgumentNullException.ThrowIfNull(redis);
        _db = redis.GetDatabase();
        _holder = holder;
        _lease = $"{prefix}:{{lease:{LeaseName}}}";
        _cursor = $"{prefix}:{{lease:{LeaseName}}}:cursor";
    }

    public async Task<uint?> GetAsync(CancellationToken ct)
    {
        var value = await _db.StringGetAsync(_cursor).ConfigureAwait(false);
        return value.IsNull ? null : (uint)(long)value;
    }

    public async Task<bool> AdvanceAsync(FencingToken token, uint ledger, CancellationToken ct)
    {
        var result = await _db.ScriptEvaluateAsync(AdvanceScript, [_lease, _cursor], [$"{_holder}/{token}", (long)ledger]).ConfigureAwait(false);
        return (int)result == 1;
    }
}

/// <summary>In-process <see cref="ITailerCursor"/> for the embedded demo, fenced by the in-memory lease.</summary>
public sealed class InMemoryTailerCursor(ILease lease) : ITailerCursor
{
    private readonly Lock _gate = new();
    private uint? _cursor;

    public Task<uint?> GetAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_cursor);
        }
    }

    public async Task<bool> AdvanceAsync(FencingToken token, uint ledger, CancellationToken ct)
    {
        if (!await lease.IsCurrentAsync(token, ct).ConfigureAwait(false))
        {
            return false;
        }
        lock (_gate)
        {
            if (_cursor is null || ledger > _cursor)
            {
                _cursor = ledger;
            }
        }
        return true;
    }
}
