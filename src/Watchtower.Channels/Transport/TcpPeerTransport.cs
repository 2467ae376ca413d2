using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Channels;
using Watchtower.Stellar;

namespace Watchtower.Channels.Transport;

/// <summary>A peer's identity (the ed25519 key it proves on every link) and where it listens ("host:port"; null if unknown yet).</summary>
public sealed record PeerContact(AccountId Identity, string? Address);

/// <summary>How a <see cref="TcpPeerTransport"/> listens and proves who it is.</summary>
public sealed record TcpPeerOptions
{
    /// <summary>Where to accept links (port 0 picks a free port; see <see cref="TcpPeerTransport.LocalEndpoint"/>).</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>Our identity key: every link we dial proves we hold it.</summary>
    public required KeyPair Identity { get; init; }

    /// <summary>32 bytes naming the session (an opening id or the channel); signatures are bound to it so they cannot be reused for another session.</summary>
    public required ImmutableArray<byte> Context { get; init; }

    public int MaxFrameSize { get; init; } = TcpPeerTransport.DefaultMaxFrameSize;

    /// <summary>How long an inbound link may take to authenticate before it is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>
/// Peer links over TCP. Each participant listens on its own endpoint and dials the others for
/// sending. A link is authenticated before any frame crosses it: the listener sends its identity,
/// the session context and a fresh 32-byte nonce; the dialer answers with its identity and an
/// ed25519 signature over (domain tag ‖ context ‖ listener identity ‖ nonce ‖ dialer identity);
/// the listener accepts only a known peer's key with a valid signature and answers one byte.
/// A spoofed identity, a bad signature or an answer replayed from an old link (other nonce) gets
/// the link closed and counted. Frames are then a 4-byte big-endian length and the payload; one
/// over <see cref="MaxFrameSize"/> closes the link. Links carry no confidentiality.
/// </summary>
public sealed class TcpPeerTransport : IPeerNetwork
{
    public const int DefaultMaxFrameSize = 1 << 20;

    /// <summary>Frames waiting for the protocol; when full, links stop being read (TCP backpressure) rather than memory growing.</summary>
    public const int InboxCapacity = 1024;

    public const int ContextSize = 32;

    /// <summary>Inbound links still proving who they are; more are closed at once (and counted as "busy").</summary>
    public const int MaxPendingHandshakes = 64;

    private const int NonceSize = 32;
    private const int SignatureSize = 64;
    private const byte Accepted = 1;
    private static readonly byte[] Magic = "WTL1"u8.ToArray();
    private static readonly byte[] DomainTag = "watchtower/peer-link/v1\0"u8.ToArray();
    private static readonly int ChallengeSize = Magic.Length + AccountId.KeySize + ContextSize + NonceSize;

    private static readonly Meter Meter = new("Watchtower.Channels.Transport");
    private static readonly Counter<long> RejectedLinksCounter = Meter.CreateCounter<long>(
        "watchtower_channel_peer_links_rejected_total", description: "Inbound peer links refused before any frame was read, by reason");

