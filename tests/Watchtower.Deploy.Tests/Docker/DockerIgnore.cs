using System.Text;
using System.Text.RegularExpressions;

namespace Watchtower.Deploy.Tests.Docker;

/// <summary>.dockerignore matching: a path is excluded when the last pattern matching it or one of its parent folders is not a "!" exception.</summary>
internal sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exception)> _rules;

    public DockerIgnore(string text)
    {
        _rules = text.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.StartsWith('!') ? (ToRegex(l[1..]), true) : (ToRegex(l), false))
            .ToList();
    }

    public bool Excludes(string path)
    {
        path = path.Replace('\\', '/').Trim('/');
        if (path.StartsWith("./", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        var excluded = false;
        foreach (var (pattern, exception) in _rules)
        {
            if (pattern.IsMatch(path))
            {
                excluded = !exception;
            }
        }

        return excluded;
    }

    private static Regex ToRegex(string pattern)
    {
        pattern = pattern.Trim().Trim('/');
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                sb.Append(slash ? "(.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                sb.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }

        // A folder pattern also excludes everything inside it.
        return new Regex(sb.Append("(/.*)?$").ToString(), RegexOptions.CultureInvariant);
    }
}
