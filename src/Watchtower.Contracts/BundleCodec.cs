using System.Collections.Immutable;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Contracts;

/// <summary>
/// The bundle plaintext, format version 1, in XDR:
/// <code>
/// uint32 version (= 1)
/// opaque channelId[16]
/// string networkPassphrase&lt;128&gt;
/// AccountID escrow; AccountID versionAccount; AccountID counterparties&lt;15&gt;
/// uint64 round; int64 ratchetTarget; uint32 participants; uint64 claimDelaySeconds
/// Thresholds escrowThresholds; Signer escrowSigners&lt;20&gt;
/// opaque ratchet&lt;4096&gt;                      (TransactionEnvelope XDR)
/// uint32 snapshotCount; opaque snapshot&lt;4096&gt; × snapshotCount (≤ 16)
/// TimeBounds ratchetTimeBounds; uint64 snapshotMinTime
/// </code>
/// Envelopes are nested as opaque so that each is exactly the XDR the network will see.
/// </summary>
public static class BundleCodec
{
    public const uint FormatVersion = 1;

    public static byte[] Encode(Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var w = new XdrWriter(1024);
        w.WriteUInt32(FormatVersion);
        w.WriteFixedOpaque(bundle.ChannelId.ToBytes());
        w.WriteString(bundle.Network.Passphrase, BundleLimits.MaxPassphraseBytes);
        w.Write(bundle.Escrow);
        w.Write(bundle.VersionAccount);
        w.WriteArray(bundle.CounterpartyVersionAccounts, BundleLimits.MaxParticipants - 1);
        w.WriteUInt64(bundle.Round);
        w.WriteInt64(bundle.RatchetTarget.Value);
        w.WriteUInt32(checked((uint)bundle.Participants));
        w.WriteUInt64(checked((ulong)bundle.ClaimDelay.TotalSeconds));
        w.Write(bundle.EscrowSigners.Thresholds);
        w.WriteArray(bundle.EscrowSigners.Signers, BundleLimits.MaxEscrowSigners);
        w.WriteVarOpaque(XdrCodec.Encode(bundle.Ratchet), BundleLimits.MaxEnvelopeBytes);
        if (bundle.Snapshots.Length > BundleLimits.MaxParticipants)
        {
            throw new ArgumentException($"at most {BundleLimits.MaxParticipants} snapshots", nameof(bundle));
        }
        w.WriteUInt32((uint)bundle.Snapshots.Length);
        foreach (var snapshot in bundle.Snapshots)
        {
            w.WriteVarOpaque(XdrCodec.Encode(snapshot), BundleLimits.MaxEnvelopeBytes);
        }
        w.Write(bundle.RatchetTimeBounds);
        w.WriteUInt64(bundle.SnapshotMinTime);
        if (w.Length > BundleLimits.MaxPlaintextBytes)
        {
            throw new ArgumentException($"bundle of {w.Length} bytes exceeds {BundleLimits.MaxPlaintextBytes}", nameof(bundle));
        }
        return w.ToArray();
    }

