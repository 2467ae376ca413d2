using System.Collections.Concurrent;
using MassTransit;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;

namespace Watchtower.Chaos.Tests;

/// <summary>The kinds of hostile upload the flood sends to the tower's real upload queue.</summary>
internal enum HostileKind
{
    /// <summary>Random bytes of random length.</summary>
    RandomBytes,
    /// <summary>A real sealed bundle cut short.</summary>
    Truncated,
    /// <summary>Longer than the largest sealed bundle the tower accepts.</summary>
    Oversized,
    /// <summary>A real bundle sealed and signed by a key that is not the subscription's.</summary>
    WrongSigner,
    /// <summary>A real bundle, signed by the subscription's key, sealed to another tower.</summary>
    WrongTowerKey,
    /// <summary>A real sealed bundle under a subscription the tower never issued.</summary>
    UnknownSubscription,
    /// <summary>A victim's sealed bundle replayed by another (registered) tenant.</summary>
    StrangerReplay,
    /// <summary>A victim's own older round replayed after the tower receipted a newer one.</summary>
    StaleReplay,
    /// <summary>A channel's first round replayed under its own subscription once the tower settled the channel on the ledger.</summary>
    ReplayAfterSettlement,
}

/// <summary>
/// Floods the upload queue with hostile uploads as request/response, the way a wallet talks to
/// the tower, and counts every answer: a typed rejection is what must come back; an acceptance of
/// anything hostile is a failure; no answer within the limit is counted as unanswered.
/// </summary>
internal sealed class HostileFlood
{
    private static readonly (HostileKind Kind, int Weight)[] Mix =
    [
        (HostileKind.RandomBytes, 25), (HostileKind.Truncated, 15), (HostileKind.Oversized, 2), (HostileKind.WrongSigner, 13),
        (HostileKind.WrongTowerKey, 10), (HostileKind.UnknownSubscription, 13), (HostileKind.StrangerReplay, 11), (HostileKind.StaleReplay, 11),
    ];

    private readonly IBus _bus;
    private readonly Uri _uploads;
    private readonly IReadOnlyList<ChaosChannel> _victims;
    private readonly IReadOnlyList<Guid> _strangers;
    private readonly TowerPublicKey _otherTower;
    private readonly ConcurrentDictionary<string, long> _answers = new();
    private readonly ConcurrentQueue<string> _accepted = new();
    private readonly ConcurrentDictionary<(HostileKind, int), byte[]> _pool = new();
    private long _sent;
    private long _unanswered;

    public HostileFlood(IBus bus, Uri uploads, IReadOnlyList<ChaosChannel> victims, IReadOnlyList<Guid> strangers, TowerPublicKey otherTower)
    {
        _bus = bus;
        _uploads = uploads;
        _victims = victims;
        _strangers = strangers;
        _otherTower = otherTower;
    }

    public long Sent => Interlocked.Read(ref _sent);

    public long Unanswered => Interlocked.Read(ref _unanswered);

    /// <summary>Answers by kind and outcome, e.g. "Truncated → Malformed".</summary>
    public IReadOnlyDictionary<string, long> Answers => _answers;

    /// <summary>Hostile uploads the tower accepted (each one is a failure).</summary>
    public IReadOnlyCollection<string> Accepted => _accepted;

