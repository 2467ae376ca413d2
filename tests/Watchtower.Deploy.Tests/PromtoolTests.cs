using System.Diagnostics;
using Watchtower.Deploy.Tests.Chart;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Watchtower.Deploy.Tests;

/// <summary>
/// The chart's alert rules checked by Prometheus' own tool (`promtool check rules`, Debian's
/// prometheus package; scripts/test.sh installs it when missing), beyond the home-made PromQL checks.
/// </summary>
public sealed class PromtoolTests
{
    [Fact]
    public async Task RenderedPrometheusRule_PassesPromtoolCheckRules()
    {
        var spec = YamlTree.At(ChartFixture.EnabledResource("prometheusrule.yaml"), "spec")!;

        var (exit, output) = await CheckRulesAsync(spec);

        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokenRule_IsRefusedByPromtool()
    {
        var broken = YamlTree.LoadSingle("groups:\n- name: broken\n  rules:\n  - alert: Broken\n    expr: rate(watchtower_triggers_total[5m]\n")!;

        var (exit, output) = await CheckRulesAsync(broken);

        Assert.NotEqual(0, exit);
        Assert.Contains("FAILED", output, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output)> CheckRulesAsync(YamlNode groups)
    {
        var file = Path.Combine(Path.GetTempPath(), $"watchtower-rules-{Guid.NewGuid():N}.yaml");
        try
        {
            await using (var writer = new StreamWriter(file))
            {
                new YamlStream(new YamlDocument(groups)).Save(writer, assignAnchors: false);
            }
            var start = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("check");
            start.ArgumentList.Add("rules");
            start.ArgumentList.Add(file);
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException("promtool is not installed: install Debian's prometheus package (scripts/test.sh does)", e);
            }
            using (process)
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync();
                return (process.ExitCode, await stdout + await stderr);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
