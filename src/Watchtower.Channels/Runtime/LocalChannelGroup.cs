using System.Collections.Immutable;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Transport;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Channels.Runtime;

/// <summary>A participant's secrets and deposits before the channel exists.</summary>
public sealed record LocalParticipant(ParticipantKeys Keys, ImmutableArray<Deposit> Deposits)
{
    /// <summary>Fresh throwaway version and ratchet keys for a wallet, as the spec's example does.</summary>
    public static LocalParticipant Create(KeyPair wallet, params Deposit[] deposits) =>
        new(new ParticipantKeys(wallet, KeyPair.Random(), KeyPair.Random()), [.. deposits]);
}

/// <summary>
/// Every participant of a channel in one process, linked by an <see cref="InProcessNetwork"/>:
/// what the CLI, the proofs and the benchmark drive. Each participant still validates every
/// message it receives and keeps its own state file; a participant can be crashed (dropped,
/// its in-flight messages lost) and restored from its store.
/// </summary>
public sealed class LocalChannelGroup
{
    private readonly Func<int, IChannelStore> _stores;
    private readonly Func<int, IBundleSink> _sinks;
    private readonly ParticipantRuntime?[] _runtimes;

    private LocalChannelGroup(ILedgerClient ledger, InProcessNetwork network, Func<int, IChannelStore> stores, Func<int, IBundleSink> sinks, int count)
    {
        Ledger = ledger;
        Network = network;
        _stores = stores;
        _sinks = sinks;
        _runtimes = new ParticipantRuntime?[count];
    }

    public ILedgerClient Ledger { get; }

    public InProcessNetwork Network { get; }

    public int Count => _runtimes.Length;

    /// <summary>The running participant i, or null while it is crashed.</summary>
    public ParticipantRuntime? this[int i] => _runtimes[i];

    public ChannelParameters Parameters => _runtimes.First(r => r is not null)!.State.Parameters;

    /// <summary>Set up the accounts, sign round 0, then fund: the whole of the spec's opening.</summary>
    public static async Task<LocalChannelGroup> OpenAsync(
        ILedgerClient ledger,
        KeyPair funder,
        IReadOnlyList<LocalParticipant> participants,
        ChannelTimeouts timeouts,
        uint feePerOperation,
        Func<int, IChannelStore> stores,
        Func<int, IBundleSink> sinks,
        CancellationToken ct)
    {
        var group = await SetUpAsync(ledger, funder, participants, timeouts, feePerOperation, stores, sinks, ct).ConfigureAwait(false);
        var funding = await group.CompleteOpeningAsync(ct).ConfigureAwait(false);
        if (funding.Any(s => s != FundingStatus.Funded))
        {
            throw new InvalidOperationException($"the funding transaction did not make R N-of-N: {string.Join(", ", funding)}");
        }

        return group;
    }

    /// <summary>
    /// The first half of opening: the setup transaction, every participant's check of it, and each
    /// participant's initial state stored. Nothing is signed yet.
    /// </summary>
    public static async Task<LocalChannelGroup> SetUpAsync(
        ILedgerClient ledger,
        KeyPair funder,
        IReadOnlyList<LocalParticipant> participants,
        ChannelTimeouts timeouts,
        uint feePerOperation,
        Func<int, IChannelStore> stores,
        Func<int, IBundleSink> sinks,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(participants);
        ArgumentNullException.ThrowIfNull(stores);
        var offers = participants
            .Select(p => new ParticipantOffer(p.Keys.Wallet.AccountId, p.Keys.Version.AccountId, p.Keys.Ratchet.AccountId, p.Deposits))
            .ToList();
        var parameters = await ChannelOpening.SetupAsync(ledger, funder, offers, timeouts, feePerOperation, ct).ConfigureAwait(false);
        var group = new LocalChannelGroup(ledger, new InProcessNetwork(participants.Count), stores, sinks, participants.Count);
        for (var i = 0; i < participants.Count; i++)
        {
            if (i > 0)
            {
                var problems = await ChannelOpening.VerifyAsync(ledger, parameters, ct).ConfigureAwait(false);
                if (!problems.IsEmpty)
                {
                    throw new ChannelParameterException(problems);
                }
            }

            group._runtimes[i] = await ParticipantRuntime.CreateAsync(
                participants[i].Keys, ChannelState.Create(parameters, i), group.Network.Connect(i), ledger, stores(i), sinks(i), ct).ConfigureAwait(false);
        }

        return group;
    }

