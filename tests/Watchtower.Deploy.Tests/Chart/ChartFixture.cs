using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Watchtower.Deploy.Tests.Chart;

/// <summary>The chart under helm/watchtower, with its default values or with every optional part enabled.</summary>
internal static class ChartFixture
{
    private static readonly Lazy<TemplateExpander> LazyDefaults = new(() => TemplateExpander.ForChart(Repo.ChartDir));
    private static readonly Lazy<TemplateExpander> LazyAllEnabled = new(() => TemplateExpander.ForChart(Repo.ChartDir, AllEnabledOverride));

    public static TemplateExpander Defaults => LazyDefaults.Value;

    /// <summary>values.yaml with TestData/all-enabled-values.yaml merged over it.</summary>
    public static TemplateExpander AllEnabled => LazyAllEnabled.Value;

    public static string AllEnabledOverride => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "all-enabled-values.yaml"));

    public static YamlNode Values => YamlTree.LoadSingle(Repo.Read("helm", "watchtower", "values.yaml"))!;

    public static JsonElement Schema => JsonDocument.Parse(Repo.Read("helm", "watchtower", "values.schema.json")).RootElement;

    public static string TemplatesDir => Path.Combine(Repo.ChartDir, "templates");

    /// <summary>Resource templates (YAML files; helpers and NOTES.txt are not resources).</summary>
    public static IEnumerable<string> ResourceTemplates =>
        Directory.GetFiles(TemplatesDir, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    public static string TemplateText(string file) => File.ReadAllText(Path.Combine(TemplatesDir, file));

    public static IReadOnlyList<YamlNode> Render(TemplateExpander expander, string file, BranchChoice choice = BranchChoice.First) =>
        YamlTree.LoadAll(expander.Expand(TemplateText(file), choice));

    /// <summary>The one resource a template renders with the default values.</summary>
    public static YamlNode Resource(string file) => Render(Defaults, file).Single();

    /// <summary>The one resource a template renders with every optional part enabled.</summary>
    public static YamlNode EnabledResource(string file) => Render(AllEnabled, file).Single();
}
