using System.Diagnostics;
using Xunit;

namespace Watchtower.Cli.Tests;

/// <summary>
/// A container runtime stops the process with SIGTERM: long-running commands must shut down
/// cleanly rather than wait to be killed.
/// </summary>
public sealed class TerminationTests
{
    [Fact]
    public async Task Standalone_ExitsCleanlyOnSigterm()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "watchtower.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { cli, "standalone", "--port", "0", "--close-interval", "on-demand" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            // Serving once it has printed its URLs.
            string? line;
            do
            {
                line = await process.StandardOutput.ReadLineAsync(limit.Token);
            }
            while (line is not null && !line.StartsWith("horizon:", StringComparison.Ordinal));
            Assert.NotNull(line);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(limit.Token);
            }

            await process.WaitForExitAsync(limit.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
