namespace Watchtower.Channels.Transport;

/// <summary>One encoded message and the participant whose link it came over.</summary>
public sealed record InboundFrame(int From, byte[] Payload);

/// <summary>
/// Moves encoded peer messages between participants, in order per link. Frames are opaque here:
/// the runtime decodes and validates them, so a transport cannot make us accept anything.
/// </summary>
public interface IPeerTransport : IAsyncDisposable
{
    int Self { get; }

    /// <summary>Queue a frame for a peer. Delivery is best effort: a lost frame stalls a round, never breaks safety.</summary>
    ValueTask SendAsync(int to, ReadOnlyMemory<byte> payload, CancellationToken ct);

    /// <summary>The next inbound frame, in arrival order.</summary>
    ValueTask<InboundFrame> ReceiveAsync(CancellationToken ct);

    /// <summary>A frame already waiting, if any (lets callers drain without blocking).</summary>
    bool TryReceive(out InboundFrame? frame);
}

/// <summary>
/// A transport whose peers are learned as a channel opens (who they are, where to reach them),
/// and whose caller can wait for a frame before choosing how to handle it: what the opening
/// handshake between separate processes needs.
/// </summary>
public interface IPeerNetwork : IPeerTransport
{
    /// <summary>Our own identity: every link we dial proves we hold its key.</summary>
    Stellar.AccountId Identity { get; }

    /// <summary>Record participant <paramref name="index"/>: the key its links must prove, and its address.</summary>
    void SetPeer(int index, PeerContact contact);

    /// <summary>Wait until a frame is waiting, without taking it; false once the transport is closed.</summary>
    ValueTask<bool> WaitToReceiveAsync(CancellationToken ct);
}
