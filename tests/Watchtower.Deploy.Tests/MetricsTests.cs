using Watchtower.Deploy.Tests.Metrics;
using Xunit;

namespace Watchtower.Deploy.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void Catalog_ReadsEveryTowerMetricFromTheRegistry()
    {
        var catalog = MetricCatalog.Tower;
        Assert.Equal("histogram", catalog.Families["watchtower_reaction_latency_seconds"].Type);
        Assert.Equal("gauge", catalog.Families["watchtower_tailer_leader"].Type);
        Assert.Equal(["kind", "result"], catalog.Families["watchtower_submissions_total"].Labels);
        Assert.True(catalog.SeriesToFamily.ContainsKey("watchtower_reaction_latency_seconds_bucket"));
        Assert.True(catalog.SeriesToFamily.ContainsKey("watchtower_reaction_latency_seconds_count"));
        Assert.All(catalog.Families.Keys, name => Assert.StartsWith("watchtower_", name, StringComparison.Ordinal));
        Assert.All(catalog.Families.Values.Where(f => f.Type == "counter"), f => Assert.EndsWith("_total", f.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void EveryExportedMetric_IsDocumentedWithItsTypeAndLabels()
    {
        var documented = MetricsDoc.Parse(Repo.Read("docs", "metrics.md"));
        Assert.Empty(MetricsDoc.Problems(documented, MetricCatalog.Tower));
    }
}