    private readonly TcpPeerOptions _options;
    private readonly TcpListener _listener;
    private readonly Channel<InboundFrame> _inbox = Channel.CreateBounded<InboundFrame>(new BoundedChannelOptions(InboxCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly ConcurrentDictionary<int, Outbound> _outbound = new();
    private readonly Lock _peersGate = new();
    private ImmutableDictionary<int, PeerContact> _peers = ImmutableDictionary<int, PeerContact>.Empty;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private long _rejectedFrames;
    private long _rejectedLinks;
    private int _disposed;
    private int _handshaking;

    private TcpPeerTransport(TcpPeerOptions options, TcpListener listener)
    {
        _options = options;
        _listener = listener;
        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    /// <summary>Our index: the peer entry carrying our own identity, or −1 until one does.</summary>
    public int Self
    {
        get
        {
            var me = _options.Identity.AccountId;
            return Peers.Where(p => p.Value.Identity == me).Select(p => p.Key).DefaultIfEmpty(-1).First();
        }
    }

    public AccountId Identity => _options.Identity.AccountId;

    public ImmutableArray<byte> Context => _options.Context;

    public int MaxFrameSize => _options.MaxFrameSize;

    /// <summary>Oversized frames received (their links were closed).</summary>
    public long RejectedFrames => Interlocked.Read(ref _rejectedFrames);

    /// <summary>Inbound links refused at the handshake (unknown or spoofed identity, bad signature, wrong session, timeout, too many pending).</summary>
    public long RejectedLinks => Interlocked.Read(ref _rejectedLinks);

    /// <summary>The endpoint actually bound (useful when the configured port was 0).</summary>
    public IPEndPoint LocalEndpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Every known peer by index.</summary>
    public ImmutableDictionary<int, PeerContact> Peers
    {
        get
        {
            lock (_peersGate)
            {
                return _peers;
            }
        }
    }

    public static TcpPeerTransport Start(TcpPeerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Listen);
        ArgumentNullException.ThrowIfNull(options.Identity);
        if (options.Context.IsDefault || options.Context.Length != ContextSize)
        {
            throw new ArgumentException($"the session context must be {ContextSize} bytes", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFrameSize, 64);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.HandshakeTimeout, TimeSpan.Zero);
        var listener = new TcpListener(options.Listen);
        listener.Start();
        return new TcpPeerTransport(options, listener);
    }

    /// <summary>A fresh random session context (e.g. an opening id).</summary>
    public static ImmutableArray<byte> NewContext() => [.. RandomNumberGenerator.GetBytes(ContextSize)];

    /// <summary>
    /// Learn or change a peer: which key it must prove when it dials us, and where we dial it.
    /// A changed address drops our link to it so the next frame dials the new one.
    /// </summary>
    public void SetPeer(int index, PeerContact contact)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentNullException.ThrowIfNull(contact);
        PeerContact? previous;
        lock (_peersGate)
        {
            if (_peers.Where(p => p.Key != index).Any(p => p.Value.Identity == contact.Identity))
            {
                throw new ArgumentException($"identity {contact.Identity} already belongs to another peer", nameof(contact));
            }

            previous = _peers.GetValueOrDefault(index);
            _peers = _peers.SetItem(index, contact);
        }

        if (previous is not null && previous != contact && _outbound.TryGetValue(index, out var link))
        {
            // Under the link's gate, so a frame being written is not cut off.
            link.Gate.Wait();
            try
            {
                link.Reset();
            }
            finally
            {
                link.Gate.Release();
            }
        }
    }

    /// <summary>
    /// Read what a listener presents (its identity and session) without authenticating: how a
    /// joiner learns whom it is about to open a channel with.
    /// </summary>
    public static async Task<(AccountId Identity, ImmutableArray<byte> Context)> ProbeAsync(string address, CancellationToken ct)
    {
        var (host, port) = ParseAddress(address);
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(host, port, ct).ConfigureAwait(false);
        var challenge = new byte[ChallengeSize];
        await client.GetStream().ReadExactlyAsync(challenge, ct).ConfigureAwait(false);
        var (identity, context, _) = ParseChallenge(challenge);
        return (identity, [.. context]);
    }

    /// <summary>"host:port", "[v6]:port" or "v4:port".</summary>
    public static (string Host, int Port) ParseAddress(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        if (address.Contains(':', StringComparison.Ordinal) && IPEndPoint.TryParse(address, out var ip))
        {
            return (ip.Address.ToString(), ip.Port);
        }

        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new FormatException($"'{address}' is not host:port");
        }

        return (address[..colon], port);
    }

