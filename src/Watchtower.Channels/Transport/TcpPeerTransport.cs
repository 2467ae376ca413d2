using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Watchtower.Channels.Transport;

/// <summary>
/// Peer links over TCP. Each participant listens on its own endpoint and dials the others for
/// sending; a link opens with a 4-byte hello naming the dialer's index, then carries frames of a
/// 4-byte big-endian length and the payload. A frame over <see cref="MaxFrameSize"/> or a bad
/// hello closes that link (the peer may redial); nothing from it reaches the protocol.
/// </summary>
public sealed class TcpPeerTransport : IPeerTransport
{
    public const int DefaultMaxFrameSize = 1 << 20;

    /// <summary>Frames waiting for the protocol; when full, links stop being read (TCP backpressure) rather than memory growing.</summary>
    public const int InboxCapacity = 1024;

    private readonly IReadOnlyList<IPEndPoint> _endpoints;
    private readonly TcpListener _listener;
    private readonly Channel<InboundFrame> _inbox = Channel.CreateBounded<InboundFrame>(new BoundedChannelOptions(InboxCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly ConcurrentDictionary<int, Outbound> _outbound = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private long _rejectedFrames;

    private TcpPeerTransport(int self, IReadOnlyList<IPEndPoint> endpoints, int maxFrameSize, TcpListener listener)
    {
        Self = self;
        _endpoints = endpoints;
        MaxFrameSize = maxFrameSize;
        _listener = listener;
        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    public int Self { get; }

    public int MaxFrameSize { get; }

    /// <summary>Frames and links refused (oversized, bad hello, unknown peer).</summary>
    public long RejectedFrames => Interlocked.Read(ref _rejectedFrames);

    /// <summary>The endpoint actually bound (useful when the configured port was 0).</summary>
    public IPEndPoint LocalEndpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Start listening on <paramref name="endpoints"/>[<paramref name="self"/>].</summary>
    public static TcpPeerTransport Start(int self, IReadOnlyList<IPEndPoint> endpoints, int maxFrameSize = DefaultMaxFrameSize)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentOutOfRangeException.ThrowIfNegative(self);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(self, endpoints.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameSize, 64);
        var listener = new TcpListener(endpoints[self]);
        listener.Start();
        return new TcpPeerTransport(self, endpoints, maxFrameSize, listener);
    }

    /// <summary>Replace a peer's endpoint (e.g. once it has bound an ephemeral port).</summary>
    public static IReadOnlyList<IPEndPoint> WithEndpoint(IReadOnlyList<IPEndPoint> endpoints, int index, IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var copy = endpoints.ToArray();
        copy[index] = endpoint;
        return copy;
    }

    public async ValueTask SendAsync(int to, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(to);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(to, _endpoints.Count);
        if (payload.Length > MaxFrameSize)
        {
            throw new ArgumentException($"frame of {payload.Length} bytes exceeds {MaxFrameSize}", nameof(payload));
        }

        var link = _outbound.GetOrAdd(to, _ => new Outbound());
        await link.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    link.Stream ??= await DialAsync(to, ct).ConfigureAwait(false);
                    var header = new byte[4];
                    BinaryPrimitives.WriteInt32BigEndian(header, payload.Length);
                    await link.Stream.WriteAsync(header, ct).ConfigureAwait(false);
                    await link.Stream.WriteAsync(payload, ct).ConfigureAwait(false);
                    await link.Stream.FlushAsync(ct).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (e is IOException or SocketException && attempt == 0)
                {
                    // The peer restarted: redial once, then let the caller see the failure.
                    link.Reset();
                }
            }
        }
        finally
        {
            link.Gate.Release();
        }
    }

    public ValueTask<InboundFrame> ReceiveAsync(CancellationToken ct) => _inbox.Reader.ReadAsync(ct);

    public bool TryReceive(out InboundFrame? frame)
    {
        var ok = _inbox.Reader.TryRead(out var f);
        frame = f;
        return ok;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // expected on shutdown
        }

        foreach (var link in _outbound.Values)
        {
            link.Reset();
        }

        _inbox.Writer.TryComplete();
        _stop.Dispose();
    }

    private async Task<NetworkStream> DialAsync(int to, CancellationToken ct)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(_endpoints[to], ct).ConfigureAwait(false);
            var stream = client.GetStream();
            var hello = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(hello, Self);
            await stream.WriteAsync(hello, ct).ConfigureAwait(false);
            return stream;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        var readers = new List<Task>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
                client.NoDelay = true;
                readers.RemoveAll(t => t.IsCompleted);
                readers.Add(ReadLinkAsync(client, ct));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // listener stopped
        }

        await Task.WhenAll(readers).ConfigureAwait(false);
    }

    private async Task ReadLinkAsync(TcpClient client, CancellationToken ct)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var header = new byte[4];
                await stream.ReadExactlyAsync(header, ct).ConfigureAwait(false);
                var from = BinaryPrimitives.ReadInt32BigEndian(header);
                if (from < 0 || from >= _endpoints.Count || from == Self)
                {
                    Interlocked.Increment(ref _rejectedFrames);
                    return;
                }

                while (!ct.IsCancellationRequested)
                {
                    await stream.ReadExactlyAsync(header, ct).ConfigureAwait(false);
                    var length = BinaryPrimitives.ReadInt32BigEndian(header);
                    if (length < 0 || length > MaxFrameSize)
                    {
                        Interlocked.Increment(ref _rejectedFrames);
                        return;
                    }

                    var payload = new byte[length];
                    await stream.ReadExactlyAsync(payload, ct).ConfigureAwait(false);
                    await _inbox.Writer.WriteAsync(new InboundFrame(from, payload), ct).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or SocketException or ObjectDisposedException or ChannelClosedException)
            {
                // link closed: the dialer redials when it next sends
            }
        }
    }

    private sealed class Outbound
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public NetworkStream? Stream { get; set; }

        public void Reset()
        {
            Stream?.Dispose();
            Stream = null;
        }
    }
}