    /// <summary>Decodes a plaintext bundle; throws <see cref="BundleRejectedException"/> (Oversized, Malformed or InvalidContent/TransactionDecode).</summary>
    public static Bundle Decode(ReadOnlyMemory<byte> plaintext)
    {
        if (plaintext.Length > BundleLimits.MaxPlaintextBytes)
        {
            throw new BundleRejectedException(RejectionReason.Oversized, $"bundle of {plaintext.Length} bytes exceeds {BundleLimits.MaxPlaintextBytes}");
        }
        try
        {
            var r = new XdrReader(plaintext);
            var version = r.ReadUInt32();
            if (version != FormatVersion)
            {
                throw new BundleRejectedException(RejectionReason.Malformed, $"unsupported bundle format version {version}");
            }
            var channelId = ChannelId.FromBytes(r.ReadFixedOpaque(ChannelId.Size));
            var network = new Network(r.ReadString(BundleLimits.MaxPassphraseBytes));
            var escrow = r.Read<AccountId>();
            var versionAccount = r.Read<AccountId>();
            var counterparties = ReadBoundedArray<AccountId>(r, BundleLimits.MaxParticipants - 1, "counterparty version accounts");
            var round = r.ReadUInt64();
            var target = new SequenceNumber(r.ReadInt64());
            var participants = r.ReadUInt32();
            if (participants > BundleLimits.MaxParticipants)
            {
                throw new BundleRejectedException(RejectionReason.Oversized, $"{participants} participants exceed {BundleLimits.MaxParticipants}");
            }
            var delaySeconds = r.ReadUInt64();
            if (delaySeconds > (ulong)TimeSpan.MaxValue.TotalSeconds / 2)
            {
                throw new BundleRejectedException(RejectionReason.Malformed, "claim delay out of range");
            }
            var thresholds = r.Read<Thresholds>();
            var signers = ReadBoundedArray<Signer>(r, BundleLimits.MaxEscrowSigners, "escrow signers");
            var ratchet = ReadEnvelope(r, "ratchet");
            var snapshotCount = r.ReadUInt32();
            if (snapshotCount > BundleLimits.MaxParticipants)
            {
                throw new BundleRejectedException(RejectionReason.Oversized, $"{snapshotCount} snapshots exceed {BundleLimits.MaxParticipants}");
            }
            var snapshots = ImmutableArray.CreateBuilder<TransactionEnvelope>((int)snapshotCount);
            for (var i = 0; i < snapshotCount; i++)
            {
                snapshots.Add(ReadEnvelope(r, $"snapshot {i + 1}"));
            }
            var ratchetBounds = r.Read<TimeBounds>();
            var snapshotMinTime = r.ReadUInt64();
            r.EnsureEnd();
            return new Bundle(channelId, network, escrow, versionAccount, counterparties, round, target,
                (int)participants, TimeSpan.FromSeconds(delaySeconds), new EscrowSigners(thresholds, signers),
                ratchet, snapshots.MoveToImmutable(), ratchetBounds, snapshotMinTime);
        }
        catch (XdrFormatException e)
        {
            throw new BundleRejectedException(RejectionReason.Malformed, $"bundle does not decode: {e.Message}", e);
        }
    }

    private static ImmutableArray<T> ReadBoundedArray<T>(XdrReader r, int max, string what) where T : IXdrCodec<T>
    {
        var count = r.ReadUInt32();
        if (count > max)
        {
            throw new BundleRejectedException(RejectionReason.Oversized, $"{count} {what} exceed {max}");
        }
        var items = ImmutableArray.CreateBuilder<T>((int)count);
        for (var i = 0; i < count; i++)
        {
            items.Add(r.Read<T>());
        }
        return items.MoveToImmutable();
    }

    private static TransactionEnvelope ReadEnvelope(XdrReader r, string what)
    {
        var length = r.ReadUInt32();
        if (length > BundleLimits.MaxEnvelopeBytes)
        {
            throw new BundleRejectedException(RejectionReason.Oversized, $"{what} envelope of {length} bytes exceeds {BundleLimits.MaxEnvelopeBytes}");
        }
        var bytes = r.ReadFixedOpaque((int)length);
        try
        {
            var envelope = XdrCodec.Decode<TransactionEnvelope>(bytes);
            return envelope is TransactionV1Envelope or TransactionV0Envelope
                ? envelope
                : throw BundleRejectedException.Invalid(ContentProblem.TransactionDecode, $"{what} must be a plain transaction envelope, not {envelope.Type}");
        }
        catch (XdrFormatException e)
        {
            throw new BundleRejectedException(RejectionReason.InvalidContent, $"{what} is not a transaction envelope: {e.Message}", e, ContentProblem.TransactionDecode);
        }
    }
}
