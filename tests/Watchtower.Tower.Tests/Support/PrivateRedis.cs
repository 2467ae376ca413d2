using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Watchtower.Tower.Tests.Support;

/// <summary>
/// A redis-server of the test's own on a free loopback port, for what the shared server must not
/// suffer: running without persistence, being restarted (everything lost), acting as a replica.
/// </summary>
internal sealed class PrivateRedis : IDisposable
{
    private readonly string[] _arguments;
    private readonly string _dir = Directory.CreateTempSubdirectory("wt-redis-").FullName;
    private Process? _process;

    /// <param name="arguments">Extra redis-server arguments (e.g. "--appendonly", "no").</param>
    public PrivateRedis(params string[] arguments)
    {
        Port = FreePort();
        _arguments = arguments;
        Start();
    }

    public int Port { get; }

    public string EndPoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("not running");

    public ConnectionMultiplexer Connect() =>
        ConnectionMultiplexer.Connect(new ConfigurationOptions { EndPoints = { EndPoint }, AbortOnConnectFail = true, ConnectTimeout = 5000 });

    /// <summary>Kills the server (SIGKILL: no shutdown save) and starts it again on the same port.</summary>
    public void Restart()
    {
        Kill();
        Start();
    }

    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    private void Start()
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--bind", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--save", "", "--dir", _dir }.Concat(_arguments))
        {
            start.ArgumentList.Add(a);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Kill();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by an exiting server: the temp folder is cleaned by the system.
        }
    }
}
