using System.Collections.ObjectModel;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>
/// A parsed <c>${{ }}</c> expression. Parsing validates names, function arities and static node
/// references up front, so a workflow spec can be rejected before anything runs.
/// </summary>
public sealed class Expression
{
    private readonly ExpressionNode _root;

    private Expression(string source, ExpressionNode root, Parser parser)
    {
        Source = source;
        _root = root;
        Roots = new ReadOnlyCollection<string>(parser.Roots);
        ReferencedNodes = new ReadOnlyCollection<string>(parser.Nodes);
        ReferencedInputs = new ReadOnlyCollection<string>(parser.Inputs);
        ReferencedSecrets = new ReadOnlyCollection<string>(parser.Secrets);
        IsSecretReference = root is SecretNode;
    }

    /// <summary>The expression text (the part inside <c>${{ }}</c>).</summary>
    public string Source { get; }

    /// <summary>The context roots the expression reads: a subset of inputs, nodes, input, item, index, run and secrets.</summary>
    public IReadOnlyCollection<string> Roots { get; }

    /// <summary>Ids of the nodes read through <c>nodes.&lt;id&gt;</c>, in order of first appearance.</summary>
    public IReadOnlyCollection<string> ReferencedNodes { get; }

    /// <summary>
    /// Names of inputs read statically through <c>inputs.&lt;name&gt;</c> or <c>inputs['name']</c>,
    /// in order of first appearance; computed keys (<c>inputs[expr]</c>) are not listed.
    /// </summary>
    public IReadOnlyCollection<string> ReferencedInputs { get; }

    /// <summary>Names of the secrets read through <c>secrets.NAME</c>, in order of first appearance.</summary>
    public IReadOnlyCollection<string> ReferencedSecrets { get; }

    /// <summary>Whether the whole expression is one <c>secrets.NAME</c> (the only way a secret may be used).</summary>
    public bool IsSecretReference { get; }

    /// <summary>Parses expression text.</summary>
    /// <param name="source">The text inside <c>${{ }}</c>.</param>
    /// <returns>The parsed expression.</returns>
    /// <exception cref="ExpressionSyntaxException">The text is not a valid expression.</exception>
    public static Expression Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Parser parser = Parser.Run(source, out ExpressionNode root);
        return new Expression(source, root, parser);
    }

    /// <summary>Evaluates the expression against a scope.</summary>
    /// <param name="scope">The values the expression may read.</param>
    /// <returns>A fresh JSON tree (null for JSON null) that the caller may attach anywhere.</returns>
    /// <exception cref="ExpressionEvaluationException">The expression cannot be evaluated against this scope.</exception>
    public JsonNode? Evaluate(ExpressionScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        JsonNode? result = JsonValues.Adopt(_root.Evaluate(scope));

        // Results may be nodes owned by the scope; a JsonNode can only have one parent.
        return result?.DeepClone();
    }

    /// <summary>Truthiness as used by <c>!</c>, <c>&amp;&amp;</c>, <c>||</c> and <c>if</c>: false, null, 0 and "" are falsy.</summary>
    /// <param name="value">The value to test.</param>
    /// <returns>Whether the value counts as true.</returns>
    public static bool IsTruthy(JsonNode? value) => JsonValues.IsTruthy(value);

    /// <inheritdoc/>
    public override string ToString() => Source;
}
