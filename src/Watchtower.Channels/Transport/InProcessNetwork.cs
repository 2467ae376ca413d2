using System.Threading.Channels;

namespace Watchtower.Channels.Transport;

/// <summary>
/// Participants in one process, linked by unbounded in-memory queues. A participant can be taken
/// offline: frames to it are dropped and its queue is emptied, as a crashed process would lose them.
/// </summary>
public sealed class InProcessNetwork
{
    private readonly Channel<InboundFrame>[] _inboxes;
    private readonly bool[] _online;
    private readonly Lock _gate = new();

    public InProcessNetwork(int participants)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(participants, 2);
        _inboxes = new Channel<InboundFrame>[participants];
        _online = new bool[participants];
        for (var i = 0; i < participants; i++)
        {
            _inboxes[i] = NewInbox();
            _online[i] = true;
        }
    }

    public int Count => _inboxes.Length;

    public IPeerTransport Connect(int self)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(self);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(self, Count);
        return new Endpoint(this, self);
    }

    /// <summary>Take a participant down (its pending inbound frames are lost) or bring it back.</summary>
    public void SetOnline(int participant, bool online)
    {
        lock (_gate)
        {
            if (!online && _online[participant])
            {
                _inboxes[participant].Writer.TryComplete();
                _inboxes[participant] = NewInbox();
            }

            _online[participant] = online;
        }
    }

    private static Channel<InboundFrame> NewInbox() =>
        Channel.CreateUnbounded<InboundFrame>(new UnboundedChannelOptions { SingleReader = true });

    private void Deliver(int from, int to, byte[] payload)
    {
        lock (_gate)
        {
            if (_online[from] && _online[to])
            {
                _inboxes[to].Writer.TryWrite(new InboundFrame(from, payload));
            }
        }
    }

    private Channel<InboundFrame> Inbox(int participant)
    {
        lock (_gate)
        {
            return _inboxes[participant];
        }
    }

    private sealed class Endpoint(InProcessNetwork network, int self) : IPeerTransport
    {
        public int Self => self;

        public ValueTask SendAsync(int to, ReadOnlyMemory<byte> payload, CancellationToken ct)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(to);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(to, network.Count);
            network.Deliver(self, to, payload.ToArray());
            return ValueTask.CompletedTask;
        }

        public ValueTask<InboundFrame> ReceiveAsync(CancellationToken ct) => network.Inbox(self).Reader.ReadAsync(ct);

        public bool TryReceive(out InboundFrame? frame)
        {
            var ok = network.Inbox(self).Reader.TryRead(out var f);
            frame = f;
            return ok;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
