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
/// A wallet's tower client: after every completed round it turns the channel's neutral bundle into
/// the tower's format, seals it to the tower's key, signs it with the wallet's identity, sends it
/// as an <see cref="UploadBundle"/> request and checks the signed receipt that comes back.
/// </summary>
public sealed class TowerUploadSink(
    IBus bus,
    Uri uploadQueue,
    Guid subscription,
    KeyPair identity,
    TowerPublicKey towerKey,
    AccountId towerReceiptKey,
    DemoNarrator narrator,
    string walletName) : IBundleSink
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

    public async Task PublishAsync(ChannelBundle bundle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var sealedBundle = BundleSealer.Seal(ToTowerBundle(bundle), towerKey, identity);
        var bytes = sealedBundle.ToArray();
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
                    ? new UploadRecord((ulong)bundle.Round, bytes.Length, receipt, null)
                    : new UploadRecord((ulong)bundle.Round, bytes.Length, null, $"receipt refused: {check}");
            }
            else if (response.Is(out Response<BundleRejected>? rejected))
            {
                var r = rejected.Message;
                record = new UploadRecord((ulong)bundle.Round, bytes.Length, null, $"rejected: {r.Reason} {r.Problem} {r.Detail}");
            }
            else
            {
                record = new UploadRecord((ulong)bundle.Round, bytes.Length, null, "unexpected response");
            }
        }
        catch (RequestTimeoutException e)
        {
            record = new UploadRecord((ulong)bundle.Round, bytes.Length, null, "no answer from the tower: " + e.Message);
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

    /// <summary>
    /// The tower's bundle for the uploading participant. Time bounds are read from the signed
    /// transactions themselves, so what the tower is told is exactly what the ledger will check.
    /// </summary>
    public static Bundle ToTowerBundle(ChannelBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var p = bundle.Parameters;
        var me = p.Participants[bundle.Participant];
        var n = (byte)p.Count;
        // Funding leaves R (participant 0's ratchet key) with master weight 1, every other ratchet key at weight 1, and all thresholds at n.
        var signers = new EscrowSigners(
            new Thresholds(1, n, n, n),
            [.. p.Participants.Skip(1).Select(x => new Signer(new Ed25519SignerKey(x.RatchetKey), 1))]);
        var ratchetBounds = TimeBoundsOf(bundle.Ratchet) ?? throw new InvalidOperationException("a ratchet always has time bounds");
        var snapshotMin = TimeBoundsOf(bundle.Snapshots[0])?.MinTime ?? throw new InvalidOperationException("a snapshot always has a minTime");
        return new Bundle(
            ChannelId.Derive(p.Network, p.Escrow, me.VersionAccount),
            p.Network,
            p.Escrow,
            me.VersionAccount,
            [.. p.Participants.Where((_, i) => i != bundle.Participant).Select(x => x.VersionAccount)],
            checked((ulong)bundle.Round),
            bundle.RatchetTarget,
            p.Count,
            p.Timeouts.SynchronyDelay,
            signers,
            bundle.Ratchet,
            bundle.Snapshots,
            ratchetBounds,
            snapshotMin);
    }

    private static TimeBounds? TimeBoundsOf(TransactionEnvelope envelope) => envelope switch
    {
        TransactionV1Envelope v1 => v1.Transaction.Preconditions.TimeBounds,
        TransactionV0Envelope v0 => v0.Transaction.Preconditions.TimeBounds,
        _ => null,
    };

    /// <summary>The tower's channel id for this participant of the channel.</summary>
    public static ChannelId TowerChannelId(Channels.Protocol.ChannelParameters parameters, int participant)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return ChannelId.Derive(parameters.Network, parameters.Escrow, parameters.Participants[participant].VersionAccount);
    }

    /// <summary>Rounds that have a verified receipt, in order.</summary>
    public ImmutableArray<ulong> AcknowledgedRounds() => [.. Uploads.Where(u => u.Receipt is not null).Select(u => u.Round)];
}
