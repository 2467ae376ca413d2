using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Watchtower.Deploy.Tests.Chart;

/// <summary>Which branch of every <c>if</c>/<c>with</c>/<c>range</c> an expansion keeps.</summary>
internal enum BranchChoice
{
    /// <summary>The first branch (the "then"; a range body once).</summary>
    First,

    /// <summary>The last <c>else</c> branch, or nothing when there is none.</summary>
    Last,
}

/// <summary>
/// Expands a chart template into YAML that can be parsed, without a Helm binary. This is not a Go
/// template engine; it is a fixed set of rules the chart is kept within (anything else throws
/// <see cref="NotSupportedException"/>):
/// <list type="bullet">
/// <item>trim markers <c>{{-</c> / <c>-}}</c> remove adjacent whitespace as in Go;</item>
/// <item>comments and <c>$var := …</c> assignments print nothing (the variable keeps the value);</item>
/// <item><c>if</c>/<c>else if</c> conditions of the form <c>X</c> or <c>not X</c>, X a value we know, are
/// evaluated with Go's truthiness, and <c>range</c> over a known map or list iterates it (binding
/// <c>$key, $value</c>); any other condition or collection keeps one branch, chosen by <see cref="BranchChoice"/>;</item>
/// <item><c>include "name" arg</c> expands the named <c>define</c> (unknown names throw); <c>arg</c> may be
/// <c>.</c>, <c>$</c>, a field path or <c>(dict "k" v …)</c>;</item>
/// <item><c>.Values.a.b</c> prints the scalar from values.yaml, <c>toYaml .Values.a.b</c> its block YAML,
/// <c>.Files.Get "p"</c> the chart file, string literals themselves;</item>
/// <item><c>default D V</c> and <c>printf</c> with <c>%s</c>/<c>%d</c> are evaluated over known values;</item>
/// <item>every other value is the scalar <see cref="Placeholder"/>; of pipeline functions only
/// <c>nindent</c>, <c>indent</c>, <c>quote</c> and <c>int64</c>/<c>int</c> (of an integer) are applied, any other one turns the value into the placeholder.</item>
/// </list>
/// </summary>
internal sealed partial class TemplateExpander
{
    public const string Placeholder = "placeholder";

    private readonly YamlNode _values;
    private readonly Func<string, string?> _readChartFile;
    private readonly Dictionary<string, List<Node>> _defines = new(StringComparer.Ordinal);

    public TemplateExpander(YamlNode values, Func<string, string?> readChartFile, IEnumerable<string> helperTemplates)
    {
        _values = values;
        _readChartFile = readChartFile;
        foreach (var helper in helperTemplates)
        {
            CollectDefines(Parse(helper));
        }
    }

    /// <summary>
    /// An expander over a chart directory: its values.yaml (with an override file merged over it, as
    /// <c>helm -f</c> would) and the defines of templates/*.tpl.
    /// </summary>
    public static TemplateExpander ForChart(string chartDir, string? overrideValues = null)
    {
        var values = YamlTree.LoadSingle(File.ReadAllText(Path.Combine(chartDir, "values.yaml")))
            ?? throw new InvalidOperationException("values.yaml is empty");
        if (overrideValues is not null)
        {
            values = YamlTree.Merge(values, YamlTree.LoadSingle(overrideValues)!);
        }

        var helpers = Directory.GetFiles(Path.Combine(chartDir, "templates"), "*.tpl").Order(StringComparer.Ordinal).Select(File.ReadAllText);
        return new TemplateExpander(values, rel =>
        {
            var full = Path.GetFullPath(Path.Combine(chartDir, rel));
            return full.StartsWith(Path.GetFullPath(chartDir), StringComparison.Ordinal) && File.Exists(full) ? File.ReadAllText(full) : null;
        }, helpers);
    }

    public IReadOnlyCollection<string> DefineNames => _defines.Keys;

