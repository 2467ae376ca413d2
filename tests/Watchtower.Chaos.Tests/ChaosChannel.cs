using System.Collections.Concurrent;
using System.Collections.Immutable;
using Watchtower.Channels.Runtime;
using Watchtower.Contracts;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Watchtower.TowerClient;
using ChannelId = Watchtower.Contracts.ChannelId;

namespace Watchtower.Chaos.Tests;

/// <summary>What the run does to a channel: nothing (refreshes until the end), a breach by Bob, or a wallet that stops refreshing.</summary>
public enum ChannelFate
{
    Honest,
    Breach,
    Deadline,
}

/// <summary>
/// One two-party channel on the standalone network. Alice (participant 0) is the tower's client:
/// every completed round is sealed here (so the harness keeps the exact bytes it sent) and queued on
/// her <see cref="WalletTowerClient"/>; the receipts that come back are recorded with their latency.
/// Bob (1) keeps every round's bundle, which is what he cheats with.
/// </summary>
internal sealed class ChaosChannel : IBundleSink
{
    public static readonly ChannelTimeouts Timeouts = new(
        SynchronyDelay: TimeSpan.FromDays(1),
        TimeoutClaim: TimeSpan.FromDays(3),
        TimeoutClaimDelay: TimeSpan.FromDays(1),
        MaxRoundInterval: TimeSpan.FromDays(2),
        MaxClockSkew: TimeSpan.FromMinutes(1));

    public static readonly Stroops WalletStart = Stroops.FromLumens(1000);

    private readonly ConcurrentDictionary<ulong, SentRound> _sent = new();
    private readonly ConcurrentDictionary<long, ImmutableArray<long>> _balances = new();
    private readonly ConcurrentBag<double> _latencies = [];
    private readonly ConcurrentDictionary<string, int> _failures = new();
    private readonly Func<bool> _underFlood;
    private long _receipted = -1;

    public ChaosChannel(int index, KeyPair funder, KeyPair alice, KeyPair bob, long aliceDeposit, long bobDeposit, TowerPublicKey tower, Func<bool> underFlood)
    {
        Index = index;
        Funder = funder;
        Alice = alice;
        Bob = bob;
        Deposits = [aliceDeposit, bobDeposit];
        Tower = tower;
        _underFlood = underFlood;
    }

    public int Index { get; }

    public KeyPair Funder { get; }

    public KeyPair Alice { get; }

    public KeyPair Bob { get; }

    /// <summary>Deposits in stroops (Alice, Bob).</summary>
    public ImmutableArray<long> Deposits { get; }

    public TowerPublicKey Tower { get; }

    public Guid Subscription { get; } = Guid.NewGuid();

    public LocalChannelGroup Group { get; set; } = null!;

    public WalletTowerClient Client { get; set; } = null!;

    public RecordingBundleSink BobSink { get; } = new();

    public ChannelFate Fate { get; set; }

    /// <summary>The tick of the run at which the fate strikes (breach, or the wallet stops).</summary>
    public int FateTick { get; set; }

    /// <summary>No more rounds (Bob cheated, or Alice's wallet stopped refreshing).</summary>
    public bool Frozen { get; set; }

    /// <summary>The round Bob put on the ledger, once he did.</summary>
    public long? StaleRound { get; set; }

    public ChannelParameters Parameters => Group.Parameters;

    public ChannelId TowerChannelId => ChannelId.Derive(Parameters.Network, Parameters.Escrow, Parameters.Participants[0].VersionAccount);

    public long LatestRound => Group[0]!.State.Latest!.Round;

    public DateTimeOffset LatestStart => Group[0]!.State.Latest!.Start;

    /// <summary>The highest round the tower signed a receipt for (−1: none yet).</summary>
    public long ReceiptedRound => Interlocked.Read(ref _receipted);

    public IReadOnlyCollection<double> LatenciesMs => _latencies;

    public IReadOnlyDictionary<string, int> UploadFailures => _failures;

    /// <summary>The sealed bytes of every round sent to the tower (replays are made of these).</summary>
    public IReadOnlyDictionary<ulong, SentRound> Sent => _sent;

    /// <summary>The payouts (stroops, Alice then Bob) of round <paramref name="round"/>.</summary>
    public ImmutableArray<long> Balances(long round) => _balances[round];

    /// <summary>Records the latest round's payouts: call after every completed round.</summary>
    public void RecordLatest()
    {
        var state = Group[0]!.State;
        _balances[state.Latest!.Round] = LocalChannelGroup.NativeBalances(state);
    }

    public Task PublishAsync(ChannelBundle bundle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (bundle.ToTowerBundle() is { } towerBundle)
        {
            var sealedBundle = BundleSealer.Seal(towerBundle, Tower, Alice);
            _sent[sealedBundle.Round] = new SentRound(towerBundle, sealedBundle.ToArray(), DateTimeOffset.UtcNow, _underFlood());
            Client.Queue(sealedBundle);
        }

        return Task.CompletedTask;
    }

    /// <summary>The client's report of one upload attempt.</summary>
    public void OnOutcome(UploadOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Status == UploadStatus.Accepted)
        {
            var round = checked((long)outcome.Round);
            long seen;
            while ((seen = Interlocked.Read(ref _receipted)) < round && Interlocked.CompareExchange(ref _receipted, round, seen) != seen)
            {
            }

            if (_sent.TryGetValue(outcome.Round, out var sent) && sent.UnderFlood)
            {
                _latencies.Add((DateTimeOffset.UtcNow - sent.QueuedAt).TotalMilliseconds);
            }

            return;
        }

        _failures.AddOrUpdate($"{outcome.Status}{(outcome.Reason is { } r ? "/" + r : "")}", 1, (_, n) => n + 1);
    }
}

/// <summary>A round as Alice sent it: the bundle, its sealed bytes, when it was queued, and whether the flood was running then.</summary>
internal sealed record SentRound(Bundle Bundle, byte[] Sealed, DateTimeOffset QueuedAt, bool UnderFlood);
