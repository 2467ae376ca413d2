using System.Collections.Immutable;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Channels.Protocol;

/// <summary>The secrets of one participant. Never leaves the participant.</summary>
public sealed record ParticipantKeys(KeyPair Wallet, KeyPair Version, KeyPair Ratchet);

public enum ChannelPhase
{
    /// <summary>Accounts set up, round 0 being signed or funding not yet seen on the ledger.</summary>
    Opening,
    /// <summary>Funding confirmed: rounds may proceed.</summary>
    Open,
    /// <summary>A cooperative close round completed: no further rounds.</summary>
    Closing,
    /// <summary>The ledger shows the channel paid out.</summary>
    Closed,
    /// <summary>Opening given up once the funding transaction could no longer land: nothing to watch.</summary>
    Abandoned,
}

/// <summary>
/// A round that is final for us: every snapshot fully signed (T_max) and our own ratchet fully
/// signed (v_max).
/// </summary>
public sealed record CompletedRound(
    long Round,
    DateTimeOffset Start,
    bool Closing,
    RoundOutcome Outcome,
    ImmutableArray<TransactionEnvelope> Snapshots,
    TransactionEnvelope Ratchet);

/// <summary>
/// A round in progress. Signatures are kept per signer (null until received). Once
/// <see cref="RatchetsSigned"/> is set the round can no longer be abandoned: a counterparty may
/// hold a ratchet for it, so we keep its snapshots for the monitor.
/// </summary>
public sealed record PendingRound(
    long Round,
    DateTimeOffset Start,
    bool Closing,
    RoundOutcome Outcome,
    int Proposer,
    ImmutableArray<Transaction> SnapshotTransactions,
    ImmutableArray<byte[]> SnapshotHashes,
    ImmutableArray<Transaction> RatchetTransactions,
    ImmutableArray<byte[]> RatchetHashes,
    ImmutableArray<ImmutableArray<DecoratedSignature>?> SnapshotSignatures,
    ImmutableArray<DecoratedSignature?> RatchetSignatures,
    bool RatchetsSigned)
{
    public bool HasAllSnapshotSignatures => SnapshotSignatures.All(s => s is not null);

    public bool HasAllRatchetSignatures => RatchetSignatures.All(s => s is not null);

    /// <summary>T_next with every signature, in signer order; only when all are present.</summary>
    public ImmutableArray<TransactionEnvelope> SignedSnapshots()
    {
        if (!HasAllSnapshotSignatures)
        {
            throw new InvalidOperationException("snapshot signatures are missing");
        }

        var envelopes = ImmutableArray.CreateBuilder<TransactionEnvelope>(SnapshotTransactions.Length);
        for (var i = 0; i < SnapshotTransactions.Length; i++)
        {
            var signatures = SnapshotSignatures.Select(s => s!.Value[i]);
            envelopes.Add(StellarInterop.Envelope(SnapshotTransactions[i], signatures));
        }

        return envelopes.MoveToImmutable();
    }
}

/// <summary>A message that arrived before the state it refers to (peers' links are independent).</summary>
public sealed record DeferredMessage(int From, PeerMessage Message);

/// <summary>
/// Everything one participant knows about the channel. <see cref="LastSignedRound"/> is the
/// highest round whose snapshots we signed: we never sign two different snapshot sets for one
/// round, since a ratchet of that round would validate either.
/// </summary>
public sealed record ChannelState(
    ChannelParameters Parameters,
    int Me,
    ChannelPhase Phase,
    CompletedRound? Latest,
    PendingRound? Pending,
    long LastSignedRound,
    ImmutableArray<ImmutableArray<DecoratedSignature>?> FundingSignatures,
    TransactionEnvelope? Funding,
    ImmutableArray<DeferredMessage> Deferred)
{
    public static ChannelState Create(ChannelParameters parameters, int me)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validated();
        if (me < 0 || me >= parameters.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(me), me, "not a participant index");
        }

        return new ChannelState(
            parameters, me, ChannelPhase.Opening, null, null, -1,
            [.. Enumerable.Repeat<ImmutableArray<DecoratedSignature>?>(null, parameters.Count)], null, []);
    }

    public ChannelId Channel => Parameters.Id;

    /// <summary>The round number the next proposal must carry.</summary>
    public long NextRound => Math.Max(Latest?.Round ?? -1, LastSignedRound) + 1;

    /// <summary>
    /// What the monitor watches: v_max/T_max of the latest completed round, plus a pending round
    /// we signed ratchets for (a counterparty may ratchet to it), with its snapshots.
    /// </summary>
    public MonitorInput? MonitorInput()
    {
        if (Latest is not { } latest)
        {
            return null;
        }

        return new MonitorInput(
            Parameters.FundedEscrowSequence,
            Watched(latest.Round, latest.Start, latest.Closing),
            Pending is { RatchetsSigned: true, HasAllSnapshotSignatures: true } p ? Watched(p.Round, p.Start, p.Closing) : null,
            Parameters.Timeouts.SynchronyDelay);
    }

    private WatchedRound Watched(long round, DateTimeOffset start, bool closing) => new(
        Parameters.RatchetTarget(round),
        Parameters.Count,
        ChannelTransactions.RatchetMaxTime(Parameters, start),
        ChannelTransactions.SnapshotMinTime(Parameters, start, closing));
}
