namespace Watchtower.Tower.Ingestion;

/// <summary>
/// One token bucket per subscription, in process memory (each ingest replica limits on its own, so
/// the cluster-wide rate is at most replicas × rate). Charged after the request's wallet signature
/// has verified, so a stranger who learns a subscription id cannot spend its budget, and before the
/// decryption and the bundle's validation, which are the costly steps.
/// </summary>
public sealed class SubscriptionRateLimiter
{
    // Beyond this many buckets, full ones (which carry no state) are forgotten.
    private const int MaxBuckets = 100_000;
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, (double Tokens, long At)> _buckets = [];
    private readonly TimeProvider _time;
    private readonly double _rate;
    private readonly double _burst;

    public SubscriptionRateLimiter(TimeProvider time, double perSecond, int burst)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        _time = time;
        _rate = perSecond;
        _burst = burst;
    }

    /// <summary>Takes one token from the subscription's bucket; false when it is empty.</summary>
    public bool TryTake(Guid subscription)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            var tokens = _burst;
            if (_buckets.TryGetValue(subscription, out var bucket))
            {
                var elapsed = (now - bucket.At) / (double)_time.TimestampFrequency;
                tokens = Math.Min(_burst, bucket.Tokens + (elapsed * _rate));
            }
            else if (_buckets.Count >= MaxBuckets)
            {
                Trim(now);
            }
            if (tokens < 1)
            {
                _buckets[subscription] = (tokens, now);
                return false;
            }
            _buckets[subscription] = (tokens - 1, now);
            return true;
        }
    }

    private void Trim(long now)
    {
        foreach (var (id, bucket) in _buckets.ToList())
        {
            if (bucket.Tokens + ((now - bucket.At) / (double)_time.TimestampFrequency * _rate) >= _burst)
            {
                _buckets.Remove(id);
            }
        }
    }
}
