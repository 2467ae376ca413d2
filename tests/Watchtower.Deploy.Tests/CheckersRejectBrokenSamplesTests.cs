using System.Text.Json;
using Watchtower.Deploy.Tests.Chart;
using Watchtower.Deploy.Tests.Dashboards;
using Watchtower.Deploy.Tests.Docker;
using Watchtower.Deploy.Tests.Metrics;
using Watchtower.Deploy.Tests.Schema;
using Xunit;

namespace Watchtower.Deploy.Tests;

/// <summary>Each checker fed a broken sample, so a passing deployment test means something.</summary>
public sealed class CheckersRejectBrokenSamplesTests
{
    private static readonly MetricCatalog Catalog = MetricCatalog.Of(
    [
        new MetricFamily("watchtower_a_total", "counter", ["reason"]),
        new MetricFamily("watchtower_b", "gauge", []),
        new MetricFamily("watchtower_c_seconds", "histogram", []),
    ]);

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public void SchemaValidator_ReportsEachKindOfViolation()
    {
        var schema = Json("""
            {"type":"object","required":["n","mode"],"additionalProperties":false,
             "properties":{"n":{"type":"integer","minimum":1,"maximum":5},"mode":{"type":"string","enum":["a","b"]},
                           "name":{"type":"string","minLength":1},"list":{"type":"array","items":{"type":"boolean"}}}}
            """);
        Assert.Empty(SchemaValidator.Validate(YamlTree.LoadSingle("n: 3\nmode: a\nlist: [true]\n"), schema));

        var errors = SchemaValidator.Validate(YamlTree.LoadSingle("n: 0\nmode: c\nname: \"\"\nlist: [yes-please]\nextra: 1\n"), schema);
        Assert.Contains(errors, e => e.Contains("below the minimum", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("is not one of", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("shorter than", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("$.list[0]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("unknown property extra", StringComparison.Ordinal));

        Assert.Contains("missing required property mode", Assert.Single(SchemaValidator.Validate(YamlTree.LoadSingle("n: \"3\"\n"), Json("""{"type":"object","required":["mode"]}"""))), StringComparison.Ordinal);
        Assert.Single(SchemaValidator.Validate(YamlTree.LoadSingle("n: \"3\"\n"), Json("""{"properties":{"n":{"type":"integer"}}}""")));
        Assert.Single(SchemaValidator.Validate(YamlTree.LoadSingle("n: 9\n"), Json("""{"properties":{"n":{"maximum":5}}}""")));
        Assert.Equal(["#/properties/n: pattern"], SchemaValidator.UnsupportedKeywords(Json("""{"properties":{"n":{"type":"string","pattern":"^a"}}}""")));
    }

    [Fact]
    public void ResourceCheck_RejectsTwoResourcesAndMissingLabels()
    {
        var expander = new TemplateExpander(YamlTree.LoadSingle("x: 1\n")!, _ => null, []);
        var two = YamlTree.LoadAll(expander.Expand("apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n", BranchChoice.First));
        Assert.Equal(["expected exactly one resource, found 2"], ChartChecks.ResourceProblems(two));

        var unlabelled = YamlTree.LoadAll("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    app.kubernetes.io/name: x\n");
        var problems = ChartChecks.ResourceProblems(unlabelled);
        Assert.Contains("missing metadata.name", problems);
        Assert.Contains("missing label app.kubernetes.io/component", problems);
        Assert.DoesNotContain("missing label app.kubernetes.io/name", problems);
    }

    [Fact]
    public void Expander_FollowsItsRulesAndRefusesWhatItDoesNotKnow()
    {
        var values = YamlTree.LoadSingle("a:\n  on: true\n  list:\n    - name: x\n      n: 1\n  s: \"q\"\n")!;
        var helpers = """
            {{- define "t.labels" -}}
            role: {{ .component }}
            name: {{ .ctx.Release.Name }}
            {{- end -}}
            """;
        var expander = new TemplateExpander(values, f => f == "f.txt" ? "line1\nline2" : null, [helpers]);

        const string template = """
            {{- if .Values.a.on }}
            labels:
              {{- include "t.labels" (dict "ctx" . "component" "tail") | nindent 2 }}
            items:
              {{- toYaml .Values.a.list | nindent 2 }}
            s: {{ .Values.a.s | quote }}
            file: |
            {{ .Files.Get "f.txt" | indent 2 }}
            raw: "{{`{{ $labels.x }}`}}"
            {{- range $k, $v := .Values.a.list }}
            item{{ $k }}: {{ $v.name }}
            {{- end }}
            name: {{ printf "%s-%s" (default "fallback" .Values.a.missing) .Values.a.s }}
            {{- if eq .Values.a.s "q" }}
            unknown: first
            {{- else }}
            unknown: last
            {{- end }}
            {{- else }}
            other: {{ .Values.a.s | upper }}
            {{- end }}
            {{- if not .Values.a.on }}
            off: {{ .Values.a.s }}
            {{- end }}
            """;
        const string common = "\nlabels:\n  role: tail\n  name: placeholder\nitems:\n  - name: x\n    n: 1\ns: \"q\"\nfile: |\n  line1\n  line2\nraw: \"{{ $labels.x }}\"\nitem0: x\nname: fallback-q";
        Assert.Equal(common + "\nunknown: first", expander.Expand(template, BranchChoice.First));
        Assert.Equal(common + "\nunknown: last", expander.Expand(template, BranchChoice.Last));
        Assert.Equal("\nother: placeholder\noff: q", new TemplateExpander(YamlTree.LoadSingle("a:\n  on: false\n  s: q\n")!, _ => null, [helpers]).Expand(template, BranchChoice.First));

        Assert.Throws<NotSupportedException>(() => expander.Expand("{{ include \"t.missing\" . }}", BranchChoice.First));
        Assert.Throws<NotSupportedException>(() => expander.Expand("{{ if .Values.a.on }}x", BranchChoice.First));
        Assert.Throws<NotSupportedException>(() => expander.Expand("{{ .Files.Get \"nope\" }}", BranchChoice.First));
        Assert.Throws<NotSupportedException>(() => expander.Expand("{{ .Values.a.list }}", BranchChoice.First));
    }

    [Fact]
    public void ValuesReferenceCheck_FindsUnknownValues()
    {
        var references = ChartChecks.ValuesReferences("{{ .Values.a.b }} {{ $.Values.a.c }} {{ .ctx.Values.d }}");
        Assert.Equal(["a.b", "a.c", "d"], references.Order());
        Assert.Equal(["a.c", "d"], ChartChecks.MissingValues(references, YamlTree.LoadSingle("a:\n  b: 1\n")!));
    }

    [Fact]
    public void Int64Check_FindsIntegersPrintedAsFloats()
    {
        var schema = Json("""{"properties":{"a":{"properties":{"n":{"type":"integer"},"p":{"type":["integer","string"]},"s":{"type":"string"}}}}}""");
        var problems = ChartChecks.IntegersPrintedWithoutInt64(
            "x: {{ .Values.a.n }}\ny: {{ .Values.a.n | int64 }}\nz: {{- .Values.a.n | quote -}}\np: {{ .Values.a.p }}\ns: {{ .Values.a.s }}\n", schema);
        Assert.Equal(["{{ .Values.a.n }} prints an integer without int64", "{{- .Values.a.n | quote -}} prints an integer without int64"], problems);
    }

    [Theory]
    [InlineData("sum(rate(watchtower_b[5m]))", "rate() over the gauge watchtower_b")]
    [InlineData("sum(increase(watchtower_c_seconds[5m]))", "unknown metric watchtower_c_seconds")]
    [InlineData("sum(rate(watchtower_nope_total[5m]))", "unknown metric watchtower_nope_total")]
    [InlineData("sum by (kind) (rate(watchtower_a_total[5m]))", "by (kind): no queried metric has that label")]
    [InlineData("watchtower_b{reason=\"x\"}", "watchtower_b has no label reason")]
    [InlineData("sum(rate(watchtower_a_total[5m])", "unbalanced brackets")]
    public void PromQlCheck_RejectsBrokenQueries(string expr, string problem)
    {
        Assert.Contains(problem, PromQl.Problems(expr, Catalog));
    }

    [Fact]
    public void PromQlCheck_AcceptsCountersAndHistogramSeries()
    {
        Assert.Empty(PromQl.Problems("histogram_quantile(0.9, sum by (le) (rate(watchtower_c_seconds_bucket{job=~\"$job\"}[5m])))", Catalog));
        Assert.Empty(PromQl.Problems("sum by (reason) (rate(watchtower_a_total[5m])) / sum(rate(watchtower_c_seconds_count[5m]))", Catalog));
    }

    [Fact]
    public void DashboardCheck_RejectsMissingDataSourcesInputsAndOldSchemas()
    {
        const string good = """
            {"uid":"u","schemaVersion":39,
             "__inputs":[{"name":"DS_PROMETHEUS","type":"datasource","pluginId":"prometheus"}],
             "panels":[{"id":1,"type":"timeseries","title":"p","datasource":{"type":"prometheus","uid":"${DS_PROMETHEUS}"},
                        "targets":[{"refId":"A","datasource":{"type":"prometheus","uid":"${DS_PROMETHEUS}"},"expr":"sum(rate(watchtower_a_total[5m]))"}]}]}
            """;
        Assert.Empty(DashboardChecks.Problems(Json(good), Catalog));

        const string bad = """
            {"schemaVersion":30,"__inputs":[],
             "panels":[{"id":1,"type":"row","title":"r","panels":[
                {"id":1,"type":"timeseries","title":"p","datasource":"Prometheus",
                 "targets":[{"refId":"A","expr":"rate(watchtower_b[5m])"}]}]}]}
            """;
        var problems = DashboardChecks.Problems(Json(bad), Catalog);
        Assert.Contains("uid must be a fixed string of 1 to 40 characters", problems);
        Assert.Contains("schemaVersion must be at least 36", problems);
        Assert.Contains("__inputs lacks the DS_PROMETHEUS prometheus datasource", problems);
        Assert.Contains("panel 'r': datasource is not ${DS_PROMETHEUS}", problems);
        Assert.Contains("panel 'p': missing or duplicate id", problems);
        Assert.Contains("panel 'p': datasource is not ${DS_PROMETHEUS}", problems);
        Assert.Contains("panel 'p' target A: datasource is not ${DS_PROMETHEUS}", problems);
        Assert.Contains("panel 'p': rate() over the gauge watchtower_b", problems);
    }

    [Fact]
    public void MetricsDocCheck_RejectsMissingWrongAndExtraRows()
    {
        const string doc = """
            | Metric | Type | Labels | Unit | Role | Meaning | Suggested alert |
            |---|---|---|---|---|---|---|
            | `watchtower_a_total` | counter | `kind` | things | ingest | a | none |
            | `watchtower_b` | counter | — | things | tail | b | none |
            | `watchtower_c_seconds` | histogram | — | seconds | nowhere | c | |
            | `watchtower_gone` | gauge | — | x | tail | gone | none |
            """;
        var problems = MetricsDoc.Problems(MetricsDoc.Parse(doc), Catalog);
        Assert.Contains("watchtower_a_total: documented labels [kind], exported [reason]", problems);
        Assert.Contains("watchtower_b: documented as counter, exported as gauge", problems);
        Assert.Contains("watchtower_c_seconds: role must be one or more of ingest, tail, respond", problems);
        Assert.Contains("watchtower_c_seconds: no suggested alert", problems);
        Assert.Contains("watchtower_gone is documented but not exported", problems);

        var missing = MetricsDoc.Problems(MetricsDoc.Parse(doc.Replace("| `watchtower_b` |", "| b |", StringComparison.Ordinal)), Catalog);
        Assert.Contains("watchtower_b (gauge) is not documented", missing);
    }

    [Fact]
    public void DockerfileCheck_RejectsABrokenImageBuild()
    {
        Assert.Equal(["not a multi-stage build"], DockerfileChecks.Problems("FROM mcr.microsoft.com/dotnet/sdk:10.0\nRUN true\n", Repo.Root, "", ""));

        // Restores the service before copying the projects it references, copies a folder before restore,
        // publishes a project that does not exist, runs as root, names no health check, wrong entry point.
        const string broken = """
            FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
            COPY Directory.Build.props Directory.Packages.props ./
            COPY src/Watchtower.Service/Watchtower.Service.csproj src/Watchtower.Service/
            COPY tests/ tests/
            RUN dotnet restore src/Watchtower.Service/Watchtower.Service.csproj
            COPY src/ src/
            RUN dotnet publish src/Watchtower.Service/Watchtower.Service.csproj -o /out/service \
             && dotnet publish src/Watchtower.Nope/Watchtower.Nope.csproj -o /out/nope
            FROM mcr.microsoft.com/dotnet/sdk:10.0
            COPY --from=build /out/service /app
            USER root
            ENTRYPOINT ["dotnet", "/app/Service.dll"]
            """;
        var problems = DockerfileChecks.Problems(broken, Repo.Root, "tests/\n", "");
        Assert.Contains("final stage is mcr.microsoft.com/dotnet/sdk:10.0, expected the .NET 10 ASP.NET runtime", problems);
        Assert.Contains("final stage runs as root", problems);
        Assert.Contains("no HEALTHCHECK (declare one, or HEALTHCHECK NONE with probes documented)", problems);
        Assert.Contains(problems, p => p.StartsWith("DOTNET_EnableDiagnostics=0 is not set", StringComparison.Ordinal));
        Assert.Contains("line 4: copies the folder tests/ before restore (restore layer no longer cached)", problems);
        Assert.Contains("line 4: COPY source tests/ is excluded by .dockerignore", problems);
        Assert.Contains("restore of src/Watchtower.Service/Watchtower.Service.csproj needs src/Watchtower.Tower/Watchtower.Tower.csproj, which is not copied before it", problems);
        Assert.Contains("published project src/Watchtower.Nope/Watchtower.Nope.csproj does not exist", problems);
        Assert.Contains("ENTRYPOINT must be exec form running /app/Watchtower.Service.dll", problems);
        Assert.Contains("final WORKDIR is unset, not the service folder /app (appsettings.json would not be found)", problems);

        var undocumented = DockerfileChecks.Problems(
            Repo.Read("Dockerfile"), Repo.Root, Repo.Read(".dockerignore"), "no words about health here");
        Assert.Equal(["HEALTHCHECK NONE but docs/deployment.md does not describe the /healthz probes"], undocumented);
    }

    [Fact]
    public void DockerIgnore_MatchesLikeDocker()
    {
        var ignore = new DockerIgnore("# comment\n**/bin/\n*.md\n!README.md\ndocs\n");
        Assert.True(ignore.Excludes("src/a/bin/x.dll"));
        Assert.True(ignore.Excludes("bin/x"));
        Assert.True(ignore.Excludes("NOTES.md"));
        Assert.False(ignore.Excludes("README.md"));
        Assert.False(ignore.Excludes("src/NOTES.md"));
        Assert.True(ignore.Excludes("docs/metrics.md"));
        Assert.False(ignore.Excludes("src/binary.cs"));
    }
}
