using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>
/// <c>secrets.NAME</c>: a secret the http handler resolves when it sends the request. The decision function never sees
/// its value: the expression evaluates to its own canonical text <c>${{ secrets.NAME }}</c> (<see cref="Marker"/>),
/// which the handler replaces in the request and nowhere else.
/// </summary>
internal sealed class SecretNode(string name, int position) : ExpressionNode(position)
{
    public string Name { get; } = name;

    /// <summary>What <c>secrets.<paramref name="name"/></c> evaluates to: the text the http handler looks for.</summary>
    public static string Marker(string name) => "${{ secrets." + name + " }}";

    public override JsonNode? Evaluate(ExpressionScope scope) => JsonValue.Create(Marker(Name));
}
