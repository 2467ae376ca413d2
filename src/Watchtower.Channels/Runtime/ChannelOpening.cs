using System.Collections.Immutable;
using Watchtower.Channels.Protocol;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Channels.Runtime;

/// <summary>What a participant contributes before the channel exists: its public accounts and deposits.</summary>
public sealed record ParticipantOffer(AccountId Wallet, AccountId VersionAccount, AccountId RatchetKey, ImmutableArray<Deposit> Deposits);

/// <summary>
/// The on-ledger half of opening: the initiator's setup transaction, reading back the sequences
/// it produced, and every other participant's check of the result before it signs round 0.
/// </summary>
public static class ChannelOpening
{
    /// <summary>Stellar's base reserve on every public network (0.5 XLM).</summary>
    public static readonly Stroops BaseReserve = new(5_000_000);

    /// <summary>R holds its reserve (account, N−1 extra signers, trust lines) plus fees for funding and one set of snapshots.</summary>
    public static Stroops EscrowStartingBalance(int participants, int creditAssets) =>
        new(BaseReserve.Value * (2 + (participants - 1) + creditAssets) + 10_000_000);

    /// <summary>A version account holds its reserve plus the fee of its one ratchet.</summary>
    public static Stroops VersionStartingBalance => new((BaseReserve.Value * 2) + 5_000_000);

    /// <summary>
    /// How long after setup the funding transaction stays valid: TIMEOUT_CLAIM − D. Round 0 starts
    /// after setup, so v_0 (valid until M_0 + TIMEOUT_CLAIM) is still valid for at least D after
    /// the latest moment funding can land, and whoever funds in time can still refresh or close.
    /// </summary>
    public static TimeSpan OpeningWindow(ChannelTimeouts timeouts)
    {
        ArgumentNullException.ThrowIfNull(timeouts);
        return timeouts.TimeoutClaim - timeouts.SynchronyDelay;
    }

    /// <summary>
    /// Submit the setup transaction from <paramref name="funder"/> (any account; it pays R's and
    /// every A_i's starting balance), creating R = participant 0's ratchet account and every A_i,
    /// then read the sequences and fix r_0 = R's sequence after funding + 1 and the opening
    /// deadline = the setup ledger's close time + <see cref="OpeningWindow"/>.
    /// </summary>
    public static async Task<ChannelParameters> SetupAsync(
        ILedgerClient ledger,
        KeyPair funder,
        IReadOnlyList<ParticipantOffer> offers,
        ChannelTimeouts timeouts,
        uint feePerOperation,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(funder);
        ArgumentNullException.ThrowIfNull(offers);
        if (offers.Count < 2)
        {
            throw new ArgumentException("a channel needs at least two participants", nameof(offers));
        }

        var network = await ledger.GetNetworkAsync(ct).ConfigureAwait(false);
        var wallet = await ledger.LoadAccountAsync(funder.AccountId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"funding account {funder.AccountId} does not exist");
        var escrow = offers[0].RatchetKey;
        var credit = offers.SelectMany(o => o.Deposits).Select(d => d.Asset).Where(a => a != Asset.Native).Distinct().Count();
        var setup = ChannelTransactions.Setup(
            funder.AccountId, wallet.Sequence, escrow, [.. offers.Select(o => o.VersionAccount)],
            EscrowStartingBalance(offers.Count, credit), VersionStartingBalance, feePerOperation);
        var envelope = StellarInterop.Envelope(setup, []).Sign(network, funder);
        var result = await ledger.SubmitAsync(envelope, ct).ConfigureAwait(false);
        if (!result.Success)
        {
            throw new InvalidOperationException($"setup transaction failed: {result.ResultCodesText}");
        }

        var closed = await ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false);
        var deadline = DateTimeOffset.FromUnixTimeSeconds(closed.CloseTime.ToUnixTimeSeconds()) + OpeningWindow(timeouts);
        var r = await LoadAsync(ledger, escrow, ct).ConfigureAwait(false);
        var participants = ImmutableArray.CreateBuilder<ChannelParticipant>(offers.Count);
        foreach (var o in offers)
        {
            var a = await LoadAsync(ledger, o.VersionAccount, ct).ConfigureAwait(false);
            participants.Add(new ChannelParticipant(o.Wallet, o.VersionAccount, o.RatchetKey, a.Sequence, o.Deposits));
        }

        return new ChannelParameters(network, escrow, r.Sequence, r.Sequence + 2, participants.MoveToImmutable(), timeouts, feePerOperation, deadline).Validated();
    }

    /// <summary>
    /// A participant's check of parameters it did not build: R and every A_i exist at the stated
    /// sequences, R is not yet funded and has no signer but its master. Empty when all holds.
    /// </summary>
    public static async Task<ImmutableArray<string>> VerifyAsync(ILedgerClient ledger, ChannelParameters parameters, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(parameters);
        var problems = parameters.Problems().ToBuilder();
        var network = await ledger.GetNetworkAsync(ct).ConfigureAwait(false);
        if (network.Passphrase != parameters.Network.Passphrase)
        {
            problems.Add($"the ledger runs '{network.Passphrase}', the channel names '{parameters.Network.Passphrase}'");
        }

        var r = await ledger.LoadAccountAsync(parameters.Escrow, ct).ConfigureAwait(false);
        if (r is null)
        {
            problems.Add("the escrow account does not exist");
        }
        else
        {
            if (r.Sequence != parameters.EscrowSetupSequence)
            {
                problems.Add($"R is at sequence {r.Sequence.Value}, not {parameters.EscrowSetupSequence.Value}");
            }

            if (r.Signers.Any(s => s.Key is not Ed25519SignerKey k || k.Key != parameters.Escrow))
            {
                problems.Add("R already has other signers");
            }
        }

        foreach (var (p, i) in parameters.Participants.Select((p, i) => (p, i)))
        {
            var a = await ledger.LoadAccountAsync(p.VersionAccount, ct).ConfigureAwait(false);
            if (a is null || a.Sequence != p.VersionSequence)
            {
                problems.Add($"participant {i}'s version account is missing or not at sequence {p.VersionSequence.Value}");
            }
        }

        return problems.ToImmutable();
    }

    private static async Task<AccountSnapshot> LoadAsync(ILedgerClient ledger, AccountId id, CancellationToken ct) =>
        await ledger.LoadAccountAsync(id, ct).ConfigureAwait(false) ?? throw new InvalidOperationException($"account {id} missing after setup");
}
