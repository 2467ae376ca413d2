namespace Watchtower.Deploy.Tests.Docker;

/// <summary>One Dockerfile instruction, continuation lines joined.</summary>
internal sealed record Instruction(string Keyword, string Arguments, int Line);

/// <summary>A build stage: its FROM and the instructions after it.</summary>
internal sealed record Stage(string BaseImage, string? Name, IReadOnlyList<Instruction> Instructions);

internal static class DockerfileParser
{
    public static IReadOnlyList<Instruction> Instructions(string text)
    {
        var result = new List<Instruction>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var start = i + 1;
            while (line.EndsWith('\\') && i + 1 < lines.Length)
            {
                var next = lines[++i].Trim();
                line = line[..^1].TrimEnd() + (next.StartsWith('#') ? "" : " " + next);
            }

            var space = line.IndexOf(' ', StringComparison.Ordinal);
            result.Add(space < 0
                ? new Instruction(line.ToUpperInvariant(), "", start)
                : new Instruction(line[..space].ToUpperInvariant(), line[(space + 1)..].Trim(), start));
        }

        return result;
    }

    public static IReadOnlyList<Stage> Stages(string text)
    {
        var stages = new List<Stage>();
        List<Instruction>? current = null;
        foreach (var instruction in Instructions(text))
        {
            if (instruction.Keyword == "FROM")
            {
                var words = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray();
                current = [];
                var name = words.Length >= 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                stages.Add(new Stage(words[0], name, current));
            }
            else
            {
                current?.Add(instruction);
            }
        }

        return stages;
    }
}
