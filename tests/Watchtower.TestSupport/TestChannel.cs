using System.Collections.Immutable;
using Watchtower.Contracts;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.TestSupport;

/// <summary>
/// A channel of n participants built with the core's TransactionBuilder, for tests: R is an n-of-n
/// multisig of per-user ratchet keys (master weight 0), each user has a version account A_i, and
/// round j has r_j = r_0 + j(n+1), ratchet window [M, M + TimeoutClaim], snapshots at
/// M + TimeoutClaim + TimeoutClaimDelay.
/// </summary>
public sealed class TestChannel
{
    public const ulong TimeoutClaim = 3600;
    public const ulong TimeoutClaimDelay = 7200;

    public TestChannel(int participants = 2, Network? network = null, Thresholds? escrowThresholds = null)
    {
        Network = network ?? Network.Standalone;
        EscrowThresholds = escrowThresholds ?? new Thresholds(0, (byte)participants, (byte)participants, (byte)participants);
        Escrow = KeyPair.Random();
        RatchetKeys = [.. Enumerable.Range(0, participants).Select(_ => KeyPair.Random())];
        VersionKeys = [.. Enumerable.Range(0, participants).Select(_ => KeyPair.Random())];
        WalletIdentity = KeyPair.Random();
    }

    public Network Network { get; }
    public KeyPair Escrow { get; }
    public ImmutableArray<KeyPair> RatchetKeys { get; }
    public ImmutableArray<KeyPair> VersionKeys { get; }
    public KeyPair WalletIdentity { get; }
    public int Participants => RatchetKeys.Length;
    public SequenceNumber R0 { get; } = SequenceNumber.FromLedger(7) + 5;
    public SequenceNumber VersionSequence { get; } = SequenceNumber.FromLedger(3);
    public TimeSpan ClaimDelay { get; } = TimeSpan.FromSeconds(3600);

    public ChannelId ChannelId(int participant = 0) => Contracts.ChannelId.Derive(Network, Escrow.AccountId, VersionKeys[participant].AccountId);

    public SequenceNumber RatchetTarget(ulong round) => R0 + ((long)round * (Participants + 1));

    /// <summary>R's thresholds; by default n-of-n at every level (one ratchet key of weight 1 per participant).</summary>
    public Thresholds EscrowThresholds { get; }

    public EscrowSigners EscrowSigners => new(
        EscrowThresholds,
        [.. RatchetKeys.Select(k => new Signer(new Ed25519SignerKey(k.AccountId), 1))]);

    public static ulong RoundStart(ulong round) => 1_700_000_000 + (round * 60);

    public TransactionEnvelope Ratchet(ulong round, int participant = 0, SequenceNumber? bumpTo = null, AccountId? bumpSource = null,
        TimeBounds? bounds = null, IEnumerable<KeyPair>? signers = null)
    {
        var m = RoundStart(round);
        var bump = new BumpSequenceOperation(bumpTo ?? RatchetTarget(round)) { SourceAccount = bumpSource ?? Escrow.AccountId };
        var envelope = new TransactionBuilder(VersionKeys[participant].AccountId, VersionSequence)
            .WithTimeBounds(bounds ?? new TimeBounds(m, m + TimeoutClaim))
            .AddOperation(bump)
            .BuildEnvelope();
        return SignAll(envelope, signers ?? [VersionKeys[participant], .. RatchetKeys]);
    }

    /// <param name="payout">The operation of snapshot k (default: a payment from R to A_k).</param>
    public ImmutableArray<TransactionEnvelope> Snapshots(ulong round, SequenceNumber? firstSequence = null, ulong? minTime = null,
        IEnumerable<KeyPair>? signers = null, Func<int, Operation>? payout = null)
    {
        var start = firstSequence ?? RatchetTarget(round) + 1;
        var min = minTime ?? RoundStart(round) + TimeoutClaim + TimeoutClaimDelay;
        return [.. Enumerable.Range(0, Participants).Select(k =>
        {
            var envelope = new TransactionBuilder(Escrow.AccountId, start + (k - 1))
                .WithTimeBounds(new TimeBounds(min, 0))
                .AddOperation(payout?.Invoke(k) ?? new PaymentOperation(VersionKeys[k].AccountId, Asset.Native, Stroops.FromLumens(10 + (decimal)round)))
                .BuildEnvelope();
            return SignAll(envelope, signers ?? RatchetKeys);
        })];
    }

    /// <summary>A valid bundle of round j for participant i.</summary>
    public Bundle Bundle(ulong round, int participant = 0)
    {
        var m = RoundStart(round);
        return new Bundle(
            ChannelId(participant), Network, Escrow.AccountId, VersionKeys[participant].AccountId,
            [.. VersionKeys.Where((_, i) => i != participant).Select(k => k.AccountId)],
            round, RatchetTarget(round), Participants, ClaimDelay, EscrowSigners,
            Ratchet(round, participant), Snapshots(round),
            new TimeBounds(m, m + TimeoutClaim), m + TimeoutClaim + TimeoutClaimDelay);
    }

    public SealedBundle Seal(Bundle bundle, TowerPublicKey tower, KeyPair? identity = null) =>
        BundleSealer.Seal(bundle, tower, identity ?? WalletIdentity);

    private TransactionEnvelope SignAll(TransactionEnvelope envelope, IEnumerable<KeyPair> signers) =>
        signers.Aggregate(envelope, (e, k) => e.Sign(Network, k));
}
