using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Protocol;
using Watchtower.Ledger;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

/// <summary>
/// Merging R on the standalone network (fake clock): Alice deposits 100 XLM and 50 USD, Bob
/// 100 XLM and 10 USD (a participant is only paid in assets it deposited), so R carries a USD
/// trust line and Bob's ratchet key as its extra signer. Wallets pay
/// no fees (the setup is paid by others), so every balance below is exact to the stroop.
/// </summary>
public class EscrowMergeLedgerTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly Stroops WalletStart = Stroops.FromLumens(1000);
    private static readonly long UsdStart = 500 * Stroops.PerLumen;
    private static readonly long NativeDeposit = 100 * Stroops.PerLumen;
    private static readonly long UsdDeposit = 50 * Stroops.PerLumen;
    private static readonly long BobUsd = 10 * Stroops.PerLumen;

    /// <summary>The standalone network's base fee: what each operation of a transaction costs its source.</summary>
    private const long FeePerOperation = 100;

    [Fact]
    public async Task CooperativeClose_MergesRIntoAWalletAfterRemovingItsSignerAndTrustLine()
    {
        await using var f = await Fixture.OpenAsync();
        var outcome = f.MergeIntoAlice(dropSigners: true);
        await f.CompleteMergeRoundAsync(dropSigners: true);
        var escrowBefore = await f.EscrowBalanceAsync();

        Assert.Null(await f.Group[0]!.ProposeCloseAsync(Ct));
        await f.Group.PumpAsync(Ct);
        Assert.All(Enumerable.Range(0, 2), i => Assert.Equal(ChannelPhase.Closing, f.Group[i]!.State.Phase));
        foreach (var i in new[] { 0, 1 })
        {
            Assert.Contains(MonitorCase.Settled, await f.MonitorUntilSettledAsync(i));
        }

        await f.AssertMergedIntoAliceAsync(outcome, escrowBefore);
    }

    [Fact]
    public async Task ForceClose_LastSnapshotMergesRWithItsSignersStillInPlace()
    {
        await using var f = await Fixture.OpenAsync();
        // stellar-core merges an account whose only subentries are signers: only the trust line must go.
        var outcome = f.MergeIntoAlice(dropSigners: false);
        await f.CompleteMergeRoundAsync(dropSigners: false);
        var escrowBefore = await f.EscrowBalanceAsync();

        Assert.True((await f.Group[0]!.ForceCloseAsync(Ct)).Success);
        var cases = await f.MonitorUntilSettledAsync(0);
        Assert.Contains(MonitorCase.LatestRatchet, cases);
        Assert.Equal(MonitorCase.Settled, cases[^1]);

        Assert.Equal(MonitorAction.StopWatching, (await f.Group[1]!.CheckLedgerAsync(Ct))!.Decision.Action);
        await f.AssertMergedIntoAliceAsync(outcome, escrowBefore);
    }

    [Theory]
    [InlineData("merge-into-proposer")]
    [InlineData("grant-proposer-wallet")]
    public async Task ProposalHandingRToTheProposer_IsRefusedAndTheRoundNeverCompletes(string kind)
    {
        await using var f = await Fixture.OpenAsync();
        var bob = f.Keys[1].Wallet.AccountId;
        var fair = f.Payouts(alice: (100, 50), bob: (99, 10));
        Operation grab = kind == "merge-into-proposer"
            ? new AccountMergeOperation(bob)
            : new SetOptionsOperation(Signer: new Signer(new Ed25519SignerKey(bob), 2));
        ImmutableArray<Operation> last = kind == "merge-into-proposer" ? [.. fair.Effects[1], new ChangeTrustOperation(f.Usd, 0), grab] : [.. fair.Effects[1], grab];
        var outcome = new RoundOutcome(fair.Effects.SetItem(1, last));

        Assert.Null(await f.Group[1]!.ProposeAsync(outcome, Ct));
        await f.Group.PumpAsync(Ct);

        Assert.Equal(ProtocolErrorCode.EscrowControlTaken, f.Group[0]!.Errors[^1].Code);
        Assert.Equal(0, f.Group[0]!.State.Latest!.Round);
        Assert.Equal(0, f.Group[1]!.State.Latest!.Round);
        // The refusal reached the proposer: its round is dropped, nothing of it can be cashed.
        Assert.Null(f.Group[1]!.State.Pending);
    }

    [Fact]
    public async Task MergeBoundToFail_IsRefusedByTheParticipantItsSnapshotPays_AndWouldStrandThosePayouts()
    {
        await using var f = await Fixture.OpenAsync();
        var alice = f.Keys[0].Wallet.AccountId;
        // Alice takes every USD in her snapshot and puts a merge into her wallet after Bob's payout,
        // leaving R's trust line in place: the merge fails, and with it Bob's whole snapshot.
        var fair = f.Payouts(alice: (100, 50), bob: (100, 10));
        var trap = new RoundOutcome(fair.Effects.SetItem(1, fair.Effects[1].Add(new AccountMergeOperation(alice))));

        Assert.Equal(ProtocolErrorCode.SnapshotWouldFail, (await f.Group[0]!.ProposeAsync(trap, Ct))?.Code);
        var now = await f.NowAsync();
        var bobState = f.Group[1]!.State;
        var refused = ChannelProtocol.Receive(bobState, f.Keys[1], 0, new RoundProposal(bobState.Channel, 0, bobState.NextRound, now, false, trap), now);
        Assert.Equal(ProtocolErrorCode.SnapshotWouldFail, refused.Error?.Code);
        Assert.Same(bobState, refused.State);

        // Had Bob signed, here is what the ledger would do with round 1.
        var p = f.Parameters;
        var ratchet = ChannelTransactions.Ratchet(p, 1, 0, now);
        var ratchetEnvelope = f.SignedBy(ratchet, [f.Keys[0].Version, .. f.Keys.Select(k => k.Ratchet)]);
        Assert.True((await f.Ledger.SubmitAsync(ratchetEnvelope, Ct)).Success);
        await f.AdvanceToAsync(ChannelTransactions.SnapshotMinTime(p, now, false));
        var results = new List<SubmitOutcome>();
        for (var i = 0; i < 2; i++)
        {
            var snapshot = ChannelTransactions.Snapshot(p, 1, i, now, false, trap.Effects[i]);
            results.Add(await f.Ledger.SubmitAsync(f.SignedBy(snapshot, [.. f.Keys.Select(k => k.Ratchet)]), Ct));
        }

        Assert.True(results[0].Success, results[0].ResultCodesText);
        Assert.False(results[1].Success);
        Assert.Contains("op_has_sub_entries", results[1].ResultCodesText, StringComparison.Ordinal);
        Assert.Equal(WalletStart.Value - NativeDeposit, await f.NativeBalanceAsync(1));
        Assert.NotNull(await f.Ledger.LoadAccountAsync(p.Escrow, Ct));
    }

    [Fact]
    public async Task AccountCreationInOurSnapshot_IsRefused_BecauseAnyoneCanCreateTheAccountFirst()
    {
        await using var f = await Fixture.OpenAsync();
        var stranger = KeyPair.Random().AccountId;
        // Bob pays for a creation out of his own share and puts it next to Alice's payouts.
        var fair = f.Payouts(alice: (100, 50), bob: (99, 10));
        var trap = new RoundOutcome(fair.Effects.SetItem(0, fair.Effects[0].Add(new CreateAccountOperation(stranger, Stroops.FromLumens(1)))));

        Assert.Null(await f.Group[1]!.ProposeAsync(trap, Ct));
        await f.Group.PumpAsync(Ct);
        Assert.Equal(ProtocolErrorCode.PayoutAtRisk, f.Group[0]!.Errors[^1].Code);
        Assert.Equal(0, f.Group[0]!.State.Latest!.Round);

        // Had Alice signed: Bob creates the account first, and Alice's whole snapshot fails.
        var p = f.Parameters;
        var now = await f.NowAsync();
        var bobWallet = (await f.Ledger.LoadAccountAsync(f.Keys[1].Wallet.AccountId, Ct))!;
        var frontRun = new TransactionBuilder(bobWallet.Id, bobWallet.Sequence).AddOperation(new CreateAccountOperation(stranger, Stroops.FromLumens(1))).Build();
        Assert.True((await f.Ledger.SubmitAsync(f.SignedBy(frontRun, [f.Keys[1].Wallet]), Ct)).Success);
        Assert.True((await f.Ledger.SubmitAsync(f.SignedBy(ChannelTransactions.Ratchet(p, 1, 0, now), [f.Keys[0].Version, .. f.Keys.Select(k => k.Ratchet)]), Ct)).Success);
        await f.AdvanceToAsync(ChannelTransactions.SnapshotMinTime(p, now, false));
        var aliceSnapshot = await f.Ledger.SubmitAsync(f.SignedBy(ChannelTransactions.Snapshot(p, 1, 0, now, false, trap.Effects[0]), [.. f.Keys.Select(k => k.Ratchet)]), Ct);

        Assert.False(aliceSnapshot.Success);
        Assert.Contains("op_already_exists", aliceSnapshot.ResultCodesText, StringComparison.Ordinal);
        Assert.Equal(WalletStart.Value - NativeDeposit, await f.NativeBalanceAsync(0));
        Assert.Equal(UsdStart - UsdDeposit, f.UsdBalance(0));
    }

    private sealed class Fixture : IAsyncDisposable
    {
        private readonly HttpClient _http;

        private Fixture(StandaloneServer server, HttpClient http, ILedgerClient ledger, Asset usd, ParticipantKeys[] keys, LocalChannelGroup group)
        {
            Server = server;
            _http = http;
            Ledger = ledger;
            Usd = usd;
            Keys = keys;
            Group = group;
        }

        public StandaloneServer Server { get; }

        public ILedgerClient Ledger { get; }

        public Asset Usd { get; }

        public ParticipantKeys[] Keys { get; }

        public LocalChannelGroup Group { get; }

        public ChannelParameters Parameters => Group.Parameters;

        public static async Task<Fixture> OpenAsync()
        {
            var server = await StandaloneServer.StartAsync(
                new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)), Ct);
            var http = new HttpClient();
            var ledger = LedgerClientFactory.Create(new LedgerClientOptions { Url = server.HorizonUri, NetworkPassphrase = server.Network.Passphrase }, http, TimeProvider.System);
            var issuer = KeyPair.Random();
            var funder = KeyPair.Random();
            var usd = Asset.Credit("USD", issuer.AccountId);
            var keys = Enumerable.Range(0, 2).Select(_ => new ParticipantKeys(KeyPair.Random(), KeyPair.Random(), KeyPair.Random())).ToArray();
            var root = (await ledger.LoadAccountAsync(server.Root.AccountId, Ct))!;
            var builder = new TransactionBuilder(server.Root.AccountId, root.Sequence)
                .AddOperation(new CreateAccountOperation(issuer.AccountId, Stroops.FromLumens(100)))
                .AddOperation(new CreateAccountOperation(funder.AccountId, Stroops.FromLumens(100)));
            foreach (var k in keys)
            {
                builder = builder
                    .AddOperation(new CreateAccountOperation(k.Wallet.AccountId, WalletStart))
                    .AddOperation(new ChangeTrustOperation(usd, long.MaxValue) { SourceAccount = k.Wallet.AccountId });
            }

            builder = builder
                .AddOperation(new PaymentOperation(keys[0].Wallet.AccountId, usd, new Stroops(UsdStart)) { SourceAccount = issuer.AccountId })
                .AddOperation(new PaymentOperation(keys[1].Wallet.AccountId, usd, new Stroops(BobUsd)) { SourceAccount = issuer.AccountId });
            var envelope = builder.BuildEnvelope().Sign(server.Network, server.Root).Sign(server.Network, issuer);
            foreach (var k in keys)
            {
                envelope = envelope.Sign(server.Network, k.Wallet);
            }

            var created = await ledger.SubmitAsync(envelope, Ct);
            Assert.True(created.Success, created.ResultCodesText);

            LocalParticipant[] participants =
            [
                new(keys[0], [new Deposit(Asset.Native, new Stroops(NativeDeposit)), new Deposit(usd, new Stroops(UsdDeposit))]),
                new(keys[1], [new Deposit(Asset.Native, new Stroops(NativeDeposit)), new Deposit(usd, new Stroops(BobUsd))]),
            ];
            var stores = participants.Select(_ => new InMemoryChannelStore()).ToArray();
            var sinks = participants.Select(_ => new RecordingBundleSink()).ToArray();
            var group = await LocalChannelGroup.OpenAsync(ledger, funder, participants, LedgerChannel.Timeouts, 100, i => stores[i], i => sinks[i], Ct);
            return new Fixture(server, http, ledger, usd, keys, group);
        }

        /// <summary>Each participant's snapshot pays it (native, USD) in lumens.</summary>
        public RoundOutcome Payouts((long Native, long Usd) alice, (long Native, long Usd) bob) =>
            RoundOutcome.Payouts(Parameters, [
                new Dictionary<Asset, long> { [Asset.Native] = alice.Native * Stroops.PerLumen, [Usd] = alice.Usd * Stroops.PerLumen },
                new Dictionary<Asset, long> { [Asset.Native] = bob.Native * Stroops.PerLumen, [Usd] = bob.Usd * Stroops.PerLumen },
            ]);

        /// <summary>
        /// Alice 80 XLM + 30 USD, Bob 120 XLM + 30 USD; Bob's snapshot then removes R's trust line
        /// (and, if asked, its extra signer and master weight) and merges R into Alice's wallet.
        /// </summary>
        public RoundOutcome MergeIntoAlice(bool dropSigners, bool merge = true)
        {
            var alice = Keys[0].Wallet.AccountId;
            var bob = Keys[1].Wallet.AccountId;
            ImmutableArray<Operation> first = [new PaymentOperation(alice, Asset.Native, Stroops.FromLumens(80)), new PaymentOperation(alice, Usd, Stroops.FromLumens(30))];
            var last = ImmutableArray.CreateBuilder<Operation>();
            last.Add(new PaymentOperation(bob, Asset.Native, Stroops.FromLumens(120)));
            last.Add(new PaymentOperation(bob, Usd, Stroops.FromLumens(30)));
            if (!merge)
            {
                return new RoundOutcome([first, last.ToImmutable()]);
            }

            if (dropSigners)
            {
                last.Add(new SetOptionsOperation(Signer: new Signer(new Ed25519SignerKey(Keys[1].Ratchet.AccountId), 0)));
                last.Add(new SetOptionsOperation(MasterWeight: 0));
            }

            last.Add(new ChangeTrustOperation(Usd, 0));
            last.Add(new AccountMergeOperation(alice));
            return new RoundOutcome([first, last.ToImmutable()]);
        }

        /// <summary>
        /// Alice first pays Bob 20 XLM and 20 USD; then Bob proposes the merge into Alice (a
        /// counterparty may only move R's remainder towards the participant checking).
        /// </summary>
        public async Task CompleteMergeRoundAsync(bool dropSigners)
        {
            await CompleteAsync(0, MergeIntoAlice(dropSigners, merge: false));
            await CompleteAsync(1, MergeIntoAlice(dropSigners));
        }

        private async Task CompleteAsync(int proposer, RoundOutcome outcome)
        {
            Assert.Null(await Group[proposer]!.ProposeAsync(outcome, Ct));
            await Group.PumpAsync(Ct);
            Assert.All(Enumerable.Range(0, 2), i => Assert.True(Group[i]!.State.Latest!.Outcome.Equals(outcome), $"participant {i} did not complete the round"));
        }

        public async Task<long> EscrowBalanceAsync() => (await Ledger.LoadAccountAsync(Parameters.Escrow, Ct))!.Balance.Value;

        public async Task<long> NativeBalanceAsync(int i) => (await Ledger.LoadAccountAsync(Keys[i].Wallet.AccountId, Ct))!.Balance.Value;

        public long UsdBalance(int i) => Server.Inspect(net => net.TrustLinesOf(Keys[i].Wallet.AccountId).Single(t => t.Asset == Usd).Balance);

        public async Task<DateTimeOffset> NowAsync() => (await Ledger.GetLatestLedgerAsync(Ct)).CloseTime;

        public async Task AdvanceToAsync(DateTimeOffset time)
        {
            for (var now = await NowAsync(); now < time; now = await NowAsync())
            {
                await Server.AdvanceClockAsync(time - now);
            }
        }

        public TransactionEnvelope SignedBy(Transaction tx, IEnumerable<KeyPair> keys)
        {
            TransactionEnvelope envelope = new TransactionV1Envelope(tx, []);
            foreach (var k in keys)
            {
                envelope = envelope.Sign(Parameters.Network, k);
            }

            return envelope;
        }

        /// <summary>Participant i's monitor until it stops watching, moving ledger time to whatever it waits for.</summary>
        public async Task<List<MonitorCase>> MonitorUntilSettledAsync(int i)
        {
            var cases = new List<MonitorCase>();
            for (var step = 0; step < 40; step++)
            {
                var s = await Group[i]!.CheckLedgerAsync(Ct) ?? throw new InvalidOperationException("nothing to monitor");
                cases.Add(s.Decision.Case);
                switch (s.Decision.Action)
                {
                    case MonitorAction.StopWatching:
                        return cases;
                    case MonitorAction.WaitUntil:
                        await AdvanceToAsync(s.Decision.NotBefore!.Value);
                        break;
                    case MonitorAction.Alert:
                        throw new InvalidOperationException($"participant {i} raised an alert: {string.Join(", ", cases)}");
                }
            }

            throw new InvalidOperationException($"participant {i} did not settle: {string.Join(", ", cases)}");
        }

        /// <summary>
        /// R is gone; Bob holds 120 XLM and 30 USD from the channel; Alice 80 XLM, 30 USD and all R
        /// held besides: its starting balance less the funding and snapshot fees (the deposits are
        /// paid out exactly), which is also what R held before the snapshots less their payouts and fees.
        /// </summary>
        public async Task AssertMergedIntoAliceAsync(RoundOutcome outcome, long escrowBefore)
        {
            var snapshotFees = outcome.Effects.Sum(e => e.Length) * FeePerOperation;
            var fundingFee = ChannelTransactions.Funding(Parameters).Operations.Length * FeePerOperation;
            var merged = ChannelOpening.EscrowStartingBalance(2, 1).Value - fundingFee - snapshotFees;
            Assert.Equal(merged, escrowBefore - (200 * Stroops.PerLumen) - snapshotFees);

            Assert.Null(await Ledger.LoadAccountAsync(Parameters.Escrow, Ct));
            Assert.Equal(WalletStart.Value - NativeDeposit + (80 * Stroops.PerLumen) + merged, await NativeBalanceAsync(0));
            Assert.Equal(WalletStart.Value - NativeDeposit + (120 * Stroops.PerLumen), await NativeBalanceAsync(1));
            Assert.Equal(UsdStart - UsdDeposit + (30 * Stroops.PerLumen), UsdBalance(0));
            Assert.Equal(30 * Stroops.PerLumen, UsdBalance(1));
            Assert.All(Enumerable.Range(0, 2), i => Assert.Equal(ChannelPhase.Closed, Group[i]!.State.Phase));
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            _http.Dispose();
        }
    }
}