    public string Expand(string template, BranchChoice choice)
    {
        var nodes = Parse(template);
        CollectDefines(nodes);
        var sb = new StringBuilder();
        Evaluate(nodes, new Scope(RootContext.Instance, RootContext.Instance, new Dictionary<string, object>(StringComparer.Ordinal)), choice, sb);
        return sb.ToString();
    }

    // ---- parsing -------------------------------------------------------------------------------

    private abstract record Node;

    private sealed record TextNode(string Text) : Node;

    private sealed record ActionNode(string Expression) : Node;

    private sealed record BlockNode(string Keyword, string Header, List<List<Node>> Branches, List<string?> ElseConditions) : Node;

    private sealed record DefineNode(string Name, List<Node> Body) : Node;

    private sealed record Token(bool IsAction, string Text, bool TrimLeft, bool TrimRight);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var pos = 0;
        while (pos < text.Length)
        {
            var open = text.IndexOf("{{", pos, StringComparison.Ordinal);
            if (open < 0)
            {
                tokens.Add(new Token(false, text[pos..], false, false));
                break;
            }

            tokens.Add(new Token(false, text[pos..open], false, false));
            var start = open + 2;
            var trimLeft = start + 1 < text.Length && text[start] == '-' && char.IsWhiteSpace(text[start + 1]);
            if (trimLeft)
            {
                start++;
            }

            var close = FindClose(text, start);
            var end = close;
            var trimRight = end - 2 >= start && text[end - 1] == '-' && char.IsWhiteSpace(text[end - 2]);
            if (trimRight)
            {
                end--;
            }

            tokens.Add(new Token(true, text[start..end].Trim(), trimLeft, trimRight));
            pos = close + 2;
        }

        // Apply trim markers to the neighbouring text, as text/template does.
        for (var i = 0; i < tokens.Count; i++)
        {
            if (!tokens[i].IsAction)
            {
                continue;
            }

            if (tokens[i].TrimLeft && i > 0 && !tokens[i - 1].IsAction)
            {
                tokens[i - 1] = tokens[i - 1] with { Text = tokens[i - 1].Text.TrimEnd() };
            }

            if (tokens[i].TrimRight && i + 1 < tokens.Count && !tokens[i + 1].IsAction)
            {
                tokens[i + 1] = tokens[i + 1] with { Text = tokens[i + 1].Text.TrimStart() };
            }
        }

