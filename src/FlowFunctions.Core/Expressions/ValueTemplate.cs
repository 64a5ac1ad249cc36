using System.Collections.ObjectModel;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>
/// A JSON value (from a workflow spec's <c>with</c>, <c>outputs</c>, ...) in which strings may hold
/// <c>${{ }}</c> expressions. Compiling collects every problem instead of stopping at the first, so a
/// spec author sees all mistakes at once.
/// </summary>
public sealed class ValueTemplate
{
    private readonly TemplateNode _root;

    private ValueTemplate(TemplateNode root, List<Expression> expressions)
    {
        _root = root;
        Expressions = new ReadOnlyCollection<Expression>(expressions);
    }

    /// <summary>True when the value contains no expressions at all.</summary>
    public bool IsConstant => _root.IsConstant;

    /// <summary>Every parsed expression, in document order.</summary>
    public IReadOnlyList<Expression> Expressions { get; }

    /// <summary>
    /// Compiles a JSON value. Every string containing <c>${{</c> is parsed; problems are appended to
    /// <paramref name="errors"/> with JSON-pointer paths relative to <paramref name="value"/>, never thrown.
    /// </summary>
    /// <param name="value">The JSON value; it is copied, so later changes to it do not affect the template.</param>
    /// <param name="errors">Receives one entry per problem.</param>
    /// <returns>The compiled template.</returns>
    public static ValueTemplate Compile(JsonNode? value, ICollection<TemplateError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var expressions = new List<Expression>();
        TemplateNode root = Build(value, string.Empty, expressions, errors);
        return new ValueTemplate(root, expressions);
    }

    /// <summary>Evaluates every expression and builds a fresh JSON tree.</summary>
    /// <param name="scope">The values the expressions may read.</param>
    /// <returns>A new tree the caller owns.</returns>
    /// <exception cref="ExpressionEvaluationException">An expression failed; the message names its path.</exception>
    public JsonNode? Resolve(ExpressionScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return _root.Resolve(scope);
    }

    private static TemplateNode Build(JsonNode? node, string path, List<Expression> expressions, ICollection<TemplateError> errors)
    {
        switch (node)
        {
            case JsonObject obj:
                {
                    var properties = new List<KeyValuePair<string, TemplateNode>>(obj.Count);
                    foreach (KeyValuePair<string, JsonNode?> property in obj)
                    {
                        string childPath = path + "/" + JsonValues.EscapePointerToken(property.Key);
                        properties.Add(new(property.Key, Build(property.Value, childPath, expressions, errors)));
                    }

                    return properties.TrueForAll(p => p.Value.IsConstant)
                        ? new ConstantTemplateNode(obj)
                        : new ObjectTemplateNode(properties);
                }

            case JsonArray array:
                {
                    var elements = new List<TemplateNode>(array.Count);
                    for (int i = 0; i < array.Count; i++)
                    {
                        elements.Add(Build(array[i], path + "/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), expressions, errors));
                    }

                    return elements.TrueForAll(e => e.IsConstant)
                        ? new ConstantTemplateNode(array)
                        : new ArrayTemplateNode(elements);
                }

            case JsonValue value:
                try
                {
                    return JsonValues.TryGetString(value, out string? text) && StringTemplateNode.HasExpressions(text)
                        ? StringTemplateNode.Compile(text, path, expressions, errors)
                        : new ConstantTemplateNode(value);
                }
                catch (ExpressionEvaluationException e)
                {
                    // Compile reports problems instead of throwing, even for values it cannot read.
                    errors.Add(new TemplateError(path, e.Message));
                    return new ConstantTemplateNode(null);
                }

            default:
                return new ConstantTemplateNode(node);
        }
    }
}