    /// <summary>
    /// The second half of opening, and its resumption after any crash: participant 0 proposes
    /// round 0 unless it already signed one, messages are exchanged until quiet, then every
    /// running participant funds (the first submits, the rest find R funded). Returns each
    /// participant's funding status (crashed ones: <see cref="FundingStatus.AwaitingSignatures"/>).
    /// </summary>
    public async Task<ImmutableArray<FundingStatus>> CompleteOpeningAsync(CancellationToken ct)
    {
        var initiator = _runtimes[0] ?? throw new InvalidOperationException("participant 0 proposes round 0 and is not running");
        if (initiator.State is { Phase: ChannelPhase.Opening, LastSignedRound: < 0, Latest: null })
        {
            var error = await initiator.ProposeAsync(RoundOutcome.Refunds(initiator.State.Parameters), ct).ConfigureAwait(false);
            if (error is not null)
            {
                throw new ProtocolException(error);
            }
        }

        await PumpAsync(ct).ConfigureAwait(false);
        var statuses = ImmutableArray.CreateBuilder<FundingStatus>(Count);
        foreach (var r in _runtimes)
        {
            statuses.Add(r is null ? FundingStatus.AwaitingSignatures : await r.FundAsync(ct).ConfigureAwait(false));
        }

        return statuses.MoveToImmutable();
    }

    /// <summary>Every participant restored from its store (e.g. the CLI's next invocation).</summary>
    public static async Task<LocalChannelGroup> RestoreAsync(
        ILedgerClient ledger, int count, Func<int, IChannelStore> stores, Func<int, IBundleSink> sinks, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stores);
        var group = new LocalChannelGroup(ledger, new InProcessNetwork(count), stores, sinks, count);
        for (var i = 0; i < count; i++)
        {
            await group.RestartAsync(i, ct).ConfigureAwait(false);
        }

        return group;
    }

    /// <summary>Participant i stops: its messages in flight are lost; its store is all that remains.</summary>
    public void Crash(int i)
    {
        Network.SetOnline(i, false);
        _runtimes[i] = null;
    }

    /// <summary>Participant i goes offline without losing its memory (unreachable, not crashed).</summary>
    public void Disconnect(int i) => Network.SetOnline(i, false);

    public void Reconnect(int i) => Network.SetOnline(i, true);

    /// <summary>Restore participant i from its store and bring it back online.</summary>
    public async Task<ParticipantRuntime> RestartAsync(int i, CancellationToken ct)
    {
        var runtime = await ParticipantRuntime.RestoreAsync(Network.Connect(i), Ledger, _stores(i), _sinks(i), ct).ConfigureAwait(false);
        _runtimes[i] = runtime;
        Network.SetOnline(i, true);
        await runtime.ResyncAsync(ct).ConfigureAwait(false);
        return runtime;
    }

    /// <summary>Deliver messages until every online participant's inbox is empty, at the latest ledger time.</summary>
    public async Task<int> PumpAsync(CancellationToken ct)
    {
        var now = (await Ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false)).CloseTime;
        return await PumpAtAsync(now, ct).ConfigureAwait(false);
    }

    /// <summary>Deliver messages until quiet, at an explicit ledger time.</summary>
    public async Task<int> PumpAtAsync(DateTimeOffset ledgerTime, CancellationToken ct)
    {
        var total = 0;
        int handled;
        do
        {
            handled = 0;
            foreach (var r in _runtimes)
            {
                if (r is not null)
                {
                    handled += await r.DrainInboxAsync(ledgerTime, ct).ConfigureAwait(false);
                }
            }

            total += handled;
        }
        while (handled > 0);
        return total;
    }

    /// <summary>Native balances in the latest round, as seen by participant <paramref name="viewer"/>.</summary>
    public static ImmutableArray<long> NativeBalances(ChannelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var latest = state.Latest ?? throw new InvalidOperationException("no completed round");
        return [.. state.Parameters.Participants.Select(p => latest.Outcome.PaidTo(p.Wallet).GetValueOrDefault(Asset.Native))];
    }

    /// <summary>The payment outcome moving <paramref name="amount"/> lumens-in-stroops from one participant to another.</summary>
    public static RoundOutcome Payment(ChannelState state, int from, int to, Stroops amount)
    {
        ArgumentNullException.ThrowIfNull(state);
        var balances = NativeBalances(state).ToArray();
        if (amount.Value <= 0 || balances[from] < amount.Value)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount, $"participant {from} holds {balances[from]} stroops in the channel");
        }

        balances[from] -= amount.Value;
        balances[to] += amount.Value;
        return RoundOutcome.Payouts(state.Parameters, [.. balances.Select(b => (IReadOnlyDictionary<Asset, long>)new Dictionary<Asset, long> { [Asset.Native] = b })]);
    }

    /// <summary>Participant <paramref name="from"/> pays <paramref name="to"/> in a new round and everyone online exchanges signatures.</summary>
    public async Task<ProtocolError?> PayAsync(int from, int to, Stroops amount, CancellationToken ct)
    {
        var payer = _runtimes[from] ?? throw new InvalidOperationException($"participant {from} is not running");
        var error = await payer.ProposeAsync(Payment(payer.State, from, to, amount), ct).ConfigureAwait(false);
        await PumpAsync(ct).ConfigureAwait(false);
        return error;
    }
}
