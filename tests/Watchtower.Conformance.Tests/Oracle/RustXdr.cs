using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Watchtower.Conformance.Tests.Oracle;

/// <summary>
/// The second, independent oracle: the Rust reference XDR (rs-stellar-xdr as wasm,
/// @stellar/stellar-xdr-json), run once per batch as tests/oracle/xdr-json.mjs.
/// </summary>
public static class RustXdr
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Decodes each (XDR type, base64) pair; a case the reference refuses answers {"error": …}.</summary>
    public static IReadOnlyList<JsonNode> Decode(IEnumerable<(string Type, string Xdr)> cases)
    {
        var dir = Environment.GetEnvironmentVariable("WATCHTOWER_ORACLE_DIR");
        if (string.IsNullOrWhiteSpace(dir) || !Directory.Exists(Path.Combine(dir, "node_modules", "@stellar", "stellar-xdr-json")))
        {
            throw new InvalidOperationException(
                "WATCHTOWER_ORACLE_DIR must point at tests/oracle after `npm ci` (it needs @stellar/stellar-xdr-json).");
        }

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        var start = new ProcessStartInfo("node", [Path.Combine(dir, "xdr-json.mjs")])
        {
            WorkingDirectory = dir,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = utf8,
            StandardOutputEncoding = utf8,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var request = new JsonObject
        {
            ["cases"] = new JsonArray(cases.Select(c => (JsonNode)new JsonObject { ["type"] = c.Type, ["xdr"] = c.Xdr }).ToArray()),
        };
        process.StandardInput.Write(request.ToJsonString());
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill();
            throw new TimeoutException("xdr-json.mjs did not answer in time");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"xdr-json.mjs exited {process.ExitCode}: {error.Result}");
        }

        return JsonNode.Parse(output.Result)!.AsArray().Select(n => n!).ToList();
    }
}
