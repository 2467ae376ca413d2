using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Watchtower.TestSupport;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tests.Storage;
using Watchtower.TowerClient;
using Xunit;

namespace Watchtower.Tower.Tests.Ingestion;

/// <summary>The wallet's tower client against the real ingestion on RabbitMQ and Redis: a store that lost a channel is noticed by the audit and healed by the re-upload.</summary>
public sealed class WalletAuditTests : IClassFixture<RabbitMqRedisHost>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly RabbitMqRedisHost _host;

    public WalletAuditTests(RabbitMqRedisHost host) => _host = host;

    [Fact]
    public async Task ChannelWipedFromRedis_TheAuditNoticesAndReuploads_AndTheTowerHoldsItAgain()
    {
        var channel = new TestChannel();
        var id = Guid.NewGuid();
        Assert.NotNull((await _host.RegisterAsync(_host.Registration(id, channel.WalletIdentity.AccountId, _host.Time.GetUtcNow()))).Ok);
        var uploads = System.Threading.Channels.Channel.CreateUnbounded<UploadOutcome>();
        var address = new TowerAddress(_host.ReceiptKey.AccountId, _host.SealingKey.PublicKey,
            TowerQueues.SendAddress(TowerQueues.UploadBundle(_host.Prefix)), TowerQueues.SendAddress(TowerQueues.AuditChannel(_host.Prefix)));
        // The client's clock never moves: no periodic audit, no timeout; the test audits explicitly.
        var options = new TowerClientOptions { RequestTimeout = Patience, AuditInterval = null };
        await using var client = new WalletTowerClient(_host.Bus, address, id, channel.WalletIdentity, new FakeTimeProvider(), options, o => uploads.Writer.TryWrite(o));
        using var limit = new CancellationTokenSource(Patience);
        client.Queue(channel.Seal(channel.Bundle(2), _host.SealingKey.PublicKey));
        Assert.Equal(UploadStatus.Accepted, (await uploads.Reader.ReadAsync(limit.Token)).Status);
        Assert.Equal(AuditStatus.Held, Assert.Single(await client.AuditAsync(limit.Token)).Status);

        // What a store loss looks like to the wallet: the record is gone (test-only delete of its key).
        using (var redis = TestServers.ConnectRedis())
        {
            Assert.True(await redis.GetDatabase().KeyDeleteAsync(((RedisChannelStore)_host.Store).RecordKey(channel.ChannelId())));
        }
        Assert.Null(await _host.Store.GetAsync(channel.ChannelId(), CancellationToken.None));

        var audit = Assert.Single(await client.AuditAsync(limit.Token));

        Assert.Equal((AuditStatus.NotHeld, true), (audit.Status, audit.Reuploaded));
        var reupload = await uploads.Reader.ReadAsync(limit.Token);
        Assert.Equal((UploadStatus.Accepted, 2UL), (reupload.Status, reupload.Round));
        Assert.Equal(2UL, (await _host.Store.GetAsync(channel.ChannelId(), CancellationToken.None))!.Metadata.Round);
        Assert.Equal(AuditStatus.Held, Assert.Single(await client.AuditAsync(limit.Token)).Status);
    }
}
