using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Watchtower.Channels.Transport;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

public class TransportTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task InProcess_DeliversInOrderAndDropsWhileOffline()
    {
        var net = new InProcessNetwork(3);
        var a = net.Connect(0);
        var c = net.Connect(2);
        await a.SendAsync(2, new byte[] { 1 }, CancellationToken.None);
        await a.SendAsync(2, new byte[] { 2 }, CancellationToken.None);
        Assert.Equal([1], (await c.ReceiveAsync(CancellationToken.None)).Payload);
        net.SetOnline(2, false);
        await a.SendAsync(2, new byte[] { 3 }, CancellationToken.None);
        net.SetOnline(2, true);
        await a.SendAsync(2, new byte[] { 4 }, CancellationToken.None);
        Assert.True(c.TryReceive(out var frame));
        Assert.Equal(0, frame!.From);
        Assert.Equal([4], frame.Payload);
        Assert.False(c.TryReceive(out _));
    }

    [Fact]
    public async Task Tcp_AuthenticatedPeersExchangeFramesInOrderBothWays()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var pair = await TcpPair.StartAsync();
        for (var i = 0; i < 50; i++)
        {
            await pair.A.SendAsync(1, BitConverter.GetBytes(i), cts.Token);
        }

        for (var i = 0; i < 50; i++)
        {
            var frame = await pair.B.ReceiveAsync(cts.Token);
            Assert.Equal(0, frame.From);
            Assert.Equal(i, BitConverter.ToInt32(frame.Payload));
        }

        await pair.B.SendAsync(0, new byte[] { 9, 9 }, cts.Token);
        var back = await pair.A.ReceiveAsync(cts.Token);
        Assert.Equal(1, back.From);
        Assert.Equal([9, 9], back.Payload);
        Assert.Equal(0, pair.A.RejectedLinks + pair.B.RejectedLinks);
        Assert.Equal(0, pair.A.Self);
        Assert.Equal(1, pair.B.Self);
    }

    [Fact]
    public async Task Tcp_DialerClaimingAPeersIdentityWithoutItsKeyIsRefused()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var pair = await TcpPair.StartAsync();
        var mallory = KeyPair.Random();
        var (stream, client, challenge) = await RawDialAsync(pair.B.LocalEndpoint, cts.Token);
        using (client)
        {
            // Claims to be A (index 0) but signs with its own key.
            var nonce = challenge.AsSpan(4 + 32 + 32, 32).ToArray();
            var answer = Answer(pair.A.Identity, mallory.Sign(TcpPeerTransport.HandshakePayload(pair.Context.AsSpan(), pair.B.Identity, nonce, pair.A.Identity)));
            await stream.WriteAsync(answer, cts.Token);
            await AssertClosedAsync(stream, cts.Token);
        }

        Assert.Equal(1, pair.B.RejectedLinks);
        Assert.False(pair.B.TryReceive(out _));
    }

    [Fact]
    public async Task Tcp_UnknownIdentityIsRefusedEvenWithAValidSignature()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var pair = await TcpPair.StartAsync();
        var stranger = KeyPair.Random();
        var (stream, client, challenge) = await RawDialAsync(pair.B.LocalEndpoint, cts.Token);
        using (client)
        {
            var nonce = challenge.AsSpan(4 + 32 + 32, 32).ToArray();
            await stream.WriteAsync(Answer(stranger.AccountId, stranger.Sign(TcpPeerTransport.HandshakePayload(pair.Context.AsSpan(), pair.B.Identity, nonce, stranger.AccountId))), cts.Token);
            await AssertClosedAsync(stream, cts.Token);
        }

        Assert.Equal(1, pair.B.RejectedLinks);
    }

    [Fact]
    public async Task Tcp_AnswerReplayedFromAnEarlierLinkIsRefused()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var pair = await TcpPair.StartAsync();

        // A valid answer for one link (signed with A's real key)...
        var (first, firstClient, firstChallenge) = await RawDialAsync(pair.B.LocalEndpoint, cts.Token);
        byte[] answer;
        using (firstClient)
        {
            var nonce = firstChallenge.AsSpan(4 + 32 + 32, 32).ToArray();
            answer = Answer(pair.A.Identity, pair.KeyA.Sign(TcpPeerTransport.HandshakePayload(pair.Context.AsSpan(), pair.B.Identity, nonce, pair.A.Identity)));
            await first.WriteAsync(answer, cts.Token);
            Assert.Equal(1, await first.ReadAsync(new byte[1], cts.Token)); // accepted
        }

        // ...replayed on a new link, whose challenge carries a fresh nonce.
        var (second, secondClient, secondChallenge) = await RawDialAsync(pair.B.LocalEndpoint, cts.Token);
        using (secondClient)
        {
            Assert.False(firstChallenge.AsSpan(68, 32).SequenceEqual(secondChallenge.AsSpan(68, 32)));
            await second.WriteAsync(answer, cts.Token);
            await AssertClosedAsync(second, cts.Token);
        }

        Assert.Equal(1, pair.B.RejectedLinks);
    }

    [Fact]
    public async Task Tcp_SignatureForAnotherSessionIsRefused()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var pair = await TcpPair.StartAsync();
        var (stream, client, challenge) = await RawDialAsync(pair.B.LocalEndpoint, cts.Token);
        using (client)
        {
            var nonce = challenge.AsSpan(68, 32).ToArray();
            var otherSession = TcpPeerTransport.NewContext();
            await stream.WriteAsync(Answer(pair.A.Identity, pair.KeyA.Sign(TcpPeerTransport.HandshakePayload(otherSession.AsSpan(), pair.B.Identity, nonce, pair.A.Identity))), cts.Token);
            await AssertClosedAsync(stream, cts.Token);
        }

        Assert.Equal(1, pair.B.RejectedLinks);
    }

    [Fact]
    public async Task Tcp_SilentDialerIsDroppedAfterTheHandshakeTimeout()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var pair = await TcpPair.StartAsync(handshakeTimeout: TimeSpan.FromMilliseconds(200));
        var (stream, client, _) = await RawDialAsync(pair.B.LocalEndpoint, cts.Token);
        using (client)
        {
            await AssertClosedAsync(stream, cts.Token);
        }

        Assert.Equal(1, pair.B.RejectedLinks);
    }

    [Fact]
    public async Task Tcp_LinksBeyondThePendingHandshakeLimitAreClosedAtOnce()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var pair = await TcpPair.StartAsync();
        var silent = new List<TcpClient>();
        try
        {
            for (var i = 0; i < TcpPeerTransport.MaxPendingHandshakes; i++)
            {
                silent.Add((await RawDialAsync(pair.B.LocalEndpoint, cts.Token)).Client);
            }

            using var extra = new TcpClient();
            await extra.ConnectAsync(pair.B.LocalEndpoint, cts.Token);
            await AssertClosedAsync(extra.GetStream(), cts.Token);
            Assert.Equal(1, pair.B.RejectedLinks);

            // The honest peer still gets through once a slot frees up (the listener may see the close a moment later).
            silent[0].Dispose();
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await pair.A.SendAsync(1, new byte[] { 7 }, cts.Token);
                    break;
                }
                catch (IOException) when (attempt < 50)
                {
                    await Task.Yield();
                }
            }

            Assert.Equal([7], (await pair.B.ReceiveAsync(cts.Token)).Payload);
        }
        finally
        {
            silent.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Tcp_DialerRefusesAListenerPresentingAnotherIdentity()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var pair = await TcpPair.StartAsync();
        // A believes participant 1 lives at B's address but with another key.
        pair.A.SetPeer(1, new PeerContact(KeyPair.Random().AccountId, pair.B.LocalEndpoint.ToString()));
        var e = await Assert.ThrowsAsync<IOException>(async () => await pair.A.SendAsync(1, new byte[] { 1 }, cts.Token));
        Assert.Contains("presents", e.Message, StringComparison.Ordinal);
        Assert.False(pair.B.TryReceive(out _));
    }

    [Fact]
    public async Task Tcp_ResumesAfterThePeerRestartsOnTheSamePort()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var pair = await TcpPair.StartAsync();
        await pair.A.SendAsync(1, new byte[] { 1 }, cts.Token);
        Assert.Equal([1], (await pair.B.ReceiveAsync(cts.Token)).Payload);
        var port = pair.B.LocalEndpoint;
        await pair.B.DisposeAsync();

        await using var restarted = TcpPeerTransport.Start(new TcpPeerOptions { Listen = port, Identity = pair.KeyB, Context = pair.Context });
        restarted.SetPeer(0, new PeerContact(pair.A.Identity, pair.A.LocalEndpoint.ToString()));
        restarted.SetPeer(1, new PeerContact(pair.KeyB.AccountId, port.ToString()));
        // A's old link is dead (B closed it on shutdown): the send notices, redials and authenticates anew.
        await pair.A.SendAsync(1, new byte[] { 2 }, cts.Token);
        var frame = await restarted.ReceiveAsync(cts.Token);
        Assert.Equal([2], frame.Payload);
    }

    [Fact]
    public async Task Tcp_OversizedFrameClosesTheLinkAndIsCounted()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var pair = await TcpPair.StartAsync(maxFrameSize: 1024);
        var (stream, client, challenge) = await RawDialAsync(pair.B.LocalEndpoint, cts.Token);
        using (client)
        {
            var nonce = challenge.AsSpan(68, 32).ToArray();
            await stream.WriteAsync(Answer(pair.A.Identity, pair.KeyA.Sign(TcpPeerTransport.HandshakePayload(pair.Context.AsSpan(), pair.B.Identity, nonce, pair.A.Identity))), cts.Token);
            Assert.Equal(1, await stream.ReadAsync(new byte[1], cts.Token));
            var header = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(header, 1 << 30);
            await stream.WriteAsync(header, cts.Token);
            await AssertClosedAsync(stream, cts.Token);
        }

        Assert.Equal(1, pair.B.RejectedFrames);
        Assert.False(pair.B.TryReceive(out _));
    }

    [Fact]
    public async Task Tcp_SendingAFrameAboveTheLimitIsRefusedLocally()
    {
        await using var pair = await TcpPair.StartAsync(maxFrameSize: 64);
        await Assert.ThrowsAsync<ArgumentException>(async () => await pair.A.SendAsync(1, new byte[65], CancellationToken.None));
    }

    [Fact]
    public async Task Tcp_ProbeShowsTheListenersIdentityAndSession()
    {
        await using var pair = await TcpPair.StartAsync();
        var (identity, context) = await TcpPeerTransport.ProbeAsync(pair.B.LocalEndpoint.ToString(), CancellationToken.None);
        Assert.Equal(pair.B.Identity, identity);
        Assert.Equal(Convert.ToHexString(pair.Context.AsSpan()), Convert.ToHexString(context.AsSpan()));
    }

    [Theory]
    [InlineData("127.0.0.1:7100", "127.0.0.1", 7100)]
    [InlineData("[::1]:7101", "::1", 7101)]
    [InlineData("localhost:7102", "localhost", 7102)]
    public void ParseAddress_AcceptsHostAndPort(string text, string host, int port) =>
        Assert.Equal((host, port), TcpPeerTransport.ParseAddress(text));

    [Theory]
    [InlineData("localhost")]
    [InlineData("host:port")]
    [InlineData("host:70000")]
    public void ParseAddress_RefusesMalformedAddresses(string text) =>
        Assert.Throws<FormatException>(() => TcpPeerTransport.ParseAddress(text));

    private static byte[] Answer(AccountId claimed, byte[] signature) => [.. claimed.PublicKey.ToArray(), .. signature];

    private static async Task<(NetworkStream Stream, TcpClient Client, byte[] Challenge)> RawDialAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        var client = new TcpClient();
        await client.ConnectAsync(endpoint, ct);
        var stream = client.GetStream();
        var challenge = new byte[4 + 32 + 32 + 32];
        await stream.ReadExactlyAsync(challenge, ct);
        Assert.Equal("WTL1"u8.ToArray(), challenge[..4]);
        return (stream, client, challenge);
    }

    private static async Task AssertClosedAsync(NetworkStream stream, CancellationToken ct)
    {
        try
        {
            Assert.Equal(0, await stream.ReadAsync(new byte[1], ct));
        }
        catch (IOException)
        {
            // reset instead of an orderly close: closed all the same
        }
    }

    /// <summary>Two loopback transports that know each other: A is participant 0, B participant 1.</summary>
    internal sealed class TcpPair : IAsyncDisposable
    {
        private TcpPair(KeyPair keyA, KeyPair keyB, ImmutableArray<byte> context, TcpPeerTransport a, TcpPeerTransport b)
        {
            KeyA = keyA;
            KeyB = keyB;
            Context = context;
            A = a;
            B = b;
        }

        public KeyPair KeyA { get; }

        public KeyPair KeyB { get; }

        public ImmutableArray<byte> Context { get; }

        public TcpPeerTransport A { get; }

        public TcpPeerTransport B { get; }

        public static Task<TcpPair> StartAsync(int maxFrameSize = TcpPeerTransport.DefaultMaxFrameSize, TimeSpan? handshakeTimeout = null)
        {
            var keyA = KeyPair.Random();
            var keyB = KeyPair.Random();
            var context = TcpPeerTransport.NewContext();
            TcpPeerTransport Start(KeyPair k) => TcpPeerTransport.Start(new TcpPeerOptions
            {
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                Identity = k,
                Context = context,
                MaxFrameSize = maxFrameSize,
                HandshakeTimeout = handshakeTimeout ?? TimeSpan.FromSeconds(10),
            });
            var a = Start(keyA);
            var b = Start(keyB);
            foreach (var t in new[] { a, b })
            {
                t.SetPeer(0, new PeerContact(keyA.AccountId, a.LocalEndpoint.ToString()));
                t.SetPeer(1, new PeerContact(keyB.AccountId, b.LocalEndpoint.ToString()));
            }

            return Task.FromResult(new TcpPair(keyA, keyB, context, a, b));
        }

        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }
}
