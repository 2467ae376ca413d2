using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Watchtower.Chaos.Tests;

/// <summary>The faults the harness injects.</summary>
internal enum FaultKind
{
    /// <summary>kill -9 of a random tower process, restarted after a moment.</summary>
    KillTowerProcess,
    /// <summary>SIGSTOP of the network (no ledgers, no API) for a few seconds: a stalled ledger stream.</summary>
    StallLedger,
    /// <summary>The responders' ledger API refused for 40 s from just before a breach lands: the tailers see it and trigger, the responders cannot act (issue 10's dead-lettered trigger).</summary>
    LedgerOutage,
    /// <summary>kill -9 of the Redis primary (Sentinel promotes the replica), then the old primary restarted from its configuration.</summary>
    RedisPrimaryFailover,
    /// <summary>A RabbitMQ cluster node stopped (stop_app) for a few seconds, then started again.</summary>
    BrokerNodeDown,
}

/// <summary>
/// Injects one fault at a time, each drawn from the seeded stream among the kinds this
/// environment supports: Redis failover and broker node loss need the clustered engines
/// (WATCHTOWER_TEST_REDIS_SENTINEL, WATCHTOWER_TEST_RABBITMQ_NODES); on single nodes they are
/// counted as skipped (a single test Redis runs without persistence, so restarting it would
/// only prove that an empty store loses everything).
/// </summary>
internal sealed class FaultInjector(TowerDeployment deployment, ChaosServers servers, Random rng, Action<string> log)
{
    private readonly ConcurrentDictionary<FaultKind, int> _done = new();
    private readonly List<string> _errors = [];
    private readonly Lock _gate = new();
    private Task _running = Task.CompletedTask;

    public IReadOnlyDictionary<FaultKind, int> Done => _done;

    /// <summary>The kinds this environment cannot inject, and why.</summary>
    public IReadOnlyDictionary<FaultKind, string> Unsupported =>
        new Dictionary<FaultKind, string>
        {
            [FaultKind.RedisPrimaryFailover] = RedisFailoverSupported ? "" : "needs the Sentinel pair (WATCHTOWER_TEST_REDIS_SENTINEL, WATCHTOWER_TEST_SERVICES_DIR)",
            [FaultKind.BrokerNodeDown] = BrokerNodeSupported ? "" : "needs the RabbitMQ cluster (WATCHTOWER_TEST_RABBITMQ_CLUSTER, WATCHTOWER_TEST_RABBITMQ_NODES)",
        }.Where(p => p.Value.Length > 0).ToDictionary();

    private bool RedisFailoverSupported => servers.Clustered && servers.ServicesDirectory is not null;

