using System.Collections.Immutable;
using Watchtower.Channels.Protocol;
using Watchtower.Contracts;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Channels.Runtime;

/// <summary>
/// What a watchtower needs to act for participant <see cref="Participant"/> after round
/// <see cref="Round"/>: the channel parameters, r_j, the latest fully signed ratchet v_max, and the
/// round's fully signed snapshots T_max. <see cref="ToTowerBundle"/> maps it to the tower's format.
/// </summary>
public sealed record ChannelBundle(
    ChannelParameters Parameters,
    int Participant,
    long Round,
    DateTimeOffset RoundStart,
    SequenceNumber RatchetTarget,
    TransactionEnvelope Ratchet,
    ImmutableArray<TransactionEnvelope> Snapshots,
    bool Closing)
{
    public static ChannelBundle From(ChannelParameters parameters, int participant, CompletedRound round)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(round);
        return new ChannelBundle(parameters, participant, round.Round, round.Start, parameters.RatchetTarget(round.Round), round.Ratchet, round.Snapshots, round.Closing);
    }

    /// <summary>
    /// The tower's <see cref="Bundle"/> for this round, or null for the cooperative close round:
    /// its snapshots are valid at once (no D after the ratchet), so a tower must not be asked to
    /// hold it; the close is settled by the wallet on the spot.
    /// </summary>
    public Bundle? ToTowerBundle()
    {
        if (Closing)
        {
            return null;
        }

        var p = Parameters;
        var version = p.Participants[Participant].VersionAccount;
        var n = (byte)p.Count;
        var start = ChannelTransactions.UnixSeconds(RoundStart);
        return new Bundle(
            Contracts.ChannelId.Derive(p.Network, p.Escrow, version),
            p.Network,
            p.Escrow,
            version,
            [.. p.Participants.Where((_, i) => i != Participant).Select(x => x.VersionAccount)],
            checked((ulong)Round),
            RatchetTarget,
            p.Count,
            p.Timeouts.SynchronyDelay,
            new EscrowSigners(new Thresholds(1, n, n, n), [.. p.Participants.Skip(1).Select(x => new Signer(new Ed25519SignerKey(x.RatchetKey), 1))]),
            Ratchet,
            Snapshots,
            new TimeBounds(start, ChannelTransactions.UnixSeconds(ChannelTransactions.RatchetMaxTime(p, RoundStart))),
            ChannelTransactions.UnixSeconds(ChannelTransactions.SnapshotMinTime(p, RoundStart, closing: false)));
    }
}

/// <summary>
/// Seals each round's bundle to the tower's key, signed with the wallet's identity key, and hands
/// it to <paramref name="upload"/> (the transport to the tower is the caller's choice). The close
/// round is not uploaded (see <see cref="ChannelBundle.ToTowerBundle"/>).
/// </summary>
public sealed class SealingBundleSink(TowerPublicKey tower, KeyPair walletIdentity, Func<SealedBundle, CancellationToken, Task> upload) : IBundleSink
{
    public async Task PublishAsync(ChannelBundle bundle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (bundle.ToTowerBundle() is { } towerBundle)
        {
            await upload(BundleSealer.Seal(towerBundle, tower, walletIdentity), ct).ConfigureAwait(false);
        }
    }
}

/// <summary>Receives a bundle after every completed round (e.g. uploads it to a tower).</summary>
public interface IBundleSink
{
    Task PublishAsync(ChannelBundle bundle, CancellationToken ct);
}

/// <summary>Keeps the bundles (tests, or a wallet with no tower).</summary>
public sealed class RecordingBundleSink : IBundleSink
{
    private readonly List<ChannelBundle> _bundles = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<ChannelBundle> Bundles
    {
        get
        {
            lock (_gate)
            {
                return [.. _bundles];
            }
        }
    }

    public Task PublishAsync(ChannelBundle bundle, CancellationToken ct)
    {
        lock (_gate)
        {
            _bundles.Add(bundle);
        }

        return Task.CompletedTask;
    }
}
