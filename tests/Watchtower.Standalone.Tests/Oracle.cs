using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Watchtower.Standalone.Tests;

/// <summary>Runs the node scripts of tests/oracle/standalone against a server, with the pinned official SDK.</summary>
internal static class Oracle
{
    public static string Dir => Environment.GetEnvironmentVariable("WATCHTOWER_ORACLE_DIR") is { Length: > 0 } dir
        ? dir
        : throw new InvalidOperationException(
            "WATCHTOWER_ORACLE_DIR is not set: point it at a folder with node_modules of @stellar/stellar-sdk 17.2.0 (tests/oracle after `npm ci`)");

    public static async Task<JsonObject> RunAsync(string script, StandaloneServer server, TimeSpan timeout)
    {
        var parts = script.Split(' ');
        var path = Path.Combine(AppContext.BaseDirectory, "oracle", parts[0]);
        var start = new ProcessStartInfo("node", [path, .. parts[1..]])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["NODE_PATH"] = Path.Combine(Dir, "node_modules");
        start.Environment["HORIZON_URL"] = server.HorizonUri.ToString().TrimEnd('/');
        start.Environment["RPC_URL"] = server.RpcUri.ToString();
        start.Environment["NETWORK_PASSPHRASE"] = server.Network.Passphrase;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} did not finish in {timeout}: {await stderr}");
        }

        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"{script} failed ({process.ExitCode}): {await stderr}\n{output}");
        return JsonNode.Parse(output.Trim().Split('\n')[^1])!.AsObject();
    }
}
