using Microsoft.Extensions.Time.Testing;
using Watchtower.Channels.Runtime;
using Watchtower.Protocol;
using Watchtower.Ledger;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

/// <summary>
/// The wallet fee-bumps its own pre-signed transactions (100 stroops per operation baked in) when
/// the network is surge-priced, paying from its wallet key, never above its cap. Bob cheats with
/// his stale round-0 ratchet; then the network fills up (every ledger full of others' 1000–2100
/// stroop bids); Alice must still get her round-1 ratchet in before Bob's stale snapshots mature.
/// </summary>
public sealed class SurgeFeeBumpTests : IAsyncDisposable
{
    private const int Alice = 0;
    private const int Bob = 1;
    private static readonly CancellationToken Ct = CancellationToken.None;

    private readonly List<IAsyncDisposable> _disposables = [];

    private sealed record Rig(StandaloneServer Server, CongestedLedger Ledger, LocalChannelGroup Group, KeyPair[] Wallets, RecordingBundleSink[] Sinks, DateTimeOffset Round0Start);

    [Fact]
    public async Task SurgePricedNetwork_AlicesRatchetLandsInTimeViaAFeeBumpFromHerWallet()
    {
        var rig = await CheatThenCongestAsync();
        var alice = rig.Group[Alice]!;
        var ratchet = alice.State.Latest!.Ratchet;
        var step = await alice.CheckLedgerAsync(Ct);
        Assert.Equal(MonitorCase.StaleRatchet, step!.Decision.Case);
        Assert.True(Assert.Single(step.Submissions).Success);

        // On the ledger inside a fee bump Alice's wallet paid, at the surge price, in a full ledger.
        var landed = rig.Server.Inspect(e => e.GetTransaction(ratchet.Hash(rig.Ledger.Network)))!;
        Assert.True(landed.Frame.IsFeeBump);
        // Outbid at the going price, then one replace-by-fee at the 10× the network named.
        Assert.InRange(rig.Ledger.Submitted.OfType<FeeBumpEnvelope>().Count(b => b.FeeBump.Inner.Hash(rig.Ledger.Network) == landed.Frame.InnerHash), 1, 4);
        Assert.Equal(rig.Wallets[Alice].AccountId, landed.Frame.FeeSource);
        // Surge-priced: everyone in that ledger paid the marginal bid (at least the crowd's lowest), not the 100 base fee.
        var rate = landed.Result.FeeCharged / landed.Frame.FeeOps;
        Assert.InRange(rate, rig.Ledger.SpamRates.Min(), rig.Ledger.SpamRates.Max());
        var neighbours = rig.Server.Inspect(e => e.GetLedger(landed.Ledger)!.Transactions);
        Assert.True(neighbours.Length > 5);
        Assert.All(neighbours, t => Assert.Equal(rate, t.Result.FeeCharged / t.Frame.FeeOps));
        Assert.True(landed.CreatedAt <= ChannelTransactions.RatchetMaxTime(rig.Group.Parameters, alice.State.Latest.Start));
        Assert.True(landed.CreatedAt < ChannelTransactions.SnapshotMinTime(rig.Group.Parameters, rig.Round0Start, false));
        Assert.Equal(rig.Group.Parameters.RatchetTarget(1), (await rig.Ledger.LoadAccountAsync(rig.Group.Parameters.Escrow, Ct))!.Sequence);

        await SettleAsync(rig);
        await AssertPayoutsAsync(rig, alicePayout: 350, bobPayout: 650);
    }

    [Fact]
    public async Task FeeBumpCap_IsNeverExceeded_TheRatchetWaitsForTheSurgeToPass()
    {
        var rig = await CheatThenCongestAsync();
        var alice = rig.Group[Alice]!;
        alice.Fees = new FeeOptions { MaxFeePerOperation = 500 };
        var step = await alice.CheckLedgerAsync(Ct);
        Assert.Equal(MonitorCase.StaleRatchet, step!.Decision.Case);
        Assert.All(step.Submissions, s => Assert.False(s.Success));
        // Outbid at 500 per operation: still at the stale ratchet's target.
        Assert.Equal(rig.Group.Parameters.RatchetTarget(0), (await rig.Ledger.LoadAccountAsync(rig.Group.Parameters.Escrow, Ct))!.Sequence);

        rig.Ledger.Congested = false;
        await SettleAsync(rig);
        Assert.All(rig.Ledger.Submitted.OfType<FeeBumpEnvelope>(), b => Assert.InRange(b.FeeBump.Fee, 0, 500 * 2));
        Assert.Contains(rig.Ledger.Submitted, e => e is FeeBumpEnvelope);
        await AssertPayoutsAsync(rig, alicePayout: 350, bobPayout: 650);
    }

