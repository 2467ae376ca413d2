using System.Globalization;
using StackExchange.Redis;

namespace Watchtower.Tower.Storage;

/// <summary>
/// A fencing token: strictly increasing across successive holders of a lease, so a write carrying
/// an older token can be recognised as coming from a holder that lost the lease.
/// </summary>
public readonly record struct FencingToken(long Value) : IComparable<FencingToken>
{
    public int CompareTo(FencingToken other) => Value.CompareTo(other.Value);

    public static bool operator <(FencingToken a, FencingToken b) => a.Value < b.Value;

    public static bool operator >(FencingToken a, FencingToken b) => a.Value > b.Value;

    public static bool operator <=(FencingToken a, FencingToken b) => a.Value <= b.Value;

    public static bool operator >=(FencingToken a, FencingToken b) => a.Value >= b.Value;

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>An exclusive, expiring lease (one active tailer). The holder renews well within the time to live.</summary>
public interface ILease
{
    /// <summary>Acquires the lease when free (or already ours); null when someone else holds it.</summary>
    Task<FencingToken?> TryAcquireAsync(CancellationToken ct);

    /// <summary>Extends the lease; false when it was lost (expired and possibly taken over).</summary>
    Task<bool> RenewAsync(FencingToken token, CancellationToken ct);

    /// <summary>Gives the lease up if still held with this token.</summary>
    Task ReleaseAsync(FencingToken token, CancellationToken ct);

    /// <summary>Whether this token is the one currently holding the lease (check before a fenced write).</summary>
    Task<bool> IsCurrentAsync(FencingToken token, CancellationToken ct);
}

/// <summary>
/// <see cref="ILease"/> on Redis: <c>{prefix}:{lease:name}</c> holds "holder/token" with a PX
/// expiry, <c>{prefix}:{lease:name}:fence</c> the token counter (same slot). Expiry is Redis's own
/// clock, which all replicas share.
/// </summary>
public sealed class RedisLease : ILease
{
    // ARGV: holder, ttl ms. Returns the token (new, or the current one if already ours) or nil.
    private const string AcquireScript = """
        local cur = redis.call('GET', KEYS[1])
        if cur then
          local holder, token = string.match(cur, '^(.*)/(%d+)$')
          if holder == ARGV[1] then
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return tonumber(token)
          end
          return false
        end
        local token = redis.call('INCR', KEYS[2])
        redis.call('SET', KEYS[1], ARGV[1] .. '/' .. token, 'PX', ARGV[2])
        return token
        """;

    // ARGV: holder/token, ttl ms.
    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly IDatabase _db;
    private readonly RedisKey _key;
    private readonly RedisKey _fence;
    private readonly string _holder;
    private readonly long _ttlMilliseconds;

    public RedisLease(IConnectionMultiplexer redis, string name, string holder, TimeSpan timeToLive, string prefix = "wt")
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrEmpty(holder);
        if (holder.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("a lease holder id cannot contain '/'", nameof(holder));
        }
        _db = redis.GetDatabase();
        _key = $"{prefix}:{{lease:{name}}}";
        _fence = $"{prefix}:{{lease:{name}}}:fence";
        _holder = holder;
        _ttlMilliseconds = (long)timeToLive.TotalMilliseconds;
    }

    public async Task<FencingToken?> TryAcquireAsync(CancellationToken ct)
    {
        var result = await _db.ScriptEvaluateAsync(AcquireScript, [_key, _fence], [_holder, _ttlMilliseconds]).ConfigureAwait(false);
        return result.IsNull ? null : new FencingToken((long)result);
    }

    public async Task<bool> RenewAsync(FencingToken token, CancellationToken ct) =>
        (int)await _db.ScriptEvaluateAsync(RenewScript, [_key], [Value(token), _ttlMilliseconds]).ConfigureAwait(false) == 1;

    public Task ReleaseAsync(FencingToken token, CancellationToken ct) =>
        _db.ScriptEvaluateAsync(ReleaseScript, [_key], [Value(token)]);

    public async Task<bool> IsCurrentAsync(FencingToken token, CancellationToken ct) =>
        await _db.StringGetAsync(_key).ConfigureAwait(false) == Value(token);

    private string Value(FencingToken token) => $"{_holder}/{token}";
}

/// <summary>
/// <see cref="ILease"/> for the single-process demo: shared state per name, expiry on the injected clock.
/// </summary>
public sealed class InMemoryLease : ILease
{
    private sealed class State
    {
        public string? Holder;
        public long Token;
        public DateTimeOffset ExpiresAt;
    }

    private readonly State _state;
    private readonly string _holder;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _time;

    /// <summary>Leases for the same name must share <paramref name="group"/> (one per process).</summary>
    public InMemoryLease(InMemoryLeaseGroup group, string name, string holder, TimeSpan timeToLive, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(group);
        _state = (State)group.Get(name, () => new State());
        _holder = holder;
        _ttl = timeToLive;
        _time = time;
    }

    public Task<FencingToken?> TryAcquireAsync(CancellationToken ct)
    {
        lock (_state)
        {
            var now = _time.GetUtcNow();
            var free = _state.Holder is null || now >= _state.ExpiresAt;
            if (!free && _state.Holder != _holder)
            {
                return Task.FromResult<FencingToken?>(null);
            }
            if (free)
            {
                _state.Token++;
                _state.Holder = _holder;
            }
            _state.ExpiresAt = now + _ttl;
            return Task.FromResult<FencingToken?>(new FencingToken(_state.Token));
        }
    }

    public Task<bool> RenewAsync(FencingToken token, CancellationToken ct)
    {
        lock (_state)
        {
            var now = _time.GetUtcNow();
            if (!Holds(token, now))
            {
                return Task.FromResult(false);
            }
            _state.ExpiresAt = now + _ttl;
            return Task.FromResult(true);
        }
    }

    public Task ReleaseAsync(FencingToken token, CancellationToken ct)
    {
        lock (_state)
        {
            if (Holds(token, _time.GetUtcNow()))
            {
                _state.Holder = null;
            }
        }
        return Task.CompletedTask;
    }

    public Task<bool> IsCurrentAsync(FencingToken token, CancellationToken ct)
    {
        lock (_state)
        {
            return Task.FromResult(Holds(token, _time.GetUtcNow()));
        }
    }

    private bool Holds(FencingToken token, DateTimeOffset now) =>
        _state.Holder == _holder && _state.Token == token.Value && now < _state.ExpiresAt;
}

/// <summary>The process-wide registry of in-memory lease states (register one as a singleton).</summary>
public sealed class InMemoryLeaseGroup
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, object> _states = new();

    internal object Get(string name, Func<object> create) => _states.GetOrAdd(name, _ => create());
}
