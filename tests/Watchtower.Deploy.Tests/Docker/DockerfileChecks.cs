using System.Text.Json;
using System.Xml.Linq;

namespace Watchtower.Deploy.Tests.Docker;

/// <summary>
/// Static checks of the image build: multi-stage SDK → ASP.NET runtime, restore from project files
/// only (and all the ones the restored projects need), published projects that exist, an entry
/// point that names the published assembly, a non-root user, and a health check or documented probes.
/// </summary>
internal static class DockerfileChecks
{
    public const string ServiceProject = "src/Watchtower.Service/Watchtower.Service.csproj";

    /// <param name="dockerfile">Dockerfile text.</param>
    /// <param name="repoRoot">Folder the build context is.</param>
    /// <param name="dockerIgnore">.dockerignore text.</param>
    /// <param name="deploymentDoc">docs/deployment.md text, which must explain the probes if the image has no HEALTHCHECK.</param>
    public static IReadOnlyList<string> Problems(string dockerfile, string repoRoot, string dockerIgnore, string deploymentDoc)
    {
        var problems = new List<string>();
        var stages = DockerfileParser.Stages(dockerfile);
        if (stages.Count < 2)
        {
            return ["not a multi-stage build"];
        }

        var build = stages[0];
        var final = stages[^1];
        if (!build.BaseImage.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", StringComparison.Ordinal))
        {
            problems.Add($"build stage is {build.BaseImage}, expected the .NET 10 SDK");
        }

        if (!final.BaseImage.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", StringComparison.Ordinal))
        {
            problems.Add($"final stage is {final.BaseImage}, expected the .NET 10 ASP.NET runtime");
        }

        CheckUser(final, problems);
        CheckHealth(final, deploymentDoc, problems);
        CheckEnvironment(final, problems);

        var ignore = new DockerIgnore(dockerIgnore);
        var restoreIndex = build.Instructions.ToList().FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        if (restoreIndex < 0)
        {
            problems.Add("no separate `dotnet restore` step");
        }

        var copiedBeforeRestore = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < build.Instructions.Count; i++)
        {
            var instruction = build.Instructions[i];
            if (instruction.Keyword is not ("COPY" or "ADD"))
            {
                continue;
            }

            var words = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
            var destination = words[^1];
            foreach (var source in words.Take(words.Count - 1))
            {
                var full = Path.Combine(repoRoot, source);
                if (!File.Exists(full) && !Directory.Exists(full))
                {
                    problems.Add($"line {instruction.Line}: COPY source {source} does not exist");
                }

                if (ignore.Excludes(source))
                {
                    problems.Add($"line {instruction.Line}: COPY source {source} is excluded by .dockerignore");
                }

                if (restoreIndex >= 0 && i < restoreIndex)
                {
                    if (Directory.Exists(full))
                    {
                        problems.Add($"line {instruction.Line}: copies the folder {source} before restore (restore layer no longer cached)");
                    }

                    var target = destination.EndsWith('/') || words.Count > 2 ? destination.TrimEnd('/') + "/" + Path.GetFileName(source) : destination;
                    copiedBeforeRestore.Add(target.TrimStart('.', '/'));
                }
            }
        }

        if (restoreIndex >= 0)
        {
            foreach (var project in ProjectArguments(build.Instructions[restoreIndex].Arguments, "restore"))
            {
                foreach (var needed in ProjectClosure(repoRoot, project).Append("Directory.Build.props").Append("Directory.Packages.props"))
                {
                    if (!copiedBeforeRestore.Contains(needed))
                    {
                        problems.Add($"restore of {project} needs {needed}, which is not copied before it");
                    }
                }
            }
        }

        CheckPublish(build, final, repoRoot, problems);
        return problems;
    }

    private static void CheckUser(Stage final, List<string> problems)
    {
        var user = final.Instructions.LastOrDefault(i => i.Keyword == "USER")?.Arguments.Split(':')[0];
        if (user is null)
        {
            problems.Add("final stage has no USER (runs as root)");
        }
        else if (user is "root" or "0")
        {
            problems.Add($"final stage runs as {user}");
        }
    }

    private static void CheckHealth(Stage final, string deploymentDoc, List<string> problems)
    {
        var health = final.Instructions.LastOrDefault(i => i.Keyword == "HEALTHCHECK");
        if (health is null)
        {
            problems.Add("no HEALTHCHECK (declare one, or HEALTHCHECK NONE with probes documented)");
        }
        else if (health.Arguments.Equals("NONE", StringComparison.OrdinalIgnoreCase))
        {
            if (!deploymentDoc.Contains("/healthz", StringComparison.Ordinal) || !deploymentDoc.Contains("probe", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add("HEALTHCHECK NONE but docs/deployment.md does not describe the /healthz probes");
            }
        }
        else if (!health.Arguments.Contains("/healthz", StringComparison.Ordinal) && !health.Arguments.Contains("--healthcheck", StringComparison.Ordinal))
        {
            problems.Add("HEALTHCHECK does not probe /healthz");
        }
    }

    private static void CheckEnvironment(Stage final, List<string> problems)
    {
        var env = string.Join(' ', final.Instructions.Where(i => i.Keyword == "ENV").Select(i => i.Arguments));
        if (!env.Contains("DOTNET_EnableDiagnostics=0", StringComparison.Ordinal))
        {
            problems.Add("DOTNET_EnableDiagnostics=0 is not set (the runtime writes diagnostics sockets under a read-only root)");
        }
    }

    private static void CheckPublish(Stage build, Stage final, string repoRoot, List<string> problems)
    {
        var publishes = build.Instructions.Where(i => i.Keyword == "RUN")
            .SelectMany(i => i.Arguments.Split("&&").Select(c => c.Trim()))
            .Where(c => c.StartsWith("dotnet publish", StringComparison.Ordinal))
            .ToList();
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var command in publishes)
        {
            var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var project = words[2];
            if (!File.Exists(Path.Combine(repoRoot, project)))
            {
                problems.Add($"published project {project} does not exist");
            }

            var o = Array.IndexOf(words, "-o");
            if (o < 0)
            {
                problems.Add($"publish of {project} has no -o output folder");
            }
            else
            {
                outputs[project] = words[o + 1].TrimEnd('/');
            }
        }

        if (!outputs.TryGetValue(ServiceProject, out var serviceOut))
        {
            problems.Add($"{ServiceProject} is not published");
            return;
        }

        var copy = final.Instructions.Where(i => i.Keyword == "COPY" && i.Arguments.Contains("--from=", StringComparison.Ordinal))
            .Select(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray())
            .FirstOrDefault(w => w[0].TrimEnd('/') == serviceOut);
        if (copy is null)
        {
            problems.Add($"the final stage does not copy the service's publish output {serviceOut}");
            return;
        }

        var entry = final.Instructions.LastOrDefault(i => i.Keyword == "ENTRYPOINT");
        var expected = $"{copy[^1].TrimEnd('/')}/{AssemblyName(Path.Combine(repoRoot, ServiceProject))}.dll";
        if (entry is null)
        {
            problems.Add("no ENTRYPOINT");
        }
        else if (!entry.Arguments.StartsWith('[') || !JsonSerializer.Deserialize<string[]>(entry.Arguments)!.Contains(expected))
        {
            problems.Add($"ENTRYPOINT must be exec form running {expected}");
        }

        // The host's content root is the working directory; appsettings.json sits beside the assembly.
        var workdir = final.Instructions.LastOrDefault(i => i.Keyword == "WORKDIR")?.Arguments.TrimEnd('/');
        if (workdir != copy[^1].TrimEnd('/'))
        {
            problems.Add($"final WORKDIR is {workdir ?? "unset"}, not the service folder {copy[^1].TrimEnd('/')} (appsettings.json would not be found)");
        }
    }

    /// <summary>Projects named by `dotnet restore X` commands in the first RUN that restores.</summary>
    private static IEnumerable<string> ProjectArguments(string run, string verb) =>
        run.Split("&&").Select(c => c.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length > 2 && w[0] == "dotnet" && w[1] == verb)
            .Select(w => w[2]);

    /// <summary>The project and every project it references, transitively, as repository-relative paths.</summary>
    public static IReadOnlyCollection<string> ProjectClosure(string repoRoot, string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (!seen.Add(current))
            {
                continue;
            }

            var full = Path.Combine(repoRoot, current);
            if (!File.Exists(full))
            {
                continue;
            }

            foreach (var reference in XDocument.Load(full).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                var resolved = Path.GetRelativePath(repoRoot, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(full)!, include)));
                pending.Push(resolved.Replace('\\', '/'));
            }
        }

        return seen;
    }

    public static string AssemblyName(string csproj) =>
        XDocument.Load(csproj).Descendants("AssemblyName").FirstOrDefault()?.Value ?? Path.GetFileNameWithoutExtension(csproj);
}
