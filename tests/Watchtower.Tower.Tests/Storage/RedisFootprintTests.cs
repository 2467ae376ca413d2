using StackExchange.Redis;
using Watchtower.Contracts;
using Watchtower.TestSupport;
using Watchtower.Stellar;
using Watchtower.Tower.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Watchtower.Tower.Tests.Storage;

/// <summary>What a channel costs in Redis, and that forgetting it gives every byte back.</summary>
public sealed class RedisFootprintTests : IDisposable
{
    private readonly ConnectionMultiplexer _redis = TestServers.ConnectRedis();
    private readonly ITestOutputHelper _output;
    private readonly string _prefix = TestServers.UniquePrefix();
    private readonly RedisChannelStore _store;
    private readonly TowerSealingKey _sealing = TowerSealingKey.Generate();
    private readonly KeyPair _tower = KeyPair.Random();
    private readonly Subscription _subscription = new(Guid.NewGuid(), KeyPair.Random().AccountId, 1000, 100_000_000, DateTimeOffset.MaxValue);

    public RedisFootprintTests(ITestOutputHelper output)
    {
        _output = output;
        _store = new RedisChannelStore(_redis, _prefix);
    }

    public void Dispose()
    {
        _sealing.Dispose();
        _redis.Dispose();
    }

    private async Task<(ChannelMetadata Metadata, int SealedLength)> StoreAsync(TestChannel channel, ulong round)
    {
        var bundle = channel.Bundle(round);
        var sealedBundle = channel.Seal(bundle, _sealing.PublicKey);
        var metadata = ChannelMetadata.Of(bundle, _subscription.Id);
        var receipt = BundleReceipt.Issue(_tower, bundle.ChannelId, round, sealedBundle.Hash, 7);
        var result = await _store.StoreAsync(_subscription, metadata, receipt, sealedBundle.ToArray(), CancellationToken.None);
        Assert.Equal(StoreOutcome.Stored, result.Outcome);
        return (metadata, sealedBundle.Length);
    }

    private async Task<List<RedisKey>> KeysAsync()
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: $"{_prefix}:*"))
        {
            keys.Add(key);
        }
        return keys;
    }

    private async Task<long> MemoryAsync()
    {
        long total = 0;
        foreach (var key in await KeysAsync())
        {
            total += (long)await _redis.GetDatabase().ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
        }
        return total;
    }

    [Fact]
    public async Task TwoPartyChannel_CostsAtMostOnePointFiveKilobytesBeyondItsCiphertext()
    {
        // Warm up the shared structures, then measure the marginal cost of many channels.
        await StoreAsync(new TestChannel(), 1);
        var before = await MemoryAsync();
        const int channels = 200;
        long sealedBytes = 0;
        for (var i = 0; i < channels; i++)
        {
            sealedBytes += (await StoreAsync(new TestChannel(), 1)).SealedLength;
        }
        var after = await MemoryAsync();

        var perChannel = (after - before) / (double)channels;
        var beyondCiphertext = perChannel - (sealedBytes / (double)channels);
        _output.WriteLine($"per two-party channel: {perChannel:F0} B in Redis, sealed bundle {sealedBytes / channels} B, overhead {beyondCiphertext:F0} B");
        Assert.True(beyondCiphertext <= 1536, $"overhead {beyondCiphertext:F0} B per channel exceeds 1.5 KB");
    }

    [Fact]
    public async Task ReplayAfterACrashBeforeIndexing_HealsTheIndex()
    {
        // The record was written (step 2) but the process died before indexing it (step 3).
        var channel = new TestChannel();
        var bundle = channel.Bundle(2);
        var sealedBundle = channel.Seal(bundle, _sealing.PublicKey);
        var metadata = ChannelMetadata.Of(bundle, _subscription.Id);
        var receipt = BundleReceipt.Issue(_tower, bundle.ChannelId, 2, sealedBundle.Hash, 7);
        await _redis.GetDatabase().StringSetAsync(_store.RecordKey(bundle.ChannelId), ChannelRecordCodec.Encode(metadata, receipt, sealedBundle.Bytes));
        Assert.Empty(await _store.ChannelsWatchingAsync(channel.Escrow.AccountId, CancellationToken.None));

        // The broker redelivers the upload.
        var replay = await _store.StoreAsync(_subscription, metadata, receipt, sealedBundle.ToArray(), CancellationToken.None);

        Assert.Equal(StoreOutcome.Unchanged, replay.Outcome);
        Assert.Equal([bundle.ChannelId], (await _store.ChannelsWatchingAsync(channel.Escrow.AccountId, CancellationToken.None)).ToArray());
        Assert.Single(await _store.DueAsync(metadata.DeadlineTime, 10, CancellationToken.None));
    }

    [Fact]
    public async Task ForgottenChannel_LeavesNoKeyOrEntryBehind()
    {
        var keysBefore = await KeysAsync();
        var (metadata, _) = await StoreAsync(new TestChannel(), 1);
        await _store.ScheduleFollowUpAsync(metadata.ChannelId, 99, CancellationToken.None);

        Assert.Equal(ForgetOutcome.Forgotten, await _store.ForgetAsync(metadata.ChannelId, 1, CancellationToken.None));

        // Only the change feed (bounded history the tailers replay), its counter, and the channel's
        // closed marker (expiring; it refuses replays of the closed rounds) remain.
        var remaining = (await KeysAsync()).Except(keysBefore).Select(k => k.ToString()).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { $"{_prefix}:{{ch:{metadata.ChannelId}}}:closed", $"{_prefix}:{{ix}}:changes", $"{_prefix}:{{ix}}:changeseq" }
            .Order(StringComparer.Ordinal).ToArray(), remaining);
    }
}
