using System.Collections.Immutable;
using Watchtower.Channels.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Channels.Runtime;

/// <summary>
/// What a watchtower needs to act for participant <see cref="Participant"/> after round
/// <see cref="Round"/>: the channel parameters, r_j, the latest fully signed ratchet v_max, and the
/// round's fully signed snapshots T_max. Neutral form; the upload client maps it to the tower's
/// wire format.
/// </summary>
public sealed record ChannelBundle(
    ChannelParameters Parameters,
    int Participant,
    long Round,
    DateTimeOffset RoundStart,
    SequenceNumber RatchetTarget,
    TransactionEnvelope Ratchet,
    ImmutableArray<TransactionEnvelope> Snapshots)
{
    public static ChannelBundle From(ChannelParameters parameters, int participant, CompletedRound round)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(round);
        return new ChannelBundle(parameters, participant, round.Round, round.Start, parameters.RatchetTarget(round.Round), round.Ratchet, round.Snapshots);
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
