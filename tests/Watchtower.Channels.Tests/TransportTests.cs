using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Watchtower.Channels.Transport;
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
    public async Task Tcp_CarriesFramesBetweenLoopbackPeersInOrder()
    {
        using var cts = new CancellationTokenSource(Patience);
        var endpoints = new[] { new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 0) };
        await using var a = TcpPeerTransport.Start(0, endpoints);
        var bound = TcpPeerTransport.WithEndpoint(endpoints, 0, a.LocalEndpoint);
        await using var b = TcpPeerTransport.Start(1, bound);
        var both = TcpPeerTransport.WithEndpoint(bound, 1, b.LocalEndpoint);
        await using var a2 = TcpPeerTransport.Start(0, TcpPeerTransport.WithEndpoint(both, 0, new IPEndPoint(IPAddress.Loopback, 0)));

        // a2 dials b with the real endpoints; b answers a (the first listener).
        for (var i = 0; i < 50; i++)
        {
            await a2.SendAsync(1, BitConverter.GetBytes(i), cts.Token);
        }

        for (var i = 0; i < 50; i++)
        {
            var frame = await b.ReceiveAsync(cts.Token);
            Assert.Equal(0, frame.From);
            Assert.Equal(i, BitConverter.ToInt32(frame.Payload));
        }

        await b.SendAsync(0, new byte[] { 9, 9 }, cts.Token);
        Assert.Equal([9, 9], (await a.ReceiveAsync(cts.Token)).Payload);
    }

    [Fact]
    public async Task Tcp_OversizedFrameClosesTheLinkAndIsCounted()
    {
        using var cts = new CancellationTokenSource(Patience);
        var endpoints = new[] { new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 0) };
        await using var b = TcpPeerTransport.Start(1, endpoints, maxFrameSize: 1024);
        using var raw = new TcpClient();
        await raw.ConnectAsync(b.LocalEndpoint, cts.Token);
        var stream = raw.GetStream();
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, 0);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 1 << 30);
        await stream.WriteAsync(header, cts.Token);
        var buffer = new byte[1];
        Assert.Equal(0, await stream.ReadAsync(buffer, cts.Token)); // closed by the listener
        Assert.Equal(1, b.RejectedFrames);
        Assert.False(b.TryReceive(out _));
    }

    [Fact]
    public async Task Tcp_HelloNamingAnUnknownPeerIsRefused()
    {
        using var cts = new CancellationTokenSource(Patience);
        var endpoints = new[] { new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 0) };
        await using var b = TcpPeerTransport.Start(1, endpoints);
        using var raw = new TcpClient();
        await raw.ConnectAsync(b.LocalEndpoint, cts.Token);
        var hello = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(hello, 7);
        await raw.GetStream().WriteAsync(hello, cts.Token);
        Assert.Equal(0, await raw.GetStream().ReadAsync(new byte[1], cts.Token));
        Assert.Equal(1, b.RejectedFrames);
    }

    [Fact]
    public async Task Tcp_SendingAFrameAboveTheLimitIsRefusedLocally()
    {
        var endpoints = new[] { new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 0) };
        await using var a = TcpPeerTransport.Start(0, endpoints, maxFrameSize: 64);
        await Assert.ThrowsAsync<ArgumentException>(async () => await a.SendAsync(1, new byte[65], CancellationToken.None));
    }
}