        return tokens;
    }

    /// <summary>Index of the closing <c>}}</c>, skipping string literals (alert templates nest braces in raw strings).</summary>
    private static int FindClose(string text, int from)
    {
        for (var i = from; i < text.Length - 1; i++)
        {
            switch (text[i])
            {
                case '"':
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\')
                        {
                            i++;
                        }
                    }

                    break;
                case '`':
                    i = text.IndexOf('`', i + 1);
                    if (i < 0)
                    {
                        throw new NotSupportedException("unterminated raw string in template action");
                    }

                    break;
                case '}' when text[i + 1] == '}':
                    return i;
            }
        }

        throw new NotSupportedException($"unterminated template action at offset {from}");
    }

    private static List<Node> Parse(string text)
    {
        var tokens = Tokenize(text);
        var index = 0;
        var nodes = ParseList(tokens, ref index, out var stop);
        if (stop is not null)
        {
            throw new NotSupportedException($"unexpected {{{{ {stop} }}}} without an open block");
        }

        return nodes;
    }

    private static List<Node> ParseList(List<Token> tokens, ref int index, out string? stop)
    {
        var nodes = new List<Node>();
        while (index < tokens.Count)
        {
            var token = tokens[index++];
            if (!token.IsAction)
            {
                if (token.Text.Length > 0)
                {
                    nodes.Add(new TextNode(token.Text));
                }

                continue;
            }

            var expr = token.Text;
            var keyword = Keyword(expr);
            switch (keyword)
            {
                case "end":
                case "else":
                    stop = expr;
                    return nodes;
                case "if":
                case "with":
                case "range":
                    nodes.Add(ParseBlock(tokens, ref index, keyword, expr[keyword.Length..].Trim()));
                    break;
                case "define":
                    var name = StringLiteral(expr["define".Length..].Trim())
                        ?? throw new NotSupportedException($"define needs a literal name: {expr}");
                    var body = ParseList(tokens, ref index, out var defineStop);
                    if (defineStop is null || Keyword(defineStop) != "end")
                    {
                        throw new NotSupportedException($"define \"{name}\" is not closed by end");
                    }

                    nodes.Add(new DefineNode(name, body));
                    break;
                case "block":
                case "break":
                case "continue":
                    throw new NotSupportedException($"template keyword '{keyword}' is outside the supported subset");
                default:
                    nodes.Add(new ActionNode(expr));
                    break;
            }
        }

        stop = null;
        return nodes;
    }

    private static BlockNode ParseBlock(List<Token> tokens, ref int index, string keyword, string header)
    {
        var branches = new List<List<Node>>();
        var conditions = new List<string?> { header };
        while (true)
        {
            branches.Add(ParseList(tokens, ref index, out var stop));
            if (stop is null)
            {
                throw new NotSupportedException($"{keyword} {header} is not closed by end");
            }

            if (Keyword(stop) == "end")
            {
                return new BlockNode(keyword, header, branches, conditions);
            }

            // "else if X" carries its own condition; a plain "else" none.
            var elseIf = stop["else".Length..].Trim();
            conditions.Add(elseIf.StartsWith("if ", StringComparison.Ordinal) ? elseIf[3..].Trim() : null);
        }
    }

    private static string Keyword(string expr)
    {
        var match = KeywordPattern().Match(expr);
        return match.Success ? match.Groups[1].Value : "";
    }

    private void CollectDefines(List<Node> nodes)
    {
        foreach (var define in nodes.OfType<DefineNode>())
        {
            _defines[define.Name] = define.Body;
        }
    }

    // ---- evaluation ----------------------------------------------------------------------------

    private sealed class RootContext
    {
        public static readonly RootContext Instance = new();
    }

    private sealed class Unknown
    {
        public static readonly Unknown Instance = new();
    }

    /// <summary>A path absent from the values: false in conditions, as in Helm (typos are caught by a separate check).</summary>
    private sealed class Missing
    {
        public static readonly Missing Instance = new();
    }

    private sealed record Scope(object Dot, object Top, Dictionary<string, object> Variables);

    private void Evaluate(List<Node> nodes, Scope scope, BranchChoice choice, StringBuilder sb)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case TextNode text:
                    sb.Append(text.Text);
                    break;
                case ActionNode action:
                    sb.Append(EvaluateAction(action.Expression, scope, choice));
                    break;
                case BlockNode block:
                    EvaluateBlock(block, scope, choice, sb);
                    break;
                case DefineNode:
                    break;
            }
        }
    }

    private void EvaluateBlock(BlockNode block, Scope scope, BranchChoice choice, StringBuilder sb)
    {
        var elseBranch = block.Branches.Count > 1 ? block.Branches[^1] : null;
        if (block.Keyword == "range")
        {
            var range = RangePattern().Match(block.Header);
            var collection = ResolveArgument(range.Groups[3].Value.Trim(), scope);
            var items = collection switch
            {
                YamlMappingNode map => map.Children.Select(kv => ((object)((YamlScalarNode)kv.Key).Value!, (object)kv.Value)).ToList(),
                YamlSequenceNode seq => seq.Children.Select((item, i) => ((object)i.ToString(CultureInfo.InvariantCulture), (object)item)).ToList(),
                _ => null,
            };
            if (items is null)
            {
                // Not a value we know: the body once over an unknown element, or the else branch.
                var chosen = choice == BranchChoice.First ? block.Branches[0] : elseBranch;
                if (chosen is not null)
                {
                    Evaluate(chosen, ReferenceEquals(chosen, elseBranch) ? scope : scope with { Dot = Unknown.Instance }, choice, sb);
                }

                return;
            }

            foreach (var (key, item) in items)
            {
                if (range.Groups[2].Success)
                {
                    scope.Variables[range.Groups[1].Value] = key;
                    scope.Variables[range.Groups[2].Value] = item;
                }
                else if (range.Groups[1].Success)
                {
                    scope.Variables[range.Groups[1].Value] = item;
                }

                Evaluate(block.Branches[0], scope with { Dot = item }, choice, sb);
            }

            if (items.Count == 0 && elseBranch is not null)
            {
                Evaluate(elseBranch, scope, choice, sb);
            }

            return;
        }

        // if/with, and each "else if": a condition we can evaluate decides; otherwise the choice does.
        for (var i = 0; i < block.Branches.Count; i++)
        {
            var isElse = i > 0 && i == block.Branches.Count - 1 && block.ElseConditions[i] is null;
            var condition = i == 0 ? block.Header : block.ElseConditions[i];
            var truth = isElse ? true : Truth(condition!, scope);
            if (truth is null)
            {
                var chosen = choice == BranchChoice.First ? block.Branches[i] : isElse ? block.Branches[i] : null;
                if (chosen is not null)
                {
                    Evaluate(chosen, block.Keyword == "with" && !isElse ? scope with { Dot = Unknown.Instance } : scope, choice, sb);
                    return;
                }

                continue;
            }

            if (truth.Value)
            {
                Evaluate(block.Branches[i], block.Keyword == "with" && !isElse ? scope with { Dot = Unknown.Instance } : scope, choice, sb);
                return;
            }
        }
    }

    /// <summary>Truth of <c>X</c> or <c>not X</c> when X is a value we know (Go template truthiness), else null.</summary>
    private bool? Truth(string condition, Scope scope)
    {
        var negate = condition.StartsWith("not ", StringComparison.Ordinal);
        var operand = negate ? condition[4..].Trim() : condition.Trim();
        if (operand.Contains(' ', StringComparison.Ordinal))
        {
            return null;
        }

        var truth = Truthy(ResolveArgument(operand, scope));
        return truth is null ? null : truth.Value != negate;
    }

    /// <summary>Go template truthiness of a known value; null for a value we do not know.</summary>
    private static bool? Truthy(object value) => value switch
    {
        YamlMappingNode map => map.Children.Count > 0,
        YamlSequenceNode seq => seq.Children.Count > 0,
        YamlScalarNode scalar => YamlTree.KindOf(scalar) switch
        {
            YamlKind.Null => false,
            YamlKind.Boolean => scalar.Value!.Equals("true", StringComparison.OrdinalIgnoreCase),
            YamlKind.Integer or YamlKind.Number => YamlTree.NumberOf(scalar) != 0,
            _ => (scalar.Value ?? "").Length > 0,
        },
        string s => s.Length > 0,
        Missing => false,
        _ => null,
    };

    private string EvaluateAction(string expr, Scope scope, BranchChoice choice)
    {
        if (expr.StartsWith("/*", StringComparison.Ordinal))
        {
            return "";
        }

        var assignment = AssignmentPattern().Match(expr);
        if (assignment.Success)
        {
            scope.Variables[assignment.Groups[1].Value] = EvaluatePipeline(assignment.Groups[2].Value, scope, choice);
            return "";
        }

        return Print(EvaluatePipeline(expr, scope, choice));
    }

    private object EvaluatePipeline(string expr, Scope scope, BranchChoice choice)
    {
        var commands = SplitTopLevel(expr, '|');
        var value = EvaluateCommand(commands[0], scope, choice);
        foreach (var function in commands.Skip(1))
        {
            var words = function.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            value = words[0] switch
            {
                "nindent" => "\n" + Indent(Print(value), int.Parse(words[1], CultureInfo.InvariantCulture)),
                "indent" => Indent(Print(value), int.Parse(words[1], CultureInfo.InvariantCulture)),
                "quote" => YamlTree.Quote(Print(value)),
                "int64" or "int" => value is YamlScalarNode { } n && YamlTree.KindOf(n) == YamlKind.Integer ? value : Unknown.Instance,
                _ => Unknown.Instance,
            };
        }

        return value;
    }

    private object EvaluateCommand(string command, Scope scope, BranchChoice choice)
    {
        if (StringLiteral(command) is { } literal)
        {
            return literal;
        }

        var words = SplitTopLevel(command, ' ');
        switch (words[0])
        {
            case "include" or "template":
                var name = StringLiteral(words[1]);
                if (name is null)
                {
                    return Unknown.Instance;
                }

                if (!_defines.TryGetValue(name, out var body))
                {
                    throw new NotSupportedException($"include of undefined template \"{name}\"");
                }

                var arg = words.Count > 2 ? EvaluateArgument(string.Join(' ', words.Skip(2)), scope, choice) : Unknown.Instance;
                var sb = new StringBuilder();
                Evaluate(body, new Scope(arg, arg, new Dictionary<string, object>(StringComparer.Ordinal)), choice, sb);
                return sb.ToString();
            case "toYaml":
                return ResolveArgument(words[1], scope) switch
                {
                    YamlNode node => YamlTree.Emit(node),
                    _ => Unknown.Instance,
                };
            case "default" when words.Count == 3:
                var given = EvaluateArgument(words[2], scope, choice);
                return Truthy(given) switch
                {
                    true => given,
                    false => EvaluateArgument(words[1], scope, choice),
                    null => Unknown.Instance,
                };
            case "printf" when StringLiteral(words[1]) is { } format:
                var args = words.Skip(2).Select(a => EvaluateArgument(a, scope, choice)).ToList();
                if (args.Any(a => a is not (string or YamlScalarNode or Unknown or Missing)) || format.Replace("%%", "", StringComparison.Ordinal).Split('%').Skip(1).Any(f => !f.StartsWith('s') && !f.StartsWith('d')))
                {
                    return Unknown.Instance;
                }

                var parts = format.Split("%s").SelectMany(p => p.Split("%d")).ToList();
                var printed = new StringBuilder(parts[0]);
                for (var i = 1; i < parts.Count; i++)
                {
                    printed.Append(i - 1 < args.Count ? Print(args[i - 1]) : "%!(MISSING)").Append(parts[i]);
                }

                return printed.ToString();
            case ".Files.Get" or "$.Files.Get":
                var path = StringLiteral(words[1]) ?? throw new NotSupportedException($"Files.Get needs a literal path: {command}");
                return _readChartFile(path) ?? throw new NotSupportedException($"chart file {path} does not exist");
        }

        return words.Count == 1 ? ResolveArgument(words[0], scope) : Unknown.Instance;
    }

    private object EvaluateArgument(string arg, Scope scope, BranchChoice choice)
    {
        arg = arg.Trim();
        if (StringLiteral(arg) is { } literal)
        {
            return literal;
        }

        if (arg.StartsWith('(') && arg.EndsWith(')'))
        {
            var words = SplitTopLevel(arg[1..^1], ' ');
            if (words[0] != "dict")
            {
                return EvaluatePipeline(arg[1..^1], scope, choice);
            }

            if (words.Count % 2 == 0)
            {
                return Unknown.Instance;
            }

            var dict = new Dictionary<string, object>(StringComparer.Ordinal);
            for (var i = 1; i < words.Count; i += 2)
            {
                var key = StringLiteral(words[i]) ?? throw new NotSupportedException($"dict key must be a literal: {arg}");
                dict[key] = StringLiteral(words[i + 1]) ?? ResolveArgument(words[i + 1], scope);
            }

            return dict;
        }

        return ResolveArgument(arg, scope);
    }

    /// <summary>The value of <c>.</c>, <c>$</c>, <c>$var</c> or a field path from one of them.</summary>
    private object ResolveArgument(string arg, Scope scope)
    {
        if (arg == ".")
        {
            return scope.Dot;
        }

        object start;
        string rest;
        if (arg.StartsWith('$'))
        {
            var dot = arg.IndexOf('.', StringComparison.Ordinal);
            var variable = dot < 0 ? arg[1..] : arg[1..dot];
            rest = dot < 0 ? "" : arg[(dot + 1)..];
            start = variable.Length == 0 ? scope.Top : scope.Variables.GetValueOrDefault(variable, Unknown.Instance);
        }
        else if (arg.StartsWith('.'))
        {
            start = scope.Dot;
            rest = arg[1..];
        }
        else
        {
            return Unknown.Instance;
        }

        return rest.Length == 0 ? start : Resolve(start, rest.Split('.'));
    }

    private object Resolve(object start, IReadOnlyList<string> path)
    {
        var current = start;
        for (var i = 0; i < path.Count; i++)
        {
            switch (current)
            {
                case RootContext when path[i] == "Values":
                    return YamlTree.At(_values, path.Skip(i + 1)) ?? (object)Missing.Instance;
                case YamlMappingNode map:
                    return YamlTree.At(map, path.Skip(i)) ?? (object)Missing.Instance;
                case Dictionary<string, object> dict when dict.TryGetValue(path[i], out var next):
                    current = next;
                    break;
                default:
                    return Unknown.Instance;
            }
        }

        return current;
    }

    private static string Print(object value) => value switch
    {
        string s => s,
        YamlScalarNode scalar => scalar.Value ?? "",
        Unknown or Missing => Placeholder,
        _ => throw new NotSupportedException($"a template prints a non-scalar value ({value.GetType().Name})"),
    };

    private static string Indent(string text, int spaces)
    {
        var pad = new string(' ', spaces);
        return string.Join('\n', text.Split('\n').Select(line => pad + line));
    }

    private static string? StringLiteral(string text)
    {
        text = text.Trim();
        if (text.Length >= 2 && text[0] == '`' && text[^1] == '`')
        {
            return text[1..^1];
        }

        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            return Regex.Unescape(text[1..^1]);
        }

        return null;
    }

    /// <summary>Splits on a separator outside quotes, raw strings and parentheses.</summary>
    private static List<string> SplitTopLevel(string text, char separator)
    {
        var parts = new List<string>();
        var depth = 0;
        var current = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '"' or '`')
            {
                var close = c == '"' ? ClosingQuote(text, i) : text.IndexOf('`', i + 1);
                current.Append(text, i, close - i + 1);
                i = close;
                continue;
            }

            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (c == separator && depth == 0)
            {
                if (current.ToString().Trim().Length > 0)
                {
                    parts.Add(current.ToString().Trim());
                }

                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.ToString().Trim().Length > 0)
        {
            parts.Add(current.ToString().Trim());
        }

        return parts;
    }

    private static int ClosingQuote(string text, int open)
    {
        for (var i = open + 1; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == '"')
            {
                return i;
            }
        }

        throw new NotSupportedException($"unterminated string in: {text}");
    }

    [GeneratedRegex(@"^(?:\$(\w+)\s*(?:,\s*\$(\w+))?\s*:=\s*)?(.+)$", RegexOptions.Singleline)]
    private static partial Regex RangePattern();

    [GeneratedRegex(@"^(if|else|end|with|range|define|block|break|continue)\b")]
    private static partial Regex KeywordPattern();

    [GeneratedRegex(@"^\$(\w+)\s*:?=\s*(.+)$", RegexOptions.Singleline)]
    private static partial Regex AssignmentPattern();
}
