using System.Text.Json;
using Watchtower.Contracts.Messages;
using Watchtower.TestSupport;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Contracts.Tests;

public sealed class ReceiptTests : IDisposable
{
    private readonly TowerSealingKey _sealing = TowerSealingKey.Generate();
    private readonly KeyPair _tower = KeyPair.Random();
    private readonly TestChannel _channel = new();

    public void Dispose() => _sealing.Dispose();

    private (SealedBundle Upload, BundleReceipt Receipt) Accepted(ulong round)
    {
        var upload = _channel.Seal(_channel.Bundle(round), _sealing.PublicKey);
        return (upload, BundleReceipt.Issue(_tower, upload.ChannelId, round, upload.Hash, 1234));
    }

    [Fact]
    public void IssuedReceipt_VerifiesForTheUploadedBundle()
    {
        var (upload, receipt) = Accepted(5);
        Assert.Equal(ReceiptCheck.Valid, ReceiptVerifier.Check(receipt, _tower.AccountId, upload));
    }

    [Fact]
    public void ReceiptFromAnotherTower_IsWrongTower()
    {
        var (upload, receipt) = Accepted(5);
        Assert.Equal(ReceiptCheck.WrongTower, ReceiptVerifier.Check(receipt, KeyPair.Random().AccountId, upload));
    }

    [Fact]
    public void ReceiptWithAlteredLedger_IsBadSignature()
    {
        var (upload, receipt) = Accepted(5);
        Assert.Equal(ReceiptCheck.BadSignature, ReceiptVerifier.Check(receipt with { AcceptingLedger = 1 }, _tower.AccountId, upload));
    }

    [Fact]
    public void ReceiptForAnotherRoundOrBundle_IsRejected()
    {
        var (_, receipt) = Accepted(5);
        Assert.Equal(ReceiptCheck.RoundMismatch, ReceiptVerifier.Check(receipt, _tower.AccountId, Accepted(6).Upload));
        var resealed = _channel.Seal(_channel.Bundle(5), _sealing.PublicKey);
        Assert.Equal(ReceiptCheck.BundleMismatch, ReceiptVerifier.Check(receipt, _tower.AccountId, resealed));
    }

    [Fact]
    public void Receipt_SurvivesBinaryAndMessageRoundTrips()
    {
        var (upload, receipt) = Accepted(5);
        Assert.Equal(receipt, BundleReceipt.FromBytes(receipt.ToBytes()));

        var json = JsonSerializer.Serialize(BundleAccepted.From(Guid.NewGuid(), receipt));
        var message = JsonSerializer.Deserialize<BundleAccepted>(json)!;
        Assert.Equal(receipt, message.ToReceipt());
        Assert.Equal(ReceiptCheck.Valid, ReceiptVerifier.Check(message.ToReceipt(), _tower.AccountId, upload));
    }

    [Fact]
    public void ForgetRequest_VerifiesOnlyWithTheWalletKeyAndItsOwnFields()
    {
        var request = ForgetChannelSignature.Create(Guid.NewGuid(), _channel.ChannelId(), 7, _channel.WalletIdentity);
        Assert.True(ForgetChannelSignature.IsSignedBy(request, _channel.WalletIdentity.AccountId));
        Assert.False(ForgetChannelSignature.IsSignedBy(request, KeyPair.Random().AccountId));
        Assert.False(ForgetChannelSignature.IsSignedBy(request with { UpToRound = 8 }, _channel.WalletIdentity.AccountId));
    }

    [Fact]
    public void ChannelId_TravelsAsHexInJson()
    {
        var id = _channel.ChannelId();
        var json = JsonSerializer.Serialize(new TriggerChannel(id, TriggerKind.Deadline, 9, DateTimeOffset.UnixEpoch, null, DateTimeOffset.UnixEpoch));
        Assert.Contains($"\"{id}\"", json, StringComparison.Ordinal);
        Assert.Equal(id, JsonSerializer.Deserialize<TriggerChannel>(json)!.ChannelId);
    }
}