    /// <summary>Sends <paramref name="total"/> hostile uploads with <paramref name="workers"/> in flight; each worker draws from its own seeded stream.</summary>
    public async Task RunAsync(long total, int workers, int seed, CancellationToken ct)
    {
        var client = _bus.CreateRequestClient<UploadBundle>(_uploads, RequestTimeout.After(s: 30));
        long next = 0;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var rng = new Random(HashCode.Combine(seed, w));
            while (!ct.IsCancellationRequested && Interlocked.Increment(ref next) <= total)
            {
                var (kind, victim, subscription, bytes) = Make(rng);
                if (!await SendAsync(client, kind, victim, subscription, bytes, ct).ConfigureAwait(false))
                {
                    return;
                }
            }
        }, ct))).ConfigureAwait(false);
    }

    /// <summary>Replays each channel's first sealed round under its own subscription (run after the channels settled).</summary>
    public async Task ReplayAfterSettlementAsync(IEnumerable<ChaosChannel> settled, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settled);
        var client = _bus.CreateRequestClient<UploadBundle>(_uploads, RequestTimeout.After(s: 30));
        foreach (var c in settled)
        {
            await SendAsync(client, HostileKind.ReplayAfterSettlement, c, c.Subscription, c.Sent.MinBy(s => s.Key).Value.Sealed, ct).ConfigureAwait(false);
        }
    }

    /// <summary>One hostile upload and its answer, counted; false once cancelled.</summary>
    private async Task<bool> SendAsync(IRequestClient<UploadBundle> client, HostileKind kind, ChaosChannel victim, Guid subscription, byte[] bytes, CancellationToken ct)
    {
        Interlocked.Increment(ref _sent);
        try
        {
            var response = await client.GetResponse<BundleAccepted, BundleRejected>(new UploadBundle(subscription, bytes), ct).ConfigureAwait(false);
            if (response.Is(out Response<BundleRejected>? rejected))
            {
                _answers.AddOrUpdate($"{kind} → {rejected.Message.Reason}", 1, (_, n) => n + 1);
            }
            else if (response.Is(out Response<BundleAccepted>? accepted))
            {
                _answers.AddOrUpdate($"{kind} → ACCEPTED", 1, (_, n) => n + 1);
                _accepted.Enqueue($"{kind} of channel {victim.Index} ({victim.Fate}{(victim.Frozen ? ", left to the tower" : "")}, tower receipted round {victim.ReceiptedRound}): "
                    + $"{bytes.Length} bytes under {subscription}, receipt for round {accepted.Message.Round}");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is RequestTimeoutException or RequestException or MassTransitException)
        {
            // No answer in time (e.g. its ingest process was killed and the redelivery came too late).
            Interlocked.Increment(ref _unanswered);
        }

        return true;
    }

    private (HostileKind Kind, ChaosChannel Victim, Guid Subscription, byte[] Bytes) Make(Random rng)
    {
        var victim = _victims[rng.Next(_victims.Count)];
        var (kind, subscription, bytes) = Make(rng, victim);
        return (kind, victim, subscription, bytes);
    }

    private (HostileKind Kind, Guid Subscription, byte[] Bytes) Make(Random rng, ChaosChannel victim)
    {
        var pick = rng.Next(Mix.Sum(m => m.Weight));
        var kind = Mix.First(m => (pick -= m.Weight) < 0).Kind;
        var sent = victim.Sent.Values.ToArray();
        var some = sent[rng.Next(sent.Length)];
        switch (kind)
        {
            case HostileKind.RandomBytes:
                return (kind, victim.Subscription, Random(rng, rng.Next(0, 1024)));
            case HostileKind.Truncated:
                return (kind, victim.Subscription, some.Sealed[..rng.Next(0, some.Sealed.Length)]);
            case HostileKind.Oversized:
                return (kind, victim.Subscription, Random(rng, BundleLimits.MaxSealedBytes + 1 + rng.Next(1024)));
            case HostileKind.WrongSigner:
                // Sealing costs key agreement and a signature: a small pool per victim is reused.
                return (kind, victim.Subscription, _pool.GetOrAdd((kind, victim.Index), _ => BundleSealer.Seal(some.Bundle, victim.Tower, KeyPair.Random()).ToArray()));
            case HostileKind.WrongTowerKey:
                return (kind, victim.Subscription, _pool.GetOrAdd((kind, victim.Index), _ => BundleSealer.Seal(some.Bundle, _otherTower, victim.Alice).ToArray()));
            case HostileKind.UnknownSubscription:
                return (kind, Guid.NewGuid(), some.Sealed);
            case HostileKind.StrangerReplay:
                return (kind, _strangers[rng.Next(_strangers.Count)], some.Sealed);
            default:
                // A round below the receipted one: the tower holds a later round, so StaleRound is the only right answer.
                var receipted = victim.ReceiptedRound;
                var older = sent.Where(s => (long)s.Bundle.Round < receipted).ToArray();
                return older.Length == 0
                    ? (HostileKind.RandomBytes, victim.Subscription, Random(rng, 64))
                    : (kind, victim.Subscription, older[rng.Next(older.Length)].Sealed);
        }
    }

    private static byte[] Random(Random rng, int length)
    {
        var bytes = new byte[length];
        rng.NextBytes(bytes);
        return bytes;
    }
}
