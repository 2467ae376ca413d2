using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Protocol;
using Watchtower.Ledger;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Xunit;
using Xunit.Abstractions;

namespace Watchtower.Channels.Tests;

/// <summary>
/// Seeded random channel lifetimes on the standalone network: random side effects (native and
/// credit payments, account creation, and with two participants handing R's control to the
/// other one and merging R into a wallet before closing), random crashes
/// mid-round with restarts from the stored state, and a dishonest last participant that submits
/// stale ratchets (and then its stale snapshots) at random times. Each lifetime ends by a stale
/// ratchet, a cooperative close, an honest force close or the dishonest participant vanishing;
/// every honest participant must then hold exactly what its latest round pays it.
/// </summary>
public class AdversarialSimulationTests(ITestOutputHelper output)
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly Stroops WalletStart = Stroops.FromLumens(1000);
    private static readonly long CreditStart = 500 * Stroops.PerLumen;

    /// <summary>What the others deposit of SIM: a participant is only paid in assets it deposited (its declared trust line).</summary>
    private static readonly long CreditToken = 1 * Stroops.PerLumen;
    private static readonly Stroops CreatedBalance = Stroops.FromLumens(2);

    private enum Ending
    {
        StaleRatchet,
        CooperativeClose,
        ForceClose,
        DishonestVanishes,
    }

    [Theory]
    [InlineData(2, 20260001, 50, 110)]
    [InlineData(3, 20260002, 40, 80)]
    [InlineData(5, 20260003, 25, 45)]
    public async Task RandomLifetimes_HonestParticipantsEndWithTheirLatestRoundOutcome(int n, int seed, int minRounds, int maxRounds)
    {
        var rng = new Random(seed);
        await using var server = await StandaloneServer.StartAsync(
            new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)), Ct);
        using var http = new HttpClient();
        var ledger = LedgerClientFactory.Create(new LedgerClientOptions { Url = server.HorizonUri, NetworkPassphrase = server.Network.Passphrase }, http, TimeProvider.System);
        var issuer = KeyPair.Random();
        await SubmitFromRootAsync(server, ledger, [new CreateAccountOperation(issuer.AccountId, Stroops.FromLumens(100))]);
        var sim = Asset.Credit("SIM", issuer.AccountId);

        var totalRounds = 0;
        Ending[] lifetimes = [Ending.StaleRatchet, Ending.CooperativeClose, Ending.StaleRatchet, Ending.ForceClose, Ending.StaleRatchet, Ending.DishonestVanishes, Ending.StaleRatchet];
        var landed = 0;
        var merges = 0;
        foreach (var ending in lifetimes)
        {
            var world = new World(server, ledger, issuer, sim, n, rng, output);
            await world.OpenAsync();
            var rounds = rng.Next(minRounds, maxRounds + 1);
            var attackAt = ending == Ending.StaleRatchet ? rng.Next(rounds / 2, rounds + 1) : -1;
            for (var r = 1; r <= rounds; r++)
            {
                await world.RandomRoundAsync();
                totalRounds++;
                if (r == attackAt && await world.StaleRatchetAttackAsync())
                {
                    break;
                }
            }

            switch (ending)
            {
                case Ending.StaleRatchet when world.Settled:
                    break;
                case Ending.StaleRatchet or Ending.CooperativeClose:
                    await world.MergeRoundAsync();
                    await world.CooperativeCloseAsync();
                    break;
                case Ending.ForceClose:
                    await world.MergeRoundAsync();
                    await world.ForceCloseAsync();
                    break;
                case Ending.DishonestVanishes:
                    await world.DishonestVanishesAsync();
                    break;
            }

            await world.AssertHonestOutcomesAsync();
            landed += world.Attacks;
            merges += world.MergedEscrow ? 1 : 0;
            output.WriteLine($"N={n} {ending}: {world.Rounds} rounds, {world.Crashes} crashes, {world.Attacks} stale ratchets landed{(world.MergedEscrow ? ", R merged" : "")}");
        }

        Assert.True(totalRounds >= lifetimes.Length * minRounds / 2);
        Assert.True(landed >= 2, "the dishonest participant should have landed stale ratchets");
        Assert.True(n != 2 || merges >= 2, "with two participants, the cooperative and force closes should have merged R");
    }

    private static async Task SubmitFromRootAsync(StandaloneServer server, ILedgerClient ledger, Operation[] ops, KeyPair[]? extraSigners = null)
    {
        var root = (await ledger.LoadAccountAsync(server.Root.AccountId, Ct))!;
        var builder = new TransactionBuilder(server.Root.AccountId, root.Sequence);
        foreach (var op in ops)
        {
            builder = builder.AddOperation(op);
        }

        var envelope = builder.BuildEnvelope().Sign(server.Network, server.Root);
        foreach (var signer in extraSigners ?? [])
        {
            envelope = envelope.Sign(server.Network, signer);
        }

        var result = await ledger.SubmitAsync(envelope, Ct);
        Assert.True(result.Success, result.ResultCodesText);
    }

    /// <summary>One channel lifetime and the model of what its latest round should pay.</summary>
    private sealed class World(StandaloneServer server, ILedgerClient ledger, KeyPair issuer, Asset sim, int n, Random rng, ITestOutputHelper output)
    {
        private readonly long[] _native = new long[n];
        private readonly long[] _credit = new long[n];
        private readonly List<(AccountId Account, int Owner)> _created = [];
        private readonly HashSet<int> _down = [];
        private int? _grant;
        private bool _merge;
        private long _escrowBeforeSettling;
        private LocalChannelGroup _group = null!;
        private ParticipantKeys[] _keys = [];
        private long[] _deposit = [];

        public int Dishonest => n - 1;

        public int Rounds { get; private set; }

        public int Crashes { get; private set; }

        public int Attacks { get; private set; }

        public bool Settled { get; private set; }

        public bool MergedEscrow => _merge;

        private IEnumerable<int> Honest => Enumerable.Range(0, n - 1);

        private ChannelParameters Parameters => _group.Parameters;

        public async Task OpenAsync()
        {
            _keys = [.. Enumerable.Range(0, n).Select(_ => new ParticipantKeys(KeyPair.Random(), KeyPair.Random(), KeyPair.Random()))];
            var funder = KeyPair.Random();
            await SubmitFromRootAsync(server, ledger, [
                new CreateAccountOperation(funder.AccountId, Stroops.FromLumens(100)),
                .. _keys.Select(k => (Operation)new CreateAccountOperation(k.Wallet.AccountId, WalletStart)),
                .. _keys.Select(k => (Operation)new ChangeTrustOperation(sim, long.MaxValue) { SourceAccount = k.Wallet.AccountId }),
                .. _keys.Select((k, i) => (Operation)new PaymentOperation(k.Wallet.AccountId, sim, new Stroops(i == 0 ? CreditStart : CreditToken)) { SourceAccount = issuer.AccountId }),
            ], extraSigners: [issuer, .. _keys.Select(k => k.Wallet)]);

            _deposit = [.. Enumerable.Range(0, n).Select(_ => rng.Next(50, 151) * Stroops.PerLumen)];
            var participants = Enumerable.Range(0, n).Select(i => new LocalParticipant(_keys[i],
                [new Deposit(Asset.Native, new Stroops(_deposit[i])), new Deposit(sim, new Stroops(i == 0 ? CreditStart : CreditToken))])).ToList();
            var stores = Enumerable.Range(0, n).Select(_ => new InMemoryChannelStore()).ToArray();
            var sinks = Enumerable.Range(0, n).Select(_ => new RecordingBundleSink()).ToArray();
            _group = await LocalChannelGroup.OpenAsync(ledger, funder, participants, LedgerChannel.Timeouts, 100, i => stores[i], i => sinks[i], Ct);
            Sinks = sinks;
            for (var i = 0; i < n; i++)
            {
                _native[i] = _deposit[i];
                _credit[i] = i == 0 ? CreditStart : CreditToken;
            }
        }

        public RecordingBundleSink[] Sinks { get; private set; } = [];

        /// <summary>A random proposer, a random side effect, delivery interleaved with random crashes, then restarts until everyone is final.</summary>
        public async Task RandomRoundAsync()
        {
            await server.AdvanceClockAsync(TimeSpan.FromMinutes(rng.Next(0, 180)));
            var proposer = rng.Next(n);
            ApplyRandomEffect(proposer);
            var outcome = Render();
            var error = await _group[proposer]!.ProposeAsync(outcome, Ct);
            Assert.True(error is null, $"proposal refused: {error}");
            var now = (await ledger.GetLatestLedgerAsync(Ct)).CloseTime;
            for (var k = rng.Next(0, 2 * n); k > 0; k--)
            {
                var who = rng.Next(n);
                if (_group[who] is { } runtime)
                {
                    await runtime.DrainInboxAsync(now, Ct);
                }

                if (rng.NextDouble() < 0.04 && Honest.Where(i => !_down.Contains(i)).ToList() is { Count: > 0 } up)
                {
                    var victim = up[rng.Next(up.Count)];
                    _group.Crash(victim);
                    _down.Add(victim);
                    Crashes++;
                }
            }

            await _group.PumpAtAsync(now, Ct);
            while (_down.Count > 0)
            {
                var back = _down.First();
                _down.Remove(back);
                await _group.RestartAsync(back, Ct);
                await _group.PumpAtAsync(now, Ct);
            }

            Rounds++;
            for (var i = 0; i < n; i++)
            {
                var state = _group[i]!.State;
                Assert.True(state.Latest!.Outcome.Equals(outcome), $"participant {i} did not finish round {Rounds}: latest {state.Latest.Round}, pending {state.Pending?.Round}");
                Assert.Null(state.Pending);
            }
        }

        /// <summary>The dishonest participant submits one of its old ratchets; returns whether it landed (the channel then closes).</summary>
        public async Task<bool> StaleRatchetAttackAsync()
        {
            var latest = _group[Dishonest]!.State.Latest!.Round;
            var stale = Sinks[Dishonest].Bundles.Where(b => b.Round < latest).ToList()[rng.Next((int)latest)];
            var result = await ledger.SubmitAsync(stale.Ratchet, Ct);
            if (!result.Success)
            {
                output.WriteLine($"stale ratchet of round {stale.Round} refused by the ledger: {result.ResultCodesText}");
                return false;
            }

            Attacks++;
            // Honest participants may be down when it lands; they come back within D.
            var victim = rng.Next(n - 1);
            if (rng.NextDouble() < 0.5)
            {
                _group.Crash(victim);
            }

            await server.AdvanceClockAsync(TimeSpan.FromMinutes(rng.Next(0, 20 * 60)));
            if (_group[victim] is null)
            {
                await _group.RestartAsync(victim, Ct);
            }

            await SettleAsync(stale);
            Settled = true;
            return true;
        }

        /// <summary>
        /// With two participants, a last round before closing merges R into the honest wallet
        /// (proposed by the other side: a counterparty's proposal may only move R's remainder
        /// towards us); its last snapshot removes R's trust line first. With more, nobody's policy
        /// lets R's remainder leave joint control, so no merge.
        /// </summary>
        public async Task MergeRoundAsync()
        {
            if (n != 2)
            {
                return;
            }

            _merge = true;
            var outcome = Render();
            Assert.Null(await _group[Dishonest]!.ProposeAsync(outcome, Ct));
            await _group.PumpAsync(Ct);
            Rounds++;
            Assert.All(Enumerable.Range(0, n), i => Assert.True(_group[i]!.State.Latest!.Outcome.Equals(outcome), $"participant {i} did not sign the merge"));
        }

        public async Task CooperativeCloseAsync()
        {
            await RecordEscrowAsync();
            var closer = rng.Next(n - 1);
            Assert.Null(await _group[closer]!.ProposeCloseAsync(Ct));
            await _group.PumpAsync(Ct);
            Assert.All(Enumerable.Range(0, n), i => Assert.Equal(ChannelPhase.Closing, _group[i]!.State.Phase));
            await SettleAsync(null);
        }

        public async Task ForceCloseAsync()
        {
            await RecordEscrowAsync();
            var closer = rng.Next(n - 1);
            Assert.True((await _group[closer]!.ForceCloseAsync(Ct)).Success);
            await SettleAsync(null);
        }

        /// <summary>R's balance before the latest round's snapshots run: what a merge hands over, less their payouts and fees.</summary>
        private async Task RecordEscrowAsync() =>
            _escrowBeforeSettling = (await ledger.LoadAccountAsync(Parameters.Escrow, Ct))!.Balance.Value;

        public async Task DishonestVanishesAsync()
        {
            _group.Disconnect(Dishonest);
            await SettleAsync(null);
        }

        /// <summary>Run every honest monitor in lockstep, moving ledger time to the earliest moment any of them waits for; the dishonest one tries its stale snapshots when they mature.</summary>
        private async Task SettleAsync(ChannelBundle? stale)
        {
            var staleMinTime = stale is null ? (DateTimeOffset?)null : ChannelTransactions.SnapshotMinTime(Parameters, stale.RoundStart, false);
            for (var step = 0; step < 200; step++)
            {
                var waits = new List<DateTimeOffset>();
                var watching = false;
                foreach (var i in Honest)
                {
                    var s = await _group[i]!.CheckLedgerAsync(Ct);
                    if (s is null || s.Decision.Action == MonitorAction.StopWatching)
                    {
                        continue;
                    }

                    Assert.NotEqual(MonitorAction.Alert, s.Decision.Action);
                    watching = true;
                    if (s.Decision.Action == MonitorAction.WaitUntil)
                    {
                        waits.Add(s.Decision.NotBefore!.Value);
                    }
                }

                var now = (await ledger.GetLatestLedgerAsync(Ct)).CloseTime;
                if (staleMinTime is { } due && now >= due)
                {
                    foreach (var snapshot in stale!.Snapshots)
                    {
                        Assert.False((await ledger.SubmitAsync(snapshot, Ct)).Success);
                    }

                    staleMinTime = null;
                }

                if (!watching)
                {
                    return;
                }

                var target = waits.Count > 0 ? waits.Min() : now.AddHours(6);
                if (staleMinTime is { } pendingStale && pendingStale < target)
                {
                    target = pendingStale;
                }

                while (now < target)
                {
                    await server.AdvanceClockAsync(target - now);
                    now = (await ledger.GetLatestLedgerAsync(Ct)).CloseTime;
                }
            }

            Assert.Fail("the honest participants never settled");
        }

        public async Task AssertHonestOutcomesAsync()
        {
            var expected = Render();
            var merged = 0L;
            if (_merge)
            {
                // The standalone network charges its base fee (100 stroops) per operation.
                merged = _escrowBeforeSettling - _native.Sum() - (_created.Count * CreatedBalance.Value) - (expected.Effects.Sum(e => e.Length) * 100L);
                Assert.Null(await ledger.LoadAccountAsync(Parameters.Escrow, Ct));
            }

            foreach (var i in Honest)
            {
                var state = _group[i]!.State;
                Assert.Equal(ChannelPhase.Closed, state.Phase);
                Assert.True(state.Latest!.Outcome.Equals(expected), $"participant {i}'s latest outcome differs from the model");
                var wallet = _keys[i].Wallet.AccountId;
                var account = (await ledger.LoadAccountAsync(wallet, Ct))!;
                Assert.Equal(WalletStart.Value - _deposit[i] + _native[i] + (i == 0 ? merged : 0), account.Balance.Value);
                var credit = server.Inspect(net => net.TrustLinesOf(wallet).Single(t => t.Asset == sim).Balance);
                Assert.Equal(_credit[i], credit);
            }

            foreach (var (account, _) in _created)
            {
                Assert.Equal(CreatedBalance, (await ledger.LoadAccountAsync(account, Ct))!.Balance);
            }

            if (_grant is { } g && !_merge)
            {
                var escrow = (await ledger.LoadAccountAsync(Parameters.Escrow, Ct))!;
                var weight = g == 0 ? escrow.Thresholds.Master : escrow.Signers.Single(s => s.Key == new Ed25519SignerKey(_keys[g].Ratchet.AccountId)).Weight;
                Assert.Equal((uint)n, weight);
            }
        }

        private void ApplyRandomEffect(int p)
        {
            var q = (p + 1 + rng.Next(n - 1)) % n;
            var roll = rng.NextDouble();
            if (roll < 0.45 && _native[p] > Stroops.PerLumen)
            {
                var amount = 1 + rng.NextInt64(_native[p] / 3);
                _native[p] -= amount;
                _native[q] += amount;
            }
            else if (roll < 0.65 && _credit[p] > 0)
            {
                var amount = 1 + rng.NextInt64(_credit[p]);
                _credit[p] -= amount;
                _credit[q] += amount;
            }
            else if (roll < 0.75 && _created.Count < 3 && _native[p] > 3 * CreatedBalance.Value)
            {
                _created.Add((KeyPair.Random().AccountId, p));
                _native[p] -= CreatedBalance.Value;
            }
            else if (roll < 0.85 && n == 2 && _grant != q)
            {
                // Control of R's remainder only ever moves towards the participant who checks the
                // proposal: p hands it to the other, or gives up what it was handed.
                _grant = _grant == p ? null : q;
            }
        }

        private RoundOutcome Render()
        {
            var effects = ImmutableArray.CreateBuilder<ImmutableArray<Operation>>(n);
            for (var i = 0; i < n; i++)
            {
                var wallet = _keys[i].Wallet.AccountId;
                var ops = new List<Operation>();
                if (_native[i] > 0)
                {
                    ops.Add(new PaymentOperation(wallet, Asset.Native, new Stroops(_native[i])));
                }

                if (_credit[i] > 0)
                {
                    ops.Add(new PaymentOperation(wallet, sim, new Stroops(_credit[i])));
                }

                ops.AddRange(_created.Where(c => c.Owner == i).Select(c => (Operation)new CreateAccountOperation(c.Account, CreatedBalance)));
                if (i == n - 1 && _grant is { } g)
                {
                    // Raising the grantee's own key to N leaves R's subentries (and reserve) as funded.
                    ops.Add(g == 0
                        ? new SetOptionsOperation(MasterWeight: (uint)n)
                        : new SetOptionsOperation(Signer: new Signer(new Ed25519SignerKey(_keys[g].Ratchet.AccountId), (uint)n)));
                }

                if (i == n - 1 && _merge)
                {
                    ops.Add(new ChangeTrustOperation(sim, 0));
                    ops.Add(new AccountMergeOperation(_keys[0].Wallet.AccountId));
                }

                effects.Add(ops.Count > 0 ? [.. ops] : [RoundOutcome.NoOp]);
            }

            return new RoundOutcome(effects.MoveToImmutable());
        }
    }
}
