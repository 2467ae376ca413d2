using System.Text.Json;
using Watchtower.Deploy.Tests.Dashboards;
using Watchtower.Deploy.Tests.Metrics;
using Xunit;

namespace Watchtower.Deploy.Tests;

public sealed class DashboardTests
{
    public static TheoryData<string> Files => new(DashboardFiles().Select(Path.GetFileName)!);

    private static IEnumerable<string> DashboardFiles() =>
        Directory.GetFiles(Repo.PathOf("dashboards"), "*.json").Order(StringComparer.Ordinal);

    private static JsonElement Load(string file) => JsonDocument.Parse(Repo.Read("dashboards", file)).RootElement;

    [Theory]
    [MemberData(nameof(Files))]
    public void Dashboard_UsesTheDataSourceInputAndOnlyExportedMetrics(string file)
    {
        Assert.Empty(DashboardChecks.Problems(Load(file), MetricCatalog.Tower));
    }

    [Fact]
    public void Dashboards_HaveDistinctFixedUids()
    {
        var uids = DashboardFiles().Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("uid").GetString()).ToList();
        Assert.Equal(["watchtower-operations", "watchtower-overview"], uids);
        Assert.Equal(uids.Count, uids.Distinct().Count());
    }

    [Fact]
    public void ChartCopies_AreIdenticalToTheDashboardsFolder()
    {
        var source = DashboardFiles().ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        var copies = Directory.GetFiles(Path.Combine(Repo.ChartDir, "dashboards"), "*.json").ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.Equal(source.Keys.Order(), copies.Keys.Order());
        foreach (var (name, bytes) in source)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(copies[name]),
                $"helm/watchtower/dashboards/{name} differs from dashboards/{name}: cp dashboards/*.json helm/watchtower/dashboards/");
        }
    }

    [Fact]
    public void Overview_ShowsEveryHeadlineSignal()
    {
        var exprs = string.Join('\n', DashboardChecks.Expressions(Load("watchtower-overview.json")));
        foreach (var needed in new[]
                 {
                     "watchtower_channels_watched", "sum by (reason) (rate(watchtower_bundles_rejected_total",
                     "watchtower_bundles_accepted_total", "watchtower_ledger_lag_seconds",
                     "histogram_quantile(0.99, sum by (le) (rate(watchtower_reaction_latency_seconds_bucket",
                     "sum by (kind, result) (rate(watchtower_submissions_total", "watchtower_fee_bumps_total",
                     "watchtower_deadline_margin_min_seconds", "watchtower_channel_outcomes_total",
                 })
        {
            Assert.Contains(needed, exprs, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Operations_HasOneRowPerRole()
    {
        var rows = DashboardChecks.AllPanels(Load("watchtower-operations.json"))
            .Where(p => p.GetProperty("type").GetString() == "row")
            .Select(p => p.GetProperty("title").GetString());
        Assert.Equal(["Ingest", "Tail", "Respond"], rows);
    }
}