    /// <summary>Alice 250 / Bob 750; Bob pays Alice 100 in round 1, then publishes his round-0 ratchet; then the network fills up.</summary>
    private async Task<Rig> CheatThenCongestAsync()
    {
        var server = await StandaloneServer.StartAsync(
            new StandaloneOptions { CloseInterval = null, CloseOnSubmit = false, MaxOperationsPerLedger = 10 },
            new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)), Ct);
        _disposables.Add(server);
        var http = new HttpClient();
        _disposables.Add(new DisposeAction(http.Dispose));
        var horizon = LedgerClientFactory.Create(new LedgerClientOptions { Url = server.HorizonUri, NetworkPassphrase = server.Network.Passphrase }, http, TimeProvider.System);
        var ledger = await CongestedLedger.StartAsync(server, horizon);

        var wallets = new[] { KeyPair.Random(), KeyPair.Random() };
        var funder = KeyPair.Random();
        var root = await ledger.LoadAccountAsync(server.Root.AccountId, Ct);
        var create = new TransactionBuilder(server.Root.AccountId, root!.Sequence).AddOperation(new CreateAccountOperation(funder.AccountId, Stroops.FromLumens(100)));
        foreach (var w in wallets)
        {
            create = create.AddOperation(new CreateAccountOperation(w.AccountId, LedgerChannel.WalletStart));
        }

        Assert.True((await ledger.SubmitAsync(create.BuildEnvelope().Sign(server.Network, server.Root), Ct)).Success);
        var sinks = new[] { new RecordingBundleSink(), new RecordingBundleSink() };
        var stores = new[] { new InMemoryChannelStore(), new InMemoryChannelStore() };
        var participants = new[]
        {
            LocalParticipant.Create(wallets[Alice], new Deposit(Asset.Native, Stroops.FromLumens(250))),
            LocalParticipant.Create(wallets[Bob], new Deposit(Asset.Native, Stroops.FromLumens(750))),
        };
        var group = await LocalChannelGroup.OpenAsync(ledger, funder, participants, LedgerChannel.Timeouts, 100, i => stores[i], i => sinks[i], Ct);
        var round0Start = group[Alice]!.State.Latest!.Start;
        Assert.Null(await group.PayAsync(Bob, Alice, Stroops.FromLumens(100), Ct));
        Assert.True((await ledger.SubmitAsync(sinks[Bob].Bundles.Single(b => b.Round == 0).Ratchet, Ct)).Success);

        ledger.Congested = true;
        for (var i = 0; i < 3; i++)
        {
            await ledger.CloseAsync();
        }

        var stats = await ledger.GetFeeStatsAsync(Ct);
        Assert.True(stats.LedgerCapacityUsage >= 0.9 && stats.P90 >= 1000, $"not surge-priced: {stats}");
        return new Rig(server, ledger, group, wallets, sinks, round0Start);
    }

    private static async Task SettleAsync(Rig rig)
    {
        for (var step = 0; step < 40; step++)
        {
            var s = await rig.Group[Alice]!.CheckLedgerAsync(Ct);
            switch (s!.Decision.Action)
            {
                case MonitorAction.StopWatching:
                    return;
                case MonitorAction.WaitUntil:
                    await AdvanceToAsync(rig, s.Decision.NotBefore!.Value);
                    break;
                case MonitorAction.None:
                    await AdvanceToAsync(rig, s.LedgerTime + TimeSpan.FromHours(12));
                    break;
            }
        }

        throw new InvalidOperationException("Alice did not settle");
    }

    private static async Task AdvanceToAsync(Rig rig, DateTimeOffset time)
    {
        for (var now = (await rig.Ledger.GetLatestLedgerAsync(Ct)).CloseTime; now < time; now = (await rig.Ledger.GetLatestLedgerAsync(Ct)).CloseTime)
        {
            rig.Server.Inspect(e =>
            {
                e.AdvanceClock(time - now);
                return 0;
            });
            await rig.Ledger.CloseAsync();
        }
    }

    /// <summary>Each wallet ends at start − deposit + payout, less exactly the fee bumps it paid.</summary>
    private static async Task AssertPayoutsAsync(Rig rig, long alicePayout, long bobPayout)
    {
        var paid = rig.Wallets.Select(w => rig.Server.Inspect(e => e.Ledgers.SelectMany(l => l.Transactions)
            .Where(t => t.Frame.IsFeeBump && t.Frame.FeeSource == w.AccountId).Sum(t => t.Result.FeeCharged))).ToArray();
        Assert.True(paid[Alice] > 0);
        Assert.Equal(0, paid[Bob]);
        var deposits = new[] { 250L, 750L };
        var payouts = new[] { alicePayout, bobPayout };
        for (var i = 0; i < 2; i++)
        {
            var expected = LedgerChannel.WalletStart.Value - (deposits[i] * Stroops.PerLumen) + (payouts[i] * Stroops.PerLumen) - paid[i];
            Assert.Equal(expected, (await rig.Ledger.LoadAccountAsync(rig.Wallets[i].AccountId, Ct))!.Balance.Value);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in Enumerable.Reverse(_disposables))
        {
            await d.DisposeAsync();
        }
    }

    private sealed class DisposeAction(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