    public async ValueTask SendAsync(int to, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(to);
        if (payload.Length > MaxFrameSize)
        {
            throw new ArgumentException($"frame of {payload.Length} bytes exceeds {MaxFrameSize}", nameof(payload));
        }

        var peer = Peers.GetValueOrDefault(to) ?? throw new IOException($"peer {to} is unknown");
        var link = _outbound.GetOrAdd(to, _ => new Outbound());
        await link.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    if (link.Client is { } open && PeerClosed(open))
                    {
                        // The peer went away since our last frame: writing would vanish into a dead socket.
                        link.Reset();
                    }

                    link.Client ??= await DialAsync(peer, ct).ConfigureAwait(false);
                    var stream = link.Client.GetStream();
                    var header = new byte[4];
                    BinaryPrimitives.WriteInt32BigEndian(header, payload.Length);
                    await stream.WriteAsync(header, ct).ConfigureAwait(false);
                    await stream.WriteAsync(payload, ct).ConfigureAwait(false);
                    await stream.FlushAsync(ct).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException && attempt == 0)
                {
                    // The peer restarted: redial once, then let the caller see the failure.
                    link.Reset();
                }
            }
        }
        catch
        {
            link.Reset();
            throw;
        }
        finally
        {
            link.Gate.Release();
        }
    }

    public ValueTask<InboundFrame> ReceiveAsync(CancellationToken ct) => _inbox.Reader.ReadAsync(ct);

    /// <summary>Wait until a frame is waiting (without taking it); false once the transport is disposed.</summary>
    public ValueTask<bool> WaitToReceiveAsync(CancellationToken ct) => _inbox.Reader.WaitToReadAsync(ct);

    public bool TryReceive(out InboundFrame? frame)
    {
        var ok = _inbox.Reader.TryRead(out var f);
        frame = f;
        return ok;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

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

    /// <summary>What the dialer signs; <paramref name="dialer"/> last so the signer commits to its own claim.</summary>
    public static byte[] HandshakePayload(ReadOnlySpan<byte> context, AccountId listener, ReadOnlySpan<byte> nonce, AccountId dialer)
    {
        var payload = new byte[DomainTag.Length + ContextSize + AccountId.KeySize + NonceSize + AccountId.KeySize];
        var span = payload.AsSpan();
        DomainTag.CopyTo(span);
        span = span[DomainTag.Length..];
        context.CopyTo(span);
        span = span[ContextSize..];
        listener.PublicKey.CopyTo(span);
        span = span[AccountId.KeySize..];
        nonce.CopyTo(span);
        span = span[NonceSize..];
        dialer.PublicKey.CopyTo(span);
        return payload;
    }

    /// <summary>A write-only link is readable only when the peer closed it (FIN or RST).</summary>
    private static bool PeerClosed(TcpClient client)
    {
        try
        {
            return client.Client.Poll(0, SelectMode.SelectRead) && client.Client.Available == 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private static (AccountId Identity, byte[] Context, byte[] Nonce) ParseChallenge(ReadOnlySpan<byte> challenge)
    {
        if (!challenge[..Magic.Length].SequenceEqual(Magic))
        {
            throw new IOException("the peer did not answer with a peer-link challenge");
        }

        var rest = challenge[Magic.Length..];
        return (new AccountId(rest[..AccountId.KeySize]), rest.Slice(AccountId.KeySize, ContextSize).ToArray(), rest.Slice(AccountId.KeySize + ContextSize, NonceSize).ToArray());
    }

    private async Task<TcpClient> DialAsync(PeerContact peer, CancellationToken ct)
    {
        if (peer.Address is null)
        {
            throw new IOException($"no address for peer {peer.Identity}");
        }

        var (host, port) = ParseAddress(peer.Address);
        var client = new TcpClient { NoDelay = true };
        try
        {
            using var limit = new CancellationTokenSource(_options.HandshakeTimeout, _options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token);
            await client.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            var challenge = new byte[ChallengeSize];
            await stream.ReadExactlyAsync(challenge, linked.Token).ConfigureAwait(false);
            var (listener, context, nonce) = ParseChallenge(challenge);
            if (listener != peer.Identity)
            {
                throw new IOException($"{peer.Address} presents {listener}, not the expected {peer.Identity}");
            }

            if (!context.AsSpan().SequenceEqual(Context.AsSpan()))
            {
                throw new IOException($"{peer.Address} serves another session");
            }

            var answer = new byte[AccountId.KeySize + SignatureSize];
            Identity.PublicKey.CopyTo(answer);
            _options.Identity.Sign(HandshakePayload(context, listener, nonce, Identity)).CopyTo(answer.AsSpan(AccountId.KeySize));
            await stream.WriteAsync(answer, linked.Token).ConfigureAwait(false);
            var verdict = new byte[1];
            if (await stream.ReadAsync(verdict, linked.Token).ConfigureAwait(false) != 1 || verdict[0] != Accepted)
            {
                throw new IOException($"{peer.Address} refused our link");
            }

            return client;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            client.Dispose();
            throw new IOException($"{peer.Address} did not complete the handshake in time");
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
                if (Interlocked.Increment(ref _handshaking) > MaxPendingHandshakes)
                {
                    // A flood of silent connections must not hold unbounded sockets and timers.
                    Interlocked.Decrement(ref _handshaking);
                    RefuseLink("busy");
                    client.Dispose();
                    continue;
                }

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

    /// <summary>The dialer's index once it proved its identity, or null (the link is then refused and counted).</summary>
    private async Task<int?> AuthenticateAsync(NetworkStream stream, CancellationToken ct)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var challenge = new byte[ChallengeSize];
        Magic.CopyTo(challenge, 0);
        Identity.PublicKey.CopyTo(challenge.AsSpan(Magic.Length));
        Context.AsSpan().CopyTo(challenge.AsSpan(Magic.Length + AccountId.KeySize));
        nonce.CopyTo(challenge.AsSpan(Magic.Length + AccountId.KeySize + ContextSize));
        var answer = new byte[AccountId.KeySize + SignatureSize];
        using (var limit = new CancellationTokenSource(_options.HandshakeTimeout, _options.TimeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token))
        {
            try
            {
                await stream.WriteAsync(challenge, linked.Token).ConfigureAwait(false);
                await stream.ReadExactlyAsync(answer, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return RefuseLink("timeout");
            }
        }

        var dialer = new AccountId(answer.AsSpan(0, AccountId.KeySize));
        var index = Peers.Where(p => p.Value.Identity == dialer).Select(p => (int?)p.Key).FirstOrDefault();
        if (index is not { } from || dialer == Identity)
        {
            return RefuseLink("unknown_identity");
        }

        if (!KeyPair.Verify(dialer, HandshakePayload(Context.AsSpan(), Identity, nonce, dialer), answer.AsSpan(AccountId.KeySize)))
        {
            return RefuseLink("bad_signature");
        }

        await stream.WriteAsync(new[] { Accepted }, ct).ConfigureAwait(false);
        return from;
    }

    private int? RefuseLink(string reason)
    {
        Interlocked.Increment(ref _rejectedLinks);
        RejectedLinksCounter.Add(1, new KeyValuePair<string, object?>("reason", reason));
        return null;
    }

    private async Task ReadLinkAsync(TcpClient client, CancellationToken ct)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                int? authenticated;
                try
                {
                    authenticated = await AuthenticateAsync(stream, ct).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _handshaking);
                }

                if (authenticated is not { } from)
                {
                    return;
                }

                var header = new byte[4];
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

        public TcpClient? Client { get; set; }

        public void Reset()
        {
            Client?.Dispose();
            Client = null;
        }
    }
}