    private bool BrokerNodeSupported => servers.Clustered && servers.BrokerNodes.Count > 1;

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_gate)
            {
                return [.. _errors];
            }
        }
    }

    public bool Idle => _running.IsCompleted;

    /// <summary>Starts the next fault in the background unless one is still running; false when it had to wait.</summary>
    public bool TryInject(CancellationToken ct)
    {
        if (!_running.IsCompleted)
        {
            return false;
        }

        var kind = Draw();
        var pause = TimeSpan.FromMilliseconds(rng.Next(500, 3000));
        var stall = TimeSpan.FromMilliseconds(rng.Next(2000, 8000));
        var victim = deployment.Nodes[rng.Next(deployment.Nodes.Count)];
        var brokerNode = servers.BrokerNodes.Count > 1 ? servers.BrokerNodes[1 + rng.Next(servers.BrokerNodes.Count - 1)] : null;
        _running = Task.Run(async () =>
        {
            try
            {
                switch (kind)
                {
                    case FaultKind.KillTowerProcess:
                        log($"fault: kill -9 {victim.Process.Name}, restart in {pause.TotalSeconds:0.0} s");
                        victim.Process.KillHard();
                        await Task.Delay(pause, ct).ConfigureAwait(false);
                        victim.Process.Start();
                        await TowerDeployment.WaitReadyAsync(victim, TimeSpan.FromSeconds(120), ct).ConfigureAwait(false);
                        break;
                    case FaultKind.StallLedger:
                        log($"fault: SIGSTOP the network for {stall.TotalSeconds:0.0} s");
                        await deployment.Standalone.PauseAsync().ConfigureAwait(false);
                        try
                        {
                            await Task.Delay(stall, ct).ConfigureAwait(false);
                        }
                        finally
                        {
                            await deployment.Standalone.ResumeAsync().ConfigureAwait(false);
                        }

                        break;
                    case FaultKind.RedisPrimaryFailover:
                        await FailOverRedisAsync(pause + TimeSpan.FromSeconds(3), ct).ConfigureAwait(false);
                        break;
                    case FaultKind.BrokerNodeDown:
                        log($"fault: rabbitmq node {brokerNode} down for {stall.TotalSeconds:0.0} s");
                        await RunAsync("rabbitmqctl", ["-q", "-n", brokerNode!, "stop_app"], ct).ConfigureAwait(false);
                        await Task.Delay(stall, ct).ConfigureAwait(false);
                        await RunAsync("rabbitmqctl", ["-q", "-n", brokerNode!, "start_app"], ct).ConfigureAwait(false);
                        break;
                }

                _done.AddOrUpdate(kind, 1, (_, n) => n + 1);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                lock (_gate)
                {
                    _errors.Add($"{kind}: {e.Message}");
                }
            }
        }, ct);
        return true;
    }

    /// <summary>
    /// Cuts the responders off the network's API for <paramref name="length"/>, running
    /// <paramref name="during"/> (the breach) once they are cut, unless another fault is running; false when it had to skip.
    /// </summary>
    public bool TryOutage(TimeSpan length, Func<Task> during, CancellationToken ct)
    {
        if (!_running.IsCompleted)
        {
            return false;
        }

        _running = Task.Run(async () =>
        {
            log($"fault: the responders' ledger API down for {length.TotalSeconds:0} s as a breach lands");
            deployment.ResponderLedgerProxy.Down();
            try
            {
                await during().ConfigureAwait(false);
                await Task.Delay(length, ct).ConfigureAwait(false);
            }
            finally
            {
                deployment.ResponderLedgerProxy.Up();
            }

            _done.AddOrUpdate(FaultKind.LedgerOutage, 1, (_, n) => n + 1);
        }, ct);
        return true;
    }

    /// <summary>Waits for the fault in progress (its process restarted and ready).</summary>
    public Task WhenIdleAsync() => _running;

    private FaultKind Draw()
    {
        var kinds = new List<(FaultKind Kind, int Weight)> { (FaultKind.KillTowerProcess, 6), (FaultKind.StallLedger, 2) };
        if (RedisFailoverSupported)
        {
            kinds.Add((FaultKind.RedisPrimaryFailover, 1));
        }

        if (BrokerNodeSupported)
        {
            kinds.Add((FaultKind.BrokerNodeDown, 1));
        }

        // Every kind this environment supports once, in random order, before the weighted draw.
        var untried = kinds.Where(k => !_done.ContainsKey(k.Kind)).ToList();
        if (untried.Count > 0)
        {
            return untried[rng.Next(untried.Count)].Kind;
        }

        var pick = rng.Next(kinds.Sum(k => k.Weight));
        return kinds.First(k => (pick -= k.Weight) < 0).Kind;
    }

    private async Task FailOverRedisAsync(TimeSpan down, CancellationToken ct)
    {
        var (sentinels, service) = servers.SentinelParts();
        var sentinel = sentinels[0].Split(':');
        var primary = (await RunAsync("redis-cli", ["-h", sentinel[0], "-p", sentinel[1], "--raw", "SENTINEL", "get-master-addr-by-name", service], ct).ConfigureAwait(false))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var port = primary[1];
        var dir = servers.ServicesDirectory!;
        var pid = (await File.ReadAllTextAsync(Path.Combine(dir, $"redis-{port}.pid"), ct).ConfigureAwait(false)).Trim();
        log($"fault: kill -9 the redis primary {primary[0]}:{port} (pid {pid}), restart in {down.TotalSeconds:0.0} s");
        await RunAsync("kill", ["-9", pid], ct).ConfigureAwait(false);
        await Task.Delay(down, ct).ConfigureAwait(false);
        // Sentinel turns the restarted old primary into a replica of the promoted one.
        await RunAsync("redis-server", [Path.Combine(dir, $"redis-{port}.conf")], ct).ConfigureAwait(false);
    }

    private static async Task<string> RunAsync(string file, string[] args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var output = await p.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        var error = await p.StandardError.ReadToEndAsync(ct).ConfigureAwait(false);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        return p.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode.ToString(CultureInfo.InvariantCulture)}: {error.Trim()}");
    }
}
