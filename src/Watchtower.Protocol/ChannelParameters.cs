using System.Collections.Immutable;
using Watchtower.Stellar;

namespace Watchtower.Protocol;

/// <summary>What participant i brings into the channel. Amounts must be positive.</summary>
public sealed record Deposit(Asset Asset, Stroops Amount);

/// <summary>
/// Participant i: its wallet (pays deposits, receives payouts), its version account A_i with the
/// fixed sequence q_i (every ratchet of i is a transaction at q_i + 1), and its ratchet key (a
/// signer of the escrow R).
/// </summary>
public sealed record ChannelParticipant(
    AccountId Wallet,
    AccountId VersionAccount,
    AccountId RatchetKey,
    SequenceNumber VersionSequence,
    ImmutableArray<Deposit> Deposits);

/// <summary>
/// The spec's time parameters. D is the synchrony bound; TIMEOUT_CLAIM_DELAY ≥ D gives everyone D
/// to answer a stale ratchet; TIMEOUT_CLAIM ≥ D + the longest gap between rounds keeps the latest
/// ratchet usable. MaxClockSkew bounds how far a proposed round start may sit from ledger time.
/// </summary>
public sealed record ChannelTimeouts(
    TimeSpan SynchronyDelay,
    TimeSpan TimeoutClaim,
    TimeSpan TimeoutClaimDelay,
    TimeSpan MaxRoundInterval,
    TimeSpan MaxClockSkew);

/// <summary>
/// Everything the participants agree on before round 0. The escrow R is participant 0's ratchet
/// key account (as in the spec's example); funding adds the others' ratchet keys and raises every
/// threshold to N. <see cref="EscrowSetupSequence"/> is R's sequence when created; the funding
/// transaction consumes the next one, so R sits at EscrowSetupSequence + 1 after funding and
/// <see cref="InitialRatchetTarget"/> (r_0) must be strictly above that. The funding transaction
/// carries <see cref="OpeningDeadline"/> as its maxTime: past it, a funding signature given during
/// opening is dead, so a participant whose peers never complete opening can safely walk away
/// (see docs/channels.md, "Opening deadline").
/// </summary>
public sealed record ChannelParameters(
    Network Network,
    AccountId Escrow,
    SequenceNumber EscrowSetupSequence,
    SequenceNumber InitialRatchetTarget,
    ImmutableArray<ChannelParticipant> Participants,
    ChannelTimeouts Timeouts,
    uint FeePerOperation,
    DateTimeOffset OpeningDeadline)
{
    public int Count => Participants.Length;

    /// <summary>R's sequence once funded: the value meaning "nobody ratcheted yet".</summary>
    public SequenceNumber FundedEscrowSequence => EscrowSetupSequence + 1;

    /// <summary>r_j = r_0 + j(n+1).</summary>
    public SequenceNumber RatchetTarget(long round) => RoundSequences.RatchetTarget(InitialRatchetTarget, round, Count);

    /// <summary>Sequence of t_{j,i} (i 0-based): r_j + i + 1.</summary>
    public SequenceNumber SnapshotSequence(long round, int participant) => RoundSequences.SnapshotSequence(RatchetTarget(round), participant);

    /// <summary>Every violated rule, in a stable order; empty when the parameters are usable.</summary>
    public ImmutableArray<string> Problems()
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        var t = Timeouts;
        if (Count < 2)
        {
            problems.Add($"a channel needs at least 2 participants, got {Count}");
        }

        if (t.SynchronyDelay <= TimeSpan.Zero)
        {
            problems.Add("D (synchrony delay) must be positive");
        }

        if (t.MaxRoundInterval <= TimeSpan.Zero)
        {
            problems.Add("the maximum round interval must be positive");
        }

        if (t.TimeoutClaimDelay < t.SynchronyDelay)
        {
            problems.Add($"TIMEOUT_CLAIM_DELAY ({t.TimeoutClaimDelay}) must be at least D ({t.SynchronyDelay})");
        }

        if (t.TimeoutClaim < t.SynchronyDelay + t.MaxRoundInterval)
        {
            problems.Add($"TIMEOUT_CLAIM ({t.TimeoutClaim}) must be at least D + max round interval ({t.SynchronyDelay + t.MaxRoundInterval})");
        }

        if (t.MaxClockSkew < TimeSpan.Zero || t.MaxClockSkew >= t.SynchronyDelay)
        {
            problems.Add("the clock skew tolerance must be non-negative and below D");
        }

        if (InitialRatchetTarget <= FundedEscrowSequence)
        {
            problems.Add($"r_0 ({InitialRatchetTarget.Value}) must be strictly above R's sequence after funding ({FundedEscrowSequence.Value}), or round 0's snapshots could execute without a ratchet");
        }

        if (OpeningDeadline <= DateTimeOffset.UnixEpoch || OpeningDeadline.UtcTicks % TimeSpan.TicksPerSecond != 0)
        {
            problems.Add("the opening deadline must be a positive whole number of Unix seconds");
        }

        if (FeePerOperation == 0)
        {
            problems.Add("the fee per operation must be positive");
        }

        if (Count >= 2 && Escrow != Participants[0].RatchetKey)
        {
            problems.Add("the escrow account must be participant 0's ratchet key");
        }

        var keys = new HashSet<AccountId>();
        for (var i = 0; i < Count; i++)
        {
            var p = Participants[i];
            foreach (var key in new[] { p.Wallet, p.VersionAccount, p.RatchetKey })
            {
                if (!keys.Add(key))
                {
                    problems.Add($"participant {i}: account {key} is used twice; wallets, version accounts and ratchet keys must all differ");
                }
            }

            foreach (var d in p.Deposits)
            {
                if (d.Amount.Value <= 0)
                {
                    problems.Add($"participant {i}: deposit of {d.Asset} must be positive");
                }
            }

            if (p.Deposits.Select(d => d.Asset).Distinct().Count() != p.Deposits.Length)
            {
                problems.Add($"participant {i}: one deposit per asset");
            }
        }

        return problems.ToImmutable();
    }

    /// <summary>Throws <see cref="ChannelParameterException"/> listing every problem.</summary>
    public ChannelParameters Validated()
    {
        var problems = Problems();
        return problems.IsEmpty ? this : throw new ChannelParameterException(problems);
    }

    /// <summary>Total deposited per asset: the most a round may pay out of R.</summary>
    public ImmutableDictionary<Asset, long> Funds()
    {
        var funds = new Dictionary<Asset, long>();
        foreach (var d in Participants.SelectMany(p => p.Deposits))
        {
            funds[d.Asset] = funds.GetValueOrDefault(d.Asset) + d.Amount.Value;
        }

        return funds.ToImmutableDictionary();
    }
}

public sealed class ChannelParameterException(ImmutableArray<string> problems)
    : ArgumentException("invalid channel parameters: " + string.Join("; ", problems))
{
    public ImmutableArray<string> Problems { get; } = problems;
}
