using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Watchtower.Chaos.Tests;

/// <summary>
/// A loopback TCP forwarder between the tower processes and the network's API. Taking it down
/// refuses new connections and cuts open ones (the ledger API is down for the tower, as when
/// Horizon is unreachable) while the network keeps its ledger and the harness still reaches it directly.
/// </summary>
internal sealed class TcpProxy : IDisposable
{
    private readonly int _port;
    private readonly int _target;
    private readonly ConcurrentDictionary<TcpClient, TcpClient> _links = new();
    private readonly Lock _gate = new();
    private TcpListener? _listener;
    private CancellationTokenSource? _accepting;

    public TcpProxy(int port, int target)
    {
        _port = port;
        _target = target;
        Up();
    }

    public Uri Uri => new($"http://127.0.0.1:{_port}/");

    /// <summary>Listens again: the API is back.</summary>
    public void Up()
    {
        lock (_gate)
        {
            if (_listener is not null)
            {
                return;
            }

            var listener = new TcpListener(IPAddress.Loopback, _port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            _listener = listener;
            _accepting = new CancellationTokenSource();
            _ = AcceptAsync(listener, _accepting.Token);
        }
    }

    /// <summary>Stops listening and cuts every open connection: connections are refused until <see cref="Up"/>.</summary>
    public void Down()
    {
        lock (_gate)
        {
            _accepting?.Cancel();
            _accepting?.Dispose();
            _accepting = null;
            _listener?.Stop();
            _listener = null;
        }

        foreach (var (a, b) in _links)
        {
            a.Dispose();
            b.Dispose();
        }

        _links.Clear();
    }

    public void Dispose() => Down();

    private async Task AcceptAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = LinkAsync(client, ct);
        }
    }

    private async Task LinkAsync(TcpClient client, CancellationToken ct)
    {
        var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _target, ct).ConfigureAwait(false);
            _links[client] = upstream;
            var a = client.GetStream();
            var b = upstream.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, ct), b.CopyToAsync(a, ct)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // a cut link, or the network itself stopped
        }
        finally
        {
            _links.TryRemove(client, out _);
            client.Dispose();
            upstream.Dispose();
        }
    }
}
