using System.Collections.Immutable;
using MassTransit;
using Watchtower.Channels.Runtime;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;

namespace Watchtower.Cli.Demo;

/// <summary>What became of one upload: the verified receipt, or why there is none.</summary>
public sealed record UploadRecord(ulong Round, int SealedBytes, BundleReceipt? Receipt, string? Problem);

/// <summary>
/// A wallet's tower client over the bus: sends a sealed bundle as an <see cref="UploadBundle"/>
/// request and checks the signed receipt that comes back. Plugged into the channel library's
/// <see cref="SealingBundleSink"/>, which builds and seals each round's bundle.
/// </summary>
public sealed class TowerUploader(IBus bus, Uri uploadQueue, Guid subscription, AccountId towerReceiptKey, DemoNarrator narrator, string walletName)
{
    private readonly List<UploadRecord> _uploads = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<UploadRecord> Uploads
    {
        get
        {
            lock (_gate)
            {
                return [.. _uploads];
            }
        }
    }

    /// <summary>The wallet's bundle sink: seal to the tower, sign with <paramref name="identity"/>, upload here.</summary>
    public IBundleSink Sink(TowerPublicKey towerKey, KeyPair identity) => new SealingBundleSink(towerKey, identity, UploadAsync);

    public async Task UploadAsync(SealedBundle sealedBundle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sealedBundle);
        var bytes = sealedBundle.ToArray();
        var round = sealedBundle.Round;
        var client = bus.CreateRequestClient<UploadBundle>(uploadQueue, RequestTimeout.After(s: 30));
        UploadRecord record;
        try
        {
            var response = await client.GetResponse<BundleAccepted, BundleRejected>(new UploadBundle(subscription, bytes), ct).ConfigureAwait(false);
            if (response.Is(out Response<BundleAccepted>? accepted))
            {
                var receipt = accepted.Message.ToReceipt();
                var check = ReceiptVerifier.Check(receipt, towerReceiptKey, sealedBundle);
                record = check == ReceiptCheck.Valid
                    ? new UploadRecord(round, bytes.Length, receipt, null)
                    : new UploadRecord(round, bytes.Length, null, $"receipt refused: {check}");
            }
            else if (response.Is(out Response<BundleRejected>? rejected))
            {
                var r = rejected.Message;
                record = new UploadRecord(round, bytes.Length, null, $"rejected: {r.Reason} {r.Problem} {r.Detail}");
            }
            else
            {
                record = new UploadRecord(round, bytes.Length, null, "unexpected response");
            }
        }
        catch (RequestTimeoutException e)
        {
            record = new UploadRecord(round, bytes.Length, null, "no answer from the tower: " + e.Message);
        }

        lock (_gate)
        {
            _uploads.Add(record);
        }

        if (record.Receipt is { } ok)
        {
            narrator.Good($"{walletName} → tower: round {record.Round} bundle ({record.SealedBytes} bytes sealed) accepted; receipt signed by the tower at ledger {ok.AcceptingLedger}, verified");
        }
        else
        {
            narrator.Bad($"{walletName} → tower: round {record.Round} bundle {record.Problem}");
        }
    }

    /// <summary>Rounds that have a verified receipt, in order.</summary>
    public ImmutableArray<ulong> AcknowledgedRounds() => [.. Uploads.Where(u => u.Receipt is not null).Select(u => u.Round)];
}
