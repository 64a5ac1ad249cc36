using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>A built-in function. Arguments arrive unevaluated so that <c>if</c> and <c>coalesce</c> can be lazy.</summary>
/// <param name="Name">Name as written in expressions.</param>
/// <param name="MinArguments">Fewest arguments accepted.</param>
/// <param name="MaxArguments">Most arguments accepted; <see cref="int.MaxValue"/> for variadic functions.</param>
/// <param name="Invoke">Implementation.</param>
internal sealed record FunctionDefinition(
    string Name,
    int MinArguments,
    int MaxArguments,
    Func<IReadOnlyList<ExpressionNode>, ExpressionScope, JsonNode?> Invoke)
{
    public string DescribeArity()
    {
        static string Plural(int n) => n == 1 ? "1 argument" : $"{n} arguments";

        if (MinArguments == MaxArguments)
        {
            return Plural(MinArguments);
        }

        return MaxArguments == int.MaxValue
            ? $"at least {Plural(MinArguments)}"
            : $"{MinArguments} to {Plural(MaxArguments)}";
    }
}
