using System.Text.Json.Nodes;
using FlowFunctions.Core.Expressions;

namespace FlowFunctions.Core.Tests.Expressions;

/// <summary>A scope with every context populated, shared by the expression tests.</summary>
internal static class ExpressionTestScope
{
    public static ExpressionScope Create() => new()
    {
        Inputs = JsonNode.Parse("""
            {
              "name": "World",
              "count": 3,
              "ratio": 0.5,
              "tags": ["a", "b", "c"],
              "nested": { "x": 1, "list": [{ "v": 10 }, { "v": 20 }] },
              "empty": "",
              "zero": 0,
              "flag": true,
              "nothing": null,
              "my-key": "dash",
              "json": "{\"k\":[1,2]}"
            }
            """)!.AsObject(),
        NodeOutput = id => id switch
        {
            "fetch" => JsonNode.Parse("""{ "items": [1, 2, 3], "title": "T" }"""),
            "a-b" => JsonValue.Create("ab"),
            _ => null,
        },
        NodeStatus = id => id == "fetch" ? "Succeeded" : null,
        Input = JsonNode.Parse("""{ "value": 10 }"""),
        Item = JsonNode.Parse("""{ "id": 7, "name": "seven" }"""),
        Index = 2,
        RunId = "run-1",
        RunStartedAt = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero),
    };

    /// <summary>Evaluates and renders the result as compact JSON ("null" for null) for easy comparison.</summary>
    public static string Eval(string source, ExpressionScope? scope = null) =>
        JsonValues.ToJson(Expression.Parse(source).Evaluate(scope ?? Create()));

    public static ExpressionEvaluationException EvalError(string source, ExpressionScope? scope = null)
    {
        Expression expression = Expression.Parse(source);
        return Should.Throw<ExpressionEvaluationException>(() => expression.Evaluate(scope ?? Create()));
    }

    public static ExpressionSyntaxException SyntaxError(string source) =>
        Should.Throw<ExpressionSyntaxException>(() => Expression.Parse(source));
}
