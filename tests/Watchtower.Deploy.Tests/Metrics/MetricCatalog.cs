using System.Reflection;
using System.Text;
using Prometheus;
using Watchtower.Tower.Observability;

namespace Watchtower.Deploy.Tests.Metrics;

/// <summary>One exported metric family.</summary>
internal sealed record MetricFamily(string Name, string Type, IReadOnlyList<string> Labels)
{
    /// <summary>Names a query may use: the family itself, and for histograms its _bucket/_sum/_count series.</summary>
    public IEnumerable<string> SeriesNames => Type == "histogram"
        ? [Name + "_bucket", Name + "_sum", Name + "_count"]
        : [Name];
}

/// <summary>The metrics the tower exports, read from a prometheus-net registry holding a <see cref="TowerMetrics"/>.</summary>
internal sealed class MetricCatalog
{
    private MetricCatalog(IReadOnlyDictionary<string, MetricFamily> families)
    {
        Families = families;
        SeriesToFamily = families.Values
            .SelectMany(f => f.SeriesNames.Select(s => (s, f)))
            .ToDictionary(x => x.s, x => x.f, StringComparer.Ordinal);
    }

    public IReadOnlyDictionary<string, MetricFamily> Families { get; }

    /// <summary>Every queryable series name (histogram components included) to its family.</summary>
    public IReadOnlyDictionary<string, MetricFamily> SeriesToFamily { get; }

    public static MetricCatalog Tower { get; } = FromTowerMetrics();

    public static MetricCatalog Of(IEnumerable<MetricFamily> families) =>
        new(families.ToDictionary(f => f.Name, StringComparer.Ordinal));

    /// <summary>
    /// Names and types come from the registry's text exposition (what Prometheus scrapes); label
    /// names, which a family without children does not show there, from the collectors themselves.
    /// </summary>
    private static MetricCatalog FromTowerMetrics()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new TowerMetrics(registry);

        using var stream = new MemoryStream();
        registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        var exposition = Encoding.UTF8.GetString(stream.ToArray());
        var types = exposition.Split('\n')
            .Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[2], p => p[3], StringComparer.Ordinal);

        var labels = typeof(TowerMetrics).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.GetValue(metrics))
            .OfType<Collector>()
            .ToDictionary(c => c.Name, c => (IReadOnlyList<string>)c.LabelNames, StringComparer.Ordinal);

        if (!types.Keys.Order(StringComparer.Ordinal).SequenceEqual(labels.Keys.Order(StringComparer.Ordinal)))
        {
            throw new InvalidOperationException(
                $"registry exposition ({string.Join(", ", types.Keys)}) and TowerMetrics collectors ({string.Join(", ", labels.Keys)}) disagree");
        }

        return Of(types.Select(t => new MetricFamily(t.Key, t.Value, labels[t.Key])));
    }
}
