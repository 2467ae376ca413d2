using System.Globalization;
using Watchtower.Contracts;
using Watchtower.Stellar;

namespace Watchtower.Chaos.Tests;

/// <summary>
/// The engines a run uses, from the test script's environment: the single nodes
/// (WATCHTOWER_TEST_REDIS, WATCHTOWER_TEST_RABBITMQ) or, when the script started them, the
/// clustered ones (WATCHTOWER_TEST_REDIS_SENTINEL, WATCHTOWER_TEST_RABBITMQ_CLUSTER and _NODES,
/// WATCHTOWER_TEST_SERVICES_DIR holding their configuration and pid files).
/// </summary>
internal sealed record ChaosServers(string Redis, IReadOnlyList<Uri> Brokers, IReadOnlyList<string> BrokerNodes, string? ServicesDirectory, bool Clustered)
{
    public static ChaosServers FromEnvironment()
    {
        static string? Get(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        if (Get("WATCHTOWER_TEST_REDIS_SENTINEL") is { } sentinel && Get("WATCHTOWER_TEST_RABBITMQ_CLUSTER") is { } cluster)
        {
            return new ChaosServers(
                sentinel,
                [.. cluster.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => new Uri(u))],
                [.. (Get("WATCHTOWER_TEST_RABBITMQ_NODES") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                Get("WATCHTOWER_TEST_SERVICES_DIR"),
                Clustered: true);
        }

        var redis = Get("WATCHTOWER_TEST_REDIS") ?? throw new InvalidOperationException("WATCHTOWER_TEST_REDIS is not set (scripts/test.sh starts a Redis on loopback)");
        var rabbit = Get("WATCHTOWER_TEST_RABBITMQ") ?? throw new InvalidOperationException("WATCHTOWER_TEST_RABBITMQ is not set (scripts/test.sh starts a RabbitMQ on loopback)");
        return new ChaosServers(redis, [new Uri(rabbit)], [], Get("WATCHTOWER_TEST_SERVICES_DIR"), Clustered: false);
    }

    /// <summary>Sentinel addresses (host:port) of a Sentinel configuration string, and its service name.</summary>
    public (IReadOnlyList<string> Sentinels, string Service) SentinelParts()
    {
        var parts = Redis.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var service = parts.FirstOrDefault(p => p.StartsWith("serviceName=", StringComparison.Ordinal))?["serviceName=".Length..] ?? "wt";
        return ([.. parts.Where(p => !p.Contains('=', StringComparison.Ordinal))], service);
    }
}

/// <summary>A tower service process and the role it runs.</summary>
internal sealed record TowerNode(string Role, ChildProcess Process, Uri Http);

/// <summary>
/// The system under test as separate OS processes: the standalone network (`watchtower
/// standalone`, ledgers every 250 ms, its clock advanced over HTTP) and two processes of each
/// tower role (`Watchtower.Service --role …`), each with its own HTTP port, configured only by
/// environment variables. Every process is killed when the deployment is disposed.
/// </summary>
internal sealed class TowerDeployment : IAsyncDisposable
{
    public static readonly string[] Roles = ["ingest", "tail", "respond"];

    private readonly List<ChildProcess> _all = [];

    private TowerDeployment(string logDirectory, string prefix, bool clustered)
    {
        Clustered = clustered;
        LogDirectory = logDirectory;
        Prefix = prefix;
    }

    public string LogDirectory { get; }

    public bool Clustered { get; }

    public string Prefix { get; }

    public KeyPair ReceiptKey { get; } = KeyPair.Random();

    /// <summary>Signs the subscription commands (Tower:Keys:OperatorKey is its public key).</summary>
    public KeyPair OperatorKey { get; } = KeyPair.Random();

    public TowerSealingKey SealingKey { get; } = TowerSealingKey.Generate();

    public ChildProcess Standalone { get; private set; } = null!;

    public Uri Horizon { get; private set; } = null!;

    public KeyPair Root { get; private set; } = null!;

    public IReadOnlyList<TowerNode> Nodes { get; private set; } = [];

    /// <summary>The tailers and ingesters reach the network's API only through this proxy (the harness goes direct).</summary>
    public TcpProxy LedgerProxy { get; private set; } = null!;

    /// <summary>The responders' own way to the network's API, so it can fail while the tailers still see ledgers.</summary>
    public TcpProxy ResponderLedgerProxy { get; private set; } = null!;

    /// <summary>Starts the network, then the tower processes tailing it from its latest ledger; returns once every process is ready.</summary>
    public static async Task<TowerDeployment> StartAsync(ChaosServers servers, string logDirectory, int basePort, int replicasPerRole, CancellationToken ct)
    {
        var deployment = new TowerDeployment(logDirectory, $"chaos{Guid.NewGuid():N}"[..13], servers.Clustered);
        try
        {
            await deployment.StartNetworkAsync(basePort, ct).ConfigureAwait(false);
            deployment.LedgerProxy = new TcpProxy(basePort + 50, basePort);
            deployment.ResponderLedgerProxy = new TcpProxy(basePort + 51, basePort);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var latest = await LatestLedgerAsync(http, deployment.Horizon, ct).ConfigureAwait(false);
            var nodes = new List<TowerNode>();
            var port = basePort + 1;
            foreach (var role in Roles)
            {
                for (var i = 0; i < replicasPerRole; i++, port++)
                {
                    // Every node listed, starting round-robin: a broker node's loss moves some tower processes to the next node.
                    var rotated = servers.Brokers.Skip(nodes.Count % servers.Brokers.Count).Concat(servers.Brokers.Take(nodes.Count % servers.Brokers.Count)).ToList();
                    nodes.Add(deployment.StartTower(role, i, port, servers.Redis, rotated, latest));
                }
            }

            deployment.Nodes = nodes;
            await Task.WhenAll(nodes.Select(n => WaitReadyAsync(n, TimeSpan.FromSeconds(120), ct))).ConfigureAwait(false);
            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Polls /readyz until 200 (the process answers, Redis and the bus connected, its tailer synced where it leads).</summary>
    public static async Task WaitReadyAsync(TowerNode node, TimeSpan limit, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var until = DateTimeOffset.UtcNow + limit;
        var last = "no answer";
        while (DateTimeOffset.UtcNow < until)
        {
            if (!node.Process.Running)
            {
                throw new InvalidOperationException($"{node.Process.Name} exited while starting:\n{node.Process.Tail(30)}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(node.Http, "/readyz"), ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                last = e.Message;
            }

            await Task.Delay(250, ct).ConfigureAwait(false);
        }

        throw new TimeoutException($"{node.Process.Name} not ready within {limit.TotalSeconds} s ({last}):\n{node.Process.Tail(30)}");
    }

    public string Tails(int lines) =>
        string.Join("\n", _all.Select(p => $"---- {p.Name} ({p.LogPath}, {p.Starts} starts)\n{p.Tail(lines)}"));

    public ValueTask DisposeAsync()
    {
        foreach (var p in _all)
        {
            p.Dispose();
        }

        LedgerProxy?.Dispose();
        ResponderLedgerProxy?.Dispose();
        SealingKey.Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task<uint> LatestLedgerAsync(HttpClient http, Uri horizon, CancellationToken ct)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri(horizon, "ledgers?order=desc&limit=1"), ct).ConfigureAwait(false));
        return doc.RootElement.GetProperty("_embedded").GetProperty("records")[0].GetProperty("sequence").GetUInt32();
    }

    private async Task StartNetworkAsync(int port, CancellationToken ct)
    {
        var seed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var p = new ChildProcess("standalone", LogDirectory,
            [Built("Watchtower.Cli", "watchtower.dll"), "standalone", "--port", port.ToString(CultureInfo.InvariantCulture), "--close-interval", "250ms"],
            new Dictionary<string, string>());
        p.Line += line =>
        {
            if (line.StartsWith("root seed:", StringComparison.Ordinal))
            {
                seed.TrySetResult(line["root seed:".Length..].Trim());
            }
        };
        _all.Add(p);
        Standalone = p;
        p.Start();
        var secret = await seed.Task.WaitAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        Root = KeyPair.FromSecret(secret);
        Horizon = new Uri($"http://127.0.0.1:{port}/");
    }

    private TowerNode StartTower(string role, int replica, int port, string redis, IReadOnlyList<Uri> brokers, uint startAfter)
    {
        var broker = brokers[0];
        var http = new Uri($"http://127.0.0.1:{port}/");
        var env = new Dictionary<string, string>
        {
            ["Tower__Redis"] = redis,
            ["Tower__RabbitMq"] = broker.ToString(),
            ["Tower__RabbitMqNodes"] = string.Join(',', brokers.Select(b => $"{b.Host}:{b.Port}")),
            ["Tower__KeyPrefix"] = Prefix,
            ["Tower__Keys__ReceiptSecret"] = ReceiptKey.Seed.ToString(),
            ["Tower__Keys__SealingKey"] = Convert.ToBase64String(SealingKey.ExportPrivateKey()),
            ["Tower__Keys__OperatorKey"] = OperatorKey.AccountId.ToString(),
            ["Ledger__Kind"] = "Horizon",
            ["Ledger__Url"] = (role == "respond" ? ResponderLedgerProxy : LedgerProxy).Uri.ToString(),
            ["Ledger__NetworkPassphrase"] = Network.Standalone.Passphrase,
            // A fresh deployment starts here; a restarted tailer resumes from its cursor in Redis.
            ["Tower__Tailer__StartAfterLedger"] = startAfter.ToString(CultureInfo.InvariantCulture),
            // One tick of ledger time (the clock moves in 2 h steps), so the deadline rule acts within D.
            ["Tower__Deadline__SafetyMargin"] = "01:00:00",
            ["Logging__LogLevel__Default"] = "Warning",
            // On the Sentinel pair a receipt waits for the replica (WAIT), as production is configured.
            ["Tower__Store__MinReplicas"] = Clustered ? "1" : "0",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
            ["DOTNET_gcServer"] = "0",
        };
        var p = new ChildProcess($"{role}-{replica + 1}", LogDirectory,
            [Built("Watchtower.Service", "Watchtower.Service.dll"), "--role", role, "--urls", http.ToString().TrimEnd('/')], env);
        _all.Add(p);
        p.Start();
        return new TowerNode(role, p, http);
    }

    /// <summary>A product executable from its own output folder, in the configuration this test was built in.</summary>
    private static string Built(string project, string dll)
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        // …/tests/Watchtower.Chaos.Tests/bin/<Configuration>/<tfm>/
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Watchtower.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Watchtower.sln not found above " + AppContext.BaseDirectory),
            "src", project, "bin", configuration, tfm, dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build {project} ({configuration}) first", path);
    }
}
