using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Time.Testing;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.TestSupport;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.TowerClient.Tests;

/// <summary>
/// The wallet's tower client against a scripted tower on the in-memory bus: it answers each upload
/// as the test says (receipt, refusal, or silence). Backoff waits run on a fake clock the test moves.
/// </summary>
public sealed class WalletTowerClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly TowerClientOptions Options = new()
    {
        RequestTimeout = TimeSpan.FromMilliseconds(300),
        FirstRetry = TimeSpan.FromSeconds(1),
        MaxRetry = TimeSpan.FromSeconds(4),
        AuditInterval = TimeSpan.FromHours(1),
    };

    private readonly TestChannel _channel = new();
    private readonly KeyPair _towerReceipt = KeyPair.Random();
    private readonly TowerSealingKey _towerSealing = TowerSealingKey.Generate();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    private readonly Channel<UploadOutcome> _outcomes = Channel.CreateUnbounded<UploadOutcome>();
    private readonly List<ulong> _received = [];
    private readonly List<RegisterSubscription> _registered = [];
    private readonly Channel<AuditOutcome> _audits = Channel.CreateUnbounded<AuditOutcome>();
    private readonly Guid _subscription = Guid.NewGuid();
    private IBusControl _bus = null!;
    private WalletTowerClient _client = null!;

    /// <summary>How the tower answers an upload: a message to respond with, or null for silence.</summary>
    private Func<SealedBundle, object?> _tower = _ => null;

    /// <summary>How the tower answers an audit (default: it holds what it last receipted).</summary>
    private Func<AuditChannel, object?> _auditor = _ => null;

    public async Task InitializeAsync()
    {
        _bus = MassTransit.Bus.Factory.CreateUsingInMemory(cfg =>
        {
            cfg.ReceiveEndpoint("uploads", e => e.Handler<UploadBundle>(async context =>
            {
                var sealedBundle = SealedBundle.Parse(context.Message.SealedBundle);
                lock (_received)
                {
                    _received.Add(sealedBundle.Round);
                }

                if (_tower(sealedBundle) is { } answer)
                {
                    await context.RespondAsync(answer);
                }
            }));
            cfg.ReceiveEndpoint("subscriptions", e => e.Handler<RegisterSubscription>(async context =>
            {
                lock (_registered)
                {
                    _registered.Add(context.Message);
                }

                var m = context.Message;
                await context.RespondAsync(new SubscriptionChanged(m.SubscriptionId, m.WalletKey, m.MaxChannels, m.MaxBytes, m.ExpiresAt));
            }));
            cfg.ReceiveEndpoint("audits", e => e.Handler<AuditChannel>(async context =>
            {
                if (_auditor(context.Message) is { } answer)
                {
                    await context.RespondAsync(answer);
                }
            }));
        });
        await _bus.StartAsync();
        var address = new TowerAddress(_towerReceipt.AccountId, _towerSealing.PublicKey, new Uri("queue:uploads"), new Uri("queue:audits"));
        _client = new WalletTowerClient(_bus, address, _subscription, _channel.WalletIdentity, _time, Options, o => _outcomes.Writer.TryWrite(o), o => _audits.Writer.TryWrite(o));
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _bus.StopAsync();
        _towerSealing.Dispose();
    }

    [Fact]
    public async Task TowerSilent_RetriesWithDoublingBackoffCappedAtTheMaximum_ThenTheReceiptVerifies()
    {
        _client.Queue(Sealed(1));

        foreach (var seconds in new[] { 1, 2, 4, 4 })
        {
            var silent = await NextAsync();
            Assert.Equal(UploadStatus.Unreachable, silent.Status);
            Assert.Equal(TimeSpan.FromSeconds(seconds), silent.RetryIn);
            if (seconds == 4 && Received().Length == 4)
            {
                // The fourth silence: the tower answers the next attempt.
                _tower = Accept(_towerReceipt);
            }

            _time.Advance(TimeSpan.FromSeconds(seconds));
        }

        var accepted = await NextAsync();

        Assert.Equal(UploadStatus.Accepted, accepted.Status);
        Assert.Equal(1UL, accepted.Round);
        Assert.Equal(_channel.ChannelId(), accepted.Receipt!.ChannelId);
        Assert.Null(accepted.RetryIn);
        Assert.Equal([1UL, 1UL, 1UL, 1UL, 1UL], Received());
    }

    [Fact]
    public async Task NewerRound_ReplacesTheQueuedOlderOne_WhileTheTowerIsUnreachable()
    {
        _client.Queue(Sealed(1));
        Assert.Equal(UploadStatus.Unreachable, (await NextAsync()).Status);

        _client.Queue(Sealed(2));
        _client.Queue(Sealed(1));
        _tower = Accept(_towerReceipt);
        _time.Advance(Options.FirstRetry);
        var accepted = await NextAsync();
        await _client.WhenIdleAsync(new CancellationTokenSource(Patience).Token);

        Assert.Equal((UploadStatus.Accepted, 2UL), (accepted.Status, accepted.Round));
        Assert.Equal([1UL, 2UL], Received());
    }

    [Fact]
    public async Task ReceiptSignedByAnotherKey_IsRefused_AndNotRetried()
    {
        _tower = Accept(KeyPair.Random());
        _client.Queue(Sealed(3));

        var outcome = await NextAsync();
        await _client.WhenIdleAsync(new CancellationTokenSource(Patience).Token);

        Assert.Equal(UploadStatus.ReceiptRefused, outcome.Status);
        Assert.Contains(nameof(ReceiptCheck.WrongTower), outcome.Problem, StringComparison.Ordinal);
        Assert.Null(outcome.Receipt);
        Assert.Null(outcome.RetryIn);
        Assert.Equal(3UL, Received()[^1]);
    }

    [Fact]
    public async Task ResentRound_TheTowersReceiptForTheEarlierSealingOfThatRound_IsAccepted()
    {
        var first = Sealed(4);
        _tower = _ => AcceptedFor(first);
        _client.Queue(Sealed(4));

        var outcome = await NextAsync();

        Assert.Equal(UploadStatus.Accepted, outcome.Status);
        Assert.Equal(first.Hash, outcome.Receipt!.BundleHash);
    }

    [Fact]
    public async Task ReceiptForAnotherRound_IsRefused()
    {
        var other = Sealed(5);
        _tower = _ => AcceptedFor(other);
        _client.Queue(Sealed(4));

        var outcome = await NextAsync();

        Assert.Equal(UploadStatus.ReceiptRefused, outcome.Status);
        Assert.Contains(nameof(ReceiptCheck.RoundMismatch), outcome.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownSubscription_IsRetried_BecauseTheRegistrationMayStillBeOnItsWay()
    {
        var registered = false;
        _tower = b => registered ? Accept(_towerReceipt)(b) : Reject(b, RejectionReason.UnknownSubscription);
        _client.Queue(Sealed(0));

        var refused = await NextAsync();
        Assert.Equal((UploadStatus.Rejected, RejectionReason.UnknownSubscription), (refused.Status, refused.Reason));
        Assert.Equal(Options.FirstRetry, refused.RetryIn);
        registered = true;
        _time.Advance(Options.FirstRetry);

        Assert.Equal(UploadStatus.Accepted, (await NextAsync()).Status);
    }

    [Fact]
    public async Task Operator_SignsItsCommandsForThisTowerOnly_WithGrowingIssueTimes()
    {
        var operatorKey = KeyPair.Random();
        var tower = new TowerOperator(_bus, operatorKey, _towerReceipt.AccountId, new Uri("queue:subscriptions"), _time, Patience);
        var id = Guid.NewGuid();

        var (first, _) = await tower.RegisterAsync(id, _channel.WalletIdentity.AccountId, 5, 10_000, _time.GetUtcNow().AddDays(30), CancellationToken.None);
        var (second, _) = await tower.RegisterAsync(id, _channel.WalletIdentity.AccountId, 6, 10_000, _time.GetUtcNow().AddDays(30), CancellationToken.None);

        Assert.Equal((id, 5, 6), (first!.SubscriptionId, first.MaxChannels, second!.MaxChannels));
        RegisterSubscription[] sent;
        lock (_registered)
        {
            sent = [.. _registered];
        }

        Assert.Equal(2, sent.Length);
        Assert.All(sent, c => Assert.True(OperatorCommands.IsSignedBy(c, operatorKey.AccountId, _towerReceipt.AccountId)));
        Assert.All(sent, c => Assert.False(OperatorCommands.IsSignedBy(c, operatorKey.AccountId, KeyPair.Random().AccountId)));
        Assert.False(OperatorCommands.IsSignedBy(sent[0] with { MaxChannels = 500 }, operatorKey.AccountId, _towerReceipt.AccountId));
        Assert.True(sent[1].IssuedAt > sent[0].IssuedAt);
    }

    [Fact]
    public async Task Audit_OfAReceiptedRound_IsHeld_WhenTheTowerSignsTheReceiptedHash()
    {
        var upload = await UploadedAsync(3);
        _auditor = a => AuditSignature.Statement(_towerReceipt, a, 3, upload.ToArray(), held: true, "");

        var outcome = Assert.Single(await _client.AuditAsync(CancellationToken.None));

        Assert.Equal((AuditStatus.Held, false, 3UL), (outcome.Status, outcome.Reuploaded, outcome.Round));
        Assert.Equal(3UL, Received()[^1]);
    }

    [Theory]
    [InlineData("not-held", AuditStatus.NotHeld)]
    [InlineData("wrong-round", AuditStatus.WrongRound)]
    [InlineData("wrong-hash", AuditStatus.WrongHash)]
    [InlineData("wrong-key", AuditStatus.BadStatement)]
    [InlineData("wrong-nonce", AuditStatus.BadStatement)]
    [InlineData("silent", AuditStatus.Unreachable)]
    public async Task Audit_WithAMissingOrWrongAnswer_ReuploadsTheLatestBundle(string answer, AuditStatus expected)
    {
        var upload = await UploadedAsync(3);
        _auditor = a => answer switch
        {
            "not-held" => AuditSignature.Statement(_towerReceipt, a, 0, default, held: false, ""),
            "wrong-round" => AuditSignature.Statement(_towerReceipt, a, 2, upload.ToArray(), held: true, ""),
            "wrong-hash" => AuditSignature.Statement(_towerReceipt, a, 3, [1, 2, 3], held: true, ""),
            "wrong-key" => AuditSignature.Statement(KeyPair.Random(), a, 3, upload.ToArray(), held: true, ""),
            "wrong-nonce" => AuditSignature.Statement(_towerReceipt, a with { Nonce = new byte[AuditSignature.NonceSize] }, 3, upload.ToArray(), held: true, ""),
            _ => null,
        };

        var before = Received().Length;
        var outcome = Assert.Single(await _client.AuditAsync(CancellationToken.None));

        Assert.Equal((expected, true), (outcome.Status, outcome.Reuploaded));
        Assert.Equal(UploadStatus.Accepted, (await NextAsync()).Status);
        Assert.Equal(before + 1, Received().Length);
    }

    [Fact]
    public async Task Audit_SeeingTheStoreEpochChange_ReportsItAndReuploads_EvenForAHeldChannel()
    {
        var upload = await UploadedAsync(3);
        _auditor = a => AuditSignature.Statement(_towerReceipt, a, 3, upload.ToArray(), held: true, "epoch-one");
        Assert.Equal(AuditStatus.Held, Assert.Single(await _client.AuditAsync(CancellationToken.None)).Status);
        _auditor = a => AuditSignature.Statement(_towerReceipt, a, 3, upload.ToArray(), held: true, "epoch-two");
        var before = Received().Length;

        var outcome = Assert.Single(await _client.AuditAsync(CancellationToken.None));

        Assert.Equal((AuditStatus.StoreReplaced, true), (outcome.Status, outcome.Reuploaded));
        Assert.Contains("epoch-two", outcome.Problem, StringComparison.Ordinal);
        Assert.Equal(UploadStatus.Accepted, (await NextAsync()).Status);
        Assert.Equal(before + 1, Received().Length);
        Assert.Equal(AuditStatus.Held, Assert.Single(await _client.AuditAsync(CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Audits_RunOnTheClientsClock_AndAreReported()
    {
        var upload = await UploadedAsync(1);
        _auditor = a => AuditSignature.Statement(_towerReceipt, a, 1, upload.ToArray(), held: true, "");

        using var limit = new CancellationTokenSource(Patience);
        AuditOutcome? outcome = null;
        while (outcome is null)
        {
            // The loop may not have started its wait yet: keep moving the clock until it reports.
            _time.Advance(Options.AuditInterval!.Value);
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(limit.Token);
            tick.CancelAfter(TimeSpan.FromMilliseconds(100));
            try
            {
                outcome = await _audits.Reader.ReadAsync(tick.Token);
            }
            catch (OperationCanceledException) when (!limit.IsCancellationRequested)
            {
            }
        }

        Assert.Equal((AuditStatus.Held, 1UL), (outcome.Status, outcome.Round));
    }

    [Fact]
    public async Task StaleRoundRejection_IsReportedWithItsReason_AndNotRetried()
    {
        _tower = b => Reject(b, RejectionReason.StaleRound);
        _client.Queue(Sealed(2));

        var outcome = await NextAsync();
        await _client.WhenIdleAsync(new CancellationTokenSource(Patience).Token);

        Assert.Equal((UploadStatus.Rejected, RejectionReason.StaleRound), (outcome.Status, outcome.Reason));
        Assert.Null(outcome.RetryIn);
        Assert.Equal([2UL], Received());
    }

    /// <summary>Uploads a round the tower receipts, and returns what was uploaded.</summary>
    private async Task<SealedBundle> UploadedAsync(ulong round)
    {
        _tower = Accept(_towerReceipt);
        var upload = Sealed(round);
        _client.Queue(upload);
        // A first request on a loaded machine may outlast the short timeout: its retry then lands.
        var outcome = await NextAsync();
        while (outcome is { Status: UploadStatus.Unreachable, RetryIn: { } retry })
        {
            _time.Advance(retry);
            outcome = await NextAsync();
        }

        Assert.Equal(UploadStatus.Accepted, outcome.Status);
        await _client.WhenIdleAsync(new CancellationTokenSource(Patience).Token);
        return upload;
    }

    private SealedBundle Sealed(ulong round) => _channel.Seal(_channel.Bundle(round), _towerSealing.PublicKey);

    private Func<SealedBundle, object?> Accept(KeyPair signer) => b =>
        BundleAccepted.From(_subscription, BundleReceipt.Issue(signer, b.ChannelId, b.Round, b.Hash, 42));

    private BundleAccepted AcceptedFor(SealedBundle b) => (BundleAccepted)Accept(_towerReceipt)(b)!;

    private object Reject(SealedBundle b, RejectionReason reason) =>
        new BundleRejected(_subscription, b.ChannelId, b.Round, reason, ContentProblem.None, "scripted");

    private ulong[] Received()
    {
        lock (_received)
        {
            return [.. _received];
        }
    }

    private async Task<UploadOutcome> NextAsync()
    {
        using var limit = new CancellationTokenSource(Patience);
        return await _outcomes.Reader.ReadAsync(limit.Token);
    }
}
