using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Watchtower.Conformance.Tests.Oracle;

/// <summary>
/// The one long-lived node process running tests/oracle/oracle.js (the official JavaScript SDK),
/// spoken to in line-delimited JSON: one request line, one answer line, batches of cases each.
/// </summary>
public sealed class OracleClient : IDisposable
{
    public const string ExpectedStellarBase = "15.0.0";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();
    private int _nextId;

    private OracleClient(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
    }

    public string StellarBaseVersion { get; private set; } = "";

    /// <summary>Starts the oracle from WATCHTOWER_ORACLE_DIR; fails with a clear message when it cannot.</summary>
    public static OracleClient Start()
    {
        var dir = Environment.GetEnvironmentVariable("WATCHTOWER_ORACLE_DIR");
        if (string.IsNullOrWhiteSpace(dir))
        {
            throw new InvalidOperationException(
                "WATCHTOWER_ORACLE_DIR is not set. Point it at tests/oracle after running `npm ci` there " +
                "(scripts/test.sh does both).");
        }

        if (!Directory.Exists(Path.Combine(dir, "node_modules", "@stellar", "stellar-base")))
        {
            throw new InvalidOperationException(
                $"WATCHTOWER_ORACLE_DIR={dir} has no node_modules/@stellar/stellar-base: run `npm ci` in {dir}.");
        }

        var script = Path.Combine(dir, "oracle.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"WATCHTOWER_ORACLE_DIR={dir} has no oracle.js.");
        }

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        var start = new ProcessStartInfo("node", [script])
        {
            WorkingDirectory = dir,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = utf8,
            StandardOutputEncoding = utf8,
            StandardErrorEncoding = utf8,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("cannot run `node` (is Node.js installed and on PATH?)", e);
        }

        var client = new OracleClient(process);
        var hello = client.Call("hello", new JsonObject());
        client.StellarBaseVersion = (string?)hello["stellarBase"] ?? "";
        if (client.StellarBaseVersion != ExpectedStellarBase)
        {
            client.Dispose();
            throw new InvalidOperationException(
                $"the oracle runs @stellar/stellar-base {client.StellarBaseVersion}, expected the pinned {ExpectedStellarBase}");
        }

        return client;
    }

    /// <summary>Sends one request and returns its result; an oracle-level error throws.</summary>
    public JsonNode Call(string method, JsonObject parameters) => Pipeline(method, [parameters]).Single();

    /// <summary>
    /// Sends a stream of requests one ahead of the answers: while node works on request i, the
    /// caller's enumeration produces request i + 1 (e.g. builds and signs the next batch).
    /// </summary>
    public IReadOnlyList<JsonNode> Pipeline(string method, IEnumerable<JsonObject> requests)
    {
        lock (_gate)
        {
            var results = new List<JsonNode>();
            var pending = new Queue<int>();
            foreach (var parameters in requests)
            {
                pending.Enqueue(Send(method, parameters));
                if (pending.Count > 1)
                {
                    results.Add(Receive(method, pending.Dequeue()));
                }
            }

            while (pending.Count > 0)
            {
                results.Add(Receive(method, pending.Dequeue()));
            }

            return results;
        }
    }

    private int Send(string method, JsonObject parameters)
    {
        var id = ++_nextId;
        var request = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        _process.StandardInput.WriteLine(request.ToJsonString());
        _process.StandardInput.Flush();
        return id;
    }

    private JsonNode Receive(string method, int id)
    {
        var read = _process.StandardOutput.ReadLineAsync();
        if (!read.Wait(CallTimeout))
        {
            throw new TimeoutException($"the oracle did not answer {method} within {CallTimeout}. stderr:\n{Stderr()}");
        }

        var line = read.Result ?? throw new InvalidOperationException($"the oracle exited. stderr:\n{Stderr()}");
        var answer = JsonNode.Parse(line)?.AsObject() ?? throw new InvalidOperationException("empty oracle answer");
        if ((int?)answer["id"] != id)
        {
            throw new InvalidOperationException($"oracle answer id {answer["id"]}, expected {id}");
        }

        if (answer["error"] is { } error)
        {
            throw new InvalidOperationException($"oracle {method} failed: {error}");
        }

        return answer["result"] ?? throw new InvalidOperationException("oracle answer without result");
    }

    private string Stderr()
    {
        lock (_stderr)
        {
            return _stderr.ToString();
        }
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                _process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }
}
