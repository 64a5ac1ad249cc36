using System.Text;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>
/// A string containing <c>${{ }}</c>. A string that is nothing but one expression keeps the
/// expression's JSON type; anything else interpolates the rendered values into text.
/// </summary>
internal sealed class StringTemplateNode : TemplateNode
{
    private const string Open = "${{";

    private readonly string _path;
    private readonly IReadOnlyList<TemplateSegment> _segments;
    private readonly Expression? _whole;

    private StringTemplateNode(string path, IReadOnlyList<TemplateSegment> segments)
    {
        _path = path;
        _segments = segments;
        List<Expression> found = segments.Where(s => s.Expression is not null).Select(s => s.Expression!).ToList();
        bool onlyWhitespaceAround = segments.All(s => s.Expression is not null || string.IsNullOrWhiteSpace(s.Literal));

        // Whitespace-only text around a single expression does not turn the value into a string.
        _whole = found.Count == 1 && onlyWhitespaceAround ? found[0] : null;
    }

    public static bool HasExpressions(string text) => text.Contains(Open, StringComparison.Ordinal);

    /// <summary>Compiles a template string; on any error returns the text unchanged as a constant.</summary>
    public static TemplateNode Compile(string text, string path, List<Expression> expressions, ICollection<TemplateError> errors)
    {
        var segments = new List<TemplateSegment>();
        var literal = new StringBuilder();
        bool failed = false;
        int i = 0;
        while (i < text.Length)
        {
            int open = text.IndexOf(Open, i, StringComparison.Ordinal);
            if (open < 0)
            {
                literal.Append(text, i, text.Length - i);
                break;
            }

            literal.Append(text, i, open - i);
            int start = open + Open.Length;
            int close = FindClose(text, start);
            if (close < 0)
            {
                errors.Add(new TemplateError(path, "unclosed '${{' (missing '}}')"));
                failed = true;
                break;
            }

            string source = text[start..close].Trim();
            i = close + 2;
            if (source.Length == 0)
            {
                errors.Add(new TemplateError(path, "empty expression '${{ }}'"));
                failed = true;
                continue;
            }

            try
            {
                Expression expression = Expression.Parse(source);
                expressions.Add(expression);
                if (literal.Length > 0)
                {
                    segments.Add(new TemplateSegment(literal.ToString(), null));
                    literal.Clear();
                }

                segments.Add(new TemplateSegment(null, expression));
            }
            catch (ExpressionSyntaxException e)
            {
                errors.Add(new TemplateError(path, $"invalid expression '{source}': {e.Message}"));
                failed = true;
            }
        }

        if (failed)
        {
            return new ConstantTemplateNode(JsonValue.Create(text));
        }

        if (literal.Length > 0)
        {
            segments.Add(new TemplateSegment(literal.ToString(), null));
        }

        return new StringTemplateNode(path, segments);
    }

    /// <summary>Finds the first "}}" that is not inside a single-quoted string literal.</summary>
    private static int FindClose(string text, int start)
    {
        bool inString = false;
        for (int j = start; j < text.Length; j++)
        {
            char c = text[j];
            if (c == '\'')
            {
                // A doubled quote inside a literal toggles twice, which is exactly the escape.
                inString = !inString;
            }
            else if (!inString && c == '}' && j + 1 < text.Length && text[j + 1] == '}')
            {
                return j;
            }
        }

        return -1;
    }

    public override JsonNode? Resolve(ExpressionScope scope)
    {
        try
        {
            if (_whole is not null)
            {
                return _whole.Evaluate(scope);
            }

            var builder = new StringBuilder();
            foreach (TemplateSegment segment in _segments)
            {
                builder.Append(segment.Expression is null ? segment.Literal : JsonValues.ToText(segment.Expression.Evaluate(scope)));
            }

            return JsonValue.Create(builder.ToString());
        }
        catch (ExpressionEvaluationException e)
        {
            string where = _path.Length == 0 ? "at the template root" : $"at {_path}";
            throw new ExpressionEvaluationException($"{where}: {e.Message}", e);
        }
    }
}
