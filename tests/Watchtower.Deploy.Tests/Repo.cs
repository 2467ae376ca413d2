namespace Watchtower.Deploy.Tests;

/// <summary>Paths into the repository the tests run from (found by walking up to Watchtower.sln).</summary>
internal static class Repo
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    public static string ChartDir => PathOf("helm", "watchtower");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Watchtower.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Watchtower.sln not found above {AppContext.BaseDirectory}");
    }
}
