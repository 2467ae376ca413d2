using System.Diagnostics;
using System.Text;
using MassTransit;
using RabbitMQ.Client;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.TestSupport;
using Watchtower.Stellar;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tests.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Watchtower.Tower.Tests.Ingestion;

/// <summary>
/// Tenant security over a real bus and store: operator commands signed by the operator key,
/// wallet operations by the subscription's key, replies to the requester only, channel ownership
/// by proof, per-subscription rate limits, and the wallet-side audit.
/// </summary>
public abstract class TenantSecurityContractTests<THost> : IClassFixture<THost> where THost : IngestionHost
{
    protected TenantSecurityContractTests(THost host) => Host = host;

    protected THost Host { get; }

    protected double Rejected(RejectionReason reason) => Host.Metrics.BundlesRejected.WithLabels(reason.ToLabel()).Value;

    protected byte[] Sealed(TestChannel channel, ulong round) => channel.Seal(channel.Bundle(round), Host.SealingKey.PublicKey).ToArray();

    /// <summary>Waits for an effect without a reply to await, up to 20 s.</summary>
    protected static async Task<bool> Eventually(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 400; i++)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(50);
        }
        return false;
    }

    private DateTimeOffset Now => Host.Time.GetUtcNow();

    private async Task<(TestChannel Channel, Guid Id)> RegisteredAsync(int maxChannels = 10)
    {
        var channel = new TestChannel();
        var id = Guid.NewGuid();
        var (changed, refused) = await Host.RegisterAsync(Host.Registration(id, channel.WalletIdentity.AccountId, Now, maxChannels: maxChannels));
        Assert.Null(refused);
        Assert.NotNull(changed);
        return (channel, id);
    }

    private async Task AssertRefusedAsync(RegisterSubscription command, RejectionReason reason)
    {
        var counted = Rejected(reason);
        var (changed, refused) = await Host.RegisterAsync(command);
        Assert.Null(changed);
        Assert.Equal(reason, refused!.Reason);
        Assert.Equal(counted + 1, Rejected(reason));
    }

    [Fact]
    public async Task UnsignedRegistration_IsRefusedAndCounted()
    {
        var id = Guid.NewGuid();
        var unsigned = Host.Registration(id, KeyPair.Random().AccountId, Now) with { Signature = [] };

        await AssertRefusedAsync(unsigned, RejectionReason.NotAuthorized);

        Assert.Null(await Host.Store.GetSubscriptionAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task RegistrationSignedByAWalletKey_IsRefused()
    {
        var wallet = KeyPair.Random();
        var id = Guid.NewGuid();

        await AssertRefusedAsync(Host.Registration(id, wallet.AccountId, Now, signer: wallet), RejectionReason.NotAuthorized);

        Assert.Null(await Host.Store.GetSubscriptionAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task RegistrationSignedForAnotherTower_IsRefused()
    {
        var id = Guid.NewGuid();
        var forOther = OperatorCommands.Register(Host.OperatorKey, KeyPair.Random().AccountId, id, KeyPair.Random().AccountId, 5, 1000, Now.AddDays(1), Now);

        await AssertRefusedAsync(forOther, RejectionReason.NotAuthorized);
    }

    [Fact]
    public async Task ReplayedRenewal_CannotRollTheSubscriptionBack()
    {
        var (_, id) = await RegisteredAsync();
        var shorter = OperatorCommands.Renew(Host.OperatorKey, Host.ReceiptKey.AccountId, id, Now.AddDays(60), null, null, Now.AddSeconds(1));
        var longer = OperatorCommands.Renew(Host.OperatorKey, Host.ReceiptKey.AccountId, id, Now.AddDays(90), 3, null, Now.AddSeconds(2));
        Assert.NotNull((await Host.RequestAsync<RenewSubscription, SubscriptionChanged>(shorter)).Ok);
        Assert.NotNull((await Host.RequestAsync<RenewSubscription, SubscriptionChanged>(longer)).Ok);

        var (replayed, refused) = await Host.RequestAsync<RenewSubscription, SubscriptionChanged>(shorter);

        Assert.Null(replayed);
        Assert.Equal(RejectionReason.ReplayedCommand, refused!.Reason);
        var held = await Host.Store.GetSubscriptionAsync(id, CancellationToken.None);
        Assert.Equal((Now.AddDays(90), 3), (held!.ExpiresAt, held.MaxChannels));
    }

    [Fact]
    public async Task ReRegistrationWithAnotherWalletKey_IsRefused_UnlessTheOperatorAsksToReplaceIt()
    {
        var (channel, id) = await RegisteredAsync();
        var other = KeyPair.Random();

        await AssertRefusedAsync(Host.Registration(id, other.AccountId, Now.AddSeconds(1)), RejectionReason.WalletKeyConflict);
        Assert.Equal(channel.WalletIdentity.AccountId, (await Host.Store.GetSubscriptionAsync(id, CancellationToken.None))!.WalletKey);

        var (rotated, _) = await Host.RegisterAsync(Host.Registration(id, other.AccountId, Now.AddSeconds(2), replace: true));
        Assert.Equal(other.AccountId.ToString(), rotated!.WalletKey);
    }

    /// <summary>
    /// The attack of issue 10: a stranger re-registers the victim's subscription id with their own
    /// key (unsigned, as the wallet client used to send it, or signed by their own key) and then
    /// asks the tower to forget the victim's channel with a request signed by that key.
    /// </summary>
    [Fact]
    public async Task StrangerCannotRebindAVictimsSubscription_NorForgetItsChannel()
    {
        var (victim, id) = await RegisteredAsync();
        Assert.NotNull((await Host.UploadAsync(id, Sealed(victim, 2))).Accepted);
        var stranger = KeyPair.Random();

        var unsigned = new RegisterSubscription(id, stranger.AccountId.ToString(), 10, 1_000_000, Now.AddDays(365), ReplaceWalletKey: true, Now.AddSeconds(5), []);
        await AssertRefusedAsync(unsigned, RejectionReason.NotAuthorized);
        await AssertRefusedAsync(Host.Registration(id, stranger.AccountId, Now.AddSeconds(6), signer: stranger, replace: true), RejectionReason.NotAuthorized);
        var (forgotten, refused) = await Host.RequestAsync<ForgetChannel, ChannelForgotten>(
            ForgetChannelSignature.Create(id, victim.ChannelId(), ulong.MaxValue, stranger));

        Assert.Null(forgotten);
        Assert.Equal(RejectionReason.BadSignature, refused!.Reason);
        Assert.Equal(victim.WalletIdentity.AccountId, (await Host.Store.GetSubscriptionAsync(id, CancellationToken.None))!.WalletKey);
        Assert.Equal(2UL, (await Host.Store.GetAsync(victim.ChannelId(), CancellationToken.None))!.Metadata.Round);
    }

    [Fact]
    public async Task Forget_IsAnsweredToTheRequester()
    {
        var (channel, id) = await RegisteredAsync();
        await Host.UploadAsync(id, Sealed(channel, 1));

        var (forgotten, _) = await Host.RequestAsync<ForgetChannel, ChannelForgotten>(ForgetChannelSignature.Create(id, channel.ChannelId(), 1, channel.WalletIdentity));

        Assert.Equal((channel.ChannelId(), true), (forgotten!.ChannelId, forgotten.Removed));
        Assert.Null(await Host.Store.GetAsync(channel.ChannelId(), CancellationToken.None));
    }

    /// <summary>
    /// A squatter uploads a copy of an old signed bundle of the owner's channel under its own
    /// subscription first; the owner's next round proves control of the version account and wins,
    /// and the squatter can neither reclaim nor forget it.
    /// </summary>
    [Fact]
    public async Task SquattersCopyOfAnOldRound_IsTakenOverByTheOwnersHigherRound()
    {
        var (owner, ownerId) = await RegisteredAsync();
        var squatter = KeyPair.Random();
        var squatterId = Guid.NewGuid();
        await Host.RegisterAsync(Host.Registration(squatterId, squatter.AccountId, Now, maxChannels: 1));
        byte[] Copy(ulong round) => owner.Seal(owner.Bundle(round), Host.SealingKey.PublicKey, squatter).ToArray();
        Assert.NotNull((await Host.UploadAsync(squatterId, Copy(1))).Accepted);
        var takeovers = Host.Metrics.ChannelTakeovers.Value;

        // The same round from the owner proves nothing more than the squatter's copy.
        Assert.Equal(RejectionReason.ChannelConflict, (await Host.UploadAsync(ownerId, Sealed(owner, 1))).Rejected!.Reason);
        var (accepted, _) = await Host.UploadAsync(ownerId, Sealed(owner, 2));

        Assert.NotNull(accepted);
        Assert.Equal(takeovers + 1, Host.Metrics.ChannelTakeovers.Value);
        var stored = await Host.Store.GetAsync(owner.ChannelId(), CancellationToken.None);
        Assert.Equal((ownerId, 2UL), (stored!.Metadata.SubscriptionId, stored.Metadata.Round));
        Assert.Equal(RejectionReason.ChannelConflict, (await Host.UploadAsync(squatterId, Copy(2))).Rejected!.Reason);
        var (forgotten, refused) = await Host.RequestAsync<ForgetChannel, ChannelForgotten>(
            ForgetChannelSignature.Create(squatterId, owner.ChannelId(), ulong.MaxValue, squatter));
        Assert.Null(forgotten);
        Assert.Equal(RejectionReason.ChannelConflict, refused!.Reason);
        Assert.NotNull(await Host.Store.GetAsync(owner.ChannelId(), CancellationToken.None));
        // The squatter no longer pays for the channel: its one-channel allowance is free again.
        var own = new TestChannel();
        Assert.NotNull((await Host.UploadAsync(squatterId, own.Seal(own.Bundle(1), Host.SealingKey.PublicKey, squatter).ToArray())).Accepted);
    }

    [Fact]
    public async Task Audit_OfAHeldChannel_IsSignedOverTheStoredBytes()
    {
        var (channel, id) = await RegisteredAsync();
        var upload = Sealed(channel, 3);
        await Host.UploadAsync(id, upload);
        var request = AuditSignature.Request(id, channel.ChannelId(), channel.WalletIdentity);

        var (statement, _) = await Host.RequestAsync<AuditChannel, ChannelAudited>(request);

        Assert.True(AuditSignature.IsValidAnswer(statement!, request, Host.ReceiptKey.AccountId));
        Assert.Equal((true, 3UL), (statement!.Held, statement.Round));
        Assert.Equal(Hash256.Sha256(upload).ToArray(), statement.BundleHash);
    }

    [Fact]
    public async Task Audit_OfAChannelNotHeld_IsASignedNotHeld()
    {
        var (channel, id) = await RegisteredAsync();
        var request = AuditSignature.Request(id, channel.ChannelId(), channel.WalletIdentity);

        var (statement, _) = await Host.RequestAsync<AuditChannel, ChannelAudited>(request);

        Assert.True(AuditSignature.IsValidAnswer(statement!, request, Host.ReceiptKey.AccountId));
        Assert.False(statement!.Held);
    }

    [Fact]
    public async Task Audit_SignedByAnotherKey_IsRefused()
    {
        var (channel, id) = await RegisteredAsync();

        var (statement, refused) = await Host.RequestAsync<AuditChannel, ChannelAudited>(AuditSignature.Request(id, channel.ChannelId(), KeyPair.Random()));

        Assert.Null(statement);
        Assert.Equal(RejectionReason.BadSignature, refused!.Reason);
    }

    [Fact]
    public async Task OneSubscriptionsFlood_IsRateLimitedBeforeDecryption_AndCounted()
    {
        var (channel, id) = await RegisteredAsync();
        var upload = Sealed(channel, 1);
        var counted = Rejected(RejectionReason.RateLimited);

        var answers = await Task.WhenAll(Enumerable.Range(0, Host.Ingest.PerSubscriptionBurst + 5).Select(_ => Host.UploadAsync(id, upload)));

        Assert.Equal(Host.Ingest.PerSubscriptionBurst, answers.Count(a => a.Accepted is not null));
        Assert.Equal(5, answers.Count(a => a.Rejected?.Reason == RejectionReason.RateLimited));
        Assert.Equal(counted + 5, Rejected(RejectionReason.RateLimited));
        // Another subscription is not held back by it.
        var (other, otherId) = await RegisteredAsync();
        Assert.NotNull((await Host.UploadAsync(otherId, Sealed(other, 1))).Accepted);
    }
}

public sealed class RabbitMqRedisTenantSecurityTests : TenantSecurityContractTests<RabbitMqRedisHost>
{
    private readonly ITestOutputHelper _output;

    public RabbitMqRedisTenantSecurityTests(RabbitMqRedisHost host, ITestOutputHelper output) : base(host) => _output = output;

    /// <summary>
    /// Any broker user may bind a queue to the exchanges MassTransit publishes a message type on:
    /// receipts, refusals and answers must never go there.
    /// </summary>
    [Fact]
    public async Task NoAnswerIsPublishedWhereAnotherBrokerUserCanBind()
    {
        var factory = new ConnectionFactory { Uri = TestServers.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var amqp = await connection.CreateChannelAsync();
        var eavesdropper = (await amqp.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        foreach (var type in new[] { typeof(BundleAccepted), typeof(BundleRejected), typeof(ChannelForgotten), typeof(ChannelAudited), typeof(SubscriptionChanged) })
        {
            var exchange = $"{type.Namespace}:{type.Name}";
            await amqp.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
            await amqp.QueueBindAsync(eavesdropper, exchange, "");
        }

        var channel = new TestChannel();
        var id = Guid.NewGuid();
        Assert.NotNull((await Host.RegisterAsync(Host.Registration(id, channel.WalletIdentity.AccountId, Host.Time.GetUtcNow()))).Ok);
        Assert.NotNull((await Host.UploadAsync(id, Sealed(channel, 2))).Accepted);
        Assert.NotNull((await Host.UploadAsync(id, Sealed(channel, 1))).Rejected);
        Assert.NotNull((await Host.RequestAsync<AuditChannel, ChannelAudited>(AuditSignature.Request(id, channel.ChannelId(), channel.WalletIdentity))).Ok);
        Assert.NotNull((await Host.RequestAsync<ForgetChannel, ChannelForgotten>(ForgetChannelSignature.Create(id, channel.ChannelId(), 2, channel.WalletIdentity))).Ok);

        Assert.Equal(0u, (await amqp.QueueDeclarePassiveAsync(eavesdropper)).MessageCount);
    }

    [Fact]
    public async Task IngestionFaultQueues_AreBoundedAndCounted()
    {
        var host = new RabbitMqRedisHost { Ingest = new IngestOptions { PerSubscriptionRate = 1, PerSubscriptionBurst = 10, FaultQueueMaxLength = 3 } };
        await host.InitializeAsync();
        try
        {
            var factory = new ConnectionFactory { Uri = TestServers.RabbitMq };
            await using var connection = await factory.CreateConnectionAsync();
            await using var amqp = await connection.CreateChannelAsync();
            for (var i = 0; i < 6; i++)
            {
                await amqp.BasicPublishAsync("", TowerQueues.UploadBundle(host.Prefix), mandatory: true,
                    new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true }, Encoding.UTF8.GetBytes("{ not a message " + i));
            }

            // A passive declare of a queue not there yet closes the channel: one channel per look.
            async Task<uint> ErrorCountAsync()
            {
                await using var look = await connection.CreateChannelAsync();
                try
                {
                    return (await look.QueueDeclarePassiveAsync(TowerQueues.UploadBundle(host.Prefix) + "_error")).MessageCount;
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
                {
                    return 0;
                }
            }

            Assert.True(await Eventually(async () => await ErrorCountAsync() == 3),
                "the error queue keeps 3");
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    /// <summary>
    /// The figure behind the fairness bound: how long an honest upload waits behind a flood of
    /// garbage uploads already queued (random bytes under random subscriptions, as a stranger can
    /// send), i.e. the tower's cost per garbage message; with the ingestion queues bounded by the
    /// broker policy of docs/deployment.md the wait is at most that bound times this cost.
    /// Printed, not asserted: it depends on the machine.
    /// </summary>
    [Fact]
    public async Task GarbageFlood_ThenAnHonestUpload_PrintsTheDelay()
    {
        const int flood = 20_000;
        var channel = new TestChannel();
        var id = Guid.NewGuid();
        Assert.NotNull((await Host.RegisterAsync(Host.Registration(id, channel.WalletIdentity.AccountId, Host.Time.GetUtcNow()))).Ok);
        var factory = new ConnectionFactory { Uri = TestServers.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var amqp = await connection.CreateChannelAsync();
        var random = new Random(10);
        var garbage = new byte[600];
        var refusedBefore = Rejected(RejectionReason.Malformed);
        for (var i = 0; i < flood; i++)
        {
            random.NextBytes(garbage);
            var body = $$$"""{"messageId":"{{{Guid.NewGuid()}}}","messageType":["urn:message:Watchtower.Contracts.Messages:UploadBundle"],"message":{"subscriptionId":"{{{Guid.NewGuid()}}}","sealedBundle":"{{{Convert.ToBase64String(garbage)}}}"}}""";
            await amqp.BasicPublishAsync("", TowerQueues.UploadBundle(Host.Prefix), mandatory: false,
                new BasicProperties { ContentType = "application/vnd.masstransit+json" }, Encoding.UTF8.GetBytes(body));
        }

        var clock = Stopwatch.StartNew();
        var (accepted, _) = await Host.UploadAsync(id, Sealed(channel, 1));
        var waited = clock.Elapsed;

        Assert.NotNull(accepted);
        var refusedByThen = Rejected(RejectionReason.Malformed) - refusedBefore;
        // Every garbage message gets a typed, counted refusal (none is dropped silently).
        Assert.True(await Eventually(() => Task.FromResult(Rejected(RejectionReason.Malformed) - refusedBefore == flood)), "every garbage upload refused as malformed");
        _output.WriteLine($"honest upload behind {flood:N0} queued garbage uploads: answered after {waited.TotalSeconds:F2} s " +
            $"({waited.TotalMicroseconds / refusedByThen:F0} µs per garbage message; {refusedByThen:N0} refused by then, the rest in flight on concurrent consumers)");
    }
}

public sealed class InMemoryTenantSecurityTests : TenantSecurityContractTests<InMemoryHost>
{
    public InMemoryTenantSecurityTests(InMemoryHost host) : base(host)
    {
    }
}
